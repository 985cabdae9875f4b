"""``fangkong import_accounts PATH --out SLIPS.pdf``: accounts in bulk, with slips to hand out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.bulk import HEADERS, commit_accounts, plan_accounts
from fangkong.accounts.models import User
from fangkong.accounts.slips import slips_pdf
from fangkong.core.actors import SYSTEM, Actor
from fangkong.core.columnmap import MappingNeeded
from fangkong.core.mappings import add_map_argument, mapping_option, mapping_refused
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = (
        "Open accounts in bulk from a spreadsheet: 姓名, 单位 (name or code), 角色, and optionally 用户名 and "
        "重置密码. Usernames are made from the name's pinyin and the unit's code; each new account gets a "
        "one-time password printed on an account slip (--out, a PDF with one sheet per unit) and changed at "
        "first login. All or nothing; running the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--out", type=Path, help="Where to write the account slips (PDF). Required unless --dry-run.")
        parser.add_argument("--dry-run", action="store_true", help="Check and show what would change; write nothing.")
        parser.add_argument("--user", help="Act as this security administrator (their role and scope apply); "
                            "without it the platform acts on its own.")
        parser.add_argument("--site-url", default="", help="The address printed on the slips.")
        add_map_argument(parser, HEADERS)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if not options["dry_run"] and not options["out"]:
            raise CommandError("--out SLIPS.pdf is required: the one-time passwords are printed there and nowhere else.")
        actor: Actor = SYSTEM
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"no active user {options['user']!r}") from exc
        try:
            plan = plan_accounts(path, actor=actor, mapping=mapping_option(options))
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
        summary = ", ".join(f"{k} {v}" for k, v in plan.counts().items())
        if options["dry_run"]:
            for row in plan.rows[:50]:
                mark = "+" if row.existing is None else ("*" if row.reset else "=")
                self.stdout.write(f"  {mark} {row.username}  {row.full_name}  {row.unit}")
            self.stdout.write(f"Dry run: {summary}; nothing written.")
            return
        counts, slips = commit_accounts(plan, actor=actor, file_name=path.name)
        out: Path = options["out"]
        out.write_bytes(slips_pdf(slips, site_url=options["site_url"]))
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}. {len(slips)} slip(s) written to {out}."))
