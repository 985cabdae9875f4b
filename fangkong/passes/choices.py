from django.db import models
from django.utils.translation import gettext_lazy as _


class PassKind(models.TextChoices):
    STAFF = "staff", _("Staff pass")
    VEHICLE = "vehicle", _("Vehicle pass")


class PassStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


LIVE_STATUSES = (PassStatus.ISSUED, PassStatus.SUSPENDED)


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class Verdict(models.TextChoices):
    """What a check of a pass concludes. Only VALID lets the holder through."""

    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    REVOKED = "revoked", _("Revoked")
    SUSPENDED = "suspended", _("Suspended")
    WRONG_ZONE = "wrong_zone", _("Not valid in this zone")
    FORGED = "forged", _("Forged")
    UNKNOWN_KEY = "unknown_key", _("Unknown key")
    UNREADABLE = "unreadable", _("Unreadable code")
    STALE_LIST = "stale_list", _("Revocation list out of date")
    SECONDMENT_ENDED = "secondment_ended", _("Secondment ended")
    NOT_FOUND = "not_found", _("No such pass")


class CheckSource(models.TextChoices):
    PAGE = "page", _("Checkpoint page")
    OFFLINE = "offline", _("Checkpoint page (offline, synced later)")
    API = "api", _("API")
    CLI = "cli", _("Command line")
