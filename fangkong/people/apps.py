from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangkong.people"
    label = "people"
    verbose_name = "人员"

    def ready(self) -> None:
        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["people"] = workbench.items
