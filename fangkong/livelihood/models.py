from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.fieldcrypt import SealedField
from fangkong.core.scoping import ScopedQuerySet, user_has_perm

from .choices import ClosedBy, HelpKind, HelpStatus


class CatalogueQuerySet(models.QuerySet[Any]):
    """The catalogue is the city's public offer (which window serves how): every role that may see
    the livelihood line sees all of it; only the committee office changes it."""

    def visible_to(self, user: Any) -> "CatalogueQuerySet":
        return self if user_has_perm(user, "livelihood.view") else self.none()

    def editable_by(self, user: Any) -> "CatalogueQuerySet":
        return self if user_has_perm(user, "livelihood.change") else self.none()


class Channel(models.Model):
    """A contactless way a window department serves the public (网上办、掌上办、邮政办 …): data,
    not code, so a new way of serving is a row."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("ordering", "position"), default=0)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("service channel")
        verbose_name_plural = _("service channels")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name


class WindowService(models.Model):
    """A service a window department keeps running (社保待遇领取, 营业执照办理 …) and the channels it
    is offered through."""

    department = models.ForeignKey(
        "orgs.Unit", verbose_name=_("window department"), on_delete=models.PROTECT, related_name="window_services"
    )
    name = models.CharField(_("service"), max_length=100)
    channels = models.ManyToManyField(Channel, verbose_name=_("channels"), related_name="services")
    is_active = models.BooleanField(_("active"), default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        verbose_name = _("window service")
        verbose_name_plural = _("window services")
        ordering = ("department_id", "name", "id")
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="window_service_unique")]

    def __str__(self) -> str:
        return self.name


class ChannelVolume(models.Model):
    """How many cases of one service one channel handled on one day: the department's daily figure
    (one row per service, channel and day; a correction overwrites it and is audited)."""

    service = models.ForeignKey(WindowService, verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="volumes")
    channel = models.ForeignKey(Channel, verbose_name=pgettext_lazy("service channel", "channel"), on_delete=models.PROTECT, related_name="volumes")
    department = models.ForeignKey("orgs.Unit", verbose_name=_("window department"), on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("cases handled"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("department",)

    class Meta:
        verbose_name = _("daily volume")
        verbose_name_plural = _("daily volumes")
        ordering = ("-day", "service_id", "channel__position", "id")
        constraints = [models.UniqueConstraint(fields=["service", "channel", "day"], name="volume_unique")]
        indexes = [models.Index(fields=["department", "day"], name="volume_dept_day"),
                   models.Index(fields=["day", "channel"], name="volume_day_channel")]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.channel_id} {self.day}: {self.count}"


class HelpRequest(models.Model):
    """代办帮办: something a household in home isolation needs done (groceries, medicine, a service
    on their behalf), registered by its community and carried out by a seconded cadre or a
    volunteer by a due time; closed when the household confirms (a one-time link) or the
    community confirms by a call.

    Only what the errand needs is kept: how to address the household (a surname and title), where
    to bring things, and a phone sealed like the ledger's with a stored mask."""

    community = models.ForeignKey("orgs.Unit", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="help_requests")
    # Where the assigned cadre is placed (a checkpoint of the community, say): its staff see it too.
    place = models.ForeignKey("orgs.Unit", verbose_name=_("assignee placed at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", editable=False)
    household = models.CharField(_("household"), max_length=40,
                                 help_text=_("How to address them, e.g. 王女士; no full name needed."))
    address = models.CharField(_("address"), max_length=100)
    phone_cipher = SealedField(_("phone (sealed)"), blank=True)
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=HelpKind.choices)
    details = models.CharField(_("what is needed"), max_length=300)
    assignee = models.ForeignKey("deployment.Secondment", verbose_name=_("seconded cadre"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="help_requests")
    volunteer = models.CharField(_("volunteer"), max_length=40, blank=True)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=8, choices=HelpStatus.choices, default=HelpStatus.OPEN)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.CharField(_("note"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(pgettext_lazy("help request", "closed by"), max_length=10, choices=ClosedBy.choices, blank=True)
    # SHA-256 of the household's one-time confirmation token; empty once used or never issued.
    confirm_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("community", "place")

    class Meta:
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        ordering = ("status", "due_at", "id")
        indexes = [models.Index(fields=["community", "status", "due_at"], name="help_comm_status_due"),
                   models.Index(fields=["status", "due_at"], name="help_status_due")]
        constraints = [
            models.CheckConstraint(condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                                   name="help_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("livelihood:help_detail", args=[self.pk])

    @property
    def phone(self) -> str:
        """The phone in clear (a reveal, audited: ``core.views.ScopedRevealView``)."""
        from fangkong.core.fieldcrypt import unseal_one

        return unseal_one(self.phone_cipher, "phone") if self.phone_cipher else ""

    @property
    def assignee_name(self) -> str:
        if self.assignee_id is not None:
            return self.assignee.person.name  # type: ignore[union-attr]
        return self.volunteer
