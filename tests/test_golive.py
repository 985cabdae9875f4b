"""Going live: ``fangkong init`` on an empty database, then the city's own organisation tree."""

from __future__ import annotations

import datetime as dt
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


def _accounts_city(tmp_path, **sizes):
    init()
    tree = city_rows(**sizes)
    import_tree(write_tree(tmp_path / "tree.xlsx", tree))
    return tree


def test_accounts_in_bulk_with_slips_and_a_forced_change(tmp_path, client):
    from fangkong.accounts.bulk import commit_accounts, plan_accounts
    from fangkong.core.actors import SYSTEM

    from .golive_city import ACCOUNT_HEADERS, account_rows, write_sheet

    tree = _accounts_city(tmp_path)
    rows = account_rows(tree, 800)
    path = write_sheet(tmp_path / "accounts.xlsx", ACCOUNT_HEADERS, rows, title="账号开通申请表")
    out = io.StringIO()
    call_command("import_accounts", str(path), "--out", str(tmp_path / "slips.pdf"), stdout=out)
    assert "created 800" in out.getvalue()
    assert User.objects.filter(must_change_password=True).count() == 803
    pdf = (tmp_path / "slips.pdf").read_bytes()
    units = {r[2] for r in rows}
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(
        b"/Type /Page ") >= len(units)
    liaison = User.objects.get(username="wangwei.d001")
    assert (liaison.full_name, liaison.role) == ("王伟", Role.UNIT_LIAISON)
    assert list(liaison.scope_units.values_list("code", flat=True)) == ["D001"]
    before = dict(User.objects.values_list("username", "password"))
    again = io.StringIO()
    call_command("import_accounts", str(path), "--out", str(tmp_path / "again.pdf"), stdout=again)
    assert "created 0, reset 0, unchanged 800" in again.getvalue()
    assert dict(User.objects.values_list("username", "password")) == before  # no password reset
    # One row asks for a new password: only that account gets one, and must change it.
    rows[0][5] = "是"
    path = write_sheet(tmp_path / "reset.xlsx", ACCOUNT_HEADERS, rows)
    plan = plan_accounts(path, actor=SYSTEM)
    counts, slips = commit_accounts(plan, actor=SYSTEM, file_name="reset.xlsx")
    assert counts["reset"] == 1 and len(slips) == 1 and slips[0].username == "wangwei.d001"
    after = dict(User.objects.values_list("username", "password"))
    assert [u for u in after if after[u] != before[u]] == ["wangwei.d001"]
    # The slip's password logs in, and leads to the change first.
    assert client.post("/accounts/login/", {"username": "wangwei.d001", "password": slips[0].password}).status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/password/")


def test_the_security_administrator_grants_only_within_scope_and_rank(tmp_path):
    from fangkong.accounts.services import user_create
    from fangkong.core.actors import SYSTEM

    from .golive_city import ACCOUNT_HEADERS, write_sheet

    _accounts_city(tmp_path, departments=2, bodies=1, industry=1, streets=2, communities=2, checkpoints=2)
    street = Unit.objects.get(code="S1")
    user_create(actor=SYSTEM, username="sec1", full_name="街道安全员", password="Street@2020x",
                role=Role.SECURITY_ADMIN, units=[street])
    user_create(actor=SYSTEM, username="taken", full_name="某人", password="Street@2020x",
                role=Role.COMMUNITY_STAFF, units=[Unit.objects.get(code="S1-C01")])
    rows = [
        ["1", "刘一", "S1-C01", "社区工作人员", "", ""],
        ["2", "刘二", "D001", "单位联络员", "", ""],
        ["3", "刘三", "S1-C01", "社区工作人员", "", ""],
        ["4", "刘四", "S1-C01", "社区工作人员", "taken", ""],
        ["5", "刘五", "不存在的社区", "社区工作人员", "", ""],
        ["6", "刘六", "S1-C01", "局长", "", ""],
        ["7", "刘一", "S1-C01", "社区工作人员", "", ""],
    ]
    path = write_sheet(tmp_path / "acc.xlsx", ACCOUNT_HEADERS, rows)
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_accounts", str(path), "--out", str(tmp_path / "s.pdf"), "--user", "sec1",
                     stdout=out, stderr=out)
    text = out.getvalue()
    assert "第3行 单位「D001」：这个单位不在您的管辖范围内" in text
    assert "第5行 用户名「taken」：用户名已被某人使用" in text
    assert "第6行 单位「不存在的社区」：找不到这个单位" in text
    assert "第7行 角色「局长」：不认识的角色" in text
    assert "第2行" not in text and "第8行" not in text  # two 刘一 in one community get two usernames
    assert User.objects.count() == 5 and not (tmp_path / "s.pdf").exists()


