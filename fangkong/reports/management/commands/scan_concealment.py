"""fangkong scan_concealment [--from DATE] [--to DATE]

Checks the daily reports of those days against the returnee ledger again and raises concealment
flags (瞒报) for reports the ledger now contradicts. By default: the days not yet locked, which the
reminder loop (``send_reminders --loop``) also checks on every pass.
"""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core import clock
from fangkong.reports.services import concealment_rescan, lock_days


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date such as 2020-02-10, not {value!r}") from None


class Command(BaseCommand):
    help = "Check daily reports against the returnee ledger again and flag those it contradicts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="since", help="First day (default: the oldest day not yet locked).")
        parser.add_argument("--to", dest="until", help="Last day (default: today).")

    def handle(self, *args: Any, since: str | None, until: str | None, **options: Any) -> None:
        last = parse_day(until, "--to") if until else clock.today()
        first = parse_day(since, "--from") if since else last - dt.timedelta(days=lock_days())
        if first > last:
            raise CommandError("--from must not be after --to")
        flags = concealment_rescan(since=first, until=last)
        self.stdout.write(f"{first.isoformat()}..{last.isoformat()}: {len(flags)} concealment flag(s) open or raised")
        for flag in flags:
            self.stdout.write(f"  {flag.day.isoformat()}  {flag.unit}  {flag.get_kind_display()}  "
                              f"reported {flag.reported}, ledger {flag.ledger}")
