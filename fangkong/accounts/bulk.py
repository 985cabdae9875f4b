"""Accounts in bulk (``fangkong import_accounts``): one row per person with a role and the unit
of their scope, a username made by rule, a one-time password printed on an account slip.

The file is checked whole before anything is written (all or nothing): an unknown role or unit,
a unit outside the importer's scope, a role above the importer's own, a username taken by
someone else, two rows for one username. The security administrator's separation of duties
holds: the grant checks of ``services.user_create`` run for every row.

Running the same file again changes nothing: a row whose account exists (same username, same
name) is left as it is, its password untouched, unless the row asks for a new password
(重置密码 = 是): then it gets a new one-time password and must change it again.

The one-time passwords exist only in memory: they are returned with the result for the slips and
never stored in clear.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from pypinyin import lazy_pinyin

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import Actor, is_system
from fangkong.core.columnmap import Target, Vocabulary, normalize_header
from fangkong.core.mappings import place_columns
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.orgs.models import Unit
from fangkong.orgs.tree_import import Problem, sha256_file
from fangkong.returnees.ledger.sniff import Limits
from fangkong.returnees.ledger.values import cell_text
from fangkong.returnees.ledger.worker import read_rows

from .models import User, UserScope
from .roles import RANK, Role

HEADER_SEARCH_ROWS = 10
MAX_ROWS = 20_000
ONE_TIME_HASHER = "pbkdf2_onetime"

KIND = "accounts"
TARGETS = (
    Target("full_name", "姓名", ("用户姓名", "人员姓名"), required=True),
    Target("unit", "单位", ("所在单位", "工作单位", "单位名称", "管辖范围", "负责单位", "范围", "单位编码"), required=True),
    Target("role", "角色", ("账号角色", "岗位", "职责", "权限"), required=True),
    Target("username", "用户名", ("账号", "登录名")),
    Target("reset", "重置密码", ("重新发放密码",)),
)
# 状态 is the export's 启用/停用 column: an account is switched off on its page, not by a file.
VOCABULARY = Vocabulary(TARGETS, ignored=("序号", "编号", "备注", "状态", "联系电话", "手机号码", "职务"))
HEADERS = {t.key: t.label for t in TARGETS}
ROLE_WORDS: dict[str, str] = {
    "系统管理员": Role.SYSTEM_ADMIN, "安全管理员": Role.SECURITY_ADMIN, "安全审计员": Role.AUDITOR, "审计员": Role.AUDITOR,
    "工委办公室": Role.COMMITTEE_OFFICE, "办公室": Role.COMMITTEE_OFFICE,
    "单位联络员": Role.UNIT_LIAISON, "联络员": Role.UNIT_LIAISON,
    "支部书记": Role.BRANCH_SECRETARY, "党支部书记": Role.BRANCH_SECRETARY, "书记": Role.BRANCH_SECRETARY,
    "街道/社区工作人员": Role.COMMUNITY_STAFF, "社区工作人员": Role.COMMUNITY_STAFF, "街道工作人员": Role.COMMUNITY_STAFF,
    "社区": Role.COMMUNITY_STAFF, "街道": Role.COMMUNITY_STAFF, "网格员": Role.COMMUNITY_STAFF,
    "卡点工作人员": Role.CHECKPOINT_STAFF, "卡点": Role.CHECKPOINT_STAFF, "卡口值守": Role.CHECKPOINT_STAFF,
    "督查组": Role.INSPECTION_GROUP, "督查": Role.INSPECTION_GROUP,
    "纪检部门": Role.DISCIPLINE_OFFICE, "纪检": Role.DISCIPLINE_OFFICE, "纪委": Role.DISCIPLINE_OFFICE,
}
ROLE_WORDS.update({normalize_header(k): v for k, v in list(ROLE_WORDS.items())})
ROLE_CHOICES = "单位联络员、支部书记、社区工作人员、卡点工作人员、工委办公室、督查组、纪检部门"
YES = {"是", "y", "yes", "1", "true", "√", "重置"}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,148}$")


@dataclass
class AccountRow:
    row: int
    full_name: str
    unit: Unit | None
    role: str
    username: str
    reset: bool
    existing: User | None = None

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""


@dataclass
class Slip:
    username: str
    full_name: str
    unit: str
    unit_code: str
    role: str
    password: str


@dataclass
class AccountPlan:
    sha256: str
    rows: list[AccountRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        new = sum(1 for r in self.rows if r.existing is None)
        reset = sum(1 for r in self.rows if r.existing is not None and r.reset)
        return {"rows": len(self.rows), "created": new, "reset": reset, "unchanged": len(self.rows) - new - reset}


def username_base(full_name: str, unit_code: str) -> str:
    """The rule: the name's pinyin, a dot, the unit's code (lower case, letters and digits)."""
    spelled = "".join(lazy_pinyin(full_name, errors="ignore")).lower()
    spelled = re.sub(r"[^a-z0-9]", "", spelled) or "user"
    code = re.sub(r"[^a-z0-9]", "", unit_code.lower()) or "u"
    return f"{spelled[:40]}.{code[:40]}"


def _unit_lookup() -> tuple[dict[str, Unit], dict[str, list[Unit]]]:
    by_code: dict[str, Unit] = {}
    by_name: dict[str, list[Unit]] = defaultdict(list)
    for unit in Unit.objects.filter(closed_on__isnull=True):
        by_code[unit.code] = unit
        by_name[unit.name].append(unit)
        if unit.short_name:
            by_name[unit.short_name].append(unit)
    return by_code, by_name


def plan_accounts(path: Path, *, actor: Actor, mapping: Mapping[str, str] | None = None) -> AccountPlan:
    """Read and check an accounts file; nothing is written but a mapping the user gave (remembered
    for the header set). MappingNeeded when a column must be placed first."""
    if not (is_system(actor) or user_has_perm(actor, "accounts.grant")):
        raise PermissionDenied("只有安全管理员可以批量开通账号。")
    plan = AccountPlan(sha256=sha256_file(path))
    limits = Limits.from_settings()
    by_code, by_name = _unit_lookup()
    taken = {u.username: u for u in User.objects.all()}
    actor_rank = 10**6 if is_system(actor) else RANK.get(getattr(actor, "role", ""), 0)
    scope = scope_unit_ids(actor)  # type: ignore[arg-type]
    in_scope = None if scope is None else set(scope)
    made: dict[str, int] = {}
    with read_rows(path, limits, header_rows=HEADER_SEARCH_ROWS, max_rows=MAX_ROWS) as grid:
        head = list(itertools.islice(grid, HEADER_SEARCH_ROWS))
        header = place_columns(
            [cells for _, cells in head], VOCABULARY, kind=KIND, labels=HEADERS, actor=actor, mapping=mapping,
            search_rows=HEADER_SEARCH_ROWS,
            not_found="找不到表头：账号表需要列：姓名、单位（名称或编码）、角色；可选：用户名、重置密码。")
        indexes, texts = header.indexes, header.texts
        plan.not_imported = [f"{c.letter}列“{c.header}”" for c in header.not_imported if c.header]
        for r, cells in itertools.chain(head[header.data_start:], grid):
            values = {key: " ".join(cell_text(cells[i] if i < len(cells) else "").split()) for key, i in indexes.items()}
            if not any(values.values()):
                continue
            n = r + 1

            def bad(key: str, reason: str, *, _n: int = n, _values: dict[str, str] = values) -> None:
                plan.problems.append(Problem(_n, texts.get(key, HEADERS[key]), _values.get(key, "")[:100], reason))

            full_name = values.get("full_name", "")
            if not full_name:
                bad("full_name", "姓名不能为空")
            elif len(full_name) > 60:
                bad("full_name", "姓名超过60个字")
            unit_text = values.get("unit", "")
            unit: Unit | None = None
            if not unit_text:
                bad("unit", "单位不能为空")
            elif unit_text in by_code:
                unit = by_code[unit_text]
            elif len(by_name.get(unit_text, [])) == 1:
                unit = by_name[unit_text][0]
            elif by_name.get(unit_text):
                bad("unit", "有多个单位叫这个名字：请改填单位编码")
            else:
                bad("unit", "找不到这个单位：请填写单位全称、简称或编码（先导入组织架构）")
            role_text = values.get("role", "")
            role = ROLE_WORDS.get(role_text) or ROLE_WORDS.get(normalize_header(role_text), "")
            if not role:
                bad("role", f"不认识的角色；可填：{ROLE_CHOICES}")
            elif RANK.get(role, 0) > actor_rank:
                bad("role", "不能授予高于自己的角色")
            if unit is not None and in_scope is not None and unit.pk not in in_scope:
                bad("unit", "这个单位不在您的管辖范围内")
                unit = None
            reset = values.get("reset", "").lower() in YES
            username = values.get("username", "").lower()
            existing: User | None = None
            if username:
                if not _USERNAME.match(username):
                    bad("username", "用户名只能用小写字母、数字和 . _ -，2到150个字符")
                elif username in taken:
                    existing = taken[username]
                    if existing.full_name != full_name:
                        bad("username", f"用户名已被{existing.full_name or '其他账号'}使用")
                        existing = None
            elif unit is not None and full_name:
                base = username_base(full_name, unit.code)
                for k in itertools.count(1):
                    candidate = base if k == 1 else base.replace(".", f"{k}.", 1)
                    if candidate in made:
                        continue
                    same = taken.get(candidate)
                    if same is None:
                        username = candidate
                        break
                    if same.full_name == full_name and _scope_codes(same) == {unit.code}:
                        username, existing = candidate, same
                        break
            if username in made:
                bad("username", f"与第{made[username]}行的用户名相同")
            elif username:
                made[username] = n
            if existing is not None and not is_system(actor) and not User.objects.visible_to(actor).filter(
                    pk=existing.pk).exists():
                bad("username", "这个账号不在您的管辖范围内")
            plan.rows.append(AccountRow(n, full_name, unit, role, username, reset, existing))
    plan.problems.sort(key=lambda p: p.row)
    return plan


def _scope_codes(user: User) -> set[str]:
    return set(UserScope.objects.filter(user=user).values_list("unit__code", flat=True))


@transaction.atomic
def commit_accounts(plan: AccountPlan, *, actor: Actor, file_name: str = "") -> tuple[dict[str, int], list[Slip]]:
    """Create the accounts of a checked plan (all or none) and return the slips to print."""
    from .services import one_time_password

    if not plan.ok:
        raise ValueError("a plan with problems cannot be committed")
    slips: list[Slip] = []
    new_users: list[tuple[User, Unit]] = []
    for row in plan.rows:
        assert row.unit is not None
        if row.existing is not None and not row.reset:
            continue
        password = one_time_password()
        if row.existing is not None:
            user = User.objects.select_for_update().get(pk=row.existing.pk)
            user.password = make_password(password, hasher=ONE_TIME_HASHER)
            user.must_change_password = True
            user.save(update_fields=["password", "must_change_password"])
            audit_log(actor=actor, action=Action.UPDATE, obj=user, after={"one_time_password": "reissued"})
        else:
            # The grant was checked by the plan (role rank, the unit in the actor's scope), in this request.
            user = User(username=row.username, full_name=row.full_name, role=row.role,
                        is_staff=row.role == Role.SYSTEM_ADMIN, must_change_password=True,
                        password=make_password(password, hasher=ONE_TIME_HASHER))
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                raise ValidationError(f"第{row.row}行：" + "；".join(exc.messages)) from exc
            new_users.append((user, row.unit))
        slips.append(Slip(row.username, row.full_name, row.unit.name, row.unit.code, str(Role(row.role).label), password))
    created = User.objects.bulk_create([u for u, _ in new_users], batch_size=1000)
    UserScope.objects.bulk_create([UserScope(user=u, unit=unit) for u, (_, unit) in zip(created, new_users, strict=True)])
    for user, (_, unit) in zip(created, new_users, strict=True):
        audit_log(actor=actor, action=Action.CREATE, obj=user,
                  after={"username": user.username, "role": user.role, "units": [unit.code]})
    counts = plan.counts()
    audit_log(actor=actor, action=Action.CREATE, object_type="accounts.import", object_repr=file_name or "账号表",
              detail=" ".join(f"{k}={v}" for k, v in counts.items()) + f" sha256={plan.sha256}")
    return counts, slips


EXPORT_HEADERS = ["序号", "姓名", "单位", "角色", "用户名", "重置密码", "状态"]
ROLE_EXPORT = {Role.SYSTEM_ADMIN: "系统管理员", Role.SECURITY_ADMIN: "安全管理员", Role.AUDITOR: "安全审计员",
               Role.COMMITTEE_OFFICE: "工委办公室", Role.UNIT_LIAISON: "单位联络员", Role.BRANCH_SECRETARY: "支部书记",
               Role.COMMUNITY_STAFF: "社区工作人员", Role.CHECKPOINT_STAFF: "卡点工作人员",
               Role.INSPECTION_GROUP: "督查组", Role.DISCIPLINE_OFFICE: "纪检部门"}


def export_accounts(users: Any) -> tuple[bytes, int]:
    """The accounts in the import's layout (one row per account and scope unit, the unit by code),
    so that an edited export imports again; a password is never part of it."""
    from fangkong.core.excel import write_xlsx

    rows: list[list[Any]] = []
    for user in users.prefetch_related("scope_units").order_by("username"):
        for unit in sorted(user.scope_units.all(), key=lambda u: u.code) or [None]:
            rows.append([len(rows) + 1, user.full_name, unit.code if unit else "", ROLE_EXPORT.get(user.role, ""),
                         user.username, "", "启用" if user.is_active else "停用"])
    return write_xlsx(EXPORT_HEADERS, rows, sheet="账号")
