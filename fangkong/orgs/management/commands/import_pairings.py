"""``fangkong import_pairings PATH``: which department is paired with which community (包保)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.core.actors import SYSTEM
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import add_map_argument, mapping_option, mapping_refused
from fangkong.orgs.pairing_import import HEADERS, commit_pairings, plan_pairings
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = ("Import pairings (包保) from a spreadsheet: 包保单位 (a department's name or code), 社区, and optionally "
            "包保日期. All or nothing; pairings that exist are left as they are.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true")
        add_map_argument(parser, HEADERS)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["path"].is_file():
            raise CommandError(f"{options['path']}: no such file")
        try:
            plan = plan_pairings(options["path"], actor=SYSTEM, mapping=mapping_option(options))
        except MappingNeeded as needed:
            raise mapping_refused(needed, HEADERS) from needed
        except LedgerFileError as exc:
            raise CommandError(str(exc)) from exc
        if plan.not_imported:
            self.stdout.write("Not imported: " + "、".join(plan.not_imported))
        if not plan.ok:
            for p in plan.problems[:200]:
                self.stderr.write(f"第{p.row}行 {p.column}「{p.value}」：{p.reason}")
            raise CommandError(f"{len(plan.problems)} problem(s); nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: created {len(plan.new)}, unchanged {plan.unchanged}; nothing written.")
            return
        counts = commit_pairings(plan, actor=SYSTEM, file_name=options["path"].name)
        self.stdout.write(self.style.SUCCESS(f"Imported: created {counts['created']}, unchanged {counts['unchanged']}."))
