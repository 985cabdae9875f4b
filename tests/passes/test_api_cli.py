"""The verification API, the CLI, the printed sheets, the import and the stats block."""

import datetime as dt
import json
import re

import pytest
import xlsxwriter
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.core.stats import collect
from fangkong.passes import services
from fangkong.passes.models import Pass, PassCheck
from fangkong.passes.numbering import new_number
from fangkong.passes.printing import pass_sheets

from .. import factories as f


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, token, data):
    return client.post("/api/v1/passes/verify", json.dumps(data), content_type="application/json", **bearer(token))


def test_checkpoint_staff_verify_and_the_check_is_logged(city, guard, staff_pass, client):
    token = token_create(user=guard, actor=SYSTEM)
    r = post(client, token, {"token": staff_pass.token, "checkpoint": city.checkpoint_1.code, "direction": "in"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["verdict"] == "valid" and body["valid"] is True and body["holder"] == "李爱丽"
    assert body["label"]
    check = PassCheck.objects.get(pk=body["check_id"])
    assert (check.pass_obj_id, check.checkpoint_id, check.direction, check.checked_by_id) == (
        staff_pass.pk, city.checkpoint_1.pk, "in", guard.pk)
    by_number = post(client, token, {"number": staff_pass.number.lower(), "checkpoint": city.checkpoint_1.code})
    assert by_number.json()["verdict"] == "valid"


def test_bad_input_through_the_api_is_never_valid(city, guard, office, staff_pass, client):
    token = token_create(user=guard, actor=SYSTEM)
    cp = city.checkpoint_1.code
    tampered = staff_pass.token[:-3] + ("AAA" if staff_pass.token[-3:] != "AAA" else "BBB")
    assert post(client, token, {"token": tampered, "checkpoint": cp}).json()["verdict"] in {"forged", "unreadable"}
    assert post(client, token, {"token": staff_pass.token[:40], "checkpoint": cp}).json()["verdict"] == "unreadable"
    assert post(client, token, {"token": "hello", "checkpoint": cp}).json()["verdict"] == "unreadable"
    assert post(client, token, {"number": new_number("staff"), "checkpoint": cp}).json()["verdict"] == "not_found"
    assert post(client, token, {"number": "S999999", "checkpoint": cp}).status_code == 400  # an old-style number
    services.revoke_pass(actor=office, p=staff_pass)
    assert post(client, token, {"token": staff_pass.token, "checkpoint": cp}).json()["verdict"] == "revoked"
    assert PassCheck.objects.filter(verdict="valid").count() == 0


def test_a_checkpoint_outside_the_scope_is_404_and_other_roles_are_refused(city, staff_pass, client):
    other = f.unit("checkpoint", city.comm_2, "光明路卡点")
    guard = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    r = post(client, token_create(user=guard, actor=SYSTEM), {"token": staff_pass.token, "checkpoint": other.code})
    assert r.status_code == 404
    liaison = f.user(Role.UNIT_LIAISON, city.dept_a)
    assert post(client, token_create(user=liaison, actor=SYSTEM), {"token": staff_pass.token}).status_code == 403


def test_keys_and_revocation_list_endpoints(city, guard, staff_pass, client):
    token = token_create(user=guard, actor=SYSTEM)
    keys = client.get("/api/v1/passes/keys", **bearer(token)).json()
    assert keys[0]["kid"] == staff_pass.key.key_id
    doc = client.get("/api/v1/passes/revocations", **bearer(token)).json()
    assert json.loads(doc["payload"])["revoked"] == []


def test_the_office_issues_and_revokes_through_the_api(city, office, client):
    token = token_create(user=office, actor=SYSTEM)
    r = client.post("/api/v1/passes/", json.dumps({
        "kind": "vehicle", "plate": "吉F·A1234", "unit_id": city.dept_a.pk, "zone_ids": [city.street.pk],
        "valid_from": "2020-02-01", "valid_until": "2030-02-28", "driver_name": "赵师傅",
    }), content_type="application/json", **bearer(token))
    assert r.status_code == 201, r.content
    assert r.json()["plate"] == "吉FA1234" and r.json()["zone_ids"] == [city.street.pk]
    bad = client.post("/api/v1/passes/", json.dumps({
        "kind": "vehicle", "plate": "吉F·A123", "unit_id": city.dept_a.pk,
        "valid_from": "2020-02-01", "valid_until": "2020-02-29",
    }), content_type="application/json", **bearer(token))
    assert bad.status_code == 400 and "7" in json.dumps(bad.json(), ensure_ascii=False)
    revoked = client.post(f"/api/v1/passes/{r.json()['id']}/revoke", json.dumps({"reason": "车辆报废"}),
                          content_type="application/json", **bearer(token))
    assert revoked.json()["status"] == "revoked"
    listing = client.get("/api/v1/passes/?kind=vehicle", **bearer(token)).json()
    assert listing["count"] == 1


def test_verify_pass_command_exits_0_only_for_valid(city, office, staff_pass, capsys):
    call_command("verify_pass", staff_pass.token, "--checkpoint", city.checkpoint_1.code)
    assert "(valid)" in capsys.readouterr().out
    assert PassCheck.objects.filter(source="cli", verdict="valid").count() == 1
    for bad in (staff_pass.token[:-4], "FK1:ZZZ"):
        with pytest.raises(SystemExit) as exc:
            call_command("verify_pass", bad)
        assert exc.value.code == 1
    services.revoke_pass(actor=office, p=staff_pass)
    with pytest.raises(SystemExit):
        call_command("verify_pass", staff_pass.number, "--checkpoint", city.checkpoint_1.code)
    assert "revoked" in capsys.readouterr().out


def test_issue_passes_command(city, office, capsys, tmp_path):
    call_command("issue_passes", "--user", office.username, "--plate", "吉F12345", "--unit", city.dept_a.code,
                 "--zone", city.comm_1.code, "--from", "2020-02-10", "--until", "2040-03-10",
                 "--pdf", str(tmp_path / "p.pdf"))
    assert Pass.objects.get().plate == "吉F12345"
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="吉F12345"):
        call_command("issue_passes", "--user", office.username, "--plate", "吉F12345", "--unit", city.dept_a.code)
    with pytest.raises(CommandError):
        call_command("issue_passes", "--user", office.username, "--plate", "吉I12345", "--unit", city.dept_a.code)
    call_command("issue_passes", "--user", office.username, "--person", city.bob.id_number)
    assert Pass.objects.filter(person=city.bob).exists()


def _xlsx(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()


HEADER = ["类型", "身份证号", "车牌号", "驾驶人", "车主", "单位编码", "通行区域编码", "事由", "起始日期", "截止日期"]


def test_import_is_all_or_nothing_with_row_errors(city, office, tmp_path):
    good = [
        HEADER,
        ["人员", city.alice.id_number, "", "", "", city.dept_a.code, city.comm_1.code, "下沉", "2020-02-10", "2030-03-10"],
        ["车辆", "", "吉F·D12345", "张师傅", "市民政局", city.dept_a.code, "", "物资运输", "2020-02-10", "2030-03-10"],
    ]
    bad = [*good, ["车辆", "", "吉F1234", "", "", city.dept_a.code, "", "", "2020-02-10", "2020-03-10"],
           ["人员", "220602198503140000", "", "", "", "NOPE", "", "", "2020-02-10", "2020-03-10"]]
    _xlsx(tmp_path / "bad.xlsx", bad)
    with pytest.raises(CommandError):
        call_command("issue_passes", "--user", office.username, "--file", str(tmp_path / "bad.xlsx"))
    assert not Pass.objects.exists()
    _xlsx(tmp_path / "good.xlsx", good)
    call_command("issue_passes", "--user", office.username, "--file", str(tmp_path / "good.xlsx"))
    assert sorted(Pass.objects.values_list("kind", flat=True)) == ["staff", "vehicle"]


def test_a_list_kept_by_hand_is_read_by_its_titles_and_checked_in_a_few_queries(city, office, tmp_path):
    """Titles above the header, columns in another order, synonyms, spaces and a required mark are
    all read; the units, zones and people a list names are looked up once, however long it is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.passes.imports import import_passes

    def rows(n):
        header = ["截止日期", "* 单位 编码", "类型", "公民身份号码", "车牌号码", "区域编码", "起始日期"]
        out = [["市直机关通行证清单"], header]
        for i in range(n):
            out.append(["2030-03-10", city.dept_a.code, "车辆", "", f"吉F{20000 + i}", city.comm_1.code, "2020-02-10"])
        out.append(["2030-03-10", city.dept_a.code, "人员", city.alice.id_number.lower(), "", "", "2020-02-10"])
        return out

    counts = []
    for n in (1, 3, 30):  # the first run also reads the actor's scope once
        # A last row with an unknown unit: every row is read and checked, nothing is issued.
        _xlsx(tmp_path / f"{n}.xlsx", [*rows(n), ["2030-03-10", "NOPE", "车辆", "", "吉F99999", "", "2020-02-10"]])
        with CaptureQueriesContext(connection) as queries:
            result = import_passes(actor=office, path=tmp_path / f"{n}.xlsx")
        assert [(e.row, e.column) for e in result.errors] == [(n + 4, "单位编码")] and not result.passes
        counts.append(len(queries.captured_queries))
    # The same queries for 3 rows or 30 (one of them reads the unit's remembered column mapping).
    assert counts[1] == counts[2] <= 4, counts
    _xlsx(tmp_path / "good.xlsx", rows(30))
    result = import_passes(actor=office, path=tmp_path / "good.xlsx")
    assert not result.errors and len(result.passes) == 31
    staff = Pass.objects.get(kind="staff")
    assert staff.person == city.alice and list(Pass.objects.filter(kind="vehicle")[0].zones.all()) == [city.comm_1]


def test_pdf_has_eight_cards_a_page_and_embeds_the_chinese_font(city, office):
    now = timezone.now()
    passes = [services.issue_vehicle_pass(actor=office, plate=f"吉F{10000 + i}", unit=city.dept_a,
                                          valid_from=now, valid_until=now + dt.timedelta(days=9)) for i in range(9)]
    pdf = pass_sheets(Pass.objects.filter(pk__in=[p.pk for p in passes]).prefetch_related("zones"))
    assert len(re.findall(rb"/Type /Page(?!s)", pdf)) == 2  # 9 cards: a full sheet of 8 and one more
    assert b"FontFile2" in pdf  # a TrueType font embedded (subset)


def test_stats_block(city, office, guard, staff_pass):
    services.record_check(actor=guard, checkpoint=city.checkpoint_1, verdict="valid", pass_id=staff_pass.pk)
    block = collect(timezone.localdate())["passes"]
    assert block == {"staff_issued": 1, "vehicle_issued": 0, "revoked": 0, "verifications": 1}
    services.revoke_pass(actor=office, p=staff_pass)
    assert collect(timezone.localdate())["passes"]["revoked"] == 1
    assert collect(dt.date(2019, 1, 1))["passes"]["staff_issued"] == 0


def test_a_list_in_its_own_wording_is_mapped_once_and_remembered(city, office, tmp_path, capsys):
    """The pass list goes through the shared mapping piece: a column it cannot place is named with
    a suggestion and nothing is issued; --map places it, and the next list of this layout needs none."""
    header = ["类型", "单位编码", "车牌号码", "生效日期", "有效期截止时间", "是否党员"]
    row = ["车辆", city.dept_a.code, "吉F30001", "2020-02-10", "2030-03-10", "否"]
    _xlsx(tmp_path / "own.xlsx", [header, row])
    with pytest.raises(CommandError):
        call_command("issue_passes", "--user", office.username, "--file", str(tmp_path / "own.xlsx"))
    err = capsys.readouterr().err
    assert "有效期截止时间" in err and "是否党员" in err and "截止日期" in err  # the suggestion
    call_command("issue_passes", "--user", office.username, "--file", str(tmp_path / "own.xlsx"),
                 "--map", "有效期截止时间=end", "--map", "是否党员=skip")
    _xlsx(tmp_path / "own2.xlsx", [header, [*row[:2], "吉F30002", *row[3:]]])
    call_command("issue_passes", "--user", office.username, "--file", str(tmp_path / "own2.xlsx"))
    assert sorted(Pass.objects.values_list("plate", flat=True)) == ["吉F30001", "吉F30002"]
