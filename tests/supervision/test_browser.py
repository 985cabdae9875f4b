"""On a phone (390×844): a community gives its day's feedback on all its paired departments with
one "no", and the supervision group follows the problem it opened to a referral letter."""

import io

import pytest
from django.core.management import call_command

from fangkong.orgs.management.commands.demo import DEMO_PASSWORD
from fangkong.supervision.models import Feedback, Problem
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    contexts = []

    def open_phone():
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_phone
    for context in contexts:
        context.close()


def no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, page.url


def test_a_community_feedback_with_one_no_is_followed_to_its_referral(live_server, phone):
    call_command("demo", stdout=io.StringIO())
    page = phone()
    log_in(page, live_server, "community", DEMO_PASSWORD, wait=True)
    page.goto(f"{live_server.url}/supervision/feedback/")
    assert page.title().startswith("每日反馈")
    no_sideways_scroll(page)
    blocks = page.locator("fieldset.feedback-dept")
    assert blocks.count() >= 3
    first = blocks.first
    department = first.locator("legend").inner_text().split()[0]
    # Everything starts at yes; one "no" on obeying the unified command.
    assert first.locator("input[type=radio][value=yes]:checked").count() == 4
    first.locator("input[type=radio][name^=obeys_][value=no]").check()
    first.locator("input[name^=remark_]").fill("包保干部未按社区安排到卡点")
    page.click("#feedback-submit")
    page.wait_for_selector("ul.messages")
    assert Feedback.objects.filter(day="2020-02-25", community__code="S1-C01", is_current=True).count() == blocks.count()
    problem = Problem.objects.get(feedback__day="2020-02-25", feedback__community__code="S1-C01")
    assert department in problem.summary

    inspector = phone()
    log_in(inspector, live_server, "inspector", DEMO_PASSWORD, wait=True)
    inspector.goto(f"{live_server.url}/supervision/problems/?status=open")
    no_sideways_scroll(inspector)
    inspector.click(f"text={problem.number}")
    inspector.locator("#case-form select[name=leader]").select_option(index=1)
    inspector.click("#case-form button[type=submit]")
    inspector.wait_for_selector("#case-facts")
    assert "调查核实" in inspector.title()
    inspector.fill("#conclude-form textarea[name=findings]", "经核实，该部门包保干部2月25日未到岗，属实。")
    inspector.select_option("#conclude-form select[name=conclusion]", "refer")
    inspector.click("#conclude-form button[type=submit]")
    inspector.wait_for_selector("#referral-form")
    inspector.check("#referral-form input[type=checkbox] >> nth=1")  # 市纪委监委
    inspector.click("#referral-form button[type=submit]")
    inspector.wait_for_selector("#referral-table a")
    no_sideways_scroll(inspector)
    inspector.click("#referral-table a >> nth=0")
    inspector.wait_for_selector("#referral-letter")
    assert "移交函" in inspector.locator("#referral-letter h1").inner_text()
    problem.refresh_from_db()
    assert problem.case is not None and problem.case.referrals.get().body.code == "discipline"
