from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core import clock
from fangkong.core.scoping import ScopedQuerySet

from .choices import CheckSource, Direction, PassKind, PassStatus, Verdict


class SigningKey(models.Model):
    """An Ed25519 key that signs pass tokens and revocation lists.

    Only one key signs at a time (the newest not retired); retired keys keep verifying the passes
    they signed until the last of those expires. The private key is stored encrypted (Fernet,
    with a key derived from PASSES_KEY_SECRET, by default SECRET_KEY): a copy of the database alone
    cannot forge passes. See ``keys.py``.
    """

    key_id = models.PositiveIntegerField(_("key id"), unique=True)
    public_key = models.BinaryField(_("public key"), max_length=32)
    private_key_encrypted = models.BinaryField(editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ("key_id",)

    def __str__(self) -> str:
        return f"K{self.key_id}"


class Pass(models.Model):
    """出入证 / 车辆通行证: a staff pass for a person or a vehicle pass for a number plate."""

    number = models.CharField(_("pass number"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=PassKind.choices)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("holder"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="passes",
    )
    plate = models.CharField(_("number plate"), max_length=10, blank=True, db_index=True)
    driver_name = models.CharField(_("driver"), max_length=60, blank=True)
    owner_name = models.CharField(_("owner"), max_length=100, blank=True)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="passes"
    )
    zones = models.ManyToManyField(  # type: ignore[var-annotated]
        "orgs.Unit", verbose_name=_("zones"), blank=True, related_name="+",
        help_text=_("Streets, communities or checkpoints where the pass is valid; none means everywhere."),
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=PassStatus.choices, default=PassStatus.ISSUED, db_index=True
    )
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="passes", editable=False)
    token = models.CharField(_("QR token"), max_length=400, editable=False)
    # A business moment (shown on the pass and its holder's timeline): the service sets it from
    # the business clock, which a frozen story day moves.
    issued_at = models.DateTimeField(_("issued at"), default=clock.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="pass_until_after_from"),
            models.CheckConstraint(
                condition=(Q(kind=PassKind.STAFF) & Q(person__isnull=False))
                | (Q(kind=PassKind.VEHICLE) & ~Q(plate="")),
                name="pass_has_holder",
            ),
            # Two live vehicle passes for one plate are refused by the database too.
            models.UniqueConstraint(
                fields=["plate"], condition=Q(kind=PassKind.VEHICLE, status__in=["issued", "suspended"]),
                name="pass_one_live_per_plate",
            ),
        ]
        indexes = [models.Index(fields=["unit", "kind", "status"], name="pass_unit_kind")]

    def __str__(self) -> str:
        return f"{self.number} {self.holder_display}"

    def get_absolute_url(self) -> str:
        return reverse("passes:pass_detail", args=[self.pk])

    @property
    def holder_display(self) -> str:
        return self.person.name if self.kind == PassKind.STAFF and self.person else self.plate


class RevocationList(models.Model):
    """One published version of the revocation list: the ids withdrawn at that version.

    A new version is written whenever a pass is revoked, suspended or reinstated; the served
    document is signed afresh on every fetch with its ``issued_at`` so a verifier knows its age.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    revoked = models.JSONField(default=list)
    suspended = models.JSONField(default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("revocation list")
        verbose_name_plural = _("revocation lists")
        ordering = ("-version",)

    def __str__(self) -> str:
        return f"v{self.version}"


class PassCheck(models.Model):
    """A passage logged at a checkpoint: who checked which pass, where, when, which way, and the verdict.

    Checkpoints log thousands of these a second, so the log's references are kept by the platform
    rather than by database foreign-key constraints: a constraint made every logged check lock the
    pass, the checkpoint and the officer for the rest of its transaction, and the concurrent
    groups of checks contended for those same few rows. Every row is written by a statement that
    has just read the pass and the officer; passes and officers are never deleted (revoked,
    deactivated), and a checkpoint with logged checks cannot be (``on_delete`` PROTECT, enforced
    by Django when it deletes)."""

    pass_obj = models.ForeignKey(
        Pass, verbose_name=_("pass"), null=True, blank=True, on_delete=models.SET_NULL, related_name="checks",
        db_column="pass_id", db_constraint=False,
    )
    pass_number = models.CharField(_("pass number"), max_length=16, blank=True)
    holder = models.CharField(_("holder"), max_length=100, blank=True)
    checkpoint = models.ForeignKey(
        "orgs.Unit", verbose_name=_("checkpoint"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="pass_checks", db_constraint=False,
    )
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, blank=True)
    confirmed = models.BooleanField(_("confirmed by the officer"), default=False)
    checked_at = models.DateTimeField(pgettext_lazy("pass check", "checked at"), db_index=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("pass check", "checked by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_constraint=False,
        db_index=False,  # looked up only with client_id (the partial unique index below)
    )
    source = models.CharField(_("source"), max_length=8, choices=CheckSource.choices)
    client_id = models.CharField(max_length=40, blank=True, editable=False)
    list_version = models.PositiveIntegerField(_("revocation list version"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("checkpoint",)
    scope_perm_label = "passes"

    class Meta:
        verbose_name = _("pass check")
        verbose_name_plural = _("pass checks")
        ordering = ("-checked_at", "-id")
        constraints = [
            # An offline check synced twice is stored once.
            models.UniqueConstraint(
                fields=["checked_by", "client_id"], condition=~Q(client_id=""), name="passcheck_client_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pass_number} {self.verdict} @ {self.checkpoint_id}"
