"""Donation lists and needs from the offices' own spreadsheets (``fangkong import_donations``).

The columns are placed by the shared mapping piece (core.columnmap) as for the people roster and
the ledger: headers by meaning, a column the vocabulary does not know refused until it is mapped
or skipped, the file's type sniffed and parsed in a child process (``read_rows``). Every row is
checked before anything is written; an unknown item or donor is named with the closest names the
platform knows. All or nothing: one problem and nothing is written.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.actors import Actor
from fangkong.core.columnmap import Target, Vocabulary
from fangkong.core.mappings import place_columns
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.models import Unit
from fangkong.orgs.tree_import import Problem, sha256_file
from fangkong.returnees.ledger.sniff import Limits
from fangkong.returnees.ledger.values import cell_text, make_date
from fangkong.returnees.ledger.worker import read_rows

from . import services
from .models import Donor, Item, Measure, Store

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 20_000
QUANTITY = Target("quantity", "数量", ("捐赠数量", "需求数量", "数目", "件数"), required=True)
ITEM = Target("item", "物资名称", ("物资", "品名", "物品", "物资品名", "名称"), required=True)
MEASURE = Target("measure", "计量单位", ("单位名称", "规格单位", "计量"))
DONATION_TARGETS = (
    Target("donor", "捐赠方", ("捐赠单位", "捐赠人", "捐赠者", "捐赠部门", "捐赠党组织"), required=True),
    ITEM, QUANTITY, Target("measure", "计量单位", ("单位", "单位名称", "规格单位", "计量")),
    Target("received_on", "入库日期", ("捐赠日期", "日期", "接收日期")),
    Target("received_by", "接收人", ("经手人", "验收人")),
    Target("note", "备注说明", ("说明",)),
)
NEED_TARGETS = (
    Target("unit", "需求单位", ("申请单位", "社区", "卡点", "单位"), required=True),
    ITEM, QUANTITY, MEASURE,
    Target("needed_by", "需要日期", ("需求日期", "需用日期", "截止日期")),
    Target("reason", "用途", ("需求原因", "用途说明", "理由", "原因"), required=True),
)
KINDS: dict[str, tuple[str, Vocabulary, dict[str, str]]] = {
    "donations": ("donations.list", Vocabulary(DONATION_TARGETS, ignored=("序号", "编号")),
                  {t.key: t.label for t in DONATION_TARGETS}),
    "needs": ("donations.needs", Vocabulary(NEED_TARGETS, ignored=("序号", "编号", "备注")),
              {t.key: t.label for t in NEED_TARGETS}),
}


@dataclass
class ListPlan:
    kind: str
    sha256: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _close(text: str, names: list[str]) -> str:
    found = difflib.get_close_matches(text, names, n=3, cutoff=0.4)
    if not found:
        found = [n for n in names if text and (text in n or n in text)][:3]
    return ("；是否是：" + "、".join(found)) if found else ""


def plan_list(path: Path, *, kind: str, actor: Actor, mapping: Mapping[str, str] | None = None) -> ListPlan:
    """Read and check a donation list (``kind="donations"``) or a list of needs (``"needs"``);
    nothing is written. The columns are placed as every import places them
    (``core.mappings.place_columns``): MappingNeeded when a column must be placed first,
    LedgerFileError for no header row or a mapping naming an unknown field."""
    key, vocabulary, labels = KINDS[kind]
    if not user_has_perm(actor, "donations.change" if kind == "donations" else "donations.need"):
        raise PermissionDenied("您的角色不能导入此清单。")
    plan = ListPlan(kind=kind, sha256=sha256_file(path))
    items = {i.name: i for i in Item.objects.select_related("measure")}
    measures = {m.name: m for m in Measure.objects.all()}
    donors = {d.name: d for d in Donor.objects.visible_to(actor)}  # type: ignore[attr-defined]
    donors.update({d.public_name: d for d in donors.values() if d.public_name})
    units: dict[str, list[Unit]] = {}
    if kind == "needs":
        for unit in Unit.objects.visible_to(actor).filter(kind__in=services.NEED_KINDS):  # type: ignore[attr-defined]
            for text in {unit.code, unit.name, unit.short_name} - {""}:
                units.setdefault(text, []).append(unit)
    date = make_date(clock.today().year)
    with read_rows(path, Limits.from_settings(), header_rows=HEADER_SEARCH_ROWS, max_rows=MAX_ROWS) as grid:
        head = list(itertools.islice(grid, HEADER_SEARCH_ROWS))
        header = place_columns([cells for _, cells in head], vocabulary, kind=key, labels=labels, actor=actor,
                               mapping=mapping, search_rows=HEADER_SEARCH_ROWS,
                               not_found="找不到表头：前10行中没有一行包含清单的列名（如“物资名称”“数量”）。")
        plan.not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        indexes, texts = header.indexes, header.texts
        for r, cells in itertools.chain(head[header.data_start:], grid):
            values = {k: " ".join(cell_text(cells[i] if i < len(cells) else "").split()) for k, i in indexes.items()}
            if not any(values.values()):
                continue
            n = r + 1

            def bad(field_key: str, reason: str, *, _n: int = n, _values: dict[str, str] = values) -> None:
                plan.problems.append(Problem(_n, texts.get(field_key, labels[field_key]),
                                             _values.get(field_key, "")[:100], reason))

            row: dict[str, Any] = {"row": n}
            item = items.get(values.get("item", ""))
            if item is None:
                bad("item", "不认识的物资" + _close(values.get("item", ""), list(items)))
            measure = None
            if values.get("measure"):
                measure = measures.get(values["measure"])
                if measure is None:
                    bad("measure", "不认识的计量单位" + _close(values["measure"], list(measures)))
            if item is not None and (measure is not None or not values.get("measure")):
                try:
                    row["quantity"] = services.to_item_quantity(item, values.get("quantity", ""), measure)
                except ValidationError as exc:
                    bad("quantity", "；".join(exc.messages))
            row["item"] = item
            if kind == "donations":
                donor = donors.get(values.get("donor", ""))
                if donor is None:
                    bad("donor", "不认识的捐赠方：请先登记捐赠方" + _close(values.get("donor", ""), list(donors)))
                row["donor"] = donor
                row["received_by"] = values.get("received_by", "")[:60]
                row["note"] = values.get("note", "")[:200]
                if values.get("received_on"):
                    day, reason = date(cells[indexes["received_on"]])
                    if reason:
                        bad("received_on", reason)
                    elif day is not None and day > clock.today():
                        bad("received_on", "日期在今天之后")
                    row["received_on"] = day
            else:
                found = units.get(values.get("unit", ""), [])
                if len(found) == 1:
                    row["unit"] = found[0]
                elif found:
                    bad("unit", "有多个单位叫这个名字：请改填单位编码")
                else:
                    bad("unit", "在您的管辖范围内找不到这个单位" + _close(values.get("unit", ""), list(units)))
                row["reason"] = values.get("reason", "")[:200]
                if not row["reason"]:
                    bad("reason", "用途不能为空")
                if values.get("needed_by"):
                    day, reason = date(cells[indexes["needed_by"]])
                    if reason:
                        bad("needed_by", reason)
                    row["needed_by"] = day
            plan.rows.append(row)
    plan.problems.sort(key=lambda p: p.row)
    return plan


@transaction.atomic
def commit_list(plan: ListPlan, *, actor: Actor, store: Store | None = None, file_name: str = "") -> int:
    """Write a checked plan, all or nothing. Donations go into ``store``."""
    if not plan.ok:
        raise ValueError("a plan with problems cannot be committed")
    for row in plan.rows:
        try:
            if plan.kind == "donations":
                if store is None:
                    raise ValidationError("请选择入库的仓库")
                services.intake_record(actor=actor, store=store, item=row["item"], quantity=row["quantity"],
                                       donor=row["donor"], received_on=row.get("received_on"),
                                       received_by=row["received_by"] or str(actor), note=row["note"])
            else:
                services.need_raise(actor=actor, unit=row["unit"], item=row["item"], quantity=row["quantity"],
                                    needed_by=row.get("needed_by"), reason=row["reason"])
        except ValidationError as exc:
            raise ValidationError(f"第{row['row']}行：" + "；".join(exc.messages)) from exc
    audit_log(actor=actor, action=Action.CREATE, object_type="donations.import", object_repr=file_name or plan.kind,
              detail=f"kind={plan.kind} rows={len(plan.rows)} sha256={plan.sha256}")
    return len(plan.rows)