def test_an_edited_export_of_the_tree_round_trips(tmp_path):
    import python_calamine

    _accounts_city(tmp_path, departments=3, bodies=1, industry=2, streets=2, communities=3, checkpoints=4)
    total = Unit.objects.count()
    call_command("export_tree", str(tmp_path / "export.xlsx"), stdout=io.StringIO())
    again = import_tree(tmp_path / "export.xlsx")
    assert f"created 0, updated 0, unchanged {total}" in again
    sheet = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "export.xlsx")).get_sheet_by_index(0).to_python()
    header, *rows = sheet
    rows = [[str(c) for c in r] for r in rows]
    name, code, closed = header.index("单位名称"), header.index("编码"), header.index("撤销日期")
    for row in rows:
        if row[code] == "S1":
            row[name] = "第1街道办事处（新）"
        if row[code] == "S1-C01-K1":
            row[closed] = "2020-03-05"
    rows.append(["99", "新卡点", "", "卡点", "S1-C01", "S1-C01-K9", "2020-03-01", "", "", ""])
    write_sheet_path = tmp_path / "edited.xlsx"
    from .golive_city import write_sheet

    write_sheet(write_sheet_path, header, rows)
    out = import_tree(write_sheet_path)
    assert "created 1, updated 2" in out
    assert Unit.objects.get(code="S1").name == "第1街道办事处（新）"
    assert str(Unit.objects.get(code="S1-C01-K1").closed_on) == "2020-03-05"
    assert Unit.objects.get(code="S1-C01-K9").parent.code == "S1-C01"


