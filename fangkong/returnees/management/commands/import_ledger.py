"""fangkong import_ledger PATH --side unit|community --user USERNAME [--dry-run] [--map '返回时间=return_date']
[--per-row] [--strict]

Exit 0 when committed (or a clean dry run), 1 when rejected (every problem printed) or when columns
need mapping (each unplaced column printed with a suggestion), 2 when the file itself is unusable.
A ``--map`` that places every column is remembered for the user's unit and the file's headers.
``--per-row`` commits the valid rows and writes the others, with reasons, beside the file. The user's scope applies: rows outside it are errors, and a
row whose person is held outside it opens an attribution conflict and counts as new
(docs/attribution.md).
"""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.core.columnmap import parse_map_options
from fangkong.returnees import imports
from fangkong.returnees.choices import ImportStatus
from fangkong.returnees.ledger.columns import TARGET_LABELS, check_mapping
from fangkong.returnees.ledger.sniff import LedgerFileError


class Command(BaseCommand):
    help = "Import a returnee ledger (xlsx, xls, ods or csv) from the unit or the community side."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--side", required=True, choices=["unit", "community"])
        parser.add_argument("--user", required=True, help="The importing user; their scope applies.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")
        parser.add_argument("--map", action="append", default=[], dest="maps", metavar="HEADER=FIELD",
                            help="Place a column: --map '返回时间=return_date' (FIELD empty or 'skip': not imported).")
        parser.add_argument("--per-row", action="store_true",
                            help="Commit the valid rows; write the others with reasons to PATH_rejected.xlsx.")
        parser.add_argument("--strict", action="store_true",
                            help="Sex, age or birth date disagreeing with the ID number are problems.")

    def handle(self, *args: Any, path: str, side: str, user: str, dry_run: bool, maps: list[str],
               per_row: bool = False, strict: bool = False, **options: Any) -> None:
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        source = Path(path)
        if not source.is_file():
            self.stderr.write(f"文件不存在：{path}")
            sys.exit(2)
        try:
            mapping = parse_map_options(maps)
            check_mapping(mapping, side)
        except ValueError as exc:
            raise CommandError(f"--map takes HEADER=FIELD, not {exc}") from None
        except LedgerFileError as exc:
            raise CommandError(exc.message) from None
        ledger_import = imports.import_create(actor=actor, side=side, source=source, file_name=source.name,
                                              mapping=mapping, strict=strict)
        if per_row:
            ledger_import.per_row = True
            ledger_import.save(update_fields=["per_row"])
        ledger_import = imports.import_run(ledger_import, commit=not dry_run, actor=actor, own_process=True)
        if ledger_import.status == ImportStatus.FAILED:
            self.stderr.write(f"无法读取文件：{ledger_import.message}")
            sys.exit(2)
        if ledger_import.status == ImportStatus.MAPPING:
            self.stderr.write(ledger_import.message)
            self.print_columns(ledger_import, self.stderr)
            suggested = [c for c in ledger_import.preview.get("columns", [])
                         if c["how"] in ("unknown", "duplicate")]
            hints = " ".join(f"--map '{c['header'] or '#' + c['letter']}={c.get('suggestion') or 'skip'}'"
                             for c in suggested)
            self.stderr.write(f"请用 --map 指定各列，例如：{hints}" if hints else "请用 --map 指定各列。")
            sys.exit(1)
        imports.remember_mapping(ledger_import, actor=actor)
        skipped = [c for c in ledger_import.preview.get("columns", []) if not c.get("key")]
        if skipped:
            self.stdout.write("不导入的列：" + "、".join(f"{c['letter']}“{c['header'] or '（无表头）'}”" for c in skipped))
        for warning in ledger_import.preview.get("warnings", []):
            self.stdout.write(f"提示：第{warning['row']}行「{warning['column']}」：{warning['reason']}（值：{warning['value']}）")
        for error in ledger_import.errors:
            column = f"「{error['column']}」" if error["column"] else ""
            self.stderr.write(f"第{error['row']}行{column}：{error['reason']}（值：{error['value']}）")
        if ledger_import.error_count > len(ledger_import.errors):
            self.stderr.write(f"……另有 {ledger_import.error_count - len(ledger_import.errors)} 个问题未列出")
        if ledger_import.status == ImportStatus.COMMITTED:
            dual = (ledger_import.preview.get("split") or {}).get("dual", 0)
            self.stdout.write(
                f"已导入 {ledger_import.total_rows - ledger_import.rejected} 行：新增 {ledger_import.created}，"
                f"更新 {ledger_import.updated}，未变 {ledger_import.unchanged}，其中 {dual} 人由此完成双报"
                f"（SHA-256 {ledger_import.sha256}）"
            )
            if ledger_import.rejected:
                out = source.with_name(f"{source.stem}_rejected.xlsx")
                out.write_bytes(imports.rejected_rows_xlsx(ledger_import, actor=actor))
                self.stdout.write(f"未导入 {ledger_import.rejected} 行，已连同原因写入 {out}")
            return
        if ledger_import.status == ImportStatus.PREVIEW and ledger_import.error_count == 0 and ledger_import.total_rows:
            split = ledger_import.preview.get("split") or {}
            counted = (f"（新增 {split['created']}，更新 {split['updated']}，未变 {split['unchanged']}，"
                       f"其中 {split['dual']} 人由此完成双报）") if split else ""
            self.stdout.write(f"校验通过：{ledger_import.total_rows} 行{counted}，未写入（--dry-run）")
            return
        if ledger_import.message:
            self.stderr.write(ledger_import.message)
        self.stderr.write(f"导入被拒绝：共 {ledger_import.error_count} 个问题，未写入任何数据")
        sys.exit(1)

    def print_columns(self, ledger_import: Any, out: Any) -> None:
        for c in ledger_import.preview.get("columns", []):
            placed = TARGET_LABELS.get(c.get("key") or "", "不导入")
            hint = f"（建议：{c['suggestion']}）" if c.get("suggestion") else ""
            samples = "、".join(c.get("samples", []))
            out.write(f"  {c['letter']} {c['header'] or '（无表头）'} → {placed}{hint}  例：{samples}")
