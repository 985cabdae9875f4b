"""``fangkong import_donations PATH --kind donations|needs [--store NAME] [--dry-run] [--map HEADER=FIELD]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.models import User
from fangkong.core.actors import SYSTEM, Actor
from fangkong.core.columnmap import MappingNeeded, parse_map_options
from fangkong.donations.imports import KINDS, commit_list, plan_list
from fangkong.donations.models import Store
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = (
        "Import a donation list (捐赠方, 物资名称, 数量, optionally 计量单位, 入库日期, 接收人, 备注) into a store, "
        "or a list of needs (需求单位, 物资名称, 数量, 用途, optionally 计量单位, 需要日期). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", choices=sorted(KINDS), default="donations")
        parser.add_argument("--store", help="The store the donations go into (its name).")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="Act as this user (their role and scope apply).")
        parser.add_argument("--map", action="append", default=[], dest="maps", metavar="HEADER=FIELD")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["path"].is_file():
            raise CommandError(f"{options['path']}: no such file")
        actor: Actor = SYSTEM
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"no active user {options['user']!r}") from exc
        store = None
        if options["kind"] == "donations":
            store = Store.objects.visible_to(actor).filter(name=options["store"] or "").first()  # type: ignore[attr-defined]
            if store is None and not options["dry_run"]:
                raise CommandError("--store: name the store the donations go into")
        try:
            plan = plan_list(options["path"], kind=options["kind"], actor=actor,
                             mapping=parse_map_options(options["maps"]) or None)
        except MappingNeeded as needed:
            raise CommandError(needed.message) from needed
        except (LedgerFileError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if plan.not_imported:
            self.stdout.write("Not imported: " + "、".join(plan.not_imported))
        if not plan.ok:
            for p in plan.problems[:200]:
                self.stderr.write(f"第{p.row}行 {p.column}「{p.value}」：{p.reason}")
            raise CommandError(f"{len(plan.problems)} problem(s); nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {len(plan.rows)} rows; nothing written.")
            return
        try:
            count = commit_list(plan, actor=actor, store=store, file_name=options["path"].name)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported: {count} rows."))
