"""fangkong import_ledger PATH --side unit|community --user USERNAME [--dry-run]

Exit 0 when committed (or a clean dry run), 1 when rejected (every problem printed),
2 when the file itself is unusable. The user's scope applies: rows outside it are errors, and a
row whose person is held outside it opens an attribution conflict and counts as new
(docs/attribution.md).
"""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.returnees import imports
from fangkong.returnees.choices import ImportStatus


class Command(BaseCommand):
    help = "Import a returnee ledger (xlsx, xls, ods or csv) from the unit or the community side."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--side", required=True, choices=["unit", "community"])
        parser.add_argument("--user", required=True, help="The importing user; their scope applies.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")

    def handle(self, *args: Any, path: str, side: str, user: str, dry_run: bool, **options: Any) -> None:
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        source = Path(path)
        if not source.is_file():
            self.stderr.write(f"文件不存在：{path}")
            sys.exit(2)
        ledger_import = imports.import_create(actor=actor, side=side, source=source, file_name=source.name)
        ledger_import = imports.import_run(ledger_import, commit=not dry_run, actor=actor, own_process=True)
        if ledger_import.status == ImportStatus.FAILED:
            self.stderr.write(f"无法读取文件：{ledger_import.message}")
            sys.exit(2)
        for error in ledger_import.errors:
            column = f"「{error['column']}」" if error["column"] else ""
            self.stderr.write(f"第{error['row']}行{column}：{error['reason']}（值：{error['value']}）")
        if ledger_import.error_count > len(ledger_import.errors):
            self.stderr.write(f"……另有 {ledger_import.error_count - len(ledger_import.errors)} 个问题未列出")
        if ledger_import.status == ImportStatus.COMMITTED:
            self.stdout.write(
                f"已导入 {ledger_import.total_rows} 行：新增 {ledger_import.created}，更新 {ledger_import.updated}，"
                f"未变 {ledger_import.unchanged}（SHA-256 {ledger_import.sha256}）"
            )
            return
        if ledger_import.status == ImportStatus.PREVIEW and ledger_import.error_count == 0 and ledger_import.total_rows:
            self.stdout.write(f"校验通过：{ledger_import.total_rows} 行，未写入（--dry-run）")
            return
        if ledger_import.message:
            self.stderr.write(ledger_import.message)
        self.stderr.write(f"导入被拒绝：共 {ledger_import.error_count} 个问题，未写入任何数据")
        sys.exit(1)
