from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NA = "na", _("Not applicable")


class ProblemSource(models.TextChoices):
    FEEDBACK = "feedback", _("Community feedback")
    BULLETIN = "bulletin", _("Inspection bulletin")
    CONCEALMENT = "concealment", _("Daily-report concealment flag")
    DUAL_REPORT = "dual_report", _("Dual-report concealment suspect")
    OTHER = "other", _("Other")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "Open")
    INVESTIGATING = "investigating", _("Under investigation")
    CLOSED = "closed", _("Closed")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Under investigation")
    RECTIFYING = "rectifying", _("Rectifying")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", _("Closed")


class Conclusion(models.TextChoices):
    UNFOUNDED = "unfounded", _("Unfounded")
    RECTIFY = "rectify", _("Rectify")
    REFER = "refer", _("Refer")


class ImportStatus(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    COMMITTED = "committed", _("Committed")


# The four items a community answers for each paired department every day.
ITEMS: tuple[tuple[str, object], ...] = (
    ("obeys", _("Obeys the unified command")),
    ("publicity", pgettext_lazy("feedback item", "Publicity")),
    ("screening", _("Screening")),
    ("testing", _("Testing")),
)
