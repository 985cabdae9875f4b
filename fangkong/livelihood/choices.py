from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HelpKind(models.TextChoices):
    GROCERIES = "groceries", _("Groceries")
    MEDICINE = "medicine", _("Medicine")
    ERRAND = "errand", _("A service done on their behalf")
    OTHER = "other", _("Other")


class HelpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("help status", "Open")
    DONE = "done", _("Done, awaiting confirmation")
    CLOSED = "closed", _("Closed")


class ClosedBy(models.TextChoices):
    HOUSEHOLD = "household", _("Confirmed by the household (link)")
    CALL = "call", _("Confirmed by the community's call")


class Light(models.TextChoices):
    GREEN = "green", _("On time")
    YELLOW = "yellow", _("Overdue")
    RED = "red", _("Overdue more than a day")
