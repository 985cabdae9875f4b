"""Secondment lists (下沉干部名单) from Excel, with the ledger's import machinery: the file type is
sniffed from its content, cells are read in the ledger's limited child process, headers are matched
with their synonyms, and every problem is listed by row, column, value and a Chinese reason.

Preview writes nothing but the import record (with the normalised rows when there is no problem);
commit validates those rows against the database again and writes every secondment or none. The
file's SHA-256 is kept, the file itself is not. A list has at most MAX_ROWS rows, and past
Limits.max_problems problems the reading stops, so what a hostile file costs is bounded; the rows
of a list that was not committed are deleted after the retention period (purge_expired_lists).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.columnmap import HeaderPlan, MappingNeeded, Target, Vocabulary, plan_header, refusal
from fangkong.core.fieldcrypt import seal, unseal
from fangkong.core.idcard import id_digest, mask_id_number, parse_id_number
from fangkong.core.mappings import remember, remembered_for
from fangkong.core.scoping import scope_unit_ids, subtree_ids, user_has_perm
from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.people.services import pinyin_initials
from fangkong.returnees.imports import sha256_of
from fangkong.returnees.ledger.problems import ProblemList
from fangkong.returnees.ledger.sniff import LedgerFileError, Limits
from fangkong.returnees.ledger.values import cell_text, id_number, make_date, make_name_batch, make_text
from fangkong.returnees.ledger.worker import read_rows
from fangkong.returnees.services import UnitDirectory

from .choices import ImportStatus, SecondmentRole
from .models import Secondment, SecondmentImport
from .services import PLACEMENT_KINDS, SENDING_KINDS

if TYPE_CHECKING:
    from fangkong.accounts.models import User

HEADER_SEARCH_ROWS = 10
# Rows of a list, at most: a city seconds about a thousand cadres; a bigger file is refused as it is
# read, before it is held.
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    synonyms: tuple[str, ...]
    required: bool
    hint: str


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", (), True, "干部的真实姓名。"),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证"), True,
           "18位居民身份证号码，末位可以是X。本列已设为文本格式。"),
    Column("department", "派出单位", ("所在单位", "单位", "单位名称", "部门"), True, "干部所在部门或行业单位的全称、简称或编码。"),
    Column("place", "下沉地点", ("下沉单位", "下沉社区", "下沉卡点", "派驻地点"), False,
           "街道、社区或卡点的名称或编码；暂未分配可以不填。"),
    Column("role", "职责", ("角色", "队内职务", "分工"), False, "从下拉列表选择：队员、带队；不填视为队员。"),
    Column("starts_on", "下沉日期", ("开始日期", "起始日期", "到岗日期"), True, "日期，如2020-02-01。"),
    Column("ends_on", "结束日期", ("返岗日期", "截止日期"), False, "日期；尚未结束可以不填。"),
    Column("duties", "工作内容", ("主要任务", "工作任务", "备注"), False, "如：宣传、排查、检测、盯守、卡口值守。"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
ROLES = {"队员": SecondmentRole.MEMBER, "成员": SecondmentRole.MEMBER, "组员": SecondmentRole.MEMBER,
         "带队": SecondmentRole.TEAM_LEADER, "队长": SecondmentRole.TEAM_LEADER, "带队领导": SecondmentRole.TEAM_LEADER,
         "组长": SecondmentRole.TEAM_LEADER, "member": SecondmentRole.MEMBER, "team_leader": SecondmentRole.TEAM_LEADER}
ROLE_REASON = "职责只能填写：队员、带队"


@dataclass
class Problem:
    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


KIND = "deployment.secondment"  # remembered mappings of secondment lists (core.mappings)
VOCABULARY = Vocabulary(
    [Target(c.key, c.header, c.synonyms, required=c.required) for c in COLUMNS],
    ignored=("序号", "编号", "行号", "备注说明", "问题说明"),
)
TARGET_LABELS = {c.key: c.header for c in COLUMNS}


def _find_header(
    grid: Sequence[Sequence[Any]], *, mapping: Mapping[str, str] | None = None,
    remembered: Callable[[str], Mapping[str, str] | None] | None = None,
) -> HeaderPlan:
    """The header row and every column placed by the shared mapping piece (core.columnmap): the
    synonyms, the user's mapping, the one remembered for the unit and header set."""
    plan = plan_header(grid, VOCABULARY, mapping=mapping, remembered=remembered, search_rows=HEADER_SEARCH_ROWS)
    if plan is None:
        raise LedgerFileError("找不到表头：前10行中没有一行包含名单的列名（如“姓名”“身份证号”）。请使用下载的模板填写。")
    if plan.needs_mapping:
        raise MappingNeeded(plan, refusal(plan, TARGET_LABELS))
    return plan


