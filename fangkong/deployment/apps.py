from django.apps import AppConfig


class DeploymentConfig(AppConfig):
    name = "fangkong.deployment"
    label = "deployment"
    verbose_name = "千人下沉"

    def ready(self) -> None:
        from fangkong.core.retention import PURGES
        from fangkong.core.stats import BLOCKS

        from .imports import purge_expired_lists
        from .stats import deployment_block

        BLOCKS["deployment"] = deployment_block
        PURGES["secondment_imports"] = purge_expired_lists

        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["deployment"] = workbench.items
