from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "fangkong.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        # Each app says how its object types read in the log in its own audit_types module.
        autodiscover_modules("audit_types")
