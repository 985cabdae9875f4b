"""In Chromium on a phone-sized screen: a liaison sends the one-tap zero report and the
committee office sees its board change."""

import pytest

from fangkong.reports.models import Report
from tests import factories as f
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_liaison_sends_the_zero_report_and_the_office_sees_it(page, browser, live_server, city, today_tmpl):
    f.user("unit_liaison", city.dept_a, username="minzheng")
    f.user("committee_office", city.root, username="gongwei")
    office = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    office.set_default_timeout(15_000)
    log_in(office, live_server, "gongwei", f.PASSWORD, wait=True)
    board = f"{live_server.url}/reports/?template={today_tmpl.pk}&unit={city.committee.pk}"
    office.goto(board)
    assert office.inner_text("#fig-zero") == "0"
    assert office.inner_text("#fig-expected") == "3"

    log_in(page, live_server, "minzheng", f.PASSWORD, wait=True)
    page.click("nav.areas >> text=日报告")
    page.click("nav.tabs >> text=报送日报告")
    page.wait_for_selector("#zero-report")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert city.dept_a.name in page.inner_text("#submit-unit")
    page.click("#zero-report")
    page.wait_for_selector("#report-state")
    assert "已报送零报告" in page.inner_text("#report-state")
    report = Report.objects.get()
    assert report.is_zero and report.unit == city.dept_a

    office.goto(board)
    assert office.inner_text("#fig-zero") == "1" and office.inner_text("#fig-submitted") == "1"
    row = office.locator(f'#unit-states tr[data-unit="{city.dept_a.pk}"]')
    assert row.get_attribute("data-state") == "zero" and "零报告" in row.inner_text()
    office.context.close()