def test_the_pages_preview_refuse_fix_and_commit(tmp_path, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.accounts.services import password_change

    from .golive_city import ACCOUNT_HEADERS, write_sheet

    init()
    admin = User.objects.get(username="admin")
    password_change(user=admin, new_password="Bailing@2020a")
    client = as_user(admin)
    rows = city_rows(departments=2, bodies=1, industry=1, streets=1, communities=2, checkpoints=2)
    bad = write_tree(tmp_path / "bad.xlsx", [*rows, ["99", "卡点X", "", "卡点", "白岭市民政局", "KX", "", ""]])
    page = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", bad.read_bytes())})
    text = page.content.decode()
    assert page.status_code == 400 and "未导入任何数据" in text and "卡点不能放在部门之下" in text
    good = write_tree(tmp_path / "good.xlsx", rows)
    page = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", good.read_bytes())})
    text = page.content.decode()
    assert page.status_code == 200 and f"新增 {len(rows)} 个" in text and "tp-new" in text
    assert Unit.objects.count() == 2  # the preview writes nothing
    sha = page.context["plan"].sha256
    done = client.post("/orgs/import/", {"commit": "1", "sha256": sha})
    assert done.status_code == 302 and Unit.objects.count() == 2 + len(rows)
    again = client.post("/orgs/import/", {"commit": "1", "sha256": sha})  # the kept file is gone
    assert again.status_code == 302 and Unit.objects.count() == 2 + len(rows)
    export = client.get("/orgs/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")

    sec = User.objects.get(username="secadmin")
    password_change(user=sec, new_password="Bailing@2020s")
    client = as_user(sec)
    accounts = write_sheet(tmp_path / "acc.xlsx", ACCOUNT_HEADERS,
                           [["1", "王伟", "D001", "单位联络员", "", ""], ["2", "李娜", "S1-C01", "社区工作人员", "", ""]])
    page = client.post("/accounts/users/import/", {"file": SimpleUploadedFile("acc.xlsx", accounts.read_bytes())})
    assert page.status_code == 200 and "wangwei.d001" in page.content.decode()
    assert not User.objects.filter(username="wangwei.d001").exists()
    slips = client.post("/accounts/users/import/", {"commit": "1", "sha256": page.context["plan"].sha256})
    assert slips.status_code == 200 and slips["Content-Type"] == "application/pdf" and slips.content.startswith(b"%PDF")
    assert User.objects.get(username="lina.s1c01").must_change_password
    # Roles without the grant may not open the page.
    office = User.objects.get(username="admin")
    assert as_user(office).get("/accounts/users/import/").status_code == 403


def test_after_init_the_start_command_prints_no_demo_logins():
    init()
    out = io.StringIO()
    call_command("demo", stdout=out)
    call_command("demo", "--logins", stdout=out)
    text = out.getvalue()
    assert "nothing loaded" in text and "own installation" in text and "Fangkong@2020" not in text
    assert not Unit.objects.filter(code="D001").exists()


def test_the_api_previews_refuses_and_commits(tmp_path, client):
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM

    from .golive_city import ACCOUNT_HEADERS, write_sheet

    init()
    admin, sec = User.objects.get(username="admin"), User.objects.get(username="secadmin")
    auth = {"HTTP_AUTHORIZATION": "Bearer " + token_create(user=admin, actor=SYSTEM)}
    rows = city_rows(departments=1, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    bad = write_tree(tmp_path / "bad.xlsx", [*rows, ["9", "X", "", "外星", "WC", "XX", "", ""]])
    with bad.open("rb") as f:
        answer = client.post("/api/v1/units/tree/import", {"file": f, "commit": "true"}, **auth).json()
    assert not answer["ok"] and not answer["committed"] and answer["problems"][0]["reason"].startswith("不认识的类型")
    assert Unit.objects.count() == 2
    good = write_tree(tmp_path / "good.xlsx", rows)
    with good.open("rb") as f:
        answer = client.post("/api/v1/units/tree/import", {"file": f}, **auth).json()
    assert answer["ok"] and answer["counts"]["created"] == len(rows) and Unit.objects.count() == 2
    with good.open("rb") as f:
        answer = client.post("/api/v1/units/tree/import", {"file": f, "commit": "true"}, **auth).json()
    assert answer["committed"] and Unit.objects.count() == 2 + len(rows)
    with (tmp_path / "junk.xlsx").open("wb") as f:
        f.write(b"not a spreadsheet at all")
    with (tmp_path / "junk.xlsx").open("rb") as f:
        assert client.post("/api/v1/units/tree/import", {"file": f}, **auth).status_code == 400

    sec_auth = {"HTTP_AUTHORIZATION": "Bearer " + token_create(user=sec, actor=SYSTEM)}
    sheet = write_sheet(tmp_path / "acc.xlsx", ACCOUNT_HEADERS, [["1", "王伟", "D001", "联络员", "", ""]])
    with sheet.open("rb") as f:
        assert client.post("/api/v1/accounts/import", {"file": f}, **auth).status_code == 403  # the system admin
    with sheet.open("rb") as f:
        preview = client.post("/api/v1/accounts/import", {"file": f}, **sec_auth).json()
    assert preview["rows"] == [{"row": 2, "username": "wangwei.d001", "full_name": "王伟", "unit": "D001",
                                "role": "unit_liaison", "outcome": "new"}]
    with sheet.open("rb") as f:
        slips = client.post("/api/v1/accounts/import", {"file": f, "commit": "true"}, **sec_auth)
    assert slips["Content-Type"] == "application/pdf" and User.objects.filter(username="wangwei.d001").exists()


def test_pairings_come_from_their_own_sheet(tmp_path):
    from fangkong.orgs.models import Pairing

    from .golive_city import write_sheet

    _accounts_city(tmp_path, departments=3, bodies=1, industry=1, streets=2, communities=3, checkpoints=1)
    rows = [["白岭市民政局", "第1街道第1社区", "2020-01-28"], ["D002", "S1-C02", ""], ["财政局", "S2-C01", "2020-01-28"]]
    path = write_sheet(tmp_path / "包保.xlsx", ["包保单位", "包保社区", "包保日期"], rows, title="市直部门包保社区一览表")
    out = io.StringIO()
    call_command("import_pairings", str(path), stdout=out)
    assert "created 3, unchanged 0" in out.getvalue()
    assert Pairing.objects.get(department__code="D001").community.code == "S1-C01"
    out = io.StringIO()
    call_command("import_pairings", str(path), stdout=out)
    assert "created 0, unchanged 3" in out.getvalue()
    bad = write_sheet(tmp_path / "bad.xlsx", ["包保单位", "包保社区"], [["白岭市民政局", "第9社区"], ["第1街道第1社区", "S1-C01"]])
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_pairings", str(bad), stdout=out, stderr=out)
    assert "第2行 包保社区「第9社区」" in out.getvalue() and "第3行 包保单位「第1街道第1社区」" in out.getvalue()
    assert Pairing.objects.count() == 3


def test_the_realistic_city_in_stats_and_the_accounts_export_round_trip(tmp_path):
    import json

    from .golive_city import ACCOUNT_HEADERS, account_rows, write_sheet

    tree = _accounts_city(tmp_path)
    accounts = write_sheet(tmp_path / "acc.xlsx", ACCOUNT_HEADERS, account_rows(tree, 800))
    call_command("import_accounts", str(accounts), "--out", str(tmp_path / "s.pdf"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    org = json.loads(out.getvalue())["org"]
    assert (org["departments"], org["coordinating_bodies"], org["industry_units"]) == (100, 4, 67)
    assert (org["streets"], org["communities"], org["checkpoints"]) == (7, 26, 99)
    assert User.objects.count() == 803
    call_command("export_accounts", str(tmp_path / "accounts-export.xlsx"), stdout=io.StringIO())
    before = dict(User.objects.values_list("username", "password"))
    again = io.StringIO()
    call_command("import_accounts", str(tmp_path / "accounts-export.xlsx"), "--out", str(tmp_path / "t.pdf"), stdout=again)
    assert "created 0, reset 0, unchanged 803" in again.getvalue()
    assert dict(User.objects.values_list("username", "password")) == before


def test_a_roster_goes_in_through_the_mapping_step_and_moves_are_recorded(tmp_path):
    from fangkong.people.models import Person, PersonMove

    from .golive_city import ROSTER_HEADERS, roster_rows, write_sheet

    tree = _accounts_city(tmp_path, departments=10, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    rows = roster_rows(tree, 120)
    headers = [*ROSTER_HEADERS, "工作分工"]  # a column the platform does not know, holding data
    path = write_sheet(tmp_path / "名册.xlsx", headers, [[*r, "宣传"] for r in rows], title="市直部门干部职工名册")
    out = io.StringIO()
    with pytest.raises(CommandError, match="工作分工"):
        call_command("import_people", str(path), stdout=out, stderr=out)
    assert Person.objects.count() == 0
    out = io.StringIO()
    call_command("import_people", str(path), "--map", "工作分工=", stdout=out)
    assert "created 120" in out.getvalue() and "性别" in out.getvalue()  # the columns not imported are named
    first = Person.objects.get(name=rows[0][1], unit__code="D001")
    assert first.is_party_member is False and Person.objects.filter(is_party_member=True).count() == 80
    assert Person.objects.get(name=rows[1][1]).branch.code == "D002-G2-B2"
    # The same layout again goes straight through (the mapping is remembered) and changes nothing.
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out)
    assert "created 0, updated 0, moved 0, unchanged 120" in out.getvalue()
    # A later roster moves someone: the move is recorded with its date.
    moved = [list(r) for r in rows]
    moved[0][4] = "财政局"
    path = write_sheet(tmp_path / "名册2.xlsx", [*ROSTER_HEADERS, "调动日期"], [[*r, "2020-02-03"] for r in moved])
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out)
    assert "updated 1, moved 1" in out.getvalue()
    move = PersonMove.objects.get()
    assert (move.from_unit.code, move.to_unit.code, str(move.moved_on)) == ("D001", "D002", "2020-02-03")


def test_a_roster_never_matches_outside_the_importers_scope(tmp_path):
    from fangkong.accounts.services import user_create
    from fangkong.core.actors import SYSTEM
    from fangkong.people.models import Person
    from fangkong.people.services import person_create

    from .golive_city import ROSTER_HEADERS, id_number, write_sheet

    _accounts_city(tmp_path, departments=2, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    outsider = person_create(actor=SYSTEM, name="外单位人员", id_number=id_number(7), unit=Unit.objects.get(code="D002"))
    user_create(actor=SYSTEM, username="liaison1", full_name="联络员", password="Liaison@2020x",
                role=Role.UNIT_LIAISON, units=[Unit.objects.get(code="D001")])
    rows = [["1", "改名企图", "男", id_number(7), "D001", "科员", "群众", "", ""],
            ["2", "新同事", "女", id_number(8), "D001", "科员", "群众", "", ""]]
    path = write_sheet(tmp_path / "r.xlsx", ROSTER_HEADERS, rows)
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_people", str(path), "--user", "liaison1", stdout=out, stderr=out)
    text = out.getvalue()
    assert "第2行" in text and "管辖范围以外" in text and "外单位人员" not in text and "D002" not in text
    outsider.refresh_from_db()
    assert (outsider.name, outsider.unit.code) == ("外单位人员", "D002") and Person.objects.count() == 1


def test_the_roster_api_asks_for_a_mapping_then_commits(tmp_path, client):
    import json

    from fangkong.accounts.services import token_create, user_create
    from fangkong.core.actors import SYSTEM
    from fangkong.people.models import Person

    from .golive_city import ROSTER_HEADERS, roster_rows, write_sheet

    tree = _accounts_city(tmp_path, departments=2, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    office = user_create(actor=SYSTEM, username="office1", full_name="办公室", password="Office@2020x",
                         role=Role.COMMITTEE_OFFICE, units=[Unit.objects.get(parent=None)])
    auth = {"HTTP_AUTHORIZATION": "Bearer " + token_create(user=office, actor=SYSTEM)}
    rows = [[*r, "值班"] for r in roster_rows(tree, 4)]
    path = write_sheet(tmp_path / "r.xlsx", [*ROSTER_HEADERS, "分工"], rows)
    with path.open("rb") as f:
        answer = client.post("/api/v1/people/roster/import", {"file": f, "commit": "true"}, **auth).json()
    assert answer["needs_mapping"] and not answer["committed"] and "分工" in answer["message"]
    assert any(c["header"] == "分工" and c["how"] == "unknown" for c in answer["header"]["columns"])
    assert all("1390000" not in s for c in answer["header"]["columns"] for s in c["samples"])  # phones masked
    with path.open("rb") as f:
        answer = client.post("/api/v1/people/roster/import",
                             {"file": f, "commit": "true", "mapping": json.dumps({"分工": ""})}, **auth).json()
    assert answer["committed"] and answer["counts"]["created"] == 4 and Person.objects.count() == 4
    with path.open("rb") as f:
        assert client.post("/api/v1/people/roster/import", {"file": f, "mapping": "[1]"}, **auth).status_code == 400


def test_the_people_export_imports_again_as_unchanged(tmp_path):
    from fangkong.accounts.services import user_create
    from fangkong.core.actors import SYSTEM
    from fangkong.people.models import Person

    from .golive_city import ROSTER_HEADERS, roster_rows, write_sheet

    tree = _accounts_city(tmp_path, departments=4, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    call_command("import_people", str(write_sheet(tmp_path / "r.xlsx", ROSTER_HEADERS, roster_rows(tree, 40))),
                 stdout=io.StringIO())
    user_create(actor=SYSTEM, username="office1", full_name="办公室", password="Office@2020x",
                role=Role.COMMITTEE_OFFICE, units=[Unit.objects.get(parent=None)])
    call_command("export_people", str(tmp_path / "export.xlsx"), "--user", "office1", stdout=io.StringIO())
    before = list(Person.objects.order_by("pk").values_list("pk", "name", "unit_id", "branch_id", "updated_at"))
    out = io.StringIO()
    call_command("import_people", str(tmp_path / "export.xlsx"), stdout=out)
    assert "created 0, updated 0, moved 0, unchanged 40" in out.getvalue()
    assert list(Person.objects.order_by("pk").values_list("pk", "name", "unit_id", "branch_id", "updated_at")) == before


def test_a_tree_import_changes_nothing_outside_the_importers_scope(tmp_path):
    from fangkong.accounts.services import user_create
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.tree_import import commit_tree, plan_tree

    _accounts_city(tmp_path, departments=2, bodies=1, industry=1, streets=2, communities=2, checkpoints=2)
    office = user_create(actor=SYSTEM, username="office2", full_name="街道办公室", password="Jiedao#Pass2020",
                         role=Role.COMMITTEE_OFFICE, units=[Unit.objects.get(code="S1")])
    rows = [["1", "新卡点", "", "卡点", "S1-C01", "S1-C01-K8"],          # inside: allowed
            ["2", "越界卡点", "", "卡点", "S2-C01", "S2-C01-K8"],        # under another street
            ["3", "改名的民政局", "", "部门", "WC", "D001"]]              # a unit outside, by its code
    path = write_tree(tmp_path / "scoped.xlsx", [[*r, "", ""] for r in rows])
    plan = plan_tree(path, actor=office, close_missing=dt.date(2020, 3, 1))
    assert {p.row for p in plan.problems} == {4, 5}
    assert all("管辖范围" in p.reason and "民政局" not in p.reason for p in plan.problems)
    ok = write_tree(tmp_path / "ok.xlsx", [[*rows[0], "", ""]])
    plan = plan_tree(ok, actor=office, close_missing=dt.date(2020, 3, 1))
    assert plan.ok and {u.code[:2] for u in plan.closes} <= {"S1"}  # only units in its own street close
    commit_tree(plan, actor=office)
    assert Unit.objects.get(code="S1-C01-K8").parent.code == "S1-C01"
    assert Unit.objects.get(code="D001").name == "白岭市民政局" and Unit.objects.get(code="S2-C01-K1").closed_on is None


def test_the_tree_pairing_and_accounts_imports_place_columns_the_shared_way(tmp_path, client):
    """An unknown column holding data is neither dropped in silence nor guessed: the import asks
    for it to be placed (CLI --map, API mapping, page), remembers the placing for the header set,
    and lists the columns it does not keep; a known empty-handed column (序号, 状态) passes."""
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.models import Pairing

    from .golive_city import HEADERS, write_sheet

    init()
    rows = city_rows(departments=2, bodies=1, industry=1, streets=1, communities=2, checkpoints=1)
    headers = [*HEADERS, "负责人姓名"]
    path = write_sheet(tmp_path / "tree.xlsx", headers, [[*r, "张三"] for r in rows], title="组织架构表")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"未识别的列：第I列“负责人姓名”.*--map"):
        call_command("import_tree", str(path), stdout=out, stderr=out)
    assert Unit.objects.count() == 2
    out = import_tree(path, "--map", "负责人姓名=skip", "--dry-run")
    assert "Not imported: A列“序号”、I列“负责人姓名”" in out and "nothing written" in out
    # Remembered for this header set: the same layout goes straight through without --map.
    out = import_tree(path)
    assert f"created {len(rows)}" in out and Unit.objects.count() == 2 + len(rows)
    with pytest.raises(CommandError, match="write HEADER=FIELD"):
        call_command("import_tree", str(path), "--map", "负责人姓名", stdout=io.StringIO())
    with pytest.raises(CommandError, match="未知的字段：boss。可用的字段：code（编码）"):
        call_command("import_tree", str(path), "--map", "负责人姓名=boss", stdout=io.StringIO())

    # A pairing sheet with a column nobody declared asks too; a declared one (街道) is listed.
    sheet = write_sheet(tmp_path / "p.xlsx", ["包保单位", "街道", "包保社区", "联络人手机"],
                        [["D001", "第1街道", "S1-C01", "13800000000"]])
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"第D列“联络人手机”"):
        call_command("import_pairings", str(sheet), stdout=out, stderr=out)
    assert not Pairing.objects.exists()
    out = io.StringIO()
    call_command("import_pairings", str(sheet), "--map", "联络人手机=", stdout=out)
    assert "B列“街道”" in out.getvalue() and "created 1" in out.getvalue()

    # The accounts API answers needs_mapping with each column, then imports with the mapping.
    sec_auth = {"HTTP_AUTHORIZATION": "Bearer " + token_create(user=User.objects.get(username="secadmin"), actor=SYSTEM)}
    accounts = write_sheet(tmp_path / "acc.xlsx", ["序号", "姓名", "单位", "角色", "状态", "办公室"],
                           [["1", "王伟", "D001", "联络员", "启用", "302室"]])
    with accounts.open("rb") as f:
        answer = client.post("/api/v1/accounts/import", {"file": f}, **sec_auth).json()
    assert answer["needs_mapping"] and not answer["ok"] and "第F列“办公室”" in answer["message"]
    assert [c["how"] for c in answer["header"]["columns"]] == ["ignored", "matched", "matched", "matched", "ignored", "unknown"]
    with accounts.open("rb") as f:
        answer = client.post("/api/v1/accounts/import", {"file": f, "mapping": '{"办公室": ""}'}, **sec_auth).json()
    assert answer["ok"] and not answer["needs_mapping"] and answer["rows"][0]["username"] == "wangwei.d001"
    assert answer["not_imported"] == ["A列“序号”", "E列“状态”", "F列“办公室”"]
    with accounts.open("rb") as f:
        bad = client.post("/api/v1/accounts/import", {"file": f, "mapping": "[1]"}, **sec_auth)
    assert bad.status_code == 400
    assert not User.objects.filter(username="wangwei.d001").exists()


def test_the_tree_page_asks_for_an_unknown_column_and_goes_on_once_placed(tmp_path, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.accounts.services import password_change

    from .golive_city import HEADERS, write_sheet

    init()
    admin = User.objects.get(username="admin")
    password_change(user=admin, new_password="Bailing@2020a")
    client = as_user(admin)
    rows = city_rows(departments=1, bodies=1, industry=1, streets=1, communities=1, checkpoints=1)
    path = write_sheet(tmp_path / "tree.xlsx", [*HEADERS, "值班电话", "驻地"],
                       [[*r, "0439-1234567", "长白路1号"] for r in rows])
    page = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", path.read_bytes())})
    text = page.content.decode()
    assert page.status_code == 400 and 'id="mapping-table"' in text and "未识别的列：第I列“值班电话”" in text
    assert "043****4567" in text and "0439-1234567" not in text  # samples are masked
    wrong = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", path.read_bytes()),
                                          "mapping": "值班电话=duty_phone"})
    assert wrong.status_code == 400 and "duty_phone" in wrong.content.decode()
    page = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", path.read_bytes()),
                                         "mapping": "值班电话=contact_phone\n驻地=address"})
    assert page.status_code == 400 and "另一列已对应该字段" in page.content.decode()  # 联系电话 fills it
    page = client.post("/orgs/import/", {"file": SimpleUploadedFile("tree.xlsx", path.read_bytes()),
                                         "mapping": "值班电话=skip\n驻地=address"})
    text = page.content.decode()
    assert page.status_code == 200 and f"新增 {len(rows)} 个" in text and 'id="not-imported"' in text
    assert Unit.objects.count() == 2
    done = client.post("/orgs/import/", {"commit": "1", "sha256": page.context["plan"].sha256})
    assert done.status_code == 302 and Unit.objects.count() == 2 + len(rows)
    assert Unit.objects.get(code=rows[0][5]).address == "长白路1号"
