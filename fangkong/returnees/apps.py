from django.apps import AppConfig


class ReturneesConfig(AppConfig):
    name = "fangkong.returnees"
    label = "returnees"
    verbose_name = "输入人员台账"

    def ready(self) -> None:
        from fangkong.core.retention import PURGES
        from fangkong.core.stats import BLOCKS

        from .stats import industry_block, organs_block
        from .uploads import purge_ledger_uploads

        BLOCKS["organs"] = organs_block
        BLOCKS["industry"] = industry_block
        PURGES["ledger_imports"] = purge_ledger_uploads

        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["returnees"] = workbench.items

        from fangkong.core.scheduled import JOBS

        from . import tally

        JOBS["ledger_tally"] = tally.compact_due
        tally.connect()
