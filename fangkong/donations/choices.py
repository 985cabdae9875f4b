from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    EPIDEMIC = "epidemic", _("Epidemic prevention")
    WARMTH = "warmth", _("Keeping warm")
    LIVING = "living", _("Daily living")


class DonorKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    PARTY_ORG = "party_org", _("Party organisation")
    MEMBER = "member", _("Party member")
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual")


class Source(models.TextChoices):
    DONATED = "donated", _("Donated")
    PURCHASED = "purchased", _("Purchased")


class Condition(models.TextChoices):
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Partly damaged")


class MoveKind(models.TextChoices):
    INTAKE = "intake", _("Intake")
    DISTRIBUTION = "distribution", _("Distribution")
    ADJUSTMENT = "adjustment", _("Adjustment")
    WRITE_OFF = "write_off", _("Write-off")


class NeedStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("donations", "Open")
    ALLOCATED = "allocated", _("Allocated")
    DECLINED = "declined", _("Declined")


class DistributionStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("On the way")
    SIGNED = "signed", pgettext_lazy("donations", "Signed for")
