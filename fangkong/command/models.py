from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

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
