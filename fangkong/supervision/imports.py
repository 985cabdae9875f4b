"""Importing an inspection bulletin's problem list (督查简报 第N期 问题清单): an xlsx or a typed
list, one problem a row naming a unit. The xlsx's columns are placed the way every import places
them (``core.mappings.place_columns``): a column holding data under a header the platform does not
know stops the list until the user places it (``mapping``, remembered for the header set). All or
nothing: any problem (an unknown unit name, with close names suggested; a unit outside the
importer's scope; an empty problem) rejects the whole list, each named by row and column."""

from __future__ import annotations

import difflib
import hashlib
import io
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change
from fangkong.core.columnmap import Target, Vocabulary
from fangkong.core.mappings import place_columns
from fangkong.core.scoping import scope_unit_ids, unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import ImportStatus, ProblemSource
from .models import BulletinImport, Classification

if TYPE_CHECKING:
    import datetime as dt

    from fangkong.core.actors import Actor

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
TARGETS = (
    Target("unit", "责任单位", ("单位", "单位名称", "被督查单位", "涉及单位", "部门"), required=True),
    Target("summary", "问题描述", ("问题", "存在问题", "发现问题", "问题清单", "主要问题"), required=True),
    Target("place", "督查地点", ("地点", "社区", "点位")),
    Target("classification", "问题类别", ("类别", "问题类型")),
)
VOCABULARY = Vocabulary(TARGETS, ignored=("序号", "编号", "备注", "整改时限"))
# The fields a column may be placed on, and the kind of list remembered placings are kept under.
LABELS = {t.key: t.label for t in TARGETS}
KIND = "supervision.bulletin"
UNIT_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, UnitKind.STREET,
              UnitKind.COMMUNITY, UnitKind.CHECKPOINT)


@dataclass
class Row:
    number: int
    unit: Unit | None
    summary: str
    place: str = ""
    classification: Classification | None = None


@dataclass
class Result:
    status: str
    total_rows: int = 0
    errors: list[str] = field(default_factory=list)
    record: BulletinImport | None = None
    # Columns of the file left out on purpose (序号, 备注 …), named so none is dropped silently.
    not_imported: list[str] = field(default_factory=list)


