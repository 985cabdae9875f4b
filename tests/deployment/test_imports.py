"""Secondment lists from Excel: the preview lists every problem by row, column, value and Chinese
reason and writes nothing; commit writes all rows or none; scope applies; the template reads back."""

import datetime as dt

import pytest
import xlsxwriter

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.deployment import imports, services
from fangkong.deployment.models import Secondment, SecondmentImport
from fangkong.people.models import Person
from tests import factories as f

HEADERS = ["序号", "姓名", "身份证号", "派出单位", "下沉地点", "职责", "下沉日期", "结束日期"]


def write(path, rows, headers=HEADERS, title=True):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    offset = 0
    if title:
        sheet.write_string(0, 0, "市直机关下沉干部名单")
        offset = 1
    for c, h in enumerate(headers):
        sheet.write_string(offset, c, h)
    for r, row in enumerate(rows, start=offset + 1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    book.close()
    return path


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a, username="dep_liaison")


def good_rows(city):
    return [
        ["1", city.alice.name, city.alice.id_number, city.dept_a.name, city.checkpoint_1.name, "带队", "2020-02-01", ""],
        ["2", "新干部", f.id_number("19900101"), city.dept_a.name, city.comm_1.name, "队员", "2020/2/3", ""],
        ["3", "待分配", f.id_number("19920202"), city.dept_a.name, "", "", "2月5日", ""],
    ]


def test_it_previews_then_commits_all_rows(city, liaison, tmp_path):
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "a.xlsx", good_rows(city)), file_name="a.xlsx")
    assert record.status == "preview" and record.total_rows == 3 and record.error_count == 0, record.errors
    assert not Secondment.objects.exists()
    assert len(record.sha256) == 64
    record = imports.import_commit(actor=liaison, record=record)
    assert record.status == "committed" and record.created == 3
    rows = {s.person.name: s for s in Secondment.objects.select_related("person", "unit")}
    assert rows[city.alice.name].role == "team_leader" and rows[city.alice.name].unit == city.checkpoint_1
    assert rows["新干部"].starts_on == dt.date(2020, 2, 3) and rows["新干部"].person.is_cadre
    assert rows["待分配"].unit is None and rows["待分配"].starts_on == dt.date(2020, 2, 5)
    assert AuditEntry.objects.filter(object_type="deployment.secondmentimport", detail__contains=record.sha256).exists()


def test_one_bad_row_rejects_everything_with_row_column_value_and_reason(city, liaison, tmp_path):
    rows = good_rows(city)
    rows[1][2] = rows[1][2][:-1] + ("0" if rows[1][2][-1] != "0" else "1")  # bad check digit
    rows[2][3] = "市不存在局"
    rows[0][5] = "司机"
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "b.xlsx", rows), file_name="b.xlsx")
    found = {(e["row"], e["column"]) : e for e in record.errors}
    assert set(found) == {(3, "职责"), (4, "身份证号"), (5, "派出单位")}
    assert "校验位" in found[(4, "身份证号")]["reason"]
    assert found[(5, "派出单位")]["value"] == "市不存在局" and "找不到" in found[(5, "派出单位")]["reason"]
    assert "队员" in found[(3, "职责")]["reason"]
    with pytest.raises(Exception):  # noqa: B017 - a preview with problems cannot be committed
        imports.import_commit(actor=liaison, record=record)
    assert not Secondment.objects.exists() and Person.objects.filter(name="待分配").count() == 0


def test_commit_rechecks_and_writes_nothing_when_the_database_changed(city, liaison, tmp_path):
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "c.xlsx", good_rows(city)), file_name="c.xlsx")
    # Meanwhile alice is seconded by hand: the import would second her twice.
    services.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a, starts_on=dt.date(2020, 1, 30))
    record = imports.import_commit(actor=liaison, record=record)
    assert record.status == "rejected" and record.error_count == 1
    assert "时间重叠" in record.errors[0]["reason"]
    assert Secondment.objects.count() == 1 and not Person.objects.filter(name="新干部").exists()


def test_it_refuses_departments_outside_the_uploaders_scope_and_duplicates(city, liaison, tmp_path):
    rows = good_rows(city)
    rows[1][3] = city.dept_b.name
    rows.append(["4", city.alice.name, city.alice.id_number, city.dept_a.name, "", "", "2020-02-01", ""])
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "d.xlsx", rows), file_name="d.xlsx")
    reasons = {(e["row"], e["column"]): e["reason"] for e in record.errors}
    assert "管理范围" in reasons[(4, "派出单位")]
    assert "重复" in reasons[(6, "身份证号")]


