"""The donations line (物资捐赠调度线): items and their units, donors, pledges, intake into stores,
the stock card, needs, allocation plans, distributions with waybills and signed receipts.

Every quantity is stored in the item's own unit of measure (a ``Decimal``; whole numbers where the
unit allows no fractions). Stock is kept twice on purpose: ``StockMove`` is the stock card (every
movement, with its document) and ``StockBalance`` the current balance per item and store, which a
database constraint keeps at zero or above; the services update both in one transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.scoping import ScopedQuerySet

from .choices import Category, Condition, DistributionStatus, DonorKind, MoveKind, NeedStatus, Source


class Measure(models.Model):
    """A unit of measure (斤, 公斤, 副, 个, 件 …) and whether quantities in it may have fractions."""

    name = models.CharField(_("name"), max_length=10, unique=True)
    allows_fraction = models.BooleanField(_("allows fractions"), default=False)

    class Meta:
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Conversion(models.Model):
    """An exact conversion: one ``source`` is ``factor`` of ``target`` (1 公斤 = 2 斤). Only exact
    conversions are recorded; a unit without one is refused where another is expected."""

    source = models.ForeignKey(Measure, verbose_name=pgettext_lazy("donations", "from"), on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Measure, verbose_name=pgettext_lazy("donations", "to"), on_delete=models.CASCADE, related_name="+")
    factor = models.DecimalField(_("factor"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("unit conversion")
        verbose_name_plural = _("unit conversions")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="donations_conversion_unique"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="donations_conversion_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.source} = {self.factor.normalize():f} {self.target}"


class Item(models.Model):
    """A kind of goods (消毒液, 手套 …), counted in ``measure``; ``pack_size`` of them make one
    pack (箱) when goods come packed."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    category = models.CharField(pgettext_lazy("donations", "category"), max_length=10, choices=Category.choices)
    measure = models.ForeignKey(Measure, verbose_name=_("unit of measure"), on_delete=models.PROTECT,
                                related_name="items")
    pack_name = models.CharField(_("pack"), max_length=10, blank=True)
    pack_size = models.PositiveIntegerField(_("units per pack"), null=True, blank=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ("category", "name")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """仓库: where goods are kept, held by a unit (the working committee's materials group)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    unit = models.ForeignKey("orgs.Unit", verbose_name=pgettext_lazy("donations", "held by"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Donor(models.Model):
    """A giver: a department or party organisation (from the tree), a party member (from
    people), an enterprise or an individual. ``public_name`` is what the public list shows
    (匿名 when ``anonymous``); ``contact`` is never shown there."""

    kind = models.CharField(_("kind"), max_length=12, choices=DonorKind.choices)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    person = models.ForeignKey("people.Person", verbose_name=_("party member"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    public_name = models.CharField(_("name shown in public"), max_length=100, blank=True)
    anonymous = models.BooleanField(_("anonymous in public"), default=False)
    certificate_number = models.CharField(_("certificate number"), max_length=30, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ("name", "id")
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="donations_donor_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("donations:donor_detail", args=[self.pk])

    @property
    def shown_name(self) -> str:
        """The name on the public list."""
        return "匿名" if self.anonymous else (self.public_name or self.name)


class Pledge(models.Model):
    """认捐: a donor's promise of a quantity of an item by a date; intake is recorded against it."""

    donor = models.ForeignKey(Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="pledges")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    pledged_on = models.DateField(_("pledged on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("donor__unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = pgettext_lazy("donations", "pledge")
        verbose_name_plural = pgettext_lazy("donations", "pledges")
        ordering = ("-pledged_on", "-id")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_pledge_positive")]

    def __str__(self) -> str:
        return f"{self.donor} {self.item} {self.quantity.normalize():f}"


class SupplierLead(models.Model):
    """物资渠道: a purchase channel offered by a member (who sells what, at what price, how much)."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(_("supplier"), max_length=100)
    price = models.DecimalField(_("unit price (yuan)"), max_digits=10, decimal_places=2)
    quantity_available = models.DecimalField(_("quantity available"), max_digits=14, decimal_places=3)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    offered_by = models.ForeignKey("people.Person", verbose_name=_("offered by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit of the member"), on_delete=models.PROTECT,
                             related_name="+")
    offered_on = models.DateField(_("offered on"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("supplier lead")
        verbose_name_plural = _("supplier leads")
        ordering = ("-offered_on", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="donations_lead_price"),
            models.CheckConstraint(condition=Q(quantity_available__gte=0), name="donations_lead_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.item}"


class Intake(models.Model):
    """入库: goods received into a store, donated (from a donor, perhaps against a pledge) or
    purchased (through a supplier lead). ``remaining`` is what of it has not left the store yet
    (first in, first out: docs/donations.md)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.DONATED)
    donor = models.ForeignKey(Donor, verbose_name=_("donor"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="intakes")
    pledge = models.ForeignKey(Pledge, verbose_name=pgettext_lazy("donations", "pledge"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="intakes")
    lead = models.ForeignKey(SupplierLead, verbose_name=_("supplier lead"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="intakes")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="intakes")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    remaining = models.DecimalField(_("not yet given out"), max_digits=14, decimal_places=3)
    entered_as = models.CharField(_("as entered"), max_length=40, blank=True)
    received_on = models.DateField(_("received on"))
    received_by = models.CharField(_("received by"), max_length=60)
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices, default=Condition.GOOD)
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ImageField(_("photo"), upload_to="donations/%Y/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("store__unit", "donor__unit")
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ("-received_on", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_intake_positive"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("quantity")),
                                   name="donations_intake_remaining"),
            models.CheckConstraint(condition=~Q(source="donated") | Q(donor__isnull=False),
                                   name="donations_intake_donor"),
        ]
        indexes = [models.Index(fields=["store", "item", "received_on"], name="donations_intake_fifo")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("donations:intake_detail", args=[self.pk])


class Adjustment(models.Model):
    """A stock-take correction or a write-off (报损), with its reason and who approved it."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind.choices, default=MoveKind.ADJUSTMENT)
    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("change"), max_digits=14, decimal_places=3)
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.CharField(_("approved by"), max_length=60)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("store__unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("stock adjustment")
        verbose_name_plural = _("stock adjustments")
        ordering = ("-recorded_at", "-id")
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="donations_adjustment_nonzero")]

    def __str__(self) -> str:
        return self.number


class Need(models.Model):
    """需求: what a community, checkpoint or unit needs, by when and why."""

    unit = models.ForeignKey("orgs.Unit", verbose_name=_("raised by unit"), on_delete=models.PROTECT,
                             related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    reason = models.CharField(_("why"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    raised_on = models.DateField(_("raised on"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ("status", "needed_by", "id")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_need_positive")]

    def __str__(self) -> str:
        return f"{self.unit} {self.item} {self.quantity.normalize():f}"

    def get_absolute_url(self) -> str:
        return reverse("donations:need_detail", args=[self.pk])


class Allocation(models.Model):
    """调拨方案: the materials group's approved plan to meet a need from a store, with the approver
    and the basis (按市委组织部统一安排)."""

    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="allocations")
    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    basis = models.CharField(_("basis"), max_length=200)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    approver_name = models.CharField(_("approver"), max_length=60)
    approved_on = models.DateField(_("approved on"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("need__unit", "store__unit")
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("allocation plan")
        verbose_name_plural = _("allocation plans")
        ordering = ("-approved_on", "-id")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_allocation_positive")]

    def __str__(self) -> str:
        return f"{self.need} ← {self.store}"


class Distribution(models.Model):
    """发放: goods leaving a store for a receiving unit, with the waybill (who carries it, the
    vehicle). Signed for by a ``Receipt``."""

    number = models.CharField(_("waybill number"), max_length=20, unique=True)
    allocation = models.ForeignKey(Allocation, verbose_name=_("allocation plan"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="distributions")
    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("orgs.Unit", verbose_name=_("receiving unit"), on_delete=models.PROTECT,
                                related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    carrier = models.CharField(_("carried by"), max_length=60, blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=20, blank=True)
    dispatched_on = models.DateField(_("dispatched on"))
    status = models.CharField(_("status"), max_length=10, choices=DistributionStatus.choices,
                              default=DistributionStatus.DISPATCHED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("to_unit", "store__unit")
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ("-dispatched_on", "-id")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_distribution_positive")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("donations:distribution_detail", args=[self.pk])


class Receipt(models.Model):
    """签收: the receiving unit's signature for a distribution. Never edited: a correction is a new
    receipt that names the one it corrects (``corrects``)."""

    distribution = models.ForeignKey(Distribution, verbose_name=_("distribution"), on_delete=models.PROTECT,
                                     related_name="receipts")
    corrects = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="corrected_by")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by (user)"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signed by"), max_length=60)
    signer_role = models.CharField(_("signer's role"), max_length=60)
    signed_at = models.DateTimeField(pgettext_lazy("donations", "signed at"))
    quantity_received = models.DecimalField(_("quantity received"), max_digits=14, decimal_places=3)
    discrepancy = models.CharField(_("discrepancy note"), max_length=200, blank=True)
    photo = models.ImageField(_("photo"), upload_to="donations/receipts/%Y/", blank=True)
    by_link = models.BooleanField(_("signed through a link"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("distribution__to_unit", "distribution__store__unit")
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ("-signed_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(quantity_received__gte=0), name="donations_receipt_quantity"),
            # One original signature per distribution; corrections hang off it.
            models.UniqueConstraint(fields=["distribution"], condition=Q(corrects__isnull=True),
                                    name="donations_receipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.distribution} {self.signer_name}"


class SigningLink(models.Model):
    """A one-time signing link (and its QR) for a named receiver without an account: only the
    token's SHA-256 is stored; it works once and until ``expires_at``."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="links")
    receiver_name = models.CharField(_("receiver"), max_length=60)
    receiver_role = models.CharField(_("receiver's role"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("distribution__to_unit", "distribution__store__unit")
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("signing link")
        verbose_name_plural = _("signing links")

    def __str__(self) -> str:
        return f"{self.distribution} → {self.receiver_name}"


class StockBalance(models.Model):
    """The balance of one item in one store: the row every movement locks and updates; the
    database refuses a negative balance."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=3)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("store__unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ("store", "item")
        constraints = [
            models.UniqueConstraint(fields=["store", "item"], name="donations_balance_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="donations_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.item} {self.balance.normalize():f}"


class StockMove(models.Model):
    """One line of the stock card: a movement in (+) or out (−) of a store, the balance after
    it, and the document that caused it."""

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    balance_after = models.DecimalField(_("balance"), max_digits=14, decimal_places=3)
    document = models.CharField(pgettext_lazy("donations", "document"), max_length=20)
    moved_on = models.DateField(_("date"))
    intake = models.ForeignKey(Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    distribution = models.ForeignKey(Distribution, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    adjustment = models.ForeignKey(Adjustment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("store__unit",)
    scope_perm_label = "donations"

    class Meta:
        verbose_name = _("stock card line")
        verbose_name_plural = _("stock card lines")
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="donations_move_not_negative"),
            models.CheckConstraint(condition=~Q(quantity=0), name="donations_move_nonzero"),
        ]
        indexes = [models.Index(fields=["store", "item", "id"], name="donations_move_card")]

    def __str__(self) -> str:
        return f"{self.document} {self.quantity.normalize():f}"


class TraceLink(models.Model):
    """Which intake a quantity that left the store came from (first in, first out)."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="traces")
    distribution = models.ForeignKey(Distribution, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="traces")
    adjustment = models.ForeignKey(Adjustment, null=True, blank=True, on_delete=models.PROTECT, related_name="traces")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("trace link")
        verbose_name_plural = _("trace links")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="donations_trace_positive")]

    def __str__(self) -> str:
        return f"{self.intake} {self.quantity.normalize():f}"
