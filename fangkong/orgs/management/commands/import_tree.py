"""``fangkong import_tree PATH``: the organisation tree from the city's own spreadsheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import add_map_argument, mapping_option, mapping_refused
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.tree_import import LABELS, commit_tree, plan_tree
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = (
        "Import the organisation tree from a spreadsheet (xlsx, xls, ods, csv): one row per unit with "
        "名称, 类型, 上级 (name or code), 编码 and optionally 简称, 成立日期, 联系电话, 地址. All or nothing: "
        "any problem is listed by row and column and nothing is written. The same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and show what would change; write nothing.")
        parser.add_argument(
            "--close-missing", metavar="DATE", nargs="?", const="today", default=None,
            help="Close (never delete) every open unit the file no longer lists, as of DATE (default: today).",
        )
        add_map_argument(parser, LABELS)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        close_on: dt.date | None = None
        if options["close_missing"]:
            close_on = clock.today() if options["close_missing"] == "today" else _date(options["close_missing"])
        try:
            plan = plan_tree(path, actor=SYSTEM, close_missing=close_on, mapping=mapping_option(options))
        except MappingNeeded as needed:
            raise mapping_refused(needed, LABELS) from needed
        except LedgerFileError as exc:
            raise CommandError(str(exc)) from exc
        if plan.not_imported:
            self.stdout.write("Not imported: " + "、".join(plan.not_imported))
        if not plan.ok:
            for p in plan.problems[:200]:
                self.stderr.write(f"第{p.row}行 {p.column}「{p.value}」：{p.reason}")
            more = len(plan.problems) - 200
            raise CommandError(f"{len(plan.problems)} problem(s)" + (f" ({more} not shown)" if more > 0 else "")
                               + "; nothing was imported.")
        counts = plan.counts()
        for row in plan.creates[:50]:
            self.stdout.write(f"  + {UnitKind(row.kind).label} {row.name}")
        for unit, changes in plan.updates[:50]:
            self.stdout.write(f"  ~ {unit.name}: " + ", ".join(sorted(changes)))
        for unit in plan.closes[:50]:
            self.stdout.write(f"  - {unit.name} (closed as of {close_on})")
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {summary}; nothing written.")
            return
        commit_tree(plan, actor=SYSTEM, close_on=close_on, file_name=path.name)
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--close-missing: {text!r} is not a date (YYYY-MM-DD)") from exc
