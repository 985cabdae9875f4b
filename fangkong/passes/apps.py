from django.apps import AppConfig


class PassesConfig(AppConfig):
    name = "fangkong.passes"
    label = "passes"
    verbose_name = "出入证与车辆通行证"

    def ready(self) -> None:
        from django.core import checks

        from fangkong.core.stats import BLOCKS

        from .fastpath import middleware_check
        from .selectors import passes_block

        BLOCKS["passes"] = passes_block
        checks.register(middleware_check)

        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["passes"] = workbench.items
