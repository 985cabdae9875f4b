"""Going live: ``fangkong init`` on an empty database, then the city's own organisation tree."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEntry
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Unit, UnitLink

from .golive_city import city_rows, expected_counts, write_tree

pytestmark = pytest.mark.django_db


def init(city: str = "白岭市") -> dict[str, str]:
    out = io.StringIO()
    call_command("init", city=city, stdout=out)
    logins = {}
    for line in out.getvalue().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("admin", "secadmin", "auditor"):
            logins[parts[0]] = parts[1]
    return logins


def import_tree(path, *extra: str) -> str:
    out = io.StringIO()
    call_command("import_tree", str(path), *extra, stdout=out, stderr=out)
    return out.getvalue()


def test_init_starts_an_empty_installation_once(client):
    logins = init()
    assert set(logins) == {"admin", "secadmin", "auditor"}
    city = Unit.objects.get(parent=None)
    assert (city.name, city.kind) == ("白岭市", K.CITY)
    assert Unit.objects.get(parent=city).name == "中共白岭市直属机关工作委员会"
    for username, role in (("admin", Role.SYSTEM_ADMIN), ("secadmin", Role.SECURITY_ADMIN), ("auditor", Role.AUDITOR)):
        user = User.objects.get(username=username)
        assert user.role == role and user.must_change_password
        assert user.check_password(logins[username])
        assert logins[username] not in user.password  # stored hashed only
    assert len(set(logins.values())) == 3
    with pytest.raises(CommandError, match="不是空的"):
        init()
    assert Unit.objects.count() == 2 and User.objects.count() == 3


def test_a_one_time_password_leads_to_the_change_and_nowhere_else(client):
    logins = init()
    response = client.post("/accounts/login/", {"username": "admin", "password": logins["admin"]})
    assert response.status_code == 302
    for path in ("/", "/orgs/", "/accounts/users/", "/accounts/otp/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/password/"), path
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "一次性密码" in page.content.decode()
    same = client.post("/accounts/password/", {"old_password": logins["admin"], "new_password": logins["admin"],
                                               "new_password2": logins["admin"]})
    assert same.status_code == 400
    assert User.objects.get(username="admin").must_change_password
    new = "Bailing@2020new"
    changed = client.post("/accounts/password/", {"old_password": logins["admin"], "new_password": new,
                                                  "new_password2": new})
    assert changed.status_code == 302
    assert not User.objects.get(username="admin").must_change_password
    client.post("/accounts/login/", {"username": "admin", "password": new})
    # Now the administrator's second factor is asked for, as for every administrator.
    assert client.get("/orgs/")["Location"].startswith("/accounts/otp/")


def test_a_realistic_city_tree_goes_in_and_the_same_file_changes_nothing(tmp_path):
    init()
    rows = city_rows()
    path = write_tree(tmp_path / "tree.xlsx", rows)
    dry = import_tree(path, "--dry-run")
    assert "nothing written" in dry and Unit.objects.count() == 2
    out = import_tree(path)
    assert f"created {len(rows)}" in out
    counts = {kind: Unit.objects.filter(kind=kind).count() for kind in K.values}
    expected = expected_counts(rows)
    assert counts[K.DEPARTMENT] == expected["departments"] == 100
    assert counts[K.PARTY_COMMITTEE] == expected["party_committees"] == 100
    assert counts[K.GENERAL_BRANCH] == 200 and counts[K.BRANCH] == 400
    assert counts[K.COORDINATING_BODY] == 4 and counts[K.INDUSTRY_UNIT] == 67
    assert (counts[K.STREET], counts[K.COMMUNITY], counts[K.CHECKPOINT]) == (7, 26, 99)
    # The party committee named the official way sits under the department its name names.
    party = Unit.objects.get(name="中共白岭市民政局机关委员会")
    assert party.parent.name == "白岭市民政局" and party.kind == K.PARTY_COMMITTEE
    assert Unit.objects.get(code="D017-P").parent.code == "D017"
    # Closure links hold: every unit is under the city, at its depth.
    city = Unit.objects.get(parent=None)
    branch = Unit.objects.get(code="D001-G1-B2")
    assert UnitLink.objects.get(ancestor=city, descendant=branch).depth == branch.level == 5
    assert UnitLink.objects.filter(ancestor=city).count() == Unit.objects.count()
    before = list(Unit.objects.order_by("pk").values_list("pk", "name", "parent_id", "updated_at"))
    again = import_tree(path)
    assert f"created 0, updated 0, unchanged {len(rows)}" in again
    assert list(Unit.objects.order_by("pk").values_list("pk", "name", "parent_id", "updated_at")) == before
    assert AuditEntry.objects.filter(object_type="orgs.tree").count() == 2


def test_a_later_version_updates_by_code_and_closes_what_it_no_longer_lists(tmp_path):
    init()
    rows = city_rows(departments=3, bodies=1, industry=2, streets=2, communities=3, checkpoints=4)
    import_tree(write_tree(tmp_path / "v1.xlsx", rows))
    edited = [list(r) for r in rows]
    for row in edited:
        if row[5] == "D001":
            row[1] = "白岭市民政局（更名）"
        if row[5] == "S1-C01-K1":
            row[4] = "S2-C01"  # the checkpoint moves to another community
    edited = [r for r in edited if r[5] != "S2-C01-K1"]
    out = import_tree(write_tree(tmp_path / "v2.xlsx", edited), "--close-missing", "2020-03-01")
    assert "updated 2" in out and "closed 1" in out
    assert Unit.objects.get(code="D001").name == "白岭市民政局（更名）"
    moved = Unit.objects.get(code="S1-C01-K1")
    assert moved.parent.code == "S2-C01"
    assert UnitLink.objects.filter(descendant=moved, ancestor__code="S2").exists()
    assert not UnitLink.objects.filter(descendant=moved, ancestor__code="S1").exists()
    closed = Unit.objects.get(code="S2-C01-K1")  # closed, never deleted
    assert str(closed.closed_on) == "2020-03-01"
    assert Unit.objects.filter(closed_on__isnull=False).count() == 1


@pytest.mark.parametrize(("row", "column", "reason"), [
    (["99", "卡点X", "", "卡点", "白岭市民政局", "KX"], "上级单位", "卡点不能放在部门之下"),
    (["99", "某单位", "", "部门", "不存在的单位", "DX"], "上级单位", "找不到这个上级单位"),
    (["99", "某单位", "", "部委", "WC", "DX"], "类型", "不认识的类型"),
    (["99", "白岭市财政局副本", "", "部门", "WC", "D001"], "编码", "编码与第"),
    (["99", "白岭市民政局", "", "部门", "WC", "DX"], "单位名称", "同一上级下已有同名单位"),
    (["99", "第一党总支", "", "党总支", "", "GX"], "上级单位", "上级不能为空"),
])
def test_a_bad_row_is_named_and_nothing_is_written(tmp_path, row, column, reason):
    init()
    rows = city_rows(departments=2, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    path = write_tree(tmp_path / "bad.xlsx", [*rows, [*row, "", ""]])
    with pytest.raises(CommandError, match="nothing was imported"):
        out = io.StringIO()
        try:
            call_command("import_tree", str(path), stdout=out, stderr=out)
        finally:
            text = out.getvalue()
    assert f"第{len(rows) + 3}行 {column}" in text and reason in text, text
    assert Unit.objects.count() == 2


def test_a_cycle_is_named(tmp_path):
    init()
    rows = [["1", "甲部门", "", "部门", "WC", "DA"],
            ["2", "甲党委", "", "机关党委", "GB", "PA"],
            ["3", "甲总支", "", "党总支", "PA", "GB"]]
    path = write_tree(tmp_path / "cycle.xlsx", [[*r, "", ""] for r in rows])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_tree", str(path), stdout=out, stderr=out)
    assert ("成环" in out.getvalue() and "甲党委 → 甲总支 → 甲党委" in out.getvalue()) or "甲总支 → 甲党委 → 甲总支" in out.getvalue()
    assert Unit.objects.count() == 2
