"""The ledger's journeys in a real Chromium (Debian's), driven by Playwright against a live server:
a community worker registering a person on a phone, a liaison importing a ledger with errors."""

import re

import pytest
import xlsxwriter

from fangkong.core.idcard import mask_id_number
from fangkong.returnees.models import Returnee
from tests import factories as f
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_community_worker_registers_a_person_on_a_phone(page, live_server, city):
    f.user("community_staff", city.comm_1, username="hongqi")
    number = f.id_number()
    log_in(page, live_server, "hongqi", f.PASSWORD, wait=True)
    page.click("nav.areas >> text=输入人员台账")
    page.wait_for_url(f"{live_server.url}/returnees/")
    page.click("nav.tabs >> text=社区登记")
    page.wait_for_selector("#register-form")
    assert fits_the_screen(page)
    # The worker's only community is already chosen.
    assert page.input_value("#id_community") == str(city.comm_1.pk)
    page.fill("#id_name", "黄回家")
    page.fill("#id_id_number", number)
    page.fill("#id_phone", "139 0000 2222")
    page.fill("#id_address", "红旗社区3栋2单元")
    page.select_option("#id_unit", str(city.dept_a.pk))
    page.fill("#id_origin_text", "湖北省武汉市")
    page.fill("#id_return_date", "2020-02-03")
    page.click("#register-submit")
    page.wait_for_url(re.compile(r".*/returnees/\d+/$"))
    assert "黄回家" in page.locator("main h1").inner_text()
    assert number not in page.content()  # masked until revealed
    page.click("nav.tabs >> text=\"台账\"")
    page.wait_for_url(f"{live_server.url}/returnees/")
    assert "黄回家" in page.locator("#returnee-table").inner_text()
    returnee = Returnee.objects.get()
    assert returnee.id_number == number and returnee.dual_state == "community_only"
    assert returnee.community == city.comm_1 and returnee.unit == city.dept_a


def write_ledger(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("台账")
    headers = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "人员类别", "来源地", "返回日期"]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, value)
    book.close()
    return path


def test_a_liaison_imports_a_ledger_fixes_it_and_commits(page, live_server, city, tmp_path):
    f.user("unit_liaison", city.dept_a, username="minzheng")
    good, fixed = f.id_number(), f.id_number()
    broken = fixed[:-1] + ("0" if fixed[-1] != "0" else "1")  # wrong check digit
    rows = [
        ["刘返乡", good, "13900001111", "市民政局", "红旗社区", "外地返回", "湖北省武汉市", "2020-02-01"],
        ["陈归来", broken, "13900002222", "市民政局", "光明社区", "外地返回", "湖北省孝感市", "2020-02-02"],
    ]
    bad_file = write_ledger(tmp_path / "民政局台账.xlsx", rows)
    log_in(page, live_server, "minzheng", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/returnees/imports/")
    page.select_option("#id_side", "unit")
    page.set_input_files("#id_file", str(bad_file))
    page.click("#import-submit")
    page.wait_for_selector("#problems")
    problems = page.locator("#problems").inner_text()
    assert "3" in problems and "身份证号" in problems  # row 3, the ID column
    # The value masked, as ID numbers are everywhere they are kept: the uploader has the file.
    assert mask_id_number(broken) in problems and broken not in problems
    assert page.locator("#commit").count() == 0
    assert not Returnee.objects.exists()

    rows[1][1] = fixed
    good_file = write_ledger(tmp_path / "民政局台账（改）.xlsx", rows)
    page.click("text=上传其他文件")
    page.set_input_files("#id_file", str(good_file))
    page.click("#import-submit")
    page.wait_for_selector("#clean-preview")
    assert page.locator("#problems").count() == 0
    assert not Returnee.objects.exists()  # a preview writes nothing
    page.click("#commit")
    page.wait_for_selector("#import-result")
    page.goto(f"{live_server.url}/returnees/")
    table = page.locator("#returnee-table").inner_text()
    assert "刘返乡" in table and "陈归来" in table
    assert Returnee.objects.filter(unit=city.dept_a, unit_reported_at__isnull=False).count() == 2


def write_office_ledger(path, ids):
    """A unit's own template: a title, 序号, 联系方式, 现居住地址, a date header no synonym covers
    (返回白山时间) and a column the platform does not keep (是否党员)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["市民政局返程人员台账"])
    sheet.write_row(1, 0, ["序号", "姓名", "身份证号码", "联系方式", "现居住地址", "返回白山时间", "是否党员", "所在单位"])
    for r, number in enumerate(ids, start=2):
        sheet.write_row(r, 0, [str(r - 1), "返乡" + "甲乙丙"[r - 2], number, "0439-3211234", "幸福路1号", "2020-02-03", "是",
                               "市民政局"])
    book.close()
    return path


def test_a_liaison_maps_an_unknown_layout_once_then_it_goes_straight_through(browser, live_server, city, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")  # a desk
    page = context.new_page()
    page.set_default_timeout(15_000)
    f.user("unit_liaison", city.dept_a, username="minzheng")
    log_in(page, live_server, "minzheng", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/returnees/imports/")
    page.select_option("#id_side", "unit")
    page.set_input_files("#id_file", str(write_office_ledger(tmp_path / "台账.xlsx", [f.id_number(), f.id_number()])))
    page.click("#import-submit")
    page.wait_for_selector("#mapping-needed")
    table = page.locator("#mapping-table").inner_text()
    assert "返回白山时间" in table and "是否党员" in table
    assert "043****1234" in table and "3211234" not in table  # first values masked as the ledger masks them
    assert page.locator("#commit").count() == 0
    # The suggestion is offered, not applied: the liaison confirms it and skips 是否党员.
    assert page.locator("select[name=col_F]").input_value() == "return_date"
    page.select_option("select[name=col_G]", "")
    page.click("#save-mapping")
    page.wait_for_selector("#clean-preview")
    assert "是否党员" in page.locator("#not-imported").inner_text()
    assert "2" in page.locator("#preview-split").inner_text()
    page.click("#commit")
    page.wait_for_selector("#import-result")
    assert Returnee.objects.filter(unit=city.dept_a).count() == 2
    assert Returnee.objects.filter(phone_masked="043****1234").count() == 2

    page.goto(f"{live_server.url}/returnees/imports/")
    page.select_option("#id_side", "unit")
    page.set_input_files("#id_file", str(write_office_ledger(tmp_path / "台账2.xlsx", [f.id_number()])))
    page.click("#import-submit")
    page.wait_for_selector("#clean-preview")  # the same layout: no mapping step
    assert page.locator("#mapping-remembered").count() == 1
    assert fits_the_screen(page)
    page.click("#commit")
    page.wait_for_selector("#import-result")
    assert Returnee.objects.filter(unit=city.dept_a).count() == 3
    context.close()
