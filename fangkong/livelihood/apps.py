from django.apps import AppConfig


class LivelihoodConfig(AppConfig):
    name = "fangkong.livelihood"
    label = "livelihood"
    verbose_name = "民生保障"

    def ready(self) -> None:
        from fangkong.core.scheduled import JOBS
        from fangkong.core.stats import BLOCKS
        from fangkong.core.workbench import SOURCES

        from . import workbench
        from .reminders import remind_overdue
        from .stats import services_block

        BLOCKS["services"] = services_block
        JOBS["livelihood_help"] = remind_overdue
        SOURCES["livelihood"] = workbench.items
