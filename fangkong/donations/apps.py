from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "fangkong.donations"
    label = "donations"
    verbose_name = "物资捐赠"

    def ready(self) -> None:
        from fangkong.core.stats import BLOCKS

        from .stats import donations_block

        BLOCKS["donations"] = donations_block

        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["donations"] = workbench.items
