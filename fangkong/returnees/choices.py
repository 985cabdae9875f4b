from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    OUTSIDE = "outside", _("Returned from outside the region")
    RELATIVE = "relative", _("Co-resident close relative")
    FEVER = "fever", _("Fever symptoms")
    OTHER = "other", _("Other")


# The "three isolations" (三隔离): these categories go into home isolation on registration.
ISOLATED_CATEGORIES = {Category.OUTSIDE, Category.RELATIVE, Category.FEVER}


class Line(models.TextChoices):
    ORGANS = "organs", _("Organs return line")
    INDUSTRY = "industry", _("Industry screening line")


class Side(models.TextChoices):
    UNIT = "unit", _("Unit side")
    COMMUNITY = "community", _("Community side")


class DualState(models.TextChoices):
    BOTH = "both", _("Dual-reported")
    UNIT_ONLY = "unit_only", _("Unit only")
    COMMUNITY_ONLY = "community_only", _("Community only")


class IsolationState(models.TextChoices):
    NONE = "none", _("Not isolated")
    ACTIVE = "active", _("In isolation")
    ENDED = "ended", _("Period ended")
    RELEASED = "released", _("Released")


class ChangeKind(models.TextChoices):
    EXTEND = "extend", _("Extension")
    SHORTEN = "shorten", _("Shortening")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PREVIEW = "preview", _("Previewed")
    MAPPING = "mapping", _("Columns to map")
    REJECTED = "rejected", _("Rejected")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("File unusable")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Awaiting decision")
    RESOLVED = "resolved", _("Decided")


class Resolution(models.TextChoices):
    KEEP = "keep", _("Keep where it is")
    MOVE = "move", _("Move to the claimant")
    BOTH = "both", _("Both registrations stand")
