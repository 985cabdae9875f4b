"""fangkong purge_uploads [--at DATETIME]

Delete the uploads that were not committed (rejected, unusable, or previewed and left) once they
are FANGKONG_REJECTED_UPLOAD_DAYS old: the ledger's stored files and the secondment lists' rows.
The import rows stay, marked with when their content was deleted. Every `send_reminders` pass
runs this; run it by hand (or from cron) where no reminder loop runs.
"""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.core import clock
from fangkong.core.retention import purge_uploads


class Command(BaseCommand):
    help = "Delete uploads that were not committed once they are past the retention period."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", help="Purge as of this local date and time (default: now).")

    def handle(self, *args: Any, at: str | None, **options: Any) -> None:
        moment = clock.real_now()
        if at:
            try:
                moment = dt.datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at must be an ISO date and time, e.g. 2020-03-20T02:00, not {at!r}") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        purged = purge_uploads(now=moment)
        if options["verbosity"] >= 1:
            self.stdout.write(" ".join(f"{name}={count}" for name, count in purged.items()) or "nothing to purge")
