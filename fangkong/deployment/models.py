from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core.scoping import ScopedQuerySet

from .choices import CheckBy, ImportStatus, SecondmentRole


class Secondment(models.Model):
    """下沉: a cadre seconded from their department to a street, community or checkpoint for a
    period, detached from the department's daily duties. ``unit`` is empty until the cadre is placed.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="secondments"
    )
    department = models.ForeignKey(
        "orgs.Unit", verbose_name=_("sending department"), on_delete=models.PROTECT,
        related_name="secondments_sent",
    )
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("placed at"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="secondments_received",
    )
    role = models.CharField(_("role"), max_length=12, choices=SecondmentRole.choices, default=SecondmentRole.MEMBER)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    duties = models.CharField(_("duties"), max_length=200, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=200, blank=True)
    source_import = models.ForeignKey(
        "SecondmentImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="secondments"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("department", "unit")

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ("department", "person__name_initials", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="secondment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "starts_on"], name="secondment_person"),
            models.Index(fields=["department", "starts_on"], name="secondment_dept"),
            models.Index(fields=["unit", "starts_on"], name="secondment_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.unit or '—'}"

    def get_absolute_url(self) -> str:
        return reverse("deployment:secondment_detail", args=[self.pk])

    def is_active_on(self, day: object) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)  # type: ignore[operator]


class Shift(models.Model):
    """排班: one shift at a checkpoint, [starts_at, ends_at), needing ``staff_needed`` cadres."""

    checkpoint = models.ForeignKey(
        "orgs.Unit", verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    staff_needed = models.PositiveSmallIntegerField(_("staff needed"), default=2)
    leader = models.ForeignKey(
        "people.Person", verbose_name=_("shift leader"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="shifts_led",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("checkpoint",)
    scope_perm_label = "deployment"

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ("starts_at", "checkpoint", "id")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"),
        ]
        indexes = [models.Index(fields=["checkpoint", "starts_at"], name="shift_checkpoint_start")]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.starts_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """A cadre on a shift, with their check-in and check-out. The shift's times are copied here so
    "is this person somewhere else at that time" is one indexed query on this table."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="shift_assignments"
    )
    checkpoint = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", editable=False)
    starts_at = models.DateTimeField(editable=False)
    ends_at = models.DateTimeField(editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.CharField(_("checked in by"), max_length=8, choices=CheckBy.choices, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_out_by = models.CharField(_("checked out by"), max_length=8, choices=CheckBy.choices, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("checkpoint",)
    scope_perm_label = "deployment"

    class Meta:
        verbose_name = _("shift assignment")
        verbose_name_plural = _("shift assignments")
        ordering = ("starts_at", "id")
        constraints = [models.UniqueConstraint(fields=["shift", "person"], name="assignment_unique")]
        indexes = [models.Index(fields=["person", "starts_at", "ends_at"], name="assignment_person_time")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.shift}"


class SecondmentImport(models.Model):
    """One uploaded secondment list: who, when, the file's SHA-256, the outcome and its rows."""

    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    scope_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    message = models.CharField(_("message"), max_length=300, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    rows = models.JSONField(default=list, blank=True, editable=False)
    columns = models.JSONField(default=dict, blank=True, editable=False)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    # When the rows of a list that was not committed were deleted (FANGKONG_REJECTED_UPLOAD_DAYS
    # after the upload; the row stays, for the audit).
    purged_at = models.DateTimeField(_("rows deleted at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("scope_unit",)
    scope_perm_label = "deployment"

    class Meta:
        verbose_name = _("secondment import")
        verbose_name_plural = _("secondment imports")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("deployment:import_detail", args=[self.pk])