def test_a_person_of_another_department_is_a_problem(city, liaison, tmp_path):
    rows = good_rows(city)[:1]
    rows[0][1], rows[0][2] = city.bob.name, city.bob.id_number  # bob works in dept_b
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "o.xlsx", rows), file_name="o.xlsx")
    assert record.error_count == 1 and record.errors[0]["column"] == "派出单位"
    assert "不是这个派出单位的人员" in record.errors[0]["reason"]


def test_a_name_that_does_not_match_the_id_number_is_a_problem(city, liaison, tmp_path):
    rows = good_rows(city)[:1]
    rows[0][1] = "张冒名"
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "e.xlsx", rows), file_name="e.xlsx")
    assert record.error_count == 1 and city.alice.name in record.errors[0]["reason"]


def test_an_unusable_file_or_missing_columns_fail_clearly(city, liaison, tmp_path):
    junk = tmp_path / "x.xlsx"
    junk.write_bytes(b"not a spreadsheet at all")
    record = imports.import_preview(actor=liaison, source=junk, file_name="x.xlsx")
    assert record.status == "failed" and record.message
    record = imports.import_preview(
        actor=liaison, source=write(tmp_path / "m.xlsx", [["张三"]], headers=["姓名"]), file_name="m.xlsx"
    )
    assert record.status == "failed" and "缺少必填列" in record.message and "派出单位" in record.message


def test_the_template_reads_back_as_an_empty_list(city, liaison, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(imports.build_template())
    rows, problems, texts = imports.read_file(path)
    assert rows == [] and problems == [] and texts["id_number"] == "身份证号*"
    record = imports.import_preview(actor=liaison, source=path, file_name="t.xlsx")
    assert record.status == "rejected" and SecondmentImport.objects.count() == 1


def test_overlap_with_any_earlier_secondment_is_a_problem(city, liaison, tmp_path):
    old = services.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a,
                                     starts_on=dt.date(2020, 1, 10), ends_on=dt.date(2020, 1, 20))
    services.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a, starts_on=dt.date(2020, 2, 10))
    rows = [["1", city.alice.name, city.alice.id_number, city.dept_a.name, "", "", "2020-01-15", "2020-01-25"]]
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "p.xlsx", rows), file_name="p.xlsx")
    assert record.error_count == 1 and old.starts_on.isoformat() in record.errors[0]["reason"]
    rows[0][6:] = ["2020-01-25", "2020-02-05"]  # between the two: fine
    record = imports.import_preview(actor=liaison, source=write(tmp_path / "q.xlsx", rows), file_name="q.xlsx")
    assert record.error_count == 0, record.errors


def test_a_list_in_its_own_wording_is_mapped_once_through_the_shared_mapping_piece(city, liaison, as_user, tmp_path):
    """The secondment list goes through the ledger's mapping piece: an unknown column with data
    stops the preview, naming it with a suggestion; a mapping given with the upload places it and
    is remembered, so the unit's next list of this layout goes straight through."""
    headers = ["序号", "姓名", "身份证号码（18位）", "派出单位", "派驻卡点", "下沉时间", "是否党员"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[6], "是"] for r in good_rows(city)]
    first = imports.import_preview(actor=liaison, source=write(tmp_path / "a.xlsx", rows, headers), file_name="a.xlsx")
    assert first.status == "failed"
    assert "下沉时间" in first.message and "是否党员" in first.message and "下沉日期" in first.message
    client = as_user(liaison)
    with write(tmp_path / "b.xlsx", rows, headers).open("rb") as fh:
        client.post("/deployment/imports/", {"file": fh, "mapping": "下沉时间=starts_on\n派驻卡点=place\n是否党员=skip"})
    mapped = SecondmentImport.objects.exclude(pk=first.pk).get()
    assert mapped.status == "preview" and mapped.error_count == 0, (mapped.message, mapped.errors)
    again = imports.import_preview(actor=liaison, source=write(tmp_path / "c.xlsx", rows, headers), file_name="c.xlsx")
    assert again.status == "preview" and again.total_rows == 3
