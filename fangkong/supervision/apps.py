from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "fangkong.supervision"
    label = "supervision"
    verbose_name = "社区督查"

    def ready(self) -> None:
        from fangkong.core.stats import BLOCKS
        from fangkong.core.workbench import SOURCES

        from . import audit_types, command, workbench  # noqa: F401
        from .stats import supervision_block

        BLOCKS["supervision"] = supervision_block

        from fangkong.core.scheduled import JOBS

        from .services import reminders_due

        JOBS["supervision"] = reminders_due
        SOURCES["supervision"] = workbench.items
