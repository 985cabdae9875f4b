"""fangkong briefing --as-of DATETIME [--send]

Writes the daily briefing (每日调度简报) of the whole city as of a moment by hand: the day's
first gets the next number, a later one for the same day is a new version (a correction).
``--send`` sends it to the units configured in FANGKONG_BRIEFING_UNITS.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.actors import SYSTEM


class Command(BaseCommand):
    help = "Write the daily briefing as of a moment, and send it with --send."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", dest="as_of", help="ISO date and time (a date alone: its end); default now.")
        parser.add_argument("--send", action="store_true", help="Send it through the notification channels.")

    def handle(self, *args: Any, as_of: str | None, send: bool, **options: Any) -> None:
        from fangkong.command.selectors import parse_as_of
        from fangkong.command.services import briefing_send, briefing_write

        try:
            at = parse_as_of(as_of)
        except ValueError:
            raise CommandError(f"--as-of must be an ISO date or date and time, not {as_of!r}") from None
        briefing = briefing_write(actor=SYSTEM, at=at)
        self.stdout.write(f"{briefing.title}\n{briefing.text}")
        if send:
            n = briefing_send(actor=SYSTEM, briefing=briefing)
            self.stdout.write(f"sent to {n} units")
