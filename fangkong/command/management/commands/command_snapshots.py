"""Keep or clear the command picture's snapshots of closed days (command.snapshots)."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fangkong.command import snapshots
from fangkong.command.selectors import precompute
from fangkong.core import clock


class Command(BaseCommand):
    help = "Compute the closed days' snapshots ahead for every reader (--days), or delete them all (--clear)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Closed days back from yesterday (default 7).")
        parser.add_argument("--clear", action="store_true", help="Delete every snapshot.")
        parser.add_argument("--triggers", action="store_true", help="Reinstall the expiry triggers.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["triggers"]:
            self.stdout.write(f"{snapshots.install_triggers()} tables watched")
        if options["clear"]:
            self.stdout.write(f"{snapshots.invalidate()} snapshots deleted")
            return
        today = clock.today()
        days = [today - dt.timedelta(days=i) for i in range(1, options["days"] + 1)]
        self.stdout.write(f"{precompute(days)} readers' snapshots kept for {len(days)} days")
