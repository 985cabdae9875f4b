"""The audit log in a real Chromium: sentences wrap inside the page at phone and laptop widths,
and a long list of changes folds behind 展开 and opens in place."""

import datetime as dt

import pytest

from fangkong.returnees import services as returnees

from . import factories as f
from .conftest import login_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 900)])
def test_the_audit_log_fits_and_folds_long_changes(browser, live_server, city, width, height):
    office = f.user("committee_office", city.root, username="office1")
    person = returnees.register(actor=office, side="unit", name="李某某", id_number=f.id_number(), unit=city.dept_a,
                                community=city.comm_1, category="outside", return_date=dt.date(2020, 2, 1))
    returnees.returnee_update(
        actor=office, returnee=person, return_date=dt.date(2020, 2, 3), category="other",
        origin_text="吉林省长春市朝阳区人民大街一千二百三十四号", transport="火车", address="江北路18号3单元402室",
        notes="已电话核实，本人在家，体温正常，社区已登记" * 3 + "，附件" + "A1B2C3D4E5" * 12,
    )
    auditor = login_client(f.user("auditor", city.root))
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": auditor.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/audit/")
        row = page.locator("td.entry", has_text="修改了 输入人员 李某某 的").first
        assert "人员类别：外地返回 → 其他" in row.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        wrap = page.evaluate("() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth <= w.clientWidth; }")
        assert wrap, "the details column must wrap, not scroll"
        folded = row.locator(".fold")
        assert not folded.is_visible()
        row.locator("button.fold-toggle").click()
        assert folded.is_visible() and "收起" in row.locator("button.fold-toggle").inner_text()
        assert "返回日期：2020年2月1日 → 2月3日" in row.inner_text()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
