from django.db import models
from django.utils.translation import gettext_lazy as _


class SecondmentRole(models.TextChoices):
    MEMBER = "member", _("Team member")
    TEAM_LEADER = "team_leader", _("Team leader")


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Previewed")
    REJECTED = "rejected", _("Rejected")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("File unusable")


class CheckBy(models.TextChoices):
    SELF = "self", _("The cadre (own pass)")
    LEADER = "leader", _("The shift leader")
    OFFICE = "office", _("Staff on the platform")
