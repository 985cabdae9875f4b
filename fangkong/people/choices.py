from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Position(models.TextChoices):
    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy")
    STAFF = "staff", _("Staff")