def _grid_from_xlsx(content: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = book.get_sheet_by_index(0)
        return [list(r) for r in itertools.islice(sheet.to_python(skip_empty_area=False), MAX_ROWS + HEADER_SEARCH_ROWS)]
    except Exception:
        raise ValidationError(_("The file is not a readable xlsx workbook.")) from None


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else f"A{chr(ord('A') + index - 26)}"


def bulletin_import(*, actor: Actor, title: str, number: int, issued_on: dt.date, file_name: str = "",
                    content: bytes | None = None, typed: str = "", mapping: Mapping[str, str] | None = None) -> Result:
    """Read, check and (when every row is right) commit a bulletin's problem list. A rejected list
    is recorded too, with its problems, and writes no problem. ``mapping`` places the file's columns
    (normalised header → field, "" for not imported); MappingNeeded (core.columnmap) while a column
    holding data is not placed, ValidationError when no row of the file is a header."""
    if not user_has_perm(actor, "supervision.change"):
        raise PermissionDenied(_("Your role may not do this."))
    if content is None and not typed.strip():
        raise ValidationError(_("Upload the list or type it."))
    if content is not None and len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    errors: list[str] = []
    rows: list[Row] = []
    not_imported: list[str] = []
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    units = list(Unit.objects.filter(kind__in=UNIT_KINDS, closed_on__isnull=True))
    by_name: dict[str, Unit] = {}
    for unit in units:
        for text in (unit.name, unit.short_name):
            if text:
                by_name.setdefault(text, unit)
    visible_names = [u.name for u in units if scope is None or u.pk in scope]
    classes = {c.name: c for c in Classification.objects.all()}

    def resolve(text: str, where: str) -> Unit | None:
        unit = by_name.get(text)
        if unit is None or not unit_in_scope(actor, unit.pk):
            # A unit outside the scope answers as unknown: its existence is not the importer's to learn.
            close = difflib.get_close_matches(text, visible_names, n=3, cutoff=0.5)
            hint = _("; did you mean: %(names)s") % {"names": "、".join(close)} if close else ""
            errors.append(_("%(where)s: unknown unit “%(name)s”%(hint)s") % {"where": where, "name": text,
                                                                             "hint": hint})
            return None
        return unit

    if content is not None:
        from fangkong.returnees.ledger.sniff import LedgerFileError

        grid = _grid_from_xlsx(content)
        try:
            header = place_columns(grid, VOCABULARY, kind=KIND, labels=LABELS, actor=actor,
                                   mapping=mapping, unit_id=_scope_root(actor), search_rows=HEADER_SEARCH_ROWS,
                                   not_found=_("No header row names the unit and the problem (责任单位, 问题描述)."))
        except LedgerFileError as exc:
            raise ValidationError(str(exc)) from None
        not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        idx = header.indexes
        for r, cells in enumerate(grid[header.data_start:], start=header.data_start + 1):
            def cell(key: str, _cells: list[Any] = cells) -> str:
                i = idx.get(key)
                return " ".join(str(_cells[i]).split()) if i is not None and i < len(_cells) and _cells[i] not in (
                    None, "") else ""
            if not any(cell(k) for k in idx):
                continue
            name, summary = cell("unit"), cell("summary")
            found: Unit | None = resolve(
                name, _("Row %(row)d, column %(col)s") % {"row": r, "col": _letter(idx["unit"])}) if name else None
            if not name:
                errors.append(_("Row %(row)d, column %(col)s: the unit is empty") % {"row": r,
                                                                                    "col": _letter(idx["unit"])})
            if not summary:
                errors.append(_("Row %(row)d, column %(col)s: the problem is empty") % {
                    "row": r, "col": _letter(idx["summary"])})
            rows.append(Row(r, found, summary[:300], cell("place")[:100], classes.get(cell("classification"))))
    else:
        for r, line in enumerate(typed.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace("：", ":").replace("\t", ":").split(":", 1)]
            if len(parts) < 2 or not parts[1]:
                errors.append(_("Line %(row)d: write the unit, a colon, then the problem") % {"row": r})
                continue
            rows.append(Row(r, resolve(parts[0], _("Line %(row)d") % {"row": r}), parts[1][:300]))
    if len(rows) > MAX_ROWS:
        errors.append(_("At most %(n)d problems a list.") % {"n": MAX_ROWS})
    if not rows and not errors:
        errors.append(_("The list holds no problem."))
    result = _record(actor=actor, title=title, number=number, issued_on=issued_on, file_name=file_name,
                     content=content if content is not None else typed.encode(), rows=rows, errors=errors)
    result.not_imported = not_imported if content is not None else []
    return result


@transaction.atomic
def _record(*, actor: Actor, title: str, number: int, issued_on: dt.date, file_name: str, content: bytes,
            rows: list[Row], errors: list[str]) -> Result:
    from fangkong.core import clock
    from fangkong.core.actors import user_of

    from .services import problem_create

    if issued_on > clock.today():
        errors.insert(0, _("The bulletin's date is in the future."))
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    record = BulletinImport(
        title=clean_text(title, max_length=120), number=number, issued_on=issued_on, file_name=file_name[:200],
        sha256=hashlib.sha256(content).hexdigest(), status=ImportStatus.REJECTED if errors else ImportStatus.COMMITTED,
        total_rows=len(rows), errors=errors[:200], uploaded_by=user_of(actor),
        scope_unit_id=None if scope is None else _scope_root(actor),
    )
    record.save()
    audit_change(actor=actor, obj=record, before=None)
    if errors:
        return Result(ImportStatus.REJECTED, len(rows), errors, record)
    other = Classification.objects.get(code="other")
    for row in rows:
        assert row.unit is not None
        problem_create(
            actor=actor, source=ProblemSource.BULLETIN, unit=row.unit,
            community=row.unit if row.unit.kind == UnitKind.COMMUNITY else None,
            classification=row.classification or other, summary=row.summary,
            details=_("%(title)s no. %(number)d, row %(row)d%(place)s") % {
                "title": record.title, "number": number, "row": row.number,
                "place": f"（{row.place}）" if row.place else ""},
            found_on=issued_on, unannounced=True, bulletin=record, bulletin_row=row.number,
        )
    return Result(ImportStatus.COMMITTED, len(rows), [], record)


def _scope_root(actor: Any) -> int | None:
    from fangkong.accounts.models import UserScope

    if getattr(actor, "pk", None) is None:  # the system: the whole city
        return None
    return UserScope.objects.filter(user_id=actor.pk).values_list("unit_id", flat=True).first()
