"""Pairings (包保) from their own sheet (``fangkong import_pairings``): one row per department
and the community it is paired with, optionally since when. Each side is named by its name,
short name or code. All or nothing; a pairing that exists already is left as it is, so the same
file again changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import Actor
from fangkong.core.columnmap import Target, Vocabulary
from fangkong.core.mappings import place_columns
from fangkong.returnees.ledger.sniff import Limits
from fangkong.returnees.ledger.values import cell_text, make_date
from fangkong.returnees.ledger.worker import read_rows

from .choices import UnitKind
from .models import Pairing, Unit
from .tree_import import Problem, sha256_file

KIND = "orgs.pairings"
TARGETS = (
    Target("department", "包保单位", ("部门", "派出单位", "单位", "包保部门"), required=True),
    Target("community", "社区", ("包保社区", "联系社区", "对口社区"), required=True),
    Target("since", "包保日期", ("开始日期", "起始日期")),
)
VOCABULARY = Vocabulary(TARGETS, ignored=("序号", "编号", "备注", "街道", "所属街道", "联系人", "联系电话"))
HEADERS = {t.key: t.label for t in TARGETS}


@dataclass
class PairingPlan:
    sha256: str
    new: list[tuple[Unit, Unit, dt.date | None]] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def plan_pairings(path: Path, *, actor: Actor, mapping: Mapping[str, str] | None = None) -> PairingPlan:
    """Read and check a pairings file; nothing is written but a mapping the user gave."""
    from fangkong.core.scoping import scope_unit_ids, user_has_perm

    if not user_has_perm(actor, "orgs.change"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("您的角色不能修改组织架构。")
    plan = PairingPlan(sha256=sha256_file(path))
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    units: dict[str, dict[str, list[Unit]]] = {UnitKind.DEPARTMENT: {}, UnitKind.COMMUNITY: {}}
    for unit in Unit.objects.filter(kind__in=list(units), closed_on__isnull=True):
        if scope is not None and unit.pk not in scope:
            continue
        for text in {unit.code, unit.name, unit.short_name} - {""}:
            units[unit.kind].setdefault(text, []).append(unit)
    existing = set(Pairing.objects.values_list("department_id", "community_id"))
    seen: dict[tuple[int, int], int] = {}
    date = make_date(2020)
    with read_rows(path, Limits.from_settings(), header_rows=10, max_rows=20_000) as grid:
        head = list(itertools.islice(grid, 10))
        header = place_columns(
            [cells for _, cells in head], VOCABULARY, kind=KIND, labels=HEADERS, actor=actor, mapping=mapping,
            not_found="找不到表头：包保表需要列：包保单位（部门名称或编码）、社区；可选：包保日期。")
        indexes, texts = header.indexes, header.texts
        plan.not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        for r, cells in itertools.chain(head[header.data_start:], grid):
            values = {key: " ".join(cell_text(cells[i] if i < len(cells) else "").split()) for key, i in indexes.items()}
            if not any(values.values()):
                continue
            n = r + 1
            found: dict[str, Unit] = {}
            for key, kind, word in (("department", UnitKind.DEPARTMENT, "部门"), ("community", UnitKind.COMMUNITY, "社区")):
                matches = units[kind].get(values.get(key, ""), [])
                if len(matches) == 1:
                    found[key] = matches[0]
                else:
                    reason = (f"{HEADERS[key]}不能为空" if not values.get(key) else
                              f"有多个{word}叫这个名字：请改填编码" if matches else
                              f"在您的管辖范围内找不到这个{word}：请填写{word}的全称、简称或编码")
                    plan.problems.append(Problem(n, texts.get(key, HEADERS[key]), values.get(key, "")[:100], reason))
            since = None
            if values.get("since"):
                since, bad_date = date(cells[indexes["since"]])
                if bad_date:
                    plan.problems.append(Problem(n, texts["since"], values["since"][:100], bad_date))
            if len(found) < 2:
                continue
            pair = (found["department"].pk, found["community"].pk)
            if pair in seen:
                plan.problems.append(Problem(n, texts["community"], values["community"], f"与第{seen[pair]}行重复"))
                continue
            seen[pair] = n
            if pair in existing:
                plan.unchanged += 1
            else:
                plan.new.append((found["department"], found["community"], since))
    plan.problems.sort(key=lambda p: p.row)
    return plan


@transaction.atomic
def commit_pairings(plan: PairingPlan, *, actor: Actor, file_name: str = "") -> dict[str, int]:
    from .services import pairing_create

    if not plan.ok:
        raise ValueError("a plan with problems cannot be committed")
    for department, community, since in plan.new:
        pairing_create(actor=actor, department=department, community=community, since=since)
    counts = {"created": len(plan.new), "unchanged": plan.unchanged}
    audit_log(actor=actor, action=Action.CREATE, object_type="orgs.pairings", object_repr=file_name or "包保关系",
              detail=" ".join(f"{k}={v}" for k, v in counts.items()) + f" sha256={plan.sha256}")
    return counts
