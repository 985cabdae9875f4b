"""In Chromium on a phone: the liaison, the community and the office each open the board and
trends from the menu and land on the report their units send, with units expected to report;
the export button downloads the board they see; the trend charts keep their legends clear of
the plot and give figures of another scale their own axis."""

import datetime as dt

import pytest

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.reports.defaults import create_default_templates
from tests import factories as f
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [
    ("unit_liaison", "dept_a", "市直机关每日情况报告", "卡点每日值守报告"),
    ("community_staff", "comm_1", "社区每日排查报告", "市直机关每日情况报告"),
    ("committee_office", "root", "市直机关每日情况报告", None),
]


@pytest.mark.parametrize(("role", "scope", "name", "absent"), CASES)
def test_the_board_and_trends_open_on_the_users_own_report(page, live_server, city, role, scope, name, absent):
    create_default_templates(actor=SYSTEM, start_date=clock.today() - dt.timedelta(days=6))
    f.user(role, getattr(city, scope), username="who")
    log_in(page, live_server, "who", f.PASSWORD, wait=True)
    page.click("nav.areas >> text=日报告")
    page.wait_for_selector("#board-figures")
    chosen = page.locator("select[name=template] option:checked").inner_text()
    assert chosen == name
    assert int(page.inner_text("#fig-expected")) > 0
    options = page.locator("select[name=template] option").all_inner_texts()
    if absent:
        assert absent not in options
    with page.expect_download() as download:
        page.click("#board-export")
    assert download.value.suggested_filename.startswith(name) and download.value.suggested_filename.endswith(".xlsx")

    page.click("nav.tabs >> text=趋势")
    page.wait_for_selector("#rate-chart canvas")
    assert page.locator("select[name=template] option:checked").inner_text() == name
    # ECharts draws on a canvas: ask the chart itself where its legend and its plot lie.
    layout = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('rate-chart'));
        const grid = chart.getModel().getComponent('grid').coordinateSystem.getRect();
        const view = chart._componentsViews.find(v => v.type === 'legend.scroll' || v.type === 'legend.plain');
        const box = view.group.getBoundingRect();
        return {legendBottom: view.group.y + box.y + box.height, gridTop: grid.y,
                axes: chart.getOption().yAxis.length};
    }""")
    assert layout["legendBottom"] < layout["gridTop"]
    assert layout["axes"] == 2  # rates on the left, counts of units on the right
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
