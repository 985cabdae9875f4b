"""``fangkong import_bulletin_list PATH --number N``: an inspection bulletin's problem list (督查简报
问题清单), all or nothing, as the page and the API import it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import add_map_argument, mapping_option, mapping_refused
from fangkong.supervision.imports import LABELS, bulletin_import


class Command(BaseCommand):
    help = ("Import an inspection bulletin's problem list from an xlsx: 责任单位 and 问题描述, optionally 督查地点 "
            "and 问题类别. All or nothing; every problem is named by row and column.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--number", type=int, required=True, help="The bulletin's issue number (第N期)")
        parser.add_argument("--title", default="疫情防控督查工作简报")
        parser.add_argument("--issued-on", type=dt.date.fromisoformat, default=None,
                            help="The bulletin's date (YYYY-MM-DD; default: the business day)")
        add_map_argument(parser, LABELS)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = bulletin_import(actor=SYSTEM, title=options["title"], number=options["number"],
                                     issued_on=options["issued_on"] or clock.today(), file_name=path.name,
                                     content=path.read_bytes(), mapping=mapping_option(options))
        except MappingNeeded as needed:
            raise mapping_refused(needed, LABELS) from needed
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if result.not_imported:
            self.stdout.write("Not imported: " + "、".join(result.not_imported))
        if result.status != "committed":
            for error in result.errors[:200]:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} problem(s); nothing was imported.")
        self.stdout.write(self.style.SUCCESS(f"Imported {result.total_rows} problem(s)."))
