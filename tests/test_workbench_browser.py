"""Each role's working day on a phone (390×844): log in, open the workbench, do each to-do item
once, and find the counts before and after as the lists they open say.

The demo city is loaded once and every role takes its turn on it, in its own browser: loading it
takes most of a minute, and what one role does is what the next one sees (the liaison's zero
report raises the flag the inspection group then reviews). The three administrator duties need a
second factor to sign in; tests/test_workbench.py covers their workbench.
"""

import io
import re

import pytest
from django.core.management import call_command

from fangkong.core import clock
from fangkong.orgs.management.commands.demo import DEMO_PASSWORD
from fangkong.reports.models import ConcealmentFlag
from tests import workbench_day as day
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_day():
    call_command("demo", stdout=io.StringIO())
    department, template = day.reopen_department_report()
    day.register_staff_returnee(department)
    order = day.reopen_follow_up()
    assignment = day.reopen_check_in()
    return {"department": department, "template": template, "order": order, "assignment": assignment}


@pytest.fixture
def phone(browser):
    """A new phone for each role: ``phone()`` opens one; all are closed at the end."""
    contexts = []

    def open_phone():
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions are answered yes
        return page

    yield open_phone
    for context in contexts:
        context.close()


def workbench(page, live_server, username):
    log_in(page, live_server, username, DEMO_PASSWORD, wait=True)
    assert page.locator("main h1").inner_text().startswith("工作台")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, f"{username}: horizontal scroll"


def count(page, key):
    """The count an item shows, or None when the item is not on the workbench."""
    item = page.locator(f"#wb-{key}")
    if item.count() == 0:
        return None
    return int(item.get_attribute("data-count"))


def opens_list_of(page, live_server, key):
    """Tap the item's count: the list it opens holds as many rows as the count said."""
    expected = count(page, key)
    with page.expect_navigation():
        page.locator(f"#wb-{key} a.wb-count, #wb-{key} a.wb-open").first.click()
    total = int(page.locator("[data-total]").first.get_attribute("data-total"))
    assert total == expected, (key, page.url, total, expected)
    page.goto(f"{live_server.url}/")
    return total


def home(page, live_server):
    page.goto(f"{live_server.url}/")


def liaison_day(page, live_server, state):
    department = state["department"]
    key = f"reports-organs-daily-{department.pk}"
    workbench(page, live_server, "liaison")
    assert count(page, key) == 1
    assert "截止 16:00" in page.locator(f"#wb-{key}").inner_text() or "已过截止时间" in page.locator(
        f"#wb-{key}").inner_text()
    opens_list_of(page, live_server, key)
    assert count(page, "returnees-unit-only") == 1
    opens_list_of(page, live_server, "returnees-unit-only")
    assert count(page, "flags-answer") is None

    # Today's report: one tap sends the zero report and comes back to the workbench.
    with page.expect_navigation():
        page.locator(f"#wb-{key} button", has_text="今日无新增情况").click()
    assert page.url == f"{live_server.url}/"
    assert "零报告已报送" in page.locator(".messages").inner_text() or page.locator(".messages").count() == 1
    assert count(page, key) == 0
    # The ledger shows a returnee registered today: the flag is raised against the unit at once.
    assert count(page, "flags-answer") == 1
    assert "零报告" in page.locator("#wb-flags-answer").inner_text()
    opens_list_of(page, live_server, "flags-answer")

    # The flag: the reason, the correction path, and the unit's answer recorded.
    with page.expect_navigation():
        page.locator("#wb-flags-answer a", has_text="作出说明").first.click()
    assert page.locator("#correct-report").is_visible()
    page.fill("#answer-form textarea", "周晓岚今日返岗，零报告有误，已更正。")
    with page.expect_navigation():
        page.click("#answer-form button[type=submit]")
    assert "周晓岚今日返岗" in page.locator("#flag-answer").inner_text()
    home(page, live_server)
    assert count(page, "flags-answer") is None


