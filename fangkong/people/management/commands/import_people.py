"""``fangkong import_people PATH [--dry-run] [--map HEADER=FIELD]``: staff and cadres from a roster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.models import User
from fangkong.core.actors import SYSTEM, Actor
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import add_map_argument, mapping_option, mapping_refused
from fangkong.people.imports import LABELS, commit_people, plan_people
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = (
        "Import staff and cadres from a roster in the office's own layout: 姓名, 身份证号码, 所在单位 and "
        "optionally 职务, 职级, 联系电话, 政治面貌/是否党员, 所在党支部, 是否干部, 调动日期. People are matched by ID "
        "number within scope; a new unit is recorded as a move. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="Act as this user (their role and scope apply).")
        add_map_argument(parser, LABELS)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["path"].is_file():
            raise CommandError(f"{options['path']}: no such file")
        actor: Actor = SYSTEM
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"no active user {options['user']!r}") from exc
        try:
            plan = plan_people(options["path"], actor=actor, mapping=mapping_option(options))
        except MappingNeeded as needed:
            raise mapping_refused(needed, LABELS) from needed
        except LedgerFileError as exc:
            raise CommandError(str(exc)) from exc
        if plan.not_imported:
            self.stdout.write("Not imported: " + "、".join(plan.not_imported))
        if not plan.ok:
            for p in plan.problems[:200]:
                self.stderr.write(f"第{p.row}行 {p.column}「{p.value}」：{p.reason}")
            raise CommandError(f"{len(plan.problems)} problem(s); nothing was imported.")
        summary = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {summary}; nothing written.")
            return
        commit_people(plan, actor=actor, file_name=options["path"].name)
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
