"""Staff and cadres from the offices' own rosters (``fangkong import_people``).

The columns are placed by the shared mapping piece (core.columnmap), as for ledgers and
secondment lists: headers by meaning, an unknown column holding data refused with a suggestion
until it is mapped (``--map '职务=title'``) or skipped, and the mapping remembered for the header
set. A person is matched by ID number, and only within the importer's scope (the trust rules): a
number held by someone outside it is refused for that row and nothing of that person is shown.
An existing person is updated; a new unit is recorded as a move between units, dated by the
row's 调动日期 or the business day. All or nothing.
"""

from __future__ import annotations

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
from fangkong.core.idcard import id_digest, normalize_phone, parse_id_number
from fangkong.core.mappings import place_columns
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.orgs.tree_import import Problem, sha256_file
from fangkong.returnees.ledger.sniff import Limits
from fangkong.returnees.ledger.values import cell_text, make_date
from fangkong.returnees.ledger.worker import read_rows

from .choices import Position
from .models import Person

KIND = "people.roster"
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000
TARGETS = (
    Target("name", "姓名", ("人员姓名", "干部姓名", "职工姓名"), required=True),
    Target("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证", "证件号码"), required=True),
    Target("unit", "所在单位", ("单位", "工作单位", "单位名称", "部门", "所在部门", "科室"), required=True),
    Target("title", "职务", ("现任职务", "岗位", "职务名称", "职称")),
    Target("position", "职级", ("领导职务", "身份类别", "职位")),
    Target("phone", "联系电话", ("手机号码", "手机", "电话", "联系方式", "手机号")),
    Target("is_party_member", "是否党员", ("政治面貌", "党员")),
    Target("branch", "所在党支部", ("党支部", "所在支部", "党组织", "所在党组织")),
    Target("is_cadre", "是否干部", ("干部", "人员类别")),
    Target("moved_on", "调动日期", ("调入日期", "变动日期", "到岗日期")),
)
# Columns a roster often has that the platform derives (性别, 出生年份 from the ID number) or does not keep.
VOCABULARY = Vocabulary(TARGETS, ignored=("序号", "编号", "备注", "性别", "年龄", "出生日期", "出生年份", "民族", "学历"))
LABELS = {t.key: t.label for t in TARGETS}
YES = {"是", "y", "yes", "1", "√", "true", "中共党员", "党员", "中共预备党员", "预备党员", "干部"}
NO = {"", "否", "n", "no", "0", "false", "群众", "共青团员", "民主党派", "无党派人士", "职工", "工人"}
POSITIONS = {"正职": Position.HEAD, "主要负责人": Position.HEAD, "局长": Position.HEAD, "主任": Position.HEAD,
             "书记": Position.HEAD, "副职": Position.DEPUTY, "副局长": Position.DEPUTY, "副主任": Position.DEPUTY,
             "副书记": Position.DEPUTY, "一般干部": Position.STAFF, "科员": Position.STAFF, "工作人员": Position.STAFF,
             "一般": Position.STAFF}


