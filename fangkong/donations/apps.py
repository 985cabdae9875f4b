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

        # Units of measure and their exact conversions again after every migrate and every flush.
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_measures, sender=self, dispatch_uid="donations_measures")


def _ensure_measures(sender: object, using: str = "default", **kwargs: object) -> None:
    from .catalogue import ensure_measures

    ensure_measures()