def read_file(
    path: Path, *, default_year: int = 2020, problems: ProblemList[Problem] | None = None,
    mapping: Mapping[str, str] | None = None, remembered: Callable[[str], Mapping[str, str] | None] | None = None,
    plan_out: list[HeaderPlan] | None = None,
) -> tuple[list[dict[str, Any]], list[Problem], dict[str, str]]:
    """Parse a secondment list: normalised rows (dates as ISO text, ready for JSON) and its cell
    problems, the first Limits.max_problems of them: past those, reading stops (``problems``, when
    given, gets them and their count). MappingNeeded when a column must be placed by the user."""
    limits = Limits.from_settings()
    if problems is None:
        problems = ProblemList(limits.max_problems)
    names = make_name_batch()
    date = make_date(default_year)
    text = make_text(200)
    short = make_text(100)
    rows: list[dict[str, Any]] = []
    with read_rows(path, limits, header_rows=HEADER_SEARCH_ROWS, max_rows=MAX_ROWS) as grid:
        head = list(itertools.islice(grid, HEADER_SEARCH_ROWS + 5))
        plan = _find_header([cells for _, cells in head], mapping=mapping, remembered=remembered)
        start, indexes, texts = plan.data_start, plan.indexes, plan.texts
        if plan_out is not None:
            plan_out.append(plan)
        for r, cells in itertools.chain(head[start:], grid):
            if problems.full:
                break
            raw = {key: cells[i] for key, i in indexes.items()}
            if all(cell_text(v).strip() == "" for v in raw.values()):
                continue
            excel_row = r + 1
            row: dict[str, Any] = {"row": excel_row}

            def bad(key: str, value: Any, reason: str, *, _row: int = excel_row) -> None:
                problems.add([Problem(_row, texts[key], cell_text(value)[:100], reason)])

            for key in COLUMN_BY_KEY:
                value = raw.get(key, "")
                blank = cell_text(value).strip() == ""
                if blank:
                    if COLUMN_BY_KEY[key].required:
                        bad(key, value, f"“{COLUMN_BY_KEY[key].header}”不能为空")
                    row[key] = (SecondmentRole.MEMBER if key == "role"
                                else None if key in ("starts_on", "ends_on") else "")
                    continue
                if key == "name":
                    (clean,), (reason,) = names([value])
                elif key == "id_number":
                    clean, reason = id_number(value)
                elif key in ("starts_on", "ends_on"):
                    clean, reason = date(value)
                    clean = clean.isoformat() if clean else None
                elif key == "role":
                    clean = ROLES.get(cell_text(value).strip().replace(" ", ""))
                    reason = None if clean else ROLE_REASON
                elif key == "duties":
                    clean, reason = text(value)
                else:
                    clean, reason = short(value)
                if reason:
                    bad(key, value, reason)
                row[key] = clean
            if row.get("starts_on") and row.get("ends_on") and row["ends_on"] < row["starts_on"]:
                bad("ends_on", raw.get("ends_on"), "结束日期早于下沉日期")
            rows.append(row)
    return rows, problems.kept, texts


