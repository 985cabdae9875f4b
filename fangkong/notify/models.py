from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.core.scoping import ScopedQuerySet

from .choices import ChannelKind, DeliveryKind, DeliveryStatus, MessageFormat, MessageKind


class Channel(models.Model):
    """Where messages addressed to a unit go besides its people's in-app inbox: a list of email
    addresses, or a WeCom / DingTalk group robot (webhook URL, DingTalk's optional signing secret)."""

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="notify_channels"
    )
    kind = models.CharField(_("channel"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(
        _("addresses or webhook URL"), max_length=1000,
        help_text=_("Email: addresses separated by commas. Robots: the webhook URL of the group robot."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True,
        help_text=_("DingTalk only: the secret starting with SEC shown under 加签 in the robot's security settings."),
    )
    msg_format = models.CharField(
        _("message format"), max_length=16, choices=MessageFormat.choices, default=MessageFormat.MARKDOWN
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ("unit", "kind", "id")

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_kind_display()}"

    @property
    def target_display(self) -> str:
        """The webhook URL without its key or token: those are credentials."""
        if self.kind == ChannelKind.EMAIL:
            return self.target
        base, _sep, query = self.target.partition("?")
        return f"{base}?…" if query else base


class Message(models.Model):
    """One message to one unit (its responsible people and its channels). ``key`` names the
    occasion (template, day, stage, unit), so sending the same occasion twice sends nothing."""

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("addressed to"), on_delete=models.CASCADE, related_name="notify_messages"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    key = models.CharField(_("occasion"), max_length=200, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    about_units = models.ManyToManyField(  # type: ignore[var-annotated]
        "orgs.Unit", verbose_name=_("units concerned"), related_name="+", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the occasion was sent: a business moment (the inbox dates a reminder by it).
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("unit",)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One message on one channel: an in-app notice to one user, one email, one robot post.
    Failed attempts are retried with backoff until ``NOTIFY_RETRY_DELAYS`` runs out."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("channel"), max_length=16, choices=DeliveryKind.choices)
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ("message__unit",)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("-id",)
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["user", "read_at"], name="delivery_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DeliveryKind.INAPP) | Q(user__isnull=False), name="delivery_inapp_has_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.kind}/{self.status}"

    @property
    def target_display(self) -> Any:
        if self.kind == DeliveryKind.INAPP:
            return self.user
        return self.channel.target_display if self.channel else "—"
