from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"
    verbose_name = "通知与提醒"
