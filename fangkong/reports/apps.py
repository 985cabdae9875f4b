from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fangkong.reports"
    label = "reports"
    verbose_name = "日报告/零报告"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fangkong.core.stats import BLOCKS, RANGE_BLOCKS
        from fangkong.orgs.services import after_move, before_move

        from .services import rollup_lock_for_move, rollup_move
        from .stats import daily_reports_block

        BLOCKS["daily_reports"] = daily_reports_block
        RANGE_BLOCKS.add("daily_reports")
        # Moving a unit moves its reports' counts in the roll-up, in the move's transaction.
        before_move(rollup_lock_for_move)
        after_move(rollup_move)
        # The day's reports and the concealment flags on the workbench.
        from fangkong.core.workbench import SOURCES

        from . import workbench

        SOURCES["reports"] = workbench.items
