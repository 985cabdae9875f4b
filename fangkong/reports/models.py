import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.scoping import ScopedQuerySet

from .choices import FieldKind, FlagKind, FlagStatus, Measure, ReportLine, RevisionKind


class ReportTemplate(models.Model):
    """A daily report defined as data (日报告模板): its fields, who reports it, by when, over which days.

    The units that must report are those of ``unit_kinds`` under ``root`` (the whole tree when
    empty), counted only for the days they are open. ``version`` grows with every change to the
    fields; each report keeps the version it answered so old reports stay readable.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    line = models.CharField(_("line"), max_length=12, choices=ReportLine.choices)
    unit_kinds = models.JSONField(_("reporting unit kinds"), default=list)
    root = models.ForeignKey(
        "orgs.Unit", verbose_name=_("reporting subtree"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Only units under this one report; empty means the whole tree."),
    )
    deadline = models.TimeField(_("deadline"), default=dt.time(16, 0), help_text=_("Local time of day."))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    # Templates are read by everyone who may read reports (a liaison's unit lies under the root);
    # the committee office edits them. Reports, not templates, carry the scope.
    scope_fields = ("root",)
    scope_q = staticmethod(lambda units: Q())

    class Meta:
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        ordering = ("line", "code")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="reporttemplate_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reports:board") + f"?template={self.pk}"

    def active_on(self, day: dt.date) -> bool:
        return self.is_active and self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def deadline_at(self, day: dt.date) -> dt.datetime:
        """The deadline of ``day`` as an aware moment in the platform's time zone."""
        return dt.datetime.combine(day, self.deadline, tzinfo=timezone.get_current_timezone())


class ReportField(models.Model):
    """One question of a template. Removing a field retires it (``removed_at``) so the reports
    that answered it still show it."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices, default=FieldKind.INTEGER)
    required = models.BooleanField(_("required"), default=True)
    measure = models.CharField(_("measures"), max_length=20, choices=Measure.choices, blank=True, default="")
    max_value = models.PositiveIntegerField(
        _("largest plausible value"), default=10000, help_text=_("Numbers above this are refused as absurd.")
    )
    position = models.PositiveSmallIntegerField(pgettext_lazy("ordering", "position"), default=0)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report field")
        verbose_name_plural = _("report fields")
        ordering = ("template", "position", "id")
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="reportfield_unique_key")]

    def __str__(self) -> str:
        return self.label

    def definition(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": self.label, "help": self.help_text, "kind": self.kind,
            "required": self.required, "measure": self.measure, "max": self.max_value,
        }


class TemplateVersion(models.Model):
    """The field definitions of a template as they stood from one change to the next."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    fields = models.JSONField(_("fields"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ("template", "number")
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="templateversion_unique")]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


class Report(models.Model):
    """One unit's daily report for one day and template (one row per unit, day and template).

    ``received_at`` is the first submission and never moves: it decides on time / late.
    ``in_day`` and ``on_time`` are fixed at that moment so that the board's figures are one
    index-only count. A zero report (零报告) has ``is_zero`` and no values.
    """

    template = models.ForeignKey(ReportTemplate, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="reports")
    day = models.DateField(_("day"))
    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="reports")
    is_zero = models.BooleanField(_("zero report"), default=False)
    values = models.JSONField(_("values"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"))
    in_day = models.BooleanField(_("received within the day"), default=True)
    on_time = models.BooleanField(_("on time"), default=True)
    updated_at = models.DateTimeField(_("last changed at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    revision_count = models.PositiveIntegerField(_("revisions"), default=1)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ("-day", "unit_id")
        constraints = [
            models.UniqueConstraint(fields=["template", "unit", "day"], name="report_one_per_unit_day"),
            # Never both empty and complete: a report is a zero report or carries values.
            models.CheckConstraint(
                condition=Q(is_zero=True) | ~Q(values={}), name="report_zero_or_values",
            ),
        ]
        indexes = [
            # The board's counts read only this index.
            models.Index(fields=["template", "day", "in_day", "on_time", "is_zero", "unit"], name="report_board"),
            models.Index(fields=["unit", "day"], name="report_unit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])


class ReportRevision(models.Model):
    """Every state a report has had: values, version answered, who, when and why."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    kind = models.CharField(_("kind"), max_length=10, choices=RevisionKind.choices)
    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="+")
    is_zero = models.BooleanField(_("zero report"), default=False)
    values = models.JSONField(_("values"), default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("report__unit",)
    scope_perm_label = "reports"

    class Meta:
        verbose_name = _("report revision")
        verbose_name_plural = _("report revisions")
        ordering = ("report", "number")
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="reportrevision_unique")]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.number}"


class ConcealmentFlag(models.Model):
    """瞒报: a unit's report for a day contradicted by the returnee ledger, with the evidence,
    awaiting the committee office's review."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="flags")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags")
    kind = models.CharField(_("kind"), max_length=24, choices=FlagKind.choices)
    reported = models.PositiveIntegerField(_("reported"), null=True, blank=True)
    ledger = models.PositiveIntegerField(_("in the ledger"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    status = models.CharField(_("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.CharField(_("review reason"), max_length=300, blank=True)
    # The unit's own answer (情况说明), recorded by its liaison before the office decides.
    answer = models.CharField(_("the unit's answer"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "reports"

    class Meta:
        verbose_name = _("concealment flag")
        verbose_name_plural = _("concealment flags")
        ordering = ("-day", "unit_id")
        constraints = [
            models.UniqueConstraint(fields=["template", "unit", "day", "kind"], name="flag_unique"),
        ]
        indexes = [models.Index(fields=["status", "day"], name="flag_status_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day} {self.kind}"

    def get_absolute_url(self) -> str:
        return reverse("reports:flag_detail", args=[self.pk])


class ReportRollup(models.Model):
    """The maintained daily roll-up: for one template and day, the reports received from the
    units under ``node`` (node included). Every submission adds to the rows of its unit's
    ancestors, so the board and the rates of any subtree and range read at most one row per day.
    """

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    node = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    submitted = models.IntegerField(default=0)
    zero = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily roll-up")
        constraints = [models.UniqueConstraint(fields=["template", "node", "day"], name="rollup_unique")]
        indexes = [models.Index(fields=["template", "day", "node"], name="rollup_day_node")]

    def __str__(self) -> str:
        return f"{self.template_id} {self.node_id} {self.day}"
