"""The community supervision line (社区督查调度线): groups and the communities they cover, the
daily feedback ledger, problems, investigations with their requests for a written explanation,
referrals and their outcomes, imported inspection bulletins and the periodic bulletin.

Who sees a case is not only a matter of the tree (``access.py``): the unit under investigation sees
the requests addressed to it, inspectors their groups' cases, the discipline role what was referred
to discipline, the office everything in its scope.
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.scoping import ScopedQuerySet

from .choices import Answer, CaseStatus, Conclusion, ImportStatus, ProblemSource, ProblemStatus

_M = TypeVar("_M", bound=models.Model)


class RoleQuerySet(ScopedQuerySet[_M]):
    """``visible_to`` by the supervision access rules (``access.visible_q``) rather than the tree
    alone; ``editable_by`` is the same rows for roles that may change the line."""

    def visible_to(self, user):  # type: ignore[no-untyped-def,override]
        from .access import visible_q

        q = visible_q(self.model, user)
        return self.none() if q is None else self.filter(q)

    def editable_by(self, user):  # type: ignore[no-untyped-def,override]
        from fangkong.core.scoping import user_has_perm

        if not user_has_perm(user, "supervision.change"):
            return self.none()
        return self.visible_to(user)


class ReceivingBody(models.Model):
    """A body a case may be referred to (分报): the organisation department, the discipline
    commission, the inspection group. Kept as data."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("receiving body")
        verbose_name_plural = _("receiving bodies")
        ordering = ("order", "id")

    def __str__(self) -> str:
        return self.name


class Classification(models.Model):
    """What kind of problem: one of the discipline commission's six prohibitions (6个严禁) or
    another kind. Kept as data."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    prohibition = models.BooleanField(_("one of the six prohibitions"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("problem classification")
        verbose_name_plural = _("problem classifications")
        ordering = ("order", "id")

    def __str__(self) -> str:
        return self.name


class OutcomeKind(models.Model):
    """The handling a receiving body reports back (谈话提醒, 批评教育, 诫勉, …). Kept as data."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("outcome kind")
        verbose_name_plural = _("outcome kinds")
        ordering = ("order", "id")

    def __str__(self) -> str:
        return self.name


