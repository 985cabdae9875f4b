from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "fangkong.publicity"
    label = "publicity"
    verbose_name = "宣传引导"

    def ready(self) -> None:
        from fangkong.core.stats import BLOCKS
        from fangkong.core.workbench import SOURCES

        from . import comparison, workbench  # noqa: F401  (comparison registers its items)
        from .stats import publicity_block

        BLOCKS["publicity"] = publicity_block
        SOURCES["publicity"] = workbench.items
