from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fangkong.documents"
    label = "documents"
    verbose_name = "报告与批示"

    def ready(self) -> None:
        from fangkong.core.stats import BLOCKS
        from fangkong.core.workbench import SOURCES

        from . import workbench
        from .stats import documents_block

        BLOCKS["documents"] = documents_block
        SOURCES["documents"] = workbench.items
