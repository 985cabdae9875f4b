from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    DOWN = "down", _("Down (to units)")
    UP = "up", _("Up (to leaders)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    SIGNED = "signed", _("Signed off")
    ISSUED = "issued", _("Issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Urgency(models.TextChoices):
    NORMAL = "", _("Normal")
    URGENT = "加急", _("Urgent")
    EXTRA_URGENT = "特急", _("Extra urgent")


class Classification(models.TextChoices):
    NONE = "", _("Unclassified")
    INTERNAL = "内部", _("Internal")


class RecipientRole(models.TextChoices):
    MAIN = "main", _("Main recipient")
    COPY = "copy", _("Copy recipient")


class ItemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("item status", "Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Light(models.TextChoices):
    GREEN = "green", _("On time")
    YELLOW = "yellow", _("Due soon")
    RED = "red", _("Overdue")
