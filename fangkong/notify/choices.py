from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class DeliveryKind(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class MessageFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    TEXT = "text", _("Plain text")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", pgettext_lazy("notification", "Sent")
    FAILED = "failed", _("Failed")


class MessageKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before the deadline")
    ESCALATION = "escalation", _("Missing units, one level up")
    ESCALATION_NEXT_DAY = "escalation_next_day", _("Missing units, next day, two levels up")
    MANUAL = "manual", _("Reminder sent by hand")
    TEST = "test", _("Test message")
    BRIEFING = "briefing", _("Daily briefing")
