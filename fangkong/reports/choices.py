from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportLine(models.TextChoices):
    """The line a daily report belongs to: who reports it."""

    ORGANS = "organs", _("Organ departments")
    INDUSTRY = "industry", _("Industry units")
    COMMUNITY = "community", _("Communities")
    CHECKPOINT = "checkpoint", _("Checkpoints")
    OTHER = "other", _("Other")


class FieldKind(models.TextChoices):
    INTEGER = "integer", _("Number")
    BOOLEAN = "boolean", _("Yes/no")
    TEXT = "text", _("Text")


class Measure(models.TextChoices):
    """What a field counts, so the platform can compare it with its own records."""

    NONE = "", _("—")
    RETURNEES_NEW = "returnees_new", _("New returnees today")
    IN_ISOLATION = "in_isolation", _("People in home isolation")
    FEVER = "fever", _("Fever cases")
    SECONDED = "seconded", _("Staff seconded")
    ON_DUTY = "on_duty", _("Staff on duty")
    ANOMALIES = "anomalies", _("Anomalies")


class RevisionKind(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    UPDATE = "update", _("Updated")
    CORRECT = "correct", _("Corrected after locking")


class FlagKind(models.TextChoices):
    ZERO_CONTRADICTED = "zero_contradicted", _("Zero report contradicted by the ledger")
    COUNT_BELOW_LEDGER = "count_below_ledger", _("Fewer new returnees reported than the ledger shows")
    COMMUNITY_UNCOUNTED = "community_uncounted", _("Community registration never counted by the unit")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    RESOLVED = "resolved", _("Resolved by a correction")


class DayState(models.TextChoices):
    """A unit's state for one day, as shown on the board and the calendar."""

    SUBMITTED = "submitted", _("Submitted")
    ZERO = "zero", _("Zero report")
    LATE = "late", _("Late")
    MISSING = "missing", pgettext_lazy("report status", "Missing")
    PENDING = "pending", _("Not yet reported")
    NOT_EXPECTED = "not_expected", _("Not expected")
