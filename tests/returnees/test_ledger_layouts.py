"""Ledgers as offices keep them: eight real layouts import without retyping (straight away, or
after one mapping that the unit's next file of the same layout no longer needs); no column with
data is dropped without being listed; the per-row commit's rejected rows go in once corrected;
landlines; checked columns; the preview's split; the mapping through the API and the command line."""

import datetime as dt
import io
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from fangkong.accounts.services import token_create
from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.core.columnmap import normalize_header
from fangkong.core.idcard import id_digest
from fangkong.core.models import ColumnMapping
from fangkong.returnees import imports, services
from fangkong.returnees.models import LedgerImport, Returnee
from tests import factories as f


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a, username="layout_liaison")


def xlsx(path, header, rows, *, above=(), below=(), merge_title=None):
    """An xlsx as an office fills it: lines above the header (a merged title, the 填报单位 line),
    the header, the rows, lines below (the signature)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    r = 0
    for line in above:
        if merge_title and r == 0:
            sheet.merge_range(0, 0, 0, len(header) - 1, line[0])
        else:
            sheet.write_row(r, 0, line)
        r += 1
    sheet.write_row(r, 0, header)
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    for line in below:
        r += 1
        sheet.write_row(r, 0, line)
    book.close()
    return path


def csv_file(path, header, rows, encoding="gb18030"):
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def person(i, birth="19850314"):
    return f.id_number(birth=birth)


# ---- the eight layouts -------------------------------------------------------------------------
# Each: (name, side, builder(tmp, city, ids) -> path, mapping its first file needs or None).


def issue_layout(tmp, city, ids):
    """The report's own example: merged title, 填报单位 line, 序号, 性别/年龄 checked, 联系方式 with a
    landline, 现居住地址, 从何地返回, 返回时间, a column the platform does not keep, signature footer."""
    header = ["序号", "姓名", "性别", "年龄", "身份证号码", "联系方式", "现居住地址", "所在社区", "从何地返回", "返回时间",
              "交通方式及车次/航班", "是否有发热咳嗽症状", "是否居家隔离", "所在单位", "备注"]
    rows = [[str(i + 1), "张" + "一二三四五"[i], "男", "35", ids[i], "0439-3211234" if i == 0 else f"1390439{i:04d}",
             f"幸福路{i + 1}号", city.comm_1.name, "湖北省武汉市", "2月10日", "K1234", "否", "是", city.dept_a.name, ""]
            for i in range(len(ids))]
    return xlsx(tmp / "issue.xlsx", header, rows, merge_title=True,
                above=[["市民政局节后返程人员登记台账"], ["填报单位（盖章）：市民政局", "", "填报人：王", "", "填报时间：2月11日"]],
                below=[["单位负责人（签字）：", "", "", "", "", "填报人：王"]])


def template_layout(tmp, city, ids):
    header = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式", "返回日期"]
    rows = [["李" + "一二三四五"[i], ids[i], f"1380000{i:04d}", city.dept_a.name, city.comm_1.name, "光明路1号", "外地返回",
             "北京市", "自驾", "2020-02-05"] for i in range(len(ids))]
    return xlsx(tmp / "template.xlsx", header, rows)


def bracketed_layout(tmp, city, ids):
    """Marks, brackets, units and another order."""
    header = ["返程日期【格式：2020-02-01】", "*姓名", "工作单位名称", "身份证号码（18位）", "手机号码(必填)", "家庭住址："]
    rows = [["2020-02-06", "赵" + "一二三四五"[i], city.dept_a.name, ids[i], f"+86 139-1111-{i:04d}", "和平街2号"]
            for i in range(len(ids))]
    return xlsx(tmp / "bracketed.xlsx", header, rows)


def gb18030_csv_layout(tmp, city, ids):
    header = ["序号", "姓名", "公民身份号码", "电话号码", "现住址", "单位名称", "抵达时间"]
    rows = [[i + 1, "钱" + "一二三四五"[i], ids[i], f"0439-321{i:04d}", "新华路3号", city.dept_a.name, "2020/2/7"]
            for i in range(len(ids))]
    return csv_file(tmp / "wps.csv", header, rows)


def return_x_layout(tmp, city, ids):
    """返X时间 and the 乘坐交通工具 wording, a note line under the title."""
    header = ["姓 名", "身份证", "手机", "返白时间", "乘坐交通工具", "工作单位", "说明"]
    rows = [["孙" + "一二三四五"[i], ids[i], f"1360000{i:04d}", "2020-02-08", "火车G100", city.dept_a.name, ""]
            for i in range(len(ids))]
    return xlsx(tmp / "return_x.xlsx", header, rows, above=[["注：本表每日17时前报送"]])


def unknown_wording_layout(tmp, city, ids):
    """A date header no synonym covers: the mapping step suggests it, the user confirms once."""
    header = ["姓名", "身份证号", "返回白山时间", "工作单位"]
    rows = [["周" + "一二三四五"[i], ids[i], "2020-02-09", city.dept_a.name] for i in range(len(ids))]
    return xlsx(tmp / "unknown.xlsx", header, rows)


def extra_columns_layout(tmp, city, ids):
    """Columns the platform does not keep, one of them a second phone."""
    header = ["序号", "姓名", "身份证号", "是否党员", "手机号码", "办公电话", "返回日期", "工作单位", ""]
    rows = [[i + 1, "吴" + "一二三四五"[i], ids[i], "是", f"1350000{i:04d}", "0439-3200000", "2020-02-10",
             city.dept_a.name, ""] for i in range(len(ids))]
    return xlsx(tmp / "extra.xlsx", header, rows)


def community_layout(tmp, city, ids):
    header = ["社区名称", "人员姓名", "身份证", "联系电话", "详细住址", "返程时间", "从何地返回"]
    rows = [[city.comm_1.name, "郑" + "一二三四五"[i], ids[i], f"1370000{i:04d}", "幸福路9号", "2020-02-11", "长春市"]
            for i in range(len(ids))]
    return xlsx(tmp / "community.xlsx", header, rows)


LAYOUTS = [
    ("issue", "unit", issue_layout, {"是否有发热咳嗽症状": ""}),
    ("template", "unit", template_layout, None),
    ("bracketed", "unit", bracketed_layout, None),
    ("gb18030_csv", "unit", gb18030_csv_layout, None),
    ("return_x", "unit", return_x_layout, None),
    ("unknown_wording", "unit", unknown_wording_layout, {"返回白山时间": "return_date"}),
    ("extra_columns", "unit", extra_columns_layout, {"是否党员": "", "办公电话": ""}),
    ("community", "community", community_layout, None),
]


def upload(user, path, side="unit", **kwargs):
    li = imports.import_create(actor=user, side=side, source=path, file_name=path.name, **kwargs)
    return imports.import_run(li, commit=False, actor=user)


@pytest.mark.parametrize(("name", "side", "build", "needs"), LAYOUTS, ids=[layout[0] for layout in LAYOUTS])
def test_each_layout_imports_straight_or_after_one_mapping_then_remembered(city, tmp_path, name, side, build, needs):
    user = f.user("unit_liaison" if side == "unit" else "community_staff",
                  city.dept_a if side == "unit" else city.comm_1)
    ids = [person(i) for i in range(3)]
    path = build(tmp_path, city, ids)
    li = upload(user, path, side)
    if needs is None:
        assert li.status == "preview", (li.status, li.message)
    else:
        assert li.status == "mapping", li.message
        unresolved = {c["header"] for c in li.preview["columns"] if c["how"] in ("unknown", "duplicate")}
        assert unresolved == set(needs)
        li = imports.import_map(li, actor=user, choices=needs)
        assert li.status == "preview", (li.status, li.message)
    assert li.error_count == 0, li.errors
    assert li.total_rows == 3  # no title, 填报 or signature line read as a row
    li = imports.import_run(li, commit=True, actor=user)
    assert li.status == "committed" and li.created == 3
    for number in ids:
        returnee = Returnee.objects.get(id_digest=id_digest(number))
        assert returnee.return_date is not None and returnee.name
    # The same layout again (a later day's file of the unit): straight through.
    again = upload(user, build(tmp_path, city, [person(i) for i in range(3)]), side)
    assert again.status == "preview", again.message
    assert again.preview["remembered"] is (needs is not None)


def test_the_issue_layout_keeps_phones_addresses_and_a_landline(city, liaison, tmp_path):
    ids = [person(i) for i in range(3)]
    li = upload(liaison, issue_layout(tmp_path, city, ids), mapping={normalize_header("是否有发热咳嗽症状"): ""})
    assert li.status == "preview", li.message
    placed = {c["header"]: c["key"] for c in li.preview["columns"]}
    assert placed["联系方式"] == "phone" and placed["现居住地址"] == "address" and placed["返回时间"] == "return_date"
    assert placed["性别"] == "sex" and placed["是否居家隔离"] == "isolation" and placed["序号"] is None
    imports.import_run(li, commit=True, actor=liaison)
    first = Returnee.objects.get(id_digest=id_digest(ids[0]))
    assert first.phone == "04393211234" and first.masked_phone == "043****1234"
    assert first.address == "幸福路1号" and first.transport == "K1234" and first.origin_text == "湖北省武汉市"


def test_no_column_with_data_is_dropped_without_being_listed(city, liaison, tmp_path):
    """Every column holding data is either imported or listed as not imported; an unknown one
    stops the import until it is mapped or explicitly skipped."""
    ids = [person(i) for i in range(2)]
    li = upload(liaison, extra_columns_layout(tmp_path, city, ids))
    assert li.status == "mapping"
    assert "办公电话" in li.message and "是否党员" in li.message
    assert imports.import_run(li, commit=True, actor=liaison).status == "mapping"
    assert not Returnee.objects.exists()
    li = imports.import_map(li, actor=liaison, choices={"D": "", "F": ""})
    columns = li.preview["columns"]
    with_data = [c for c in columns if c["samples"]]
    listed = {c["letter"] for c in columns if not c["key"]}
    assert all(c["key"] or c["letter"] in listed for c in with_data)
    assert {"A", "D", "F"} <= listed  # 序号, 是否党员, 办公电话
    html_listed = {c["header"] for c in columns if not c["key"] and c["samples"]}
    assert html_listed == {"序号", "是否党员", "办公电话"}


def test_the_mapping_step_through_the_page_is_remembered_for_the_unit(city, liaison, as_user, tmp_path):
    client = as_user(liaison)
    ids = [person(i) for i in range(2)]
    with unknown_wording_layout(tmp_path, city, ids).open("rb") as fh:
        response = client.post("/returnees/imports/new/", {"side": "unit", "file": fh})
    li = LedgerImport.objects.get()
    html = client.get(response["Location"]).content.decode()
    assert 'id="mapping-needed"' in html and "返回白山时间" in html and 'name="col_C"' in html
    assert '<option value="return_date" selected>' in html  # the suggestion, offered, not applied
    response = client.post(f"/returnees/imports/{li.pk}/mapping/", {"col_A": "name", "col_B": "id_number",
                                                                     "col_C": "return_date", "col_D": "employer"})
    li.refresh_from_db()
    assert li.status == "preview" and li.error_count == 0
    assert ColumnMapping.objects.filter(kind="returnees.unit", unit_id=city.dept_a.pk).count() == 1
    assert AuditEntry.objects.filter(detail__startswith="column mapping").exists()
    # Another liaison of another unit does not get this unit's mapping.
    other = f.user("unit_liaison", city.dept_b)
    assert upload(other, unknown_wording_layout(tmp_path, city, [person(5)])).status == "mapping"


def test_per_row_commit_and_the_rejected_rows_round_trip(city, liaison, tmp_path):
    ids = [person(i) for i in range(4)]
    bad = ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")
    rows_ids = [ids[0], ids[1], bad, ids[3]]
    li = upload(liaison, issue_layout(tmp_path, city, rows_ids), mapping={normalize_header("是否有发热咳嗽症状"): ""})
    assert li.status == "preview" and li.error_count == 1
    rejected = imports.import_run(li, commit=True, actor=liaison)
    assert rejected.status == "rejected" and not Returnee.objects.exists()  # all-or-nothing by default
    li.refresh_from_db()
    li.status = "preview"
    li.per_row = True
    li.save()
    li = imports.import_run(li, commit=True, actor=liaison)
    assert li.status == "committed" and li.created == 3 and li.rejected == 1
    assert Returnee.objects.count() == 3
    entry = AuditEntry.objects.filter(detail__contains="per_row rejected=1").get()
    assert entry.actor_id == liaison.pk

    content = imports.rejected_rows_xlsx(li, actor=liaison)
    assert AuditEntry.objects.filter(detail__startswith="rejected rows", action="export").exists()
    values = [list(row) for row in CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()]
    assert values[0][-1] == "问题说明" and values[0][1] == "姓名"
    assert len(values) == 2 and values[1][4] == bad and "校验位" in values[1][-1]
    # Corrected and uploaded again: the unit's mapping (its header set without the reason column)
    # reads it, and the row goes in.
    corrected = tmp_path / "corrected.xlsx"
    values[1][4] = ids[2]
    out = xlsxwriter.Workbook(str(corrected))
    ws = out.add_worksheet()
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            ws.write_string(r, c, "" if value is None else str(value))
    out.close()
    imports.remember_mapping(li, actor=liaison)
    again = upload(liaison, corrected)
    assert again.status == "preview" and again.error_count == 0, (again.message, again.errors)
    again = imports.import_run(again, commit=True, actor=liaison)
    assert again.created == 1 and Returnee.objects.filter(id_digest=id_digest(ids[2])).exists()


def test_phones_as_people_give_them(city, liaison, tmp_path):
    ids = [person(i) for i in range(5)]
    header = ["姓名", "身份证号", "联系电话", "返回日期", "工作单位"]
    phones = ["0439-3211234", "(010)12345678", "0439-3211234转801", "13912345678/13812345678", "3211234"]
    rows = [["王" + "一二三四五"[i], ids[i], phones[i], "2020-02-01", city.dept_a.name] for i in range(5)]
    li = upload(liaison, xlsx(tmp_path / "phones.xlsx", header, rows))
    reasons = {e["row"]: e["reason"] for e in li.errors}
    assert set(reasons) == {4, 5, 6}
    assert "分机" in reasons[4] and "一个电话号码" in reasons[5] and "区号" in reasons[6]
    assert all(e["value"].count("*") for e in li.errors)  # the phone is masked in the problem list


def test_checked_columns_warn_or_refuse_when_strict(city, liaison, tmp_path):
    man = person(0)  # the factory's numbers: odd 17th digit or even, read from the number itself
    from fangkong.core.idcard import sex_of

    wrong_sex = "女" if sex_of(man) == "M" else "男"
    header = ["姓名", "身份证号", "性别", "年龄", "出生日期", "是否居家隔离", "返回日期", "工作单位"]
    rows = [["李错", man, wrong_sex, "20", "1985-03-14", "否", "2020-02-01", city.dept_a.name]]
    li = upload(liaison, xlsx(tmp_path / "checks.xlsx", header, rows))
    assert li.status == "preview" and li.error_count == 0
    reasons = {w["column"]: w["reason"] for w in li.preview["warnings"]}
    assert set(reasons) == {"性别", "年龄", "是否居家隔离"}  # the birth date agrees
    assert "隔离" in reasons["是否居家隔离"] and "不符" in reasons["年龄"]
    strict = upload(liaison, xlsx(tmp_path / "checks2.xlsx", header, rows), strict=True)
    assert {e["column"] for e in strict.errors} == {"性别", "年龄", "是否居家隔离"}


def test_a_person_the_ledger_says_is_not_isolated_is_flagged_on_the_communitys_follow_up_list(
    city, liaison, as_user, tmp_path
):
    header = ["姓名", "身份证号", "是否居家隔离", "返回日期", "工作单位", "居住社区"]
    rows = [["李未隔", person(0), "否", "2020-02-20", city.dept_a.name, city.comm_1.name],
            ["王已隔", person(1), "是", "2020-02-20", city.dept_a.name, city.comm_1.name]]
    li = upload(liaison, xlsx(tmp_path / "iso.xlsx", header, rows))
    li = imports.import_run(li, commit=True, actor=liaison)
    assert li.status == "committed"
    flagged = Returnee.objects.get(name="李未隔").isolation
    assert "第2行" in flagged.ledger_flag or "row 2" in flagged.ledger_flag
    assert Returnee.objects.get(name="王已隔").isolation.ledger_flag == ""
    staff = as_user(f.user("community_staff", city.comm_1))
    html = staff.get("/returnees/follow-ups/", {"day": "2020-02-25"}).content.decode()
    assert "李未隔" in html and flagged.ledger_flag in html


def test_the_preview_splits_new_updated_unchanged_and_dual_and_knows_a_file_committed(city, liaison, tmp_path):
    staff = f.user("community_staff", city.comm_1)
    known = person(0)
    services.register(actor=staff, side="community", name="王双报", id_number=known, unit=city.dept_a,
                      community=city.comm_1, category="outside", return_date=dt.date(2020, 2, 1))
    header = ["姓名", "身份证号", "工作单位", "居住社区", "返回日期"]
    rows = [["王双报", known, city.dept_a.name, city.comm_1.name, "2020-02-01"],
            ["新来人", person(1), city.dept_a.name, city.comm_1.name, "2020-02-02"]]
    path = xlsx(tmp_path / "split.xlsx", header, rows)
    li = upload(liaison, path)
    assert li.preview["split"] == {"created": 1, "updated": 1, "unchanged": 0, "dual": 1}
    assert Returnee.objects.count() == 1  # the dry run wrote nothing
    li = imports.import_run(li, commit=True, actor=liaison)
    assert (li.created, li.updated, li.unchanged) == (1, 1, 0)  # 未变 hides no one made dual-reported
    again = upload(liaison, path)
    assert again.preview["committed_before"]["id"] == li.pk
    assert again.preview["split"] == {"created": 0, "updated": 0, "unchanged": 2, "dual": 0}
    assert len(again.preview["rows"]) == 2 and again.preview["rows"][0]["id_number"].count("*") == 8


def test_the_api_maps_the_columns(city, client, liaison, tmp_path):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=liaison, actor=SYSTEM)}"}
    path = unknown_wording_layout(tmp_path, city, [person(0)])
    upload_ = client.post("/api/v1/returnees/imports", {"side": "unit", "file": io.BytesIO(path.read_bytes())}, **auth)
    body = upload_.json()
    assert body["status"] == "mapping" and body["missing"] == ["return_date"]
    column = next(c for c in body["columns"] if c["header"] == "返回白山时间")
    assert column["how"] == "unknown" and column["suggestion"] == "return_date" and column["samples"] == ["2020-02-09"]
    bad = client.post(f"/api/v1/returnees/imports/{body['id']}/mapping", {"columns": {"返回白山时间": "nonsense"}},
                      content_type="application/json", **auth)
    assert bad.status_code == 400
    mapped = client.post(f"/api/v1/returnees/imports/{body['id']}/mapping", {"columns": {"返回白山时间": "return_date"}},
                         content_type="application/json", **auth).json()
    assert mapped["status"] == "preview" and mapped["split"]["created"] == 1
    committed = client.post(f"/api/v1/returnees/imports/{body['id']}/commit", **auth).json()
    assert committed["status"] == "committed" and committed["created"] == 1
    # A mapping given with the upload.
    other = f.user("unit_liaison", city.dept_b)
    auth_b = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=other, actor=SYSTEM)}"}
    path = unknown_wording_layout(tmp_path, city, [person(1)])
    body = client.post("/api/v1/returnees/imports", {"side": "unit", "file": io.BytesIO(path.read_bytes()),
                                                      "mapping": '{"返回白山时间": "return_date"}'}, **auth_b).json()
    assert body["status"] == "preview", body["message"]


def test_the_command_line_prints_suggestions_and_takes_map(city, liaison, tmp_path, capsys):
    path = unknown_wording_layout(tmp_path, city, [person(0)])
    with pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(path), "--side", "unit", "--user", liaison.username)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "返回白山时间" in err and "--map '返回白山时间=return_date'" in err
    call_command("import_ledger", str(path), "--side", "unit", "--user", liaison.username,
                 "--map", "返回白山时间=return_date")
    out = capsys.readouterr().out
    assert "已导入 1 行" in out
    # Remembered: the next file of this layout needs no --map.
    call_command("import_ledger", str(unknown_wording_layout(tmp_path, city, [person(1)])), "--side", "unit",
                 "--user", liaison.username)
    assert "已导入 1 行" in capsys.readouterr().out
    assert Returnee.objects.count() == 2


def test_a_file_that_cannot_be_read_says_how_to_save_it(city, liaison, tmp_path):
    path = Path(tmp_path / "ledger.xlsx")
    path.write_bytes("<html><table><tr><td>姓名</td></tr></table></html>".encode())
    li = upload(liaison, path)
    assert li.status == "failed" and "另存为xlsx" in li.message


@pytest.mark.django_db
def test_signature_lines_are_not_rows_but_a_person_without_an_id_number_is(tmp_path):
    from fangkong.returnees.ledger import read_ledger

    header = ["姓名", "身份证号", "返回日期", "备注"]
    rows = [["张三", f.id_number(), "2020-02-01", ""], ["李四", "", "2020-02-02", "联系负责人"]]
    path = xlsx(tmp_path / "footer.xlsx", header, rows, below=[["", "", "", "合计：2人"], ["填报人（签字）：", "", "", "审核人："]])
    parsed = read_ledger(path, side="unit")
    assert [r["row"] for r in parsed.rows] == [2, 3]
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "身份证号")]
