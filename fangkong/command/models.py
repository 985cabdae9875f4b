from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Briefing(models.Model):
    """The daily briefing (每日调度简报, 第N期): the lines' figures for the whole city as of a
    moment, a sentence per line, a table and what is overdue. Never rewritten: a correction is
    a new version of the same number."""

    number = models.PositiveIntegerField(_("issue number"))
    version = models.PositiveIntegerField(_("version"), default=1)
    day = models.DateField(_("day"))
    as_of = models.DateTimeField(_("as of"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    # [{"key", "title", "text", "figures": [{"label", "value", "unit", "is_rate"}], "alerts": [text]}]
    lines = models.JSONField(_("lines"), default=list)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(pgettext_lazy("instruction", "sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("daily briefing")
        verbose_name_plural = _("daily briefings")
        ordering = ("-number", "-version")
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="briefing_number_version"),
            models.UniqueConstraint(fields=["day", "version"], name="briefing_day_version"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("command:briefing_detail", args=[self.pk])


class Snapshot(models.Model):
    """One line's computed panel (figures, alerts, sentence, breakdown) for one scope at a moment
    of a closed business day: the day's records no longer change, so the panel is kept and read
    again instead of computed again. ``tables`` names every table the computation read; a write
    to one of them dated on or before ``day`` deletes the snapshot (``command.snapshots``)."""

    line = models.CharField(_("dispatch line"), max_length=40)
    # "city", or the role and a digest of the units in scope (selectors.scope_key).
    scope = models.CharField(_("scope"), max_length=80)
    # The scope covers every unit: a write expires it only through the columns the whole city's
    # panels count, where a model names them (``snapshot_counted``).
    whole = models.BooleanField(_("whole city"), default=False)
    language = models.CharField(_("language"), max_length=16)
    at = models.DateTimeField(_("as of"))
    day = models.DateField(_("day"))
    # ",table_a,table_b," (so that one table is found with a LIKE).
    tables = models.TextField(_("tables read"))
    data = models.JSONField(_("panel"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("command picture snapshot")
        verbose_name_plural = _("command picture snapshots")
        constraints = [
            models.UniqueConstraint(fields=["scope", "language", "at", "line"], name="snapshot_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="snapshot_day")]

    def __str__(self) -> str:
        return f"{self.line} {self.scope} {self.at:%Y-%m-%d %H:%M}"
