from django.db import models
from django.utils.translation import gettext_lazy as _


class MaterialKind(models.TextChoices):
    LEAFLET = "leaflet", _("Leaflet or proposal")
    BANNER = "banner", _("Banner")
    RECORDING = "recording", _("Broadcast recording")
    REMINDER = "reminder", _("Reminder")
    JINGLE = "jingle", _("Jingle")
    SCREEN = "screen", _("Scrolling screen")
    WECHAT = "wechat", _("WeChat group message")


class PushKind(models.TextChoices):
    NEWS = "news", _("News report")
    FEATURE = "feature", _("Feature story")
    PHOTO = "photo", _("Photo report")
    VIDEO = "video", _("Video")


class ShareKind(models.TextChoices):
    OPEN = "open", _("Opened")
    ONWARD = "onward", _("Shared onward")


class DeedStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not selected")
    PUBLISHED = "published", _("Published")


class ChecklistKind(models.TextChoices):
    SIX_IN_PLACE = "six", _("Six in place")
    FOUR_LEADS = "four", _("Four take-the-leads")


# The items of each checklist, from the source: 六到位 and 四带头.
CHECKLIST_ITEMS: dict[str, list[tuple[str, str]]] = {
    ChecklistKind.SIX_IN_PLACE: [
        ("vanguard", "先锋表率到位"), ("rules", "遵守规定到位"), ("publicity", "宣传引导到位"),
        ("medical", "医护防范到位"), ("joint", "联防联控到位"), ("duty", "履职尽责到位"),
    ],
    ChecklistKind.FOUR_LEADS: [
        ("obey", "带头遵守全市各项防控规定"), ("hygiene", "带头养成良好个人和公共卫生习惯"),
        ("visits", "带头劝阻亲友不走访、不聚会、不聚餐"), ("volunteer", "带头参加志愿服务"),
    ],
}
