from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteSetting(models.Model):
    """A small key/value setting of the installation, such as the date pages open on."""

    key = models.CharField(_("key"), max_length=60, unique=True)
    value = models.CharField(_("value"), max_length=200)

    class Meta:
        verbose_name = _("site setting")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
