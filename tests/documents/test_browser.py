"""On a phone (390×844): the office drafts a notice and sends it for sign-off, the leader signs
it off, the office issues it, the recipient unit's liaison signs for it, the office records the
leader's instruction and closes one of its items."""

import pytest

from fangkong.documents.models import Document, DocumentRecipient, InstructionItem
from tests import factories as f
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
        return page

    yield open_phone
    for context in contexts:
        context.close()


def no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, page.url


def test_a_notice_from_draft_to_receipt_and_an_instruction_to_a_closed_item(city, kinds, body, live_server, phone):
    office = f.user("committee_office", city.committee, username="doc_office")
    f.user("leader", city.committee, username="doc_leader")
    f.user("unit_liaison", city.dept_a, username="doc_liaison")
    url = live_server.url

    page = phone()
    log_in(page, live_server, "doc_office", f.PASSWORD, wait=True)
    page.goto(f"{url}/documents/")
    no_sideways_scroll(page)
    page.click("#new-document")
    page.select_option("select[name=body]", str(body.pk))
    page.select_option("select[name=kind]", str(kinds["notice"].pk))
    page.fill("input[name=title]", "关于加强党的领导的通知")
    page.select_option("select[name=main]", [str(city.dept_a.pk), str(city.dept_b.pk)])
    page.fill("textarea[name=text]", "一、先锋表率到位\n全体党员干部要做好“六到位”。")
    page.fill("input[name=reply_due]", "2020-02-05")
    with page.expect_navigation():
        page.click("#draft-form button[type=submit]")
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.click("#submit-review")
    document = Document.objects.get()
    assert document.status == "review"

    leader = phone()
    log_in(leader, live_server, "doc_leader", f.PASSWORD, wait=True)
    leader.goto(f"{url}/documents/{document.pk}/")
    with leader.expect_navigation():
        leader.click("#sign-off")
    document.refresh_from_db()
    assert document.number and document.number in leader.locator("#document-number").inner_text()

    page.goto(f"{url}/documents/{document.pk}/")
    with page.expect_navigation():
        page.click("#issue")
    assert "已印发" in page.content() or "印发" in page.locator("#document-status").inner_text()

    liaison = phone()
    log_in(liaison, live_server, "doc_liaison", f.PASSWORD, wait=True)
    liaison.goto(f"{url}/documents/inbox/?signed=false")
    no_sideways_scroll(liaison)
    with liaison.expect_navigation():
        liaison.click(f"#inbox-table a[href='/documents/{document.pk}/']")
    no_sideways_scroll(liaison)
    with liaison.expect_navigation():
        liaison.click("#sign-for")
    assert "已签收" in liaison.locator("#receipt").inner_text()
    assert DocumentRecipient.objects.get(document=document, unit=city.dept_a).signed_at is not None
    assert DocumentRecipient.objects.get(document=document, unit=city.dept_b).signed_at is None

    page.goto(f"{url}/documents/{document.pk}/")
    assert "2家中已签收1家" in page.content()
    page.click("#record-instruction")
    form = page.locator("#instruction-form")
    form.locator("input[name=leader_name]").fill("赵明远")
    form.locator("input[name=leader_position]").fill("市委书记")
    form.locator("textarea[name=text]").fill("要持续抓好“六到位”。")
    form.locator("select[name=unit]").select_option(str(city.dept_a.pk))
    form.locator("input[name=task]").fill("落实“六到位”并报告")
    form.locator("input[name=due_on]").fill("2020-02-20")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    no_sideways_scroll(page)
    item = InstructionItem.objects.get()
    card = page.locator(f"#item-{item.pk}")
    card.locator("textarea[name=answer]").fill("已落实，报告已报送。")
    with page.expect_navigation():
        card.locator("form.phone-form button[type=submit]").click()
    with page.expect_navigation():
        page.locator(f"#item-{item.pk} form.inline button[type=submit]").click()
    item.refresh_from_db()
    assert item.status == "closed"
    assert "已办结" in page.locator("#instruction-status").inner_text()
    assert office.is_active
