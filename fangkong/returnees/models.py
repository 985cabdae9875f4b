import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.fieldcrypt import DigestField, SealedField
from fangkong.core.idcard import SealedIdentity
from fangkong.core.scoping import ScopedQuerySet

from .choices import Category, ChangeKind, ConflictStatus, ImportStatus, Line, Resolution, Side

# The one-person-per-ID-number constraint (on the keyed digest), named where a ledger import
# recognises its violation.
ID_NUMBER_UNIQUE = "returnee_id_number_unique"


class Returnee(SealedIdentity, models.Model):
    """输入人员: one person coming back from outside the region, one record per outbreak.

    The ID number and phone are stored sealed, with a keyed digest and a mask
    (``core.idcard.SealedIdentity``): ``returnee.id_number`` opens the seal. ``unit_reported_at``
    and ``community_reported_at`` hold the first registration of each side (kept by the services)
    so that dual-report figures are one indexed aggregate.
    """

    name = models.CharField(_("name"), max_length=60)
    id_cipher = SealedField(_("ID number (sealed)"))
    id_digest = DigestField(_("ID number digest"))
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, editable=False)
    sex = models.CharField(_("sex"), max_length=1, editable=False)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), editable=False)
    phone_cipher = SealedField(_("mobile phone (sealed)"))
    phone_digest = DigestField(_("mobile phone digest"))
    phone_masked = models.CharField(_("mobile phone (masked)"), max_length=11, blank=True, editable=False)
    # No single-column indexes on these two: the composite indexes below start with them.
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("employer unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="returnees", db_index=False,
    )
    community = models.ForeignKey(
        "orgs.Unit", verbose_name=_("residential community"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="resident_returnees", db_index=False,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, default=Category.OUTSIDE)
    origin_code = models.CharField(_("origin division code"), max_length=6, blank=True)
    origin_text = models.CharField(_("where from"), max_length=100, blank=True)
    transport = models.CharField(_("transport"), max_length=40, blank=True)
    return_date = models.DateField(_("return date"), null=True, blank=True)
    line = models.CharField(_("screening line"), max_length=10, choices=Line.choices, blank=True, editable=False)
    # Derived from the unit; filtering by it is rare enough to read the returnees of its units.
    coordinating_body = models.ForeignKey(
        "orgs.Unit", verbose_name=_("coordinating body"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False, db_index=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    unit_reported_at = models.DateTimeField(_("unit reported at"), null=True, blank=True, editable=False)
    community_reported_at = models.DateTimeField(_("community registered at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "community")
    # What the whole city's command picture counts of a person (command.snapshots): a second side
    # registered today, or a return date, leaves its closed days as they were. A community's
    # picture also depends on ``community`` (who it sees), so every change expires scoped ones.
    snapshot_counted = ("line", "unit", "coordinating_body", "name", "unit_reported_at", "community_reported_at")
    # Set only on the unsaved stand-in that services.register answers with when the person met is
    # held outside the registrant's scope: the registrant's own registration and claim.
    standin_registrations: "list[Registration] | None" = None
    attribution_conflict: "AttributionConflict | None" = None

    class Meta:
        verbose_name = _("returnee")
        verbose_name_plural = _("returnees")
        ordering = ("-return_date", "id")
        # A constraint rather than unique=True: PostgreSQL then gets no extra LIKE index, which
        # every imported row would otherwise have to update.
        constraints = [models.UniqueConstraint(fields=["id_digest"], name=ID_NUMBER_UNIQUE)]
        # Every index is paid for by each imported row. returnee_dual holds all that the dual-report
        # figures read: index-only scans serve the city (the whole index), a line (the whole index,
        # filtered) and a unit's scope (its range); returnee_comm_dual serves a community's scope.
        indexes = [
            models.Index(fields=["unit", "unit_reported_at", "community_reported_at", "line"], name="returnee_dual"),
            models.Index(fields=["community", "community_reported_at"], name="returnee_comm_dual"),
            # The registration times alone: who registered at or after a moment (the command
            # picture's correction of the tally, ``tally.unit_rows``) and who waits longest for
            # their other side (the partial ones hold the people registered on one side only).
            models.Index(fields=["unit_reported_at"], name="returnee_unit_at"),
            models.Index(fields=["community_reported_at"], name="returnee_comm_at"),
            models.Index(fields=["unit_reported_at", "id"], name="returnee_unit_only",
                         condition=Q(community_reported_at__isnull=True)),
            models.Index(fields=["community_reported_at", "id"], name="returnee_comm_only",
                         condition=Q(unit_reported_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("returnees:returnee_detail", args=[self.pk])

    @property
    def dual_state(self) -> str:
        if self.unit_reported_at and self.community_reported_at:
            return "both"
        return "unit_only" if self.unit_reported_at else "community_only"


class LedgerTally(models.Model):
    """The ledger's running tally per line, employer unit and coordinating body (0: none): rows of
    differences written by the database's own triggers on the ledger, summed when read, folded
    into one row per group by ``tally.compact`` (``fangkong.returnees.tally``)."""

    line = models.CharField(_("screening line"), max_length=10)
    unit_id = models.BigIntegerField(_("employer unit"))
    body_id = models.BigIntegerField(_("coordinating body"))
    n_unit = models.IntegerField(_("unit side"))
    n_community = models.IntegerField(_("community side"))
    n_both = models.IntegerField(_("both sides"))
    n_suspects = models.IntegerField(_("concealment suspects"))

    # Written only by the database; never read by a kept (closed-day) picture.
    snapshot_exempt = True

    class Meta:
        verbose_name = _("ledger tally")
        verbose_name_plural = _("ledger tallies")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.line} {self.unit_id}/{self.body_id}"


class Registration(models.Model):
    """One side's registration of a returnee: the unit reporting its employee to the committee,
    or the community registering its resident (双报制)."""

    # Indexed by registration_unique (returnee first) only: registrations are read through their
    # returnee; nothing else looks them up but a delete of a user, unit or import, which is rare.
    returnee = models.ForeignKey(
        Returnee, on_delete=models.CASCADE, related_name="registrations", db_index=False
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("registering unit"), on_delete=models.PROTECT, related_name="registrations",
        db_index=False,
    )
    stated_employer = models.ForeignKey(
        "orgs.Unit", verbose_name=_("employer named"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    source_import = models.ForeignKey(
        "LedgerImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations",
        db_index=False,
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "returnee__unit", "returnee__community")
    scope_perm_label = "returnees"

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ("registered_at", "id")
        constraints = [models.UniqueConstraint(fields=["returnee", "side", "unit"], name="registration_unique")]

    def __str__(self) -> str:
        return f"{self.returnee} {self.side} {self.unit}"


class IsolationOrder(models.Model):
    """居家隔离: home isolation over the days [start_date, planned_end), released early or at the end."""

    returnee = models.OneToOneField(Returnee, on_delete=models.CASCADE, related_name="isolation")
    start_date = models.DateField(_("start date"))
    period_days = models.PositiveSmallIntegerField(_("period (days)"))
    planned_end = models.DateField(_("planned end"))
    released_on = models.DateField(_("released on"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("released by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    release_note = models.CharField(_("release note"), max_length=200, blank=True)
    # A unit's ledger said this person is not isolated at home though their category requires it:
    # shown to the community on its follow-up list, to check on the spot.
    ledger_flag = models.CharField(_("flag from a ledger"), max_length=200, blank=True, default="", db_default="")

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("returnee__unit", "returnee__community")
    scope_perm_label = "returnees"

    class Meta:
        verbose_name = _("isolation order")
        verbose_name_plural = _("isolation orders")
        constraints = [
            models.CheckConstraint(condition=Q(planned_end__gt=models.F("start_date")), name="isolation_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.returnee} {self.start_date}–{self.planned_end}"

    def last_day(self) -> dt.date:
        """The last day a follow-up is due."""
        end = self.planned_end
        if self.released_on is not None and self.released_on < end:
            end = self.released_on
        return end - dt.timedelta(days=1)

    def is_due(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.last_day()


class IsolationChange(models.Model):
    """An extension or shortening of an isolation order, with its reason and approver."""

    order = models.ForeignKey(IsolationOrder, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices)
    days = models.SmallIntegerField(_("days"))
    old_end = models.DateField(_("old end"))
    new_end = models.DateField(_("new end"))
    reason = models.CharField(_("reason"), max_length=200)
    approver = models.CharField(_("approver"), max_length=60)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("isolation change")
        verbose_name_plural = _("isolation changes")
        ordering = ("changed_at", "id")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.days}"


class FollowUp(models.Model):
    """One day's check on a person in home isolation."""

    order = models.ForeignKey(IsolationOrder, on_delete=models.CASCADE, related_name="follow_ups")
    day = models.DateField(_("day"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.CharField(_("symptoms"), max_length=200, blank=True)
    at_home = models.BooleanField(_("at home"), default=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("order__returnee__unit", "order__returnee__community")
    scope_perm_label = "returnees"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ("day", "id")
        constraints = [models.UniqueConstraint(fields=["order", "day"], name="followup_unique")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.day}"


class LedgerImport(models.Model):
    """One uploaded ledger: who, when, the file's SHA-256, the outcome and its counts."""

    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    stored_path = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    scope_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    # The stored file's size, counted against the uploader's quota while the import is not committed.
    file_size = models.BigIntegerField(_("file size"), default=0)
    # When the stored file was deleted: an upload that was not committed keeps its file for
    # FANGKONG_REJECTED_UPLOAD_DAYS (the row stays, for the audit).
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    # The columns as the uploader placed them (normalised header -> field key, "" not imported),
    # on top of the synonyms and the mapping remembered for the unit (core.columnmap).
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # What the preview found: every column and how it was placed, the first rows, the split
    # new / updated / unchanged / dual-reported, warnings of the checked columns (see imports.py).
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # Checked columns (性别, 年龄 ...) that disagree with the ID number are problems, not warnings.
    strict = models.BooleanField(_("strict checks"), default=False)
    # Committed row by row: the valid rows written, the others (``rejected``) given back as a file.
    per_row = models.BooleanField(_("valid rows only"), default=False)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("scope_unit",)
    scope_perm_label = "returnees"

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("returnees:import_detail", args=[self.pk])


class AttributionConflict(models.Model):
    """归属争议: a unit (or community) registered a person whom a unit (community) outside its scope
    already holds on that side. The claimant's registration is kept apart, the person is left as it
    was, and the committee office decides: keep the person where it is, move it to the claimant, or
    let both registrations stand (docs/attribution.md).

    ``claimed`` holds what the claimant typed (never the phone or the ID number, which live only on
    the person's record), so the claimant can see its own registration without seeing the person.
    """

    returnee = models.ForeignKey(Returnee, on_delete=models.CASCADE, related_name="conflicts")
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    current_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("held by"), on_delete=models.PROTECT, related_name="+",
    )
    claiming_unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("claimed by"), on_delete=models.PROTECT, related_name="+",
    )
    claiming_registration = models.OneToOneField(
        Registration, verbose_name=_("claiming registration"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="claim",
    )
    claimed = models.JSONField(_("values claimed"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    source_import = models.ForeignKey(
        LedgerImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN, db_index=True,
    )
    resolution = models.CharField(_("decision"), max_length=10, choices=Resolution.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    resolved_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # The office sees both ends; selectors.conflicts_visible_to shows others their own claims only.
    scope_fields = ("claiming_unit", "current_unit")
    scope_perm_label = "returnees"

    class Meta:
        verbose_name = _("attribution conflict")
        verbose_name_plural = _("attribution conflicts")
        ordering = ("-opened_at", "-id")
        # One claim per person, side and claimant: registering again refreshes it, never doubles it.
        constraints = [
            models.UniqueConstraint(fields=["returnee", "side", "claiming_unit"], name="conflict_unique"),
            models.CheckConstraint(
                condition=Q(status=ConflictStatus.OPEN, resolution="")
                | Q(status=ConflictStatus.RESOLVED) & ~Q(resolution=""),
                name="conflict_resolution_with_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.returnee_id} {self.side} {self.claiming_unit_id}"

    def get_absolute_url(self) -> str:
        return reverse("returnees:conflict_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == ConflictStatus.OPEN
