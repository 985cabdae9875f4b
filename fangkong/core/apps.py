from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangkong.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from .workbench import SOURCES, admin_items, office_items

        SOURCES["admin"] = admin_items
        SOURCES["office"] = office_items
