"""The document register (公文登记): notices down, reports up, leaders' instructions back.

A document's life is draft (拟稿) → review (核稿) → sign-off (签发, by a leader) → issued (印发);
it may be withdrawn (作废) and keeps its number. Its number is taken at sign-off from the
``NumberCounter`` row of its issuing body, kind and year, under a row lock.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.core.scoping import ScopedQuerySet

from .choices import Classification, Direction, ItemStatus, Light, RecipientRole, Status, Urgency


class DocumentKind(models.Model):
    """A kind of document (通知, 紧急通知, 情况报告, 函 …), kept as data. ``number_word`` is the
    word after the body's prefix in its numbers (发, 函); a kind with ``series`` numbers its
    documents within a series title as （一）, （二）…; ``template`` is the text of a formal
    report with ``{figure_key}`` placeholders (checked when it is saved)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30, unique=True)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.DOWN)
    number_word = models.CharField(_("number word"), max_length=4, default="发")
    series = models.BooleanField(_("numbered series"), default=False)
    template = models.TextField(_("report template"), blank=True)

    class Meta:
        verbose_name = _("document kind")
        verbose_name_plural = _("document kinds")
        ordering = ("direction", "code")

    def __str__(self) -> str:
        return self.name


class IssuingBody(models.Model):
    """Who issues: a unit of the tree with the name printed in the red header and its number
    prefix (白岭直党工)."""

    unit = models.OneToOneField("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("number prefix"), max_length=20)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "documents"

    class Meta:
        verbose_name = _("issuing body")
        verbose_name_plural = _("issuing bodies")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class NumberCounter(models.Model):
    """The last number given per issuing body, number word and year: the row sign-off locks.
    Kinds sharing a word share its sequence (a notice and an urgent notice are both 发)."""

    body = models.ForeignKey(IssuingBody, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [models.UniqueConstraint(fields=["body", "word", "year"], name="doc_counter_unique")]

    def __str__(self) -> str:
        return f"{self.body_id}/{self.word}/{self.year}: {self.last}"


class DocumentQuerySet(ScopedQuerySet["Document"]):
    pass


class Document(models.Model):
    """One document. The text is frozen from sign-off; a change after it is a new version."""

    body = models.ForeignKey(IssuingBody, verbose_name=_("issuing body"), on_delete=models.PROTECT,
                             related_name="documents")
    # The issuing body's unit, copied so scoping reads one column.
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("issuing unit"), on_delete=models.PROTECT,
                             related_name="+", editable=False)
    kind = models.ForeignKey(DocumentKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    urgency = models.CharField(_("urgency"), max_length=4, choices=Urgency.choices, blank=True, default="")
    classification = models.CharField(_("classification"), max_length=4, choices=Classification.choices,
                                      blank=True, default="")
    addressed_to = models.CharField(_("addressed to (main)"), max_length=300, blank=True)
    series_title = models.CharField(_("series"), max_length=200, blank=True)
    series_ordinal = models.PositiveSmallIntegerField(_("ordinal in series"), null=True, blank=True)
    word = models.CharField(_("number word"), max_length=4, blank=True, editable=False)
    year = models.PositiveSmallIntegerField(_("number year"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("number sequence"), null=True, blank=True)
    number = models.CharField(_("document number"), max_length=60, null=True, blank=True, unique=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    reply_due = models.DateField(_("reply due"), null=True, blank=True)
    reply_asked = models.CharField(_("reply asked for"), max_length=200, blank=True)
    # A formal report: the moment its figures are as of, and each figure with its links.
    as_of = models.DateTimeField(_("figures as of"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=list, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"), default=clock.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    signer_name = models.CharField(_("signed off by (name)"), max_length=40, blank=True)
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.CharField(_("withdrawal reason"), max_length=200, blank=True)

    objects = DocumentQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ("-drafted_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["body", "word", "year", "sequence"], name="doc_number_unique",
                                    condition=Q(sequence__isnull=False)),
            models.CheckConstraint(condition=Q(status__in=["draft", "review"]) | Q(signed_at__isnull=False),
                                   name="doc_signed_has_time"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="doc_unit_status")]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.display_title}"

    def get_absolute_url(self) -> str:
        return reverse("documents:document_detail", args=[self.pk])

    @staticmethod
    def scope_q(units: list[int]) -> Q:
        """The issuing unit's people see every state; a recipient unit sees it once issued."""
        addressed = DocumentRecipient.objects.filter(unit_id__in=units).values("document_id")
        return Q(unit_id__in=units) | (Q(status__in=[Status.ISSUED, Status.WITHDRAWN]) & Q(id__in=addressed))

    @property
    def display_title(self) -> str:
        if self.series_ordinal:
            return f"{self.title}（{chinese_numeral(self.series_ordinal)}）"
        return self.title

    @property
    def frozen(self) -> bool:
        return self.status not in (Status.DRAFT, Status.REVIEW)


def chinese_numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def format_number(prefix: str, year: int, sequence: int) -> str:
    """白岭直党工发〔2020〕1号: six-sided brackets, no leading zeros."""
    return f"{prefix}〔{year}〕{sequence}号"


class DocumentVersion(models.Model):
    """A frozen text: written at each sign-off, and the reason for each new version."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    reason = models.CharField(_("reason for the new version"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ("document", "version")
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="doc_version_unique")]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.version}"


class Attachment(models.Model):
    """A file attached to a document (附件)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to="documents/%Y/", blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name


class DocumentRecipient(models.Model):
    """A unit a document is addressed to (主送 or 抄送): its inbox entry and its receipt (签收)."""

    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.CASCADE,
                                 related_name="recipients")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("recipient unit"), on_delete=models.PROTECT,
                             related_name="+")
    role = models.CharField(_("recipient role"), max_length=4, choices=RecipientRole.choices,
                            default=RecipientRole.MAIN)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed for by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "document__unit")
    scope_perm_label = "documents"

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ("document", "role", "unit__code")
        constraints = [models.UniqueConstraint(fields=["document", "unit"], name="doc_recipient_unique")]
        indexes = [models.Index(fields=["unit", "signed_at"], name="doc_recipient_unit")]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.unit_id}"