class Coverage(models.Model):
    """A supervision group (an ``orgs.WorkingGroup``) covering a community from a day (to a day)."""

    group = models.ForeignKey("orgs.WorkingGroup", verbose_name=_("group"), on_delete=models.CASCADE,
                              related_name="coverage")
    community = models.ForeignKey("orgs.Unit", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="supervision_coverage")
    starts_on = models.DateField(pgettext_lazy("coverage", "starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("community",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("group coverage")
        verbose_name_plural = _("group coverage")
        ordering = ("group", "community__code", "starts_on")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="coverage_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.community}"


class Feedback(models.Model):
    """社区反馈台账: one community's answer for one paired department on one day. A second entry
    for the same day is a correction: the earlier row stays (``is_current`` False)."""

    community = models.ForeignKey("orgs.Unit", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="feedback_given")
    department = models.ForeignKey("orgs.Unit", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="feedback_received")
    day = models.DateField(_("day"))
    obeys = models.CharField(_("obeys the unified command"), max_length=3, choices=Answer.choices,
                             default=Answer.YES)
    publicity = models.CharField(_("publicity"), max_length=3, choices=Answer.choices, default=Answer.YES)
    screening = models.CharField(_("screening"), max_length=3, choices=Answer.choices, default=Answer.YES)
    testing = models.CharField(_("testing"), max_length=3, choices=Answer.choices, default=Answer.YES)
    cadres_expected = models.PositiveSmallIntegerField(_("cadres expected"), default=0)
    cadres_present = models.PositiveSmallIntegerField(_("cadres present"), default=0)
    cadres_edited = models.BooleanField(_("cadre counts edited"), default=False)
    cadres_reason = models.CharField(_("reason for the edited counts"), max_length=200, blank=True)
    remark = models.CharField(_("remark"), max_length=500, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))

    objects = RoleQuerySet.as_manager()
    scope_fields = ("community", "department")
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("community feedback")
        verbose_name_plural = _("community feedback")
        ordering = ("-day", "community__code", "department__code", "-revision")
        constraints = [
            models.UniqueConstraint(fields=["community", "department", "day", "revision"], name="feedback_revision"),
            models.UniqueConstraint(fields=["community", "department", "day"], condition=Q(is_current=True),
                                    name="feedback_one_current"),
        ]
        indexes = [models.Index(fields=["day", "community"], name="feedback_day_community")]

    def __str__(self) -> str:
        return f"{self.day} {self.community} / {self.department}"

    @property
    def no_items(self) -> list[str]:
        return [name for name in ("obeys", "publicity", "screening", "testing") if getattr(self, name) == Answer.NO]


class BulletinImport(models.Model):
    """An external inspection bulletin's problem list (督查简报 第N期 问题清单), uploaded or typed."""

    title = models.CharField(_("title"), max_length=120)
    number = models.PositiveIntegerField(_("issue number"))
    issued_on = models.DateField(_("issued on"))
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    scope_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("scope_unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("inspection bulletin list")
        verbose_name_plural = _("inspection bulletin lists")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return f"{self.title} 第{self.number}期"


class Investigation(models.Model):
    """调查核实: a case, an investigation team with a leader and a deadline, findings and a
    conclusion (unfounded, rectify, refer)."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit concerned"), on_delete=models.PROTECT,
                             related_name="supervision_cases")
    group = models.ForeignKey("orgs.WorkingGroup", verbose_name=_("group"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="supervision_cases")
    leader = models.ForeignKey("people.Person", verbose_name=_("team leader"), on_delete=models.PROTECT,
                               related_name="investigations_led")
    members = models.ManyToManyField("people.Person", verbose_name=_("team members"), blank=True,
                                     related_name="investigations")
    opened_on = models.DateField(pgettext_lazy("case", "opened on"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=10, choices=Conclusion.choices, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    measures = models.TextField(_("rectification measures"), blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    verified_on = models.DateField(_("rectification verified on"), null=True, blank=True)
    verified_note = models.CharField(_("verification note"), max_length=300, blank=True)
    closed_on = models.DateField(pgettext_lazy("case", "closed on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated to the group leader on"), null=True, blank=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        ordering = ("-opened_on", "-id")
        indexes = [models.Index(fields=["status", "deadline"], name="investigation_status_deadline")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:case_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED

    @property
    def due(self):  # type: ignore[no-untyped-def]
        """The deadline that matters now: the rectification's while rectifying, else the case's."""
        if self.status == CaseStatus.RECTIFYING and self.rectify_by:
            return self.rectify_by
        return None if self.status in (CaseStatus.CLOSED, CaseStatus.REFERRED) else self.deadline


class Problem(models.Model):
    """问题线索: a problem naming the unit concerned, from community feedback, an imported bulletin,
    a daily-report concealment flag or a dual-report concealment suspect."""

    number = models.CharField(_("problem number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=ProblemSource.choices)
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit concerned"), on_delete=models.PROTECT,
                             related_name="supervision_problems")
    community = models.ForeignKey("orgs.Unit", verbose_name=_("community"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("orgs.WorkingGroup", verbose_name=_("group"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="supervision_problems")
    classification = models.ForeignKey(Classification, verbose_name=pgettext_lazy("problem", "classification"), on_delete=models.PROTECT)
    summary = models.CharField(_("summary"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    found_on = models.DateField(_("found on"))
    deadline = models.DateField(_("deadline"))
    # An unannounced visit's problem: its source and reporter are never shown to the unit concerned.
    unannounced = models.BooleanField(_("found by an unannounced visit"), default=False)
    status = models.CharField(_("status"), max_length=14, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    case = models.ForeignKey(Investigation, verbose_name=_("investigation"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="problems")
    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="problems")
    bulletin = models.ForeignKey(BulletinImport, verbose_name=_("bulletin"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="problems")
    bulletin_row = models.PositiveIntegerField(_("bulletin row"), null=True, blank=True)
    flag = models.ForeignKey("reports.ConcealmentFlag", verbose_name=_("concealment flag"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    returnee = models.ForeignKey("returnees.Returnee", verbose_name=_("returnee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    # Nobody took it up into a case by its deadline: told to the group leader (or the committee) once.
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("unit", "community")
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ("-found_on", "-id")
        indexes = [models.Index(fields=["found_on"], name="problem_found_on")]

    def __str__(self) -> str:
        return f"{self.number} {self.summary[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:problem_detail", args=[self.pk])

    @property
    def due(self):  # type: ignore[no-untyped-def]
        return None if self.status == ProblemStatus.CLOSED or self.case_id else self.deadline


class ExplanationRequest(models.Model):
    """A request for a written explanation (情况说明) addressed to the unit concerned."""

    case = models.ForeignKey(Investigation, verbose_name=_("investigation"), on_delete=models.CASCADE,
                             related_name="requests")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("addressed to"), on_delete=models.PROTECT,
                             related_name="explanation_requests")
    question = models.TextField(_("what to explain"))
    requested_on = models.DateField(_("requested on"))
    deadline = models.DateField(_("answer by"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = RoleQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("explanation request")
        verbose_name_plural = _("explanation requests")
        ordering = ("deadline", "id")

    def __str__(self) -> str:
        return f"{self.case.number} → {self.unit}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:request_detail", args=[self.pk])


class ExplanationAnswer(models.Model):
    """The unit's answer on the platform: text and attachments."""

    request = models.ForeignKey(ExplanationRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="answers")
    text = models.TextField(_("explanation"))
    answered_on = models.DateField(_("answered on"))
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = RoleQuerySet.as_manager()
    scope_fields = ("request__unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("written explanation")
        verbose_name_plural = _("written explanations")
        ordering = ("answered_on", "id")

    def __str__(self) -> str:
        return f"{self.request} ({self.answered_on})"


class Referral(models.Model):
    """分报: a concluded case referred to one receiving body, and the outcome it reports back."""

    case = models.ForeignKey(Investigation, verbose_name=_("investigation"), on_delete=models.CASCADE,
                             related_name="referrals")
    body = models.ForeignKey(ReceivingBody, verbose_name=_("referred to"), on_delete=models.PROTECT)
    referred_on = models.DateField(_("referred on"))
    letter_no = models.CharField(_("letter number"), max_length=40)
    note = models.TextField(_("referral note"), blank=True)
    outcome = models.ForeignKey(OutcomeKind, verbose_name=_("outcome"), null=True, blank=True,
                                on_delete=models.PROTECT)
    outcome_on = models.DateField(_("outcome received on"), null=True, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=300, blank=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("case__unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ("-referred_on", "id")
        constraints = [models.UniqueConstraint(fields=["case", "body"], name="referral_once_per_body")]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.body}"


class Evidence(models.Model):
    """A file, photo or record attached to feedback, a problem or an explanation. Stored in the
    database (at most ``MAX_EVIDENCE_BYTES``), its kind checked against its content."""

    feedback = models.ForeignKey(Feedback, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    answer = models.ForeignKey(ExplanationAnswer, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="evidence")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = RoleQuerySet.as_manager()
    scope_fields = ("problem__unit",)
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ("uploaded_at", "id")

    def __str__(self) -> str:
        return self.name


class Bulletin(models.Model):
    """督查通报 第N期: a numbered summary of a period's problems, rectifications and referrals."""

    number = models.PositiveIntegerField(_("issue number"), unique=True)
    period_from = models.DateField(pgettext_lazy("date range", "from"))
    period_to = models.DateField(pgettext_lazy("date range", "to"))
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    objects = RoleQuerySet.as_manager()
    scope_fields = ()
    scope_perm_label = "supervision"

    class Meta:
        verbose_name = _("supervision bulletin")
        verbose_name_plural = _("supervision bulletins")
        ordering = ("-number",)
        constraints = [models.CheckConstraint(condition=Q(period_to__gte=models.F("period_from")),
                                              name="bulletin_period_order")]

    def __str__(self) -> str:
        return f"督查通报 第{self.number}期"

    def get_absolute_url(self) -> str:
        return reverse("supervision:bulletin_detail", args=[self.pk])
