"""``fangkong stats``: the platform's key figures as of a date, as JSON or as readable text."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.core.stats import as_of_default, collect


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--as-of must be a date written YYYY-MM-DD (e.g. 2020-02-10), not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Print the key figures (fangkong.core.stats.collect) as of a date: a readable summary, "
        "or JSON with --json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD",
            help="The date the figures are counted up to (default: the site's default date, else today).",
        )
        parser.add_argument(
            "--from", dest="since", metavar="YYYY-MM-DD",
            help="Count blocks that support a range (daily_reports) from this date up to --as-of.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else as_of_default()
        since = parse_date(options["since"]) if options["since"] else None
        if since is not None and since > as_of:
            raise CommandError("--from must not be after --as-of.")
        figures = collect(as_of, since=since)
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
            return
        since_text = figures.pop("from", None)
        self.stdout.write(f"Figures as of {figures.pop('as_of')}" + (f" (from {since_text})" if since_text else ""))
        self._write(figures, indent=0)

    def _write(self, value: dict[str, Any], *, indent: int) -> None:
        # Blocks nest (block → figure, sometimes figure → breakdown); print them as an outline.
        pad = "  " * indent
        width = max((len(str(key)) for key in value), default=0)
        for key, item in value.items():
            label = str(key).replace("_", " ")
            if isinstance(item, dict):
                self.stdout.write(f"{pad}{label}:")
                self._write(item, indent=indent + 1)
            elif isinstance(item, list):
                self.stdout.write(f"{pad}{label}:")
                for element in item:
                    self.stdout.write(f"{pad}  - {json.dumps(element, ensure_ascii=False)}")
            else:
                self.stdout.write(f"{pad}{label:<{width}}  {item}")