class Reply(models.Model):
    """A recipient unit's reply to a notice that asked for one by a date; late ones are flagged."""

    recipient = models.OneToOneField(DocumentRecipient, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                     related_name="reply")
    # Copied from the recipient so scoping reads one column.
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+",
                             editable=False)
    text = models.TextField(_("reply"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=clock.now)
    late = models.BooleanField(_("late"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "recipient__document__unit")
    scope_perm_label = "documents"

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ("-submitted_at", "-id")

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.text[:20]}"


class Instruction(models.Model):
    """A leader's written instruction (批示) on a document; closed when all its items are."""

    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.PROTECT,
                                 related_name="instructions")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("handled by"), on_delete=models.PROTECT, related_name="+",
                             editable=False)
    leader_name = models.CharField(_("leader"), max_length=40)
    leader_position = models.CharField(_("position"), max_length=60)
    leader_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader's account"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    given_on = models.DateField(_("given on"))
    text = models.TextField(_("instruction"))
    image = models.FileField(_("scanned image"), upload_to="instructions/%Y/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)
    scope_perm_label = "documents"

    class Meta:
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")
        ordering = ("-given_on", "-id")

    def __str__(self) -> str:
        return f"{self.leader_position}{self.leader_name}：{self.text[:20]}"

    def get_absolute_url(self) -> str:
        return reverse("documents:instruction_detail", args=[self.pk])

    @staticmethod
    def scope_q(units: list[int]) -> Q:
        """The handling office, and the units given an item of it."""
        items = InstructionItem.objects.filter(unit_id__in=units).values("instruction_id")
        return Q(unit_id__in=units) | Q(id__in=items)


# How many days before its deadline an open item turns yellow.
YELLOW_DAYS = 2


class InstructionItem(models.Model):
    """批示件办理: one thing to do for an instruction, by a unit (and a person), by a deadline."""

    instruction = models.ForeignKey(Instruction, verbose_name=_("instruction"), on_delete=models.CASCADE,
                                    related_name="items")
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", verbose_name=_("person responsible"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    task = models.CharField(_("task"), max_length=300)
    due_on = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    answer = models.TextField(_("result"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit", "instruction__unit")
    scope_perm_label = "documents"

    class Meta:
        verbose_name = _("follow-up item")
        verbose_name_plural = _("follow-up items")
        ordering = ("due_on", "id")
        indexes = [models.Index(fields=["status", "due_on"], name="doc_item_status_due")]

    def __str__(self) -> str:
        return self.task[:40]

    def light(self, day: dt.date) -> str:
        """Green while in time, yellow within ``YELLOW_DAYS`` of the deadline, red past it."""
        if self.status == ItemStatus.CLOSED:
            return Light.GREEN
        if day > self.due_on:
            return Light.RED
        if (self.due_on - day).days <= YELLOW_DAYS:
            return Light.YELLOW
        return Light.GREEN
