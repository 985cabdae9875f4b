"""The organisation tree from a city's own spreadsheet (``fangkong import_tree``).

One row per unit: name, short name, kind, parent (by name or code), code, opened date, contact
phone and address. The file is read in the ledger's limited child process and checked whole
before anything is written: every problem is listed by row, column, value and a Chinese reason
with a suggestion (an unknown kind, an unknown or ambiguous parent, a cycle, a kind that cannot
sit under its parent, two units with one code, two units of one name under one parent), and a
file with any problem writes nothing.

A unit is identified by its code; a row without a code by its name under its parent. Importing
the same file again changes nothing; a later version updates the units by code (name, short
name, contact, address, opened date, parent). ``close_missing`` closes, as of a date, every open
unit below the city that the file no longer lists; nothing is ever deleted, so its history stays.

The party organisations' long official names are understood: a row
"中共白岭市民政局机关委员会" without a parent is placed under the department whose name it
contains, and its kind is read from the name when the kind column is empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.actors import Actor
from fangkong.core.columnmap import Target, Vocabulary, normalize_header
from fangkong.core.mappings import place_columns
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.returnees.ledger.sniff import Limits
from fangkong.returnees.ledger.values import cell_text, make_date
from fangkong.returnees.ledger.worker import read_rows

from .choices import ALLOWED_PARENTS, UnitKind
from .models import Unit, UnitLink

K = UnitKind
HEADER_SEARCH_ROWS = 10
MAX_ROWS = 50_000


KIND = "orgs.tree"
TARGETS = (
    Target("code", "编码", ("单位编码", "代码", "单位代码", "组织编码")),
    Target("name", "名称", ("单位名称", "组织名称", "全称", "单位全称", "党组织名称"), required=True),
    Target("short_name", "简称", ("单位简称",)),
    Target("kind", "类型", ("单位类型", "组织类型", "类别", "层级")),
    Target("parent", "上级", ("上级单位", "上级组织", "上级党组织", "所属单位", "隶属", "上级编码")),
    Target("opened_on", "成立日期", ("设立日期", "成立时间", "启用日期")),
    Target("contact_phone", "联系电话", ("电话", "办公电话", "联系方式")),
    Target("address", "地址", ("办公地址", "单位地址", "所在地址")),
    Target("closed_on", "撤销日期", ("关闭日期", "撤销时间", "停用日期")),
)
# Columns an office's tree often has that the platform does not keep: listed as not imported.
VOCABULARY = Vocabulary(TARGETS, ignored=("序号", "编号", "备注", "状态", "负责人", "联系人"))
LABELS = {t.key: t.label for t in TARGETS}
KIND_WORDS: dict[str, str] = {
    "市": K.CITY, "城市": K.CITY, "市级": K.CITY,
    "工委": K.WORKING_COMMITTEE, "机关工委": K.WORKING_COMMITTEE, "工作委员会": K.WORKING_COMMITTEE,
    "部门": K.DEPARTMENT, "市直部门": K.DEPARTMENT, "机关": K.DEPARTMENT, "单位": K.DEPARTMENT,
    "机关党委": K.PARTY_COMMITTEE, "党委": K.PARTY_COMMITTEE, "党组": K.PARTY_COMMITTEE,
    "党总支": K.GENERAL_BRANCH, "总支": K.GENERAL_BRANCH, "党总支部": K.GENERAL_BRANCH,
    "党支部": K.BRANCH, "支部": K.BRANCH,
    "协调机构": K.COORDINATING_BODY, "牵头单位": K.COORDINATING_BODY, "协调单位": K.COORDINATING_BODY,
    "行业单位": K.INDUSTRY_UNIT, "行业": K.INDUSTRY_UNIT, "企业": K.INDUSTRY_UNIT,
    "街道": K.STREET, "乡镇": K.STREET, "街道办": K.STREET,
    "社区": K.COMMUNITY, "村": K.COMMUNITY, "居委会": K.COMMUNITY,
    "卡点": K.CHECKPOINT, "卡口": K.CHECKPOINT, "检查站": K.CHECKPOINT, "值守点": K.CHECKPOINT,
}
for _kind in UnitKind:
    KIND_WORDS.setdefault(str(_kind.label), _kind.value)
    KIND_WORDS.setdefault(_kind.value, _kind.value)
# The word each kind is written with in the city's own files (and in the export).
KIND_LABELS: dict[str, str] = {
    K.CITY: "市", K.WORKING_COMMITTEE: "工委", K.DEPARTMENT: "部门", K.PARTY_COMMITTEE: "机关党委",
    K.GENERAL_BRANCH: "党总支", K.BRANCH: "党支部", K.COORDINATING_BODY: "协调机构", K.INDUSTRY_UNIT: "行业单位",
    K.STREET: "街道", K.COMMUNITY: "社区", K.CHECKPOINT: "卡点",
}
KIND_CHOICES = "、".join(["部门", "机关党委", "党总支", "党支部", "协调机构", "行业单位", "街道", "社区", "卡点"])
# Kind from a party organisation's official name (checked in this order).
_PARTY_NAME_KINDS = (
    (re.compile(r"总支部委员会$|党总支$|总支$"), K.GENERAL_BRANCH),
    (re.compile(r"支部委员会$|党支部$|支部$"), K.BRANCH),
    (re.compile(r"^中共.+(机关委员会|委员会)$|机关党委$|党委$"), K.PARTY_COMMITTEE),
)
# The words around a department's name in its party organisation's official name.
_PARTY_AFFIXES = re.compile(r"^中共|^中国共产党|(机关)?(党)?委员会$|机关党委$|党委$|党总支$|总支部委员会$")


@dataclass
class Problem:
    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Row:
    row: int
    code: str
    name: str
    short_name: str
    kind: str
    parent: str
    opened_on: dt.date | None
    contact_phone: str
    address: str
    closed_on: dt.date | None = None
    parent_key: str | None = None  # resolved: the parent's key ("c:CODE" / "u:ID" / "n:row")


@dataclass
class TreePlan:
    """What an import would do: the rows in order (parents first), the units it creates, updates
    and closes, the problems, and the file's hash. ``ok`` when there is no problem."""

    sha256: str
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    creates: list[Row] = field(default_factory=list)
    updates: list[tuple[Unit, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    closes: list[Unit] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)  # columns of the file not kept, by letter and header

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {"rows": len(self.rows), "created": len(self.creates), "updated": len(self.updates),
                "unchanged": self.unchanged, "closed": len(self.closes)}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_KIND_LOOKUP = {normalize_header(label): kind for label, kind in KIND_WORDS.items()}


def _kind_of(text: str, name: str) -> str | None:
    if text:
        return _KIND_LOOKUP.get(normalize_header(text))
    for pattern, kind in _PARTY_NAME_KINDS:
        if pattern.search(name):
            return kind
    return None


def read_tree_file(
    path: Path, *, actor: Actor, mapping: Mapping[str, str] | None = None,
) -> tuple[list[Row], list[Problem], dict[str, str], list[str]]:
    """The rows of a tree file, the problems of single cells, each field's header as written and
    the columns not imported. MappingNeeded when a column must be placed first (core.columnmap)."""
    limits = Limits.from_settings()
    date = make_date(clock.today().year)  # the year a bare "2月1日" falls in
    rows: list[Row] = []
    problems: list[Problem] = []
    with read_rows(path, limits, header_rows=HEADER_SEARCH_ROWS, max_rows=MAX_ROWS) as grid:
        head = list(itertools.islice(grid, HEADER_SEARCH_ROWS))
        header = place_columns(
            [cells for _, cells in head], VOCABULARY, kind=KIND, labels=LABELS, actor=actor, mapping=mapping,
            search_rows=HEADER_SEARCH_ROWS,
            not_found="找不到表头：前10行中没有一行包含“名称”列。组织架构表需要列：名称、类型、上级、编码"
                      "（可选：简称、成立日期、联系电话、地址）。")
        indexes, texts = header.indexes, header.texts
        not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        for r, cells in itertools.chain(head[header.data_start:], grid):
            raw = {key: cells[i] if i < len(cells) else "" for key, i in indexes.items()}
            values = {key: " ".join(cell_text(v).split()) for key, v in raw.items()}
            if not any(values.values()):
                continue
            n = r + 1

            def bad(key: str, reason: str, *, _n: int = n, _values: dict[str, str] = values) -> None:
                problems.append(Problem(_n, texts.get(key, LABELS[key]), _values.get(key, "")[:100], reason))

            name = values.get("name", "")
            if not name:
                bad("name", "名称不能为空")
            elif len(name) > 100:
                bad("name", "名称超过100个字")
            code = values.get("code", "")
            if code.endswith(".0") and code[:-2].isdigit():
                code = code[:-2]  # a numeric code Excel stored as a number
            if len(code) > 32:
                bad("code", "编码超过32个字符")
            kind = _kind_of(values.get("kind", ""), name)
            if kind is None:
                if values.get("kind"):
                    bad("kind", f"不认识的类型；可填：{KIND_CHOICES}")
                else:
                    bad("kind", f"类型不能为空（名称看不出类型）；可填：{KIND_CHOICES}")
            opened: dt.date | None = None
            if values.get("opened_on"):
                opened, reason = date(raw["opened_on"])
                if reason:
                    bad("opened_on", reason)
            closed: dt.date | None = None
            if values.get("closed_on"):
                closed, reason = date(raw["closed_on"])
                if reason:
                    bad("closed_on", reason)
                elif opened and closed and closed < opened:
                    bad("closed_on", "撤销日期早于成立日期")
            rows.append(Row(
                row=n, code=code, name=name, short_name=values.get("short_name", "")[:40], kind=kind or "",
                parent=values.get("parent", ""), opened_on=opened,
                contact_phone=values.get("contact_phone", "")[:32], address=values.get("address", "")[:200],
                closed_on=closed,
            ))
    return rows, problems, texts, not_imported


def _department_in_name(name: str, departments: dict[str, list[str]]) -> list[str]:
    """Keys of the department a party organisation's official name names: the one whose name
    (or short name) is the official name without its party words, else the longest name it contains."""
    core = _PARTY_AFFIXES.sub("", name)
    exact = departments.get(core)
    if exact:
        return sorted(set(exact))
    contained = [dept for dept in departments if len(dept) >= 3 and dept in name]
    if not contained:
        return []
    longest = max(len(d) for d in contained)
    return sorted({key for dept in contained if len(dept) == longest for key in departments[dept]})


def plan_tree(
    path: Path, *, actor: Actor, close_missing: dt.date | None = None, mapping: Mapping[str, str] | None = None,
) -> TreePlan:
    """Read and check a tree file against the database; nothing is written but a mapping the user
    gave (remembered for the header set). MappingNeeded when a column must be placed first."""
    if not user_has_perm(actor, "orgs.change"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("您的角色不能修改组织架构。")
    plan = TreePlan(sha256=sha256_file(path))
    rows, problems, texts, plan.not_imported = read_tree_file(path, actor=actor, mapping=mapping)
    plan.rows, plan.problems = rows, problems

    def col(key: str) -> str:
        return texts.get(key, LABELS[key])

    existing = {u.code: u for u in Unit.objects.all()}
    by_id = {u.pk: u for u in existing.values()}
    file_codes: dict[str, Row] = {}
    for row in rows:
        if row.code:
            if row.code in file_codes:
                plan.problems.append(Problem(row.row, col("code"), row.code,
                                             f"编码与第{file_codes[row.code].row}行重复：一个编码只能对应一个单位"))
            else:
                file_codes[row.code] = row

    # Keys: an existing unit "u:<id>", a new row "n:<row>".
    def key_of_row(row: Row) -> str:
        unit = existing.get(row.code) if row.code else None
        return f"u:{unit.pk}" if unit else f"n:{row.row}"

    names: dict[str, list[str]] = defaultdict(list)
    short: dict[str, list[str]] = defaultdict(list)
    for unit in existing.values():
        names[unit.name].append(f"u:{unit.pk}")
        if unit.short_name:
            short[unit.short_name].append(f"u:{unit.pk}")
    row_keys = {row.row: key_of_row(row) for row in rows}
    for row in rows:
        key = row_keys[row.row]
        if key.startswith("n:"):
            names[row.name].append(key)
            if row.short_name:
                short[row.short_name].append(key)
        elif by_id[int(key[2:])].name != row.name:
            names[row.name].append(key)
    codes = {code: f"u:{u.pk}" for code, u in existing.items()}
    codes.update({code: row_keys[r.row] for code, r in file_codes.items()})
    kinds = {f"u:{u.pk}": u.kind for u in existing.values()}
    kinds.update({row_keys[r.row]: r.kind for r in rows})
    departments: dict[str, list[str]] = defaultdict(list)
    row_by_key = {row_keys[r.row]: r for r in rows}
    for key, kind in kinds.items():
        if kind in (K.DEPARTMENT, K.INDUSTRY_UNIT):
            source = row_by_key.get(key) or by_id[int(key[2:])]
            for text in (source.name, source.short_name):
                if text:
                    departments[text].append(key)

    root = next((u for u in existing.values() if u.parent_id is None and u.kind == K.CITY), None)
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    in_scope = None if scope is None else set(scope)

    def outside(key: str | None) -> bool:
        """An existing unit the actor may not change (a new row is judged by its parent)."""
        return in_scope is not None and key is not None and key.startswith("u:") and int(key[2:]) not in in_scope

    parents: dict[str, str | None] = {}
    for row in rows:
        key = row_keys[row.row]
        target: list[str] = []
        if row.parent:
            target = [codes[row.parent]] if row.parent in codes else sorted(set(names.get(row.parent, []))) or sorted(
                set(short.get(row.parent, [])))
            target = [t for t in target if t != key]
            if not target:
                plan.problems.append(Problem(row.row, col("parent"), row.parent,
                                             "找不到这个上级单位：它既不在文件中，也不在系统中；请填写上级的全称或编码"))
                continue
            if len(target) > 1:
                plan.problems.append(Problem(row.row, col("parent"), row.parent,
                                             "有多个单位叫这个名字：请改填上级的编码"))
                continue
        elif row.kind in (K.PARTY_COMMITTEE, K.GENERAL_BRANCH) and (found := _department_in_name(row.name, departments)):
            if len(found) > 1:
                plan.problems.append(Problem(row.row, col("parent"), "",
                                             "名称中能看出多个部门：请填写上级单位"))
                continue
            target = found
        elif row.kind == K.CITY:
            target = []
        elif row.kind in (K.WORKING_COMMITTEE, K.STREET) and root is not None:
            target = [f"u:{root.pk}"]
        else:
            plan.problems.append(Problem(row.row, col("parent"), "",
                                         "上级不能为空：请填写上级单位的全称或编码"))
            continue
        parent = target[0] if target else None
        if outside(parent) or outside(key):
            # The same answer whether or not such a unit exists: nothing outside the scope is shown.
            plan.problems.append(Problem(row.row, col("parent"), row.parent,
                                         "上级单位或本单位不在您的管辖范围内：只能导入您管辖范围内的单位"))
            continue
        if parent is None and row.kind != K.CITY:
            plan.problems.append(Problem(row.row, col("parent"), row.parent, "上级不能为空"))
            continue
        parents[key] = parent
        row.parent_key = parent

    # Cycles: follow each row's parents through the file; a walk that comes back is a cycle.
    state: dict[str, int] = {}
    new_parent = {row_keys[r.row]: r.parent_key for r in rows if r.parent_key is not None}
    row_of_key = {row_keys[r.row]: r for r in rows}
    for start in new_parent:
        path_keys: list[str] = []
        walk: str | None = start
        while walk is not None and walk in new_parent and state.get(walk) is None:
            state[walk] = 1
            path_keys.append(walk)
            walk = new_parent[walk]
        if walk is not None and state.get(walk) == 1:
            loop = path_keys[path_keys.index(walk):] if walk in path_keys else [walk]
            first = row_of_key[loop[0]]
            plan.problems.append(Problem(first.row, col("parent"), first.parent,
                                         "上级关系成环：" + " → ".join(row_of_key[k].name for k in [*loop, loop[0]])))
        for k in path_keys:
            state[k] = 2

    # The tree's grammar, for rows not already in a cycle.
    in_cycle = {p.row for p in plan.problems if p.reason.startswith("上级关系成环")}
    for row in rows:
        parent = row.parent_key
        if parent is None or row.row in in_cycle or not row.kind or not kinds.get(parent):
            continue
        if kinds[parent] not in ALLOWED_PARENTS.get(row.kind, set()):
            allowed = "、".join(str(UnitKind(k).label) for k in ALLOWED_PARENTS.get(row.kind, set())) or "无"
            plan.problems.append(Problem(
                row.row, col("parent"), row.parent,
                f"{UnitKind(row.kind).label}不能放在{UnitKind(kinds[parent]).label}之下；它的上级应是：{allowed}"))

    # Two units of one name under one parent.
    siblings: dict[tuple[str | None, str], list[Row]] = defaultdict(list)
    for row in rows:
        if row.row in row_keys and row_keys[row.row] in parents:
            siblings[(parents[row_keys[row.row]], row.name)].append(row)
    existing_children: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for unit in existing.values():
        existing_children[(f"u:{unit.parent_id}" if unit.parent_id else None, unit.name)].add(f"u:{unit.pk}")
    listed_keys = set(row_keys.values())
    for (parent, name), group in siblings.items():
        keys = {row_keys[r.row] for r in group} | {
            k for k in existing_children.get((parent, name), set()) if k not in listed_keys}
        if len(group) > 1 or len(keys) > 1:
            first = group[0]
            plan.problems.append(Problem(group[-1].row, col("name"), name,
                                         f"同一上级下已有同名单位（第{first.row}行或系统中）：请核对是否重复"))
    if plan.problems:
        plan.problems.sort(key=lambda p: p.row)
        return plan

    # Order: parents first.
    depth: dict[str, int] = {}

    def depth_of(key: str) -> int:
        if key in depth:
            return depth[key]
        parent = new_parent.get(key)
        depth[key] = 0 if parent is None or (parent.startswith("u:") and parent not in new_parent) else depth_of(parent) + 1
        return depth[key]

    plan.rows = sorted(rows, key=lambda r: depth_of(row_keys[r.row]))
    listed: set[int] = set()
    for row in plan.rows:
        key = row_keys[row.row]
        if key.startswith("n:"):
            # A row without a code that names an existing unit under the same parent is that unit.
            same = existing_children.get((row.parent_key, row.name), set()) if not row.code else set()
            if len(same) == 1:
                unit = by_id[int(next(iter(same))[2:])]
                listed.add(unit.pk)
                _update(plan, unit, row, col)
                continue
            plan.creates.append(row)
            continue
        unit = by_id[int(key[2:])]
        listed.add(unit.pk)
        _update(plan, unit, row, col)
    if close_missing is not None:
        plan.closes = [u for u in existing.values()
                       if u.pk not in listed and u.parent_id is not None and u.closed_on is None
                       and u.kind != K.WORKING_COMMITTEE and not outside(f"u:{u.pk}")]
    return plan


def _update(plan: TreePlan, unit: Unit, row: Row, col: Any) -> None:
    changes: dict[str, Any] = {}
    if unit.kind != row.kind:
        plan.problems.append(Problem(row.row, col("kind"), str(UnitKind(row.kind).label),
                                     f"编码{unit.code}在系统中是{UnitKind(unit.kind).label}，类型不能改"))
        return
    wanted = {"name": row.name, "short_name": row.short_name, "contact_phone": row.contact_phone,
              "address": row.address}
    for name, value in wanted.items():
        if value and getattr(unit, name) != value:
            changes[name] = value
    if row.opened_on and unit.opened_on != row.opened_on:
        changes["opened_on"] = row.opened_on
    if row.closed_on and unit.closed_on != row.closed_on:
        changes["closed_on"] = row.closed_on
    parent_id = int(row.parent_key[2:]) if row.parent_key and row.parent_key.startswith("u:") else None
    if row.parent_key and (parent_id is None or parent_id != unit.parent_id):
        changes["parent_key"] = row.parent_key
    if changes:
        plan.updates.append((unit, changes))
    else:
        plan.unchanged += 1


def _new_code(row: Row, parent: Unit, taken: set[str]) -> str:
    base = parent.code
    for n in itertools.count(1):
        code = f"{base}-{n:02d}"[:32]
        if code not in taken:
            taken.add(code)
            return code
    raise AssertionError


@transaction.atomic
def commit_tree(plan: TreePlan, *, actor: Actor, close_on: dt.date | None = None, file_name: str = "") -> dict[str, int]:
    """Write a checked plan: every unit or none. Units are created in bulk, parents first, with
    their closure links; updates and moves go through the tree's own service."""
    from .services import unit_update

    if not plan.ok:
        raise ValueError("a plan with problems cannot be committed")
    made: dict[str, Unit] = {}
    taken = set(Unit.objects.values_list("code", flat=True))

    def resolve(key: str) -> Unit:
        if key not in made:
            made[key] = Unit.objects.get(pk=int(key[2:]))  # an existing unit, read once
        return made[key]

    ancestors: dict[int, list[tuple[int, int]]] = {}

    def links_of(unit_id: int) -> list[tuple[int, int]]:
        if unit_id not in ancestors:
            ancestors[unit_id] = list(UnitLink.objects.filter(descendant_id=unit_id).values_list("ancestor_id", "depth"))
        return ancestors[unit_id]

    # Batches in tree order: a new row goes one batch after its parent when that parent is new too
    # (plan.creates is ordered parents first).
    levels: dict[str, int] = {}
    by_level: dict[int, list[Row]] = defaultdict(list)
    for row in plan.creates:
        above = row.parent_key
        level = levels.get(above, -1) + 1 if above and above.startswith("n:") else 0
        levels[f"n:{row.row}"] = level
        by_level[level].append(row)
    for level in sorted(by_level):
        batch = []
        for row in by_level[level]:
            parent = resolve(row.parent_key) if row.parent_key else None
            code = row.code or _new_code(row, parent, taken) if parent is not None else row.code or "C0"
            batch.append((row, Unit(code=code, name=row.name, short_name=row.short_name, kind=row.kind, parent=parent,
                                    level=(parent.level + 1) if parent else 0, opened_on=row.opened_on, closed_on=row.closed_on,
                                    contact_phone=row.contact_phone, address=row.address)))
        created = Unit.objects.bulk_create([u for _, u in batch])
        links: list[tuple[int, int, int]] = []
        for (row, _), unit in zip(batch, created, strict=True):
            made[f"n:{row.row}"] = unit
            chain = [(unit.pk, 0)]
            if unit.parent_id:
                chain += [(a, d + 1) for a, d in links_of(unit.parent_id)]
            ancestors[unit.pk] = chain
            links += [(a, unit.pk, d) for a, d in chain]
        _insert_links(links)
    for unit, changes in plan.updates:
        fields = dict(changes)
        if "parent_key" in fields:
            fields["parent"] = resolve(fields.pop("parent_key"))
        unit_update(actor=actor, unit=unit, **fields)
    for unit in plan.closes:
        closed = close_on or dt.date.min
        unit_update(actor=actor, unit=unit, closed_on=max(closed, unit.opened_on or closed))
    counts = plan.counts()
    audit_log(actor=actor, action=Action.CREATE, object_type="orgs.tree", object_repr=file_name or "组织架构",
              detail=" ".join(f"{k}={v}" for k, v in counts.items()) + f" sha256={plan.sha256}")
    return counts


def _insert_links(links: list[tuple[int, int, int]]) -> None:
    """The closure rows of new units, as one prepared statement run over all of them (the same
    rows ``unit_create`` writes one unit at a time; the table's constraints check them)."""
    from django.db import connection

    table = connection.ops.quote_name(UnitLink._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(links), 10_000):
            cursor.executemany(
                f"INSERT INTO {table} (ancestor_id, descendant_id, depth) VALUES (%s, %s, %s)",
                links[start:start + 10_000],
            )


EXPORT_HEADERS = ["序号", "单位名称", "简称", "类型", "上级单位", "编码", "成立日期", "联系电话", "地址", "撤销日期"]


def export_tree(units: Any) -> tuple[bytes, int]:
    """The tree in the import's own layout (parents by code), so that it can be edited in Excel and
    imported again: an unedited export imports as "unchanged" row for row."""
    from fangkong.core.excel import write_xlsx

    ordered = sorted(units.select_related("parent"), key=lambda u: (u.level, u.code))
    rows = (
        [n, u.name, u.short_name, KIND_LABELS[u.kind], u.parent.code if u.parent else "", u.code,
         u.opened_on.isoformat() if u.opened_on else "", u.contact_phone, u.address,
         u.closed_on.isoformat() if u.closed_on else ""]
        for n, u in enumerate(ordered, start=1)
    )
    return write_xlsx(EXPORT_HEADERS, rows, sheet="组织架构")
