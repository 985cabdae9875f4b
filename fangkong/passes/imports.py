"""Issuing passes from an xlsx list: the file is checked and parsed by the ledger's machinery
(type sniffing, size and zip-bomb limits, parsing in a limited child process), every row is
validated, and the passes are issued only when no row has a problem (all or nothing).

Nothing of the file is kept (the caller's temporary copy goes at once). A list has at most
MAX_ROWS rows, a cell is kept to MAX_CELL_CHARS characters, and past Limits.max_problems problems
checking stops: what a hostile file costs is bounded."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.core.columnmap import Target, Vocabulary, plan_header, refusal
from fangkong.core.idcard import id_digest
from fangkong.core.mappings import remember, remembered_for
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.models import Unit
from fangkong.people.models import Person
from fangkong.returnees.ledger.problems import TOO_MANY
from fangkong.returnees.ledger.sniff import LedgerFileError, Limits
from fangkong.returnees.ledger.values import cell_text
from fangkong.returnees.ledger.worker import read_rows

from . import services
from .models import Pass
from .plates import validate_plate

if TYPE_CHECKING:
    from fangkong.accounts.models import User

COLUMNS = {
    "kind": "类型", "id_number": "身份证号", "plate": "车牌号", "driver": "驾驶人", "owner": "车主",
    "unit": "单位编码", "zones": "通行区域编码", "purpose": "事由", "start": "起始日期", "end": "截止日期",
}
# Other titles a list kept by hand uses for the same columns (matched as the ledger matches them:
# spaces, full-width forms, a leading * and a trailing colon ignored).
SYNONYMS = {
    "kind": ("证件类型", "通行证类型"), "id_number": ("身份证号码", "公民身份号码", "证件号码"),
    "plate": ("车牌", "车牌号码", "号牌号码"), "driver": ("驾驶员", "司机"), "owner": ("车辆所有人",),
    "unit": ("单位代码",), "zones": ("区域编码", "通行区域"), "purpose": ("用途", "通行事由"),
    "start": ("开始日期", "生效日期"), "end": ("结束日期", "到期日期", "有效期至"),
}
REQUIRED = ("kind", "unit", "start", "end")
KIND = "passes.pass"  # remembered mappings of pass lists (core.mappings)
VOCABULARY = Vocabulary(
    [Target(key, title, SYNONYMS.get(key, ()), required=key in REQUIRED) for key, title in COLUMNS.items()],
    ignored=("序号", "编号", "行号", "问题说明"),
)
HEADER_ROWS = 5
# Rows of a list and characters of a cell, at most (no column of a pass holds more than 200).
MAX_ROWS = 20_000
MAX_CELL_CHARS = 1000
KIND_WORDS = {"人员": "staff", "出入证": "staff", "staff": "staff", "车辆": "vehicle", "车辆通行证": "vehicle", "vehicle": "vehicle"}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:  # the file as a whole
            return self.message
        return f"第{self.row}行 {self.column}：{self.message}"


@dataclass
class ImportResult:
    passes: list[Pass] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(cell_text(value).strip().replace("/", "-").replace(".", "-"))


def import_passes(*, actor: User, path: Path, mapping: Mapping[str, str] | None = None) -> ImportResult:
    """Validate every row, then issue them all in one transaction, or nothing.

    Columns are placed by the shared mapping piece (core.columnmap): a list in its own wording
    names each column it cannot place, with a suggestion; ``mapping`` (header -> field, "" not
    imported) places them and is remembered for the unit and the list's headers."""
    if not actor.role or not user_has_perm(actor, "passes.change"):
        raise PermissionDenied(_("Your role may not do this."))
    limits = Limits.from_settings()
    result = ImportResult()
    try:
        with read_rows(path, limits, header_rows=HEADER_ROWS, max_rows=MAX_ROWS) as grid:
            head = list(itertools.islice(grid, HEADER_ROWS))
            if not head:
                result.errors.append(RowError(0, "", _("The file has no rows.")))
                return result
            # The header is the top row naming the most columns (titles may stand above it).
            scope = actor.scopes.order_by("unit__level").first()
            unit_id = scope.unit_id if scope else None
            header = plan_header([cells for _, cells in head], VOCABULARY, mapping=mapping,
                               remembered=remembered_for(KIND, unit_id), search_rows=HEADER_ROWS)
            if header is None:
                for key in REQUIRED:
                    result.errors.append(RowError(1, COLUMNS[key], _("This column is missing.")))
                return result
            for key in header.missing:
                result.errors.append(RowError(header.row + 1, COLUMNS[key], _("This column is missing.")))
            if header.needs_mapping:
                result.errors.append(RowError(0, "", refusal(header, COLUMNS)))
                return result
            if mapping:
                remember(kind=KIND, unit_id=unit_id, fingerprint=header.fingerprint, mapping=mapping,
                         headers=[c.header for c in header.columns], actor=actor)
            index = {key: i for key, i in header.indexes.items() if key in COLUMNS}
            body = []
            for r, row in itertools.chain(head[header.data_start :], grid):
                cells = {key: _cell(row[i], keep_dates=key in ("start", "end")) for key, i in index.items()}
                if any(cell_text(v).strip() for v in cells.values()):
                    body.append((r + 1, cells))
    except LedgerFileError as exc:
        result.errors.append(RowError(0, "", exc.message))
        return result
    # Every unit, zone and person the list names, each looked up once, all in the actor's scope.
    codes = {cells["unit"] for _n, cells in body} | {c for _n, cells in body for c in _zone_codes(cells)}
    units = {u.code: u for u in Unit.objects.visible_to(actor).filter(code__in=codes)}
    numbers = {cells.get("id_number", "").upper() for _n, cells in body} - {""}
    by_digest = {id_digest(number): number for number in numbers}
    people = {by_digest[p.id_digest]: p for p in Person.objects.visible_to(actor).filter(id_digest__in=by_digest)}
    plans: list[tuple[int, dict[str, Any]]] = []
    for n, cells in body:
        if len(result.errors) > limits.max_problems:
            del result.errors[limits.max_problems :]
            result.errors.append(RowError(0, "", TOO_MANY.format(limit=limits.max_problems)))
            break
        errors_before = len(result.errors)

        def err(key: str, message: str, n: int = n) -> None:
            result.errors.append(RowError(n, COLUMNS[key], message))

        kind = KIND_WORDS.get(cells["kind"])
        if kind is None:
            err("kind", _("Write 人员 or 车辆."))
        unit = units.get(cells["unit"])
        if unit is None:
            err("unit", _("No such unit in your scope."))
        zone_codes = _zone_codes(cells)
        zones = [units[c] for c in dict.fromkeys(zone_codes) if c in units]
        if len(zones) != len(set(zone_codes)):
            err("zones", _("A zone code is unknown or outside your scope."))
        start: dt.date | None = None
        end: dt.date | None = None
        try:
            start, end = _date(cells["start"]), _date(cells["end"])
        except ValueError:
            err("start", _("Dates are written 2020-02-15."))
        plan: dict[str, Any] = {"unit": unit, "zones": zones, "purpose": cells.get("purpose", "")}
        if kind == "staff":
            person = people.get(cells.get("id_number", "").upper())
            if person is None:
                err("id_number", _("No person with this ID number in your scope."))
            plan.update(kind=kind, person=person)
        elif kind == "vehicle":
            try:
                plan.update(kind=kind, plate=validate_plate(cells.get("plate", "")))
            except ValidationError as exc:
                err("plate", exc.messages[0])
            plan.update(driver=cells.get("driver", ""), owner=cells.get("owner", ""))
        if start and end:
            plan["window"] = services.day_bounds(start, end)
            if end < start:
                err("end", _("A pass must end after it starts."))
        if len(result.errors) == errors_before:
            plans.append((n, plan))
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for n, plan in plans:
                try:
                    result.passes.append(_issue(actor, plan))
                except ValidationError as exc:
                    result.errors.append(RowError(n, "", "；".join(exc.messages)))
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.passes = []
    return result


def _cell(value: Any, *, keep_dates: bool) -> Any:
    """A cell as stripped text (a date kept as it is where a date is expected), cut to MAX_CELL_CHARS:
    a longer one is refused by its column's check all the same."""
    if keep_dates and not isinstance(value, str):
        return value
    return cell_text(value).strip()[:MAX_CELL_CHARS]


def _zone_codes(cells: dict[str, Any]) -> list[str]:
    text = str(cells.get("zones", "")).replace("，", "、").replace(",", "、").replace(";", "、").replace("；", "、")
    return [c.strip() for c in text.split("、") if c.strip()]


class _Rollback(Exception):
    pass


def _issue(actor: User, plan: dict[str, Any]) -> Pass:
    start, end = plan["window"]
    if plan["kind"] == "staff":
        return services.issue_staff_pass(
            actor=actor, person=plan["person"], unit=plan["unit"], valid_from=start, valid_until=end,
            zones=plan["zones"], purpose=plan["purpose"],
        )
    return services.issue_vehicle_pass(
        actor=actor, plate=plan["plate"], unit=plan["unit"], valid_from=start, valid_until=end,
        driver_name=plan["driver"], owner_name=plan["owner"], zones=plan["zones"], purpose=plan["purpose"],
    )