def validate_rows(
    *, actor: User | None, rows: Sequence[dict[str, Any]], texts: dict[str, str], limit: int | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Resolve departments, places and people, and check the scope and overlaps against the database.

    With a ``limit``, checking stops at the row where the problems pass it (they are in row order)."""
    problems: list[Problem] = []
    departments = UnitDirectory(SENDING_KINDS)
    places = UnitDirectory(PLACEMENT_KINDS)
    scope = scope_unit_ids(actor) if actor is not None else None
    scope_set = set(scope) if scope is not None else None
    numbers = {r["id_number"] for r in rows if r.get("id_number")}
    by_digest = {id_digest(number): number for number in numbers}
    people = {by_digest[p.id_digest]: p
              for p in Person.objects.filter(id_digest__in=by_digest).select_related("unit")}
    subtrees: dict[int, set[int]] = {}

    def below(unit_id: int) -> set[int]:
        if unit_id not in subtrees:
            subtrees[unit_id] = set(subtree_ids(unit_id) or [])
        return subtrees[unit_id]

    running: dict[int, list[Secondment]] = {}
    for s in Secondment.objects.filter(person__id_digest__in=by_digest).order_by("starts_on"):
        running.setdefault(s.person_id, []).append(s)
    seen: dict[str, int] = {}
    clean: list[dict[str, Any]] = []

    def header(key: str) -> str:
        return texts.get(key, COLUMN_BY_KEY[key].header)

    for row in rows:
        if limit is not None and len(problems) > limit:
            break
        n = row["row"]
        ok = True

        def bad(key: str, value: Any, reason: str, *, _n: int = n) -> None:
            nonlocal ok
            ok = False
            problems.append(Problem(_n, header(key), str(value or "")[:100], reason))

        number = row.get("id_number")
        if number:
            if number in seen:
                bad("id_number", number, f"与第{seen[number]}行的身份证号重复（同一人在文件中出现两次）")
            seen.setdefault(number, n)
        department = departments.find(row["department"]) if row.get("department") else None
        if row.get("department") and department is None:
            hint = departments.suggest(row["department"])
            bad("department", row["department"], "找不到这个派出单位" + (f"，是否是：{hint}" if hint else ""))
        elif department is not None and scope_set is not None and department.pk not in scope_set:
            bad("department", row["department"], "这个派出单位不在您的管理范围内")
        place = places.find(row["place"]) if row.get("place") else None
        if row.get("place") and place is None:
            hint = places.suggest(row["place"])
            bad("place", row["place"], "找不到这个街道、社区或卡点" + (f"，是否是：{hint}" if hint else ""))
        person = people.get(number) if number else None
        if person is not None and row.get("name") and person.name != row["name"]:
            bad("name", row["name"], f"身份证号对应的人员是“{person.name}”，与填写的姓名不一致")
        elif person is not None and department is not None and person.unit_id not in below(department.pk):
            bad("department", row["department"], f"“{person.name}”不是这个派出单位的人员（所在单位：{person.unit.name}）")
        if person is not None and row.get("starts_on"):
            start = dt.date.fromisoformat(row["starts_on"])
            end = dt.date.fromisoformat(row["ends_on"]) if row.get("ends_on") else dt.date.max
            other = next((o for o in running.get(person.pk, [])
                          if o.starts_on <= end and (o.ends_on is None or o.ends_on >= start)), None)
            if other is not None:
                bad("starts_on", row["starts_on"], f"此人已于{other.starts_on.isoformat()}下沉，时间重叠，请先结束原下沉记录")
        if ok and all(row.get(c.key) not in (None, "") for c in COLUMNS if c.required):
            clean.append({**row, "department_id": department.pk if department else None,
                          "unit_id": place.pk if place else None, "person_id": person.pk if person else None})
    return clean, problems


# A previewed list is kept until it is committed: its ID numbers sealed as the people's are
# (core.fieldcrypt), its problems showing the ID column masked (the uploader has the file).


def _sealed_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sealed = seal([r.get("id_number") or "" for r in rows], "id_number")
    return [{**r, "id_number": token or None} for r, token in zip(rows, sealed, strict=True)]


def _opened_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    opened = unseal([r.get("id_number") or "" for r in rows], "id_number")
    return [{**r, "id_number": number or None} for r, number in zip(rows, opened, strict=True)]


def _masked_problems(errors: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    header = texts.get("id_number", COLUMN_BY_KEY["id_number"].header)
    return [{**e, "value": mask_id_number(e["value"])} if e["column"] == header else e for e in errors]


def import_preview(
    *, actor: User, source: Path, file_name: str, mapping: Mapping[str, str] | None = None
) -> SecondmentImport:
    """Read and check an uploaded list; record the outcome. Nothing but the record is written, and
    the rows only when there is no problem (only such a preview can be committed).

    Columns the synonyms do not place stop the preview with each listed and a suggestion (the
    file is not kept: it is uploaded again with ``mapping``, header -> field or "" not imported);
    a mapping that places them is remembered for the unit and the list's headers."""
    if not user_has_perm(actor, "deployment.change"):
        raise PermissionDenied(_("Your role may not do this."))
    scope = actor.scopes.select_related("unit").order_by("unit__level").first()
    record = SecondmentImport(
        file_name=file_name[:200], sha256=sha256_of(source), uploaded_by=actor, scope_unit=scope.unit if scope else None
    )
    limit = Limits.from_settings().max_problems
    read: ProblemList[Problem] = ProblemList(limit)
    unit_id = scope.unit_id if scope else None
    plans: list[HeaderPlan] = []
    try:
        rows, _kept, texts = read_file(source, problems=read, mapping=mapping,
                                       remembered=remembered_for(KIND, unit_id), plan_out=plans)
    except MappingNeeded as needed:
        record.status, record.message = ImportStatus.FAILED, needed.message[:300]
        record.columns = {"plan": needed.plan.as_dict()}
        record.save()
        return record
    except LedgerFileError as exc:
        record.status, record.message = ImportStatus.FAILED, str(exc)[:300]
        record.save()
        return record
    # The file's first problems and the database's, each in row order, merged: the first of both.
    _clean, more = validate_rows(actor=actor, rows=rows, texts=texts, limit=limit)
    problems: ProblemList[dict[str, Any]] = ProblemList(limit)
    problems.add(sorted((p.as_dict() for p in [*read.kept, *more]), key=lambda e: (e["row"], e["column"])),
                 count=read.count + len(more))
    if mapping and plans:
        remember(kind=KIND, unit_id=unit_id, fingerprint=plans[0].fingerprint, mapping=mapping,
                 headers=[c.header for c in plans[0].columns], actor=actor)
    record.rows = [] if problems.count else _sealed_rows(rows)
    record.columns = texts
    record.total_rows = len(rows)
    record.error_count = problems.count
    record.errors = _masked_problems(problems.kept, texts)
    record.message = problems.message
    record.status = ImportStatus.PREVIEW
    if not rows:
        record.status, record.message = ImportStatus.REJECTED, "名单中没有数据行。"
    record.save()
    return record


@transaction.atomic
def import_commit(*, actor: User, record: SecondmentImport) -> SecondmentImport:
    """Write every secondment of a previewed list, or none when any row has a problem now."""
    if not user_has_perm(actor, "deployment.change"):
        raise PermissionDenied(_("Your role may not do this."))
    record = SecondmentImport.objects.select_for_update().get(pk=record.pk)
    if record.status != ImportStatus.PREVIEW or record.error_count:
        raise PermissionDenied(_("Only a preview without problems can be committed."))
    if record.purged_at is not None:
        raise PermissionDenied(_("This list was deleted after the retention period; upload it again."))
    rows = _opened_rows(record.rows)
    texts = dict(record.columns)
    # Lock the people named so a concurrent secondment cannot slip in between check and write.
    list(Person.objects.select_for_update().filter(id_digest__in=[id_digest(r["id_number"]) for r in rows]))
    clean, problems = validate_rows(actor=actor, rows=rows, texts=texts)
    if problems:
        record.status = ImportStatus.REJECTED
        record.errors = _masked_problems([p.as_dict() for p in problems][: Limits.from_settings().max_problems], texts)
        record.error_count = len(problems)
        record.save()
        return record
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r["department_id"] for r in clean})}
    new_people = []
    for row in clean:
        if row["person_id"] is None:
            person = Person(
                name=row["name"], name_initials=pinyin_initials(row["name"]), unit=units[row["department_id"]],
                is_cadre=True,
            )
            person.id_number = parse_id_number(row["id_number"]).number  # sealed, with digest and mask
            new_people.append(person)
    created_people = {p.id_number: p.pk for p in Person.objects.bulk_create(new_people)}
    if created_people and any(pk is None for pk in created_people.values()):
        by_digest = {id_digest(number): number for number in created_people}
        created_people = {by_digest[key]: pk for key, pk in
                          Person.objects.filter(id_digest__in=by_digest).values_list("id_digest", "id")}
    Secondment.objects.bulk_create([
        Secondment(
            person_id=row["person_id"] or created_people[row["id_number"]], department_id=row["department_id"],
            unit_id=row["unit_id"], role=row["role"], starts_on=dt.date.fromisoformat(row["starts_on"]),
            ends_on=dt.date.fromisoformat(row["ends_on"]) if row.get("ends_on") else None,
            duties=row.get("duties") or "", source_import=record,
        )
        for row in clean
    ])
    record.status, record.created, record.committed_at = ImportStatus.COMMITTED, len(clean), clock.now()
    record.save()
    audit_log(
        actor=actor, action=Action.CREATE, obj=record,
        detail=f"secondment import sha256={record.sha256} rows={len(clean)} new_people={len(new_people)}",
    )
    return record


