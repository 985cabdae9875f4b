from django.apps import AppConfig


class CommandConfig(AppConfig):
    name = "fangkong.command"
    label = "command"
    verbose_name = "指挥调度"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules
        from django.utils.translation import gettext_lazy as _

        from fangkong.core.stats import BLOCKS

        from .registry import Line, register
        from .stats import command_block

        # The six dispatch lines in the source's order, and the two the lines share. A line not
        # built yet stays a placeholder: its app's command.py replaces it.
        for order, (key, title) in enumerate([
            ("organs", _("Organs return line")),
            ("industry", _("Industry screening line")),
            ("deployment", _("Thousand cadres down line")),
            ("supervision", _("Community supervision line")),
            ("donations", _("Material donation line")),
            ("livelihood", _("Livelihood line")),
            ("reports", _("Daily and zero reports")),
            ("passes", _("Staff and vehicle passes")),
        ]):
            register(Line(key=key, title=title, order=order * 10))
        autodiscover_modules("command")
        BLOCKS["command"] = command_block

        from fangkong.core.scheduled import JOBS

        from . import snapshots
        from .services import briefing_due, snapshots_due

        JOBS["briefing"] = briefing_due
        JOBS["command_snapshots"] = snapshots_due
        snapshots.connect()