def community_day(page, live_server, state):
    name = state["order"].returnee.name
    workbench(page, live_server, "community")
    before = count(page, "returnees-followups")
    assert before >= 1 and name in page.locator("#wb-returnees-followups").inner_text()
    for key in ("returnees-followups", "returnees-ending", "deployment-shifts", "returnees-community-only",
                "deployment-no-shows"):
        opens_list_of(page, live_server, key)
    # The follow-up due: its row on today's list takes the temperature.
    with page.expect_navigation():
        page.locator("#wb-returnees-followups a.btn", has_text="记录").first.click()
    row = page.locator(f"#fu-{state['order'].pk}")
    row.locator("input[name=temperature]").fill("36.6")
    with page.expect_response(re.compile(r"/follow-ups/")):
        row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#fu-{state['order'].pk} .badge.ok")
    home(page, live_server)
    assert count(page, "returnees-followups") == before - 1
    # The scanner is one tap away.
    with page.expect_navigation():
        page.click("#wb-passes-scan a.btn")
    assert "/passes/checkpoint/" in page.url


def checkpoint_day(page, live_server, state):
    person = state["assignment"].person.name
    workbench(page, live_server, "checkpoint")
    shift = page.locator("#wb-deployment-shift-now")
    on_shift = count(page, "deployment-shift-now")
    assert f"已签到 {on_shift - 1} 名" in shift.inner_text()
    opens_list_of(page, live_server, "deployment-shift-now")
    # The cadre not yet checked in: one tap on the workbench checks them in.
    with page.expect_navigation():
        page.locator("#wb-deployment-shift-now li", has_text=person).locator("button", has_text="签到").click()
    assert "已记录" in page.locator(".messages").inner_text()
    home(page, live_server)
    assert f"已签到 {on_shift} 名" in page.locator("#wb-deployment-shift-now").inner_text()
    assert count(page, "deployment-shift-now") == on_shift
    # Scan: the checkpoint's page; the last checks are the officer's own.
    assert page.locator("#wb-passes-scan li").count() >= 1
    with page.expect_navigation():
        page.click("#wb-passes-scan a.btn")
    assert "/passes/checkpoint/" in page.url


def street_day(page, live_server, state):
    workbench(page, live_server, "street")
    for key in ("deployment-no-shows", "deployment-gaps", "deployment-shifts", "returnees-followups"):
        if count(page, key) is not None:
            opens_list_of(page, live_server, key)
    assert count(page, "deployment-no-shows") >= 1
    # A no-show: its shift's page, where someone else is put on.
    with page.expect_navigation():
        page.locator("#wb-deployment-no-shows li a").first.click()
    assert "/deployment/rosters/" in page.url and page.locator("#assignment-table").is_visible()


def secretary_day(page, live_server, state):
    workbench(page, live_server, "secretary")
    assert count(page, "people-party-members") >= 1
    opens_list_of(page, live_server, "people-party-members")


def office_day(page, live_server, state):
    workbench(page, live_server, "office")
    unread = count(page, "notify-escalations")
    assert unread >= 1
    for key in ("notify-escalations", "flags-review", "returnees-conflicts", "deployment-no-shows",
                "returnees-suspects"):
        opens_list_of(page, live_server, key)
    assert page.locator("#wb-office-figures").is_visible()
    # The escalations: read them where the count leads, and the item leaves the workbench.
    with page.expect_navigation():
        page.click("#wb-notify-escalations a.wb-count")
    with page.expect_navigation():
        page.click("#mark-all-read")
    home(page, live_server)
    assert count(page, "notify-escalations") is None


def reviewer_day(page, live_server, username, state):
    workbench(page, live_server, username)
    flags = count(page, "flags-review")
    assert flags == ConcealmentFlag.objects.filter(status="open").count() >= 3
    opens_list_of(page, live_server, "flags-review")
    opens_list_of(page, live_server, "returnees-suspects")
    # The flag the liaison answered today is on top, with the unit's answer.
    assert "已说明" in page.locator("#wb-flags-review li").first.inner_text()
    with page.expect_navigation():
        page.locator("#wb-flags-review li a").first.click()
    assert "周晓岚今日返岗" in page.locator("#flag-answer").inner_text()
    assert page.locator("#answer-form").count() == 0


def test_each_role_does_its_day_from_the_workbench(live_server, demo_day, phone):
    assert clock.today().isoformat() == "2020-02-25"
    liaison_day(phone(), live_server, demo_day)
    community_day(phone(), live_server, demo_day)
    checkpoint_day(phone(), live_server, demo_day)
    street_day(phone(), live_server, demo_day)
    secretary_day(phone(), live_server, demo_day)
    office_day(phone(), live_server, demo_day)
    reviewer_day(phone(), live_server, "inspector", demo_day)
    reviewer_day(phone(), live_server, "discipline", demo_day)