def purge_expired_lists(*, now: dt.datetime, cutoff: dt.datetime) -> int:
    """Delete the rows of the lists not committed and uploaded before ``cutoff`` (the record and its
    problems stay, for the audit, without the cell values copied from the file); how many lists
    were purged. Registered in core.retention."""
    expired = (SecondmentImport.objects.filter(purged_at=None, uploaded_at__lt=cutoff)
               .exclude(status=ImportStatus.COMMITTED).only("pk", "errors"))
    purged = 0
    for record in expired:
        errors = [{**e, "value": ""} for e in record.errors] if isinstance(record.errors, list) else []
        purged += SecondmentImport.objects.filter(pk=record.pk, purged_at=None).update(
            rows=[], errors=errors, purged_at=now)
    return purged


def build_template() -> bytes:
    """The downloadable xlsx template of a secondment list: headers, hints, text ID column, a role list."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("下沉干部名单")
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    required = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                                "font_color": "#C00000"})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, column in enumerate(COLUMNS):
        title = column.header + ("*" if column.required else "")
        sheet.write_string(0, col, title, required if column.required else head)
        fmt = text if column.key == "id_number" else date if column.key in ("starts_on", "ends_on") else None
        sheet.set_column(col, col, 22 if column.key in ("id_number", "department", "place", "duties") else 12, fmt)
        options: dict[str, Any] = {"input_title": title[:32],
                                   "input_message": (("必填。" if column.required else "选填。") + column.hint)[:255]}
        if column.key == "role":
            options.update(validate="list", source=["队员", "带队"], error_type="warning")
        else:
            options["validate"] = "any"
        sheet.data_validation(1, col, 1_048_575, col, options)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 100)
    lines = [
        "填写说明",
        "1. 第1行是表头，请不要修改；列的顺序可以调整。带*的列必须填写。",
        "2. 每行一名下沉干部；同一人在一个文件中只填一次。系统中没有的人员会按派出单位新建为干部。",
        "3. 派出单位填写部门或行业单位的全称、简称或编码；下沉地点填写街道、社区或卡点，暂未分配可不填。",
        "4. 职责填写“队员”或“带队”（各部门副职带队）。",
        "5. 上传后先预览，列出每一处问题（行号、列名、填写的值和原因）；全部无误才能提交，提交时全部写入或全部不写入。",
        "6. 各列依次为：" + "、".join(c.header for c in COLUMNS) + "。",
    ]
    for row, line in enumerate(lines):
        notes.write_string(row, 0, line)
    book.close()
    return buffer.getvalue()
