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


class ColumnMapping(models.Model):
    """The columns of one template as a unit's user placed them once (core.columnmap): for a kind
    of list (a side of the returnee ledger, a secondment list), a unit and a set of headers (its
    fingerprint), normalised header -> field key, or "" for a column not imported. The same
    template then goes straight through."""

    kind = models.CharField(_("kind of list"), max_length=40)
    # The unit whose template it is (the uploader's scope); no key to orgs: core sits below it.
    unit_id = models.PositiveIntegerField(_("unit"), default=0)  # 0: an uploader without a unit
    fingerprint = models.CharField(_("header set"), max_length=32)
    mapping = models.JSONField(_("mapping"), default=dict)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    updated_by = models.CharField(_("set by"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "unit_id", "fingerprint"], name="column_mapping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_id} {self.fingerprint[:8]}"
