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

        # The reference data again after every migrate and every flush (a test's, the demo's
        # reset): the line cannot refer a case without its receiving bodies.
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_reference, sender=self, dispatch_uid="supervision_reference")


def _ensure_reference(sender: object, using: str = "default", **kwargs: object) -> None:
    from .reference import ensure

    ensure()
