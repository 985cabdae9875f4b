from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"
    verbose_name = "通知与提醒"

    def ready(self) -> None:
        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["notify"] = workbench.items
