"""fangkong send_reminders [--at DATETIME] [--loop [--interval SECONDS]]

One pass runs the daily-report reminder stages due at that moment (fangkong.reports.reminders),
checks the days not yet locked against the returnee ledger again (concealment flags for reports
the ledger has since contradicted), and then sends every delivery that is due (a sweep beside the background worker, so reminders go
out even when no worker runs). Each pass also deletes the uploads not committed that are past their
retention period (`fangkong purge_uploads`) and runs the jobs apps register in
`fangkong.core.scheduled` (the daily briefing at its hour). ``--loop`` repeats the pass every ``--interval`` seconds; it is
what `make run` starts beside the web server. Passes are idempotent: nothing is sent twice.
"""

import datetime as dt
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from fangkong.core import clock
from fangkong.notify.services import deliver_due

logger = logging.getLogger(__name__)


def parse_at(value: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--at must be an ISO date and time, e.g. 2020-02-10T16:05, not {value!r}") from None
    return at if timezone.is_aware(at) else timezone.make_aware(at)


class Command(BaseCommand):
    help = "Send the daily-report reminders and escalations that are due, and retry failed deliveries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="Run the pass as of this local date and time (default: now).")
        parser.add_argument("--loop", action="store_true", help="Repeat the pass until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between passes with --loop.")

    def handle(self, *args: Any, at: str | None, loop: bool, interval: int, **options: Any) -> None:
        from fangkong.core.retention import purge_uploads
        from fangkong.core.scheduled import run_jobs
        from fangkong.reports.reminders import reminder_pass
        from fangkong.reports.services import concealment_rescan, lock_days

        moment = parse_at(at) if at else None
        while True:
            try:
                sent = reminder_pass(at=moment)
                # The business day (a frozen story day in the demo): the real yesterday is no
                # day of the story, and its units never "missed" it.
                today = timezone.localdate(moment) if moment else clock.today()
                flags = concealment_rescan(since=today - dt.timedelta(days=lock_days()), until=today, at=moment)
                attempted = deliver_due()
                purged = sum(purge_uploads(now=moment or clock.real_now()).values())
                jobs = run_jobs(moment)
            except Exception:
                if not loop:
                    raise
                # One bad pass (the database restarting, say) must not stop the reminders.
                logger.exception("reminder pass failed")
                close_old_connections()
                time.sleep(max(interval, 1))
                continue
            if options["verbosity"] >= 1:
                stamp = timezone.localtime(moment or clock.now()).strftime("%Y-%m-%d %H:%M")
                self.stdout.write(
                    f"{stamp} reminders={sent['before']} deadline={sent['deadline']} "
                    f"next_day={sent['next_day']} concealment_flags={len(flags)} deliveries_attempted={attempted} "
                    f"uploads_purged={purged}" + "".join(f" {name}={n}" for name, n in jobs.items())
                )
            if not loop:
                return
            close_old_connections()
            time.sleep(max(interval, 1))