@dataclass
class PeoplePlan:
    sha256: str
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[Person, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    fingerprint: str = ""
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        moves = sum(1 for _p, c in self.updates if "unit" in c)
        return {"rows": len(self.creates) + len(self.updates) + self.unchanged, "created": len(self.creates),
                "updated": len(self.updates), "moved": moves, "unchanged": self.unchanged}


def _flag(text: str) -> bool | None:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


def plan_people(path: Path, *, actor: Actor, mapping: Mapping[str, str] | None = None) -> PeoplePlan:
    """Read and check a roster; nothing is written but a mapping the user gave (remembered for the
    header set). MappingNeeded when a column must be placed first."""
    if not user_has_perm(actor, "people.change"):
        raise PermissionDenied("您的角色不能修改人员信息。")
    plan = PeoplePlan(sha256=sha256_file(path))
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    in_scope = None if scope is None else set(scope)
    names: dict[str, list[Unit]] = {}
    for unit in Unit.objects.filter(closed_on__isnull=True):
        if in_scope is not None and unit.pk not in in_scope:
            continue
        for text in {unit.code, unit.name, unit.short_name} - {""}:
            names.setdefault(text, []).append(unit)
    date = make_date(clock.today().year)
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    with read_rows(path, Limits.from_settings(), header_rows=HEADER_SEARCH_ROWS, max_rows=MAX_ROWS) as grid:
        head = list(itertools.islice(grid, HEADER_SEARCH_ROWS))
        header = place_columns(
            [cells for _, cells in head], VOCABULARY, kind=KIND, labels=LABELS, actor=actor, mapping=mapping,
            search_rows=HEADER_SEARCH_ROWS,
            not_found="找不到表头：前10行中没有一行包含名册的列名（如“姓名”“身份证号码”“所在单位”）。")
        plan.fingerprint = header.fingerprint
        plan.not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        indexes, texts = header.indexes, header.texts
        for r, cells in itertools.chain(head[header.data_start:], grid):
            values = {k: " ".join(cell_text(cells[i] if i < len(cells) else "").split()) for k, i in indexes.items()}
            if not any(values.values()):
                continue
            n = r + 1

            def bad(key: str, reason: str, *, _n: int = n, _values: dict[str, str] = values) -> None:
                plan.problems.append(Problem(_n, texts.get(key, LABELS[key]), _values.get(key, "")[:100], reason))

            row: dict[str, Any] = {"row": n, "name": values.get("name", "")[:60]}
            if not row["name"]:
                bad("name", "姓名不能为空")
            try:
                info = parse_id_number(values.get("id_number", ""))
                row["id_number"] = info.number
            except ValidationError as exc:
                bad("id_number", "；".join(exc.messages))
                info = None
            if info is not None:
                if info.number in seen:
                    bad("id_number", f"与第{seen[info.number]}行是同一个身份证号码")
                seen[info.number] = n
            for key, kind in (("unit", None), ("branch", UnitKind.BRANCH)):
                text = values.get(key, "")
                if not text:
                    if key == "unit":
                        bad("unit", "所在单位不能为空")
                    continue
                found = [u for u in names.get(text, []) if kind is None or u.kind == kind]
                if len(found) > 1 and key == "branch" and isinstance(row.get("unit"), Unit):
                    # 第一党支部 exists in many departments: the one under the person's unit.
                    below = set(UnitLink.objects.filter(ancestor=row["unit"], descendant__in=found)
                                .values_list("descendant_id", flat=True))
                    found = [u for u in found if u.pk in below] or found
                if len(found) == 1:
                    row[key] = found[0]
                elif found:
                    bad(key, "有多个单位叫这个名字：请改填单位编码")
                else:
                    bad(key, "在您的管辖范围内找不到这个" + ("党支部" if kind else "单位") + "：请填写全称、简称或编码")
            if values.get("phone"):
                try:
                    row["phone"] = normalize_phone(values["phone"])
                except ValidationError as exc:
                    bad("phone", "；".join(exc.messages))
            if values.get("title"):
                row["title"] = values["title"][:60]
            if values.get("position"):
                position = POSITIONS.get(values["position"])
                if position is None:
                    bad("position", "不认识的职级；可填：正职、副职、一般干部")
                else:
                    row["position"] = position
            for key in ("is_party_member", "is_cadre"):
                if key in values:
                    flag = _flag(values[key])
                    if flag is None:
                        bad(key, "请填“是”或“否”（政治面貌可填“中共党员”“群众”等）")
                    else:
                        row[key] = flag
            if values.get("moved_on"):
                moved, reason = date(cells[indexes["moved_on"]])
                if reason:
                    bad("moved_on", reason)
                row["moved_on"] = moved
            rows.append(row)
    known = {p.id_digest: p for p in Person.objects.filter(
        id_digest__in=[id_digest(r["id_number"]) for r in rows if "id_number" in r])}
    editable = set(Person.objects.editable_by(actor).filter(pk__in=[p.pk for p in known.values()])
                   .values_list("pk", flat=True))
    for row in rows:
        if "id_number" not in row:
            continue
        person = known.get(id_digest(row["id_number"]))
        if person is None:
            plan.creates.append(row)
            continue
        if person.pk not in editable:
            # The trust rule: a match outside the importer's scope is neither shown nor changed.
            plan.problems.append(Problem(row["row"], LABELS["id_number"], "",
                                         "此身份证号码已登记在您管辖范围以外的单位：不能在此导入，请联系工委办公室调整"))
            continue
        changes = {k: v for k, v in row.items() if k in ("name", "unit", "branch", "phone", "title", "position",
                                                          "is_party_member", "is_cadre")
                   and _differs(person, k, v)}
        if changes:
            changes["moved_on"] = row.get("moved_on")
            plan.updates.append((person, changes))
        else:
            plan.unchanged += 1
    plan.problems.sort(key=lambda p: p.row)
    return plan


def _differs(person: Person, key: str, value: Any) -> bool:
    if key in ("unit", "branch"):
        return getattr(person, f"{key}_id") != (value.pk if value else None)
    if key == "phone":
        return person.phone != value  # type: ignore[attr-defined]
    return bool(getattr(person, key) != value)


@transaction.atomic
def commit_people(plan: PeoplePlan, *, actor: Actor, file_name: str = "") -> dict[str, int]:
    from .services import person_create, person_update

    if not plan.ok:
        raise ValueError("a plan with problems cannot be committed")
    for row in plan.creates:
        data = {k: v for k, v in row.items() if k not in ("row", "moved_on")}
        try:
            person_create(actor=actor, audit=False, **data)
        except ValidationError as exc:
            raise ValidationError(f"第{row['row']}行：" + "；".join(exc.messages)) from exc
    for person, changes in plan.updates:
        fields = dict(changes)
        moved_on = fields.pop("moved_on", None)
        person_update(actor=actor, person=person, moved_on=moved_on, **fields)
    counts = plan.counts()
    audit_log(actor=actor, action=Action.CREATE, object_type="people.import", object_repr=file_name or "人员名册",
              detail=" ".join(f"{k}={v}" for k, v in counts.items()) + f" sha256={plan.sha256}")
    return counts

