"""The main pages run in Chromium under the enforced Content-Security-Policy without one violation:
htmx, the data-attribute behaviours, the ECharts charts, the ledger import, the passes pages, and
the checkpoint page verifying offline with WebCrypto from its service worker's cache."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.orgs.management.commands.demo import DEMO_PASSWORD
from fangkong.orgs.models import Unit
from fangkong.passes import services as passes
from fangkong.people.models import Person
from tests import factories as f
from tests.conftest import log_in
from tests.returnees.test_browser_ledger import write_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of every document: every violation the browser reports reaches the test
# (the binding is Playwright's, outside the page, so the policy cannot block the report itself).
VIOLATION_HOOK = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.fkCspViolation([location.pathname, e.effectiveDirective, e.blockedURI || "inline",
                         (e.sourceFile || "") + ":" + e.lineNumber, e.sample || ""].join(" | "));
});
"""


@pytest.fixture
def watched(browser):
    """A phone-sized page whose CSP violations, CSP console errors and uncaught errors are kept."""
    seen: list[str] = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.expose_function("fkCspViolation", lambda text: seen.append(text))
    context.add_init_script(VIOLATION_HOOK)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: seen.append(f"console: {m.text}")
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    yield page, seen
    page.goto("about:blank")  # nothing in flight while the live server's database is flushed
    context.close()


@pytest.fixture
def demo():
    call_command("demo", stdout=io.StringIO())


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe" not in policy, (url, policy)
    return response


def test_the_main_pages_work_under_the_policy(watched, live_server, demo, tmp_path):
    page, seen = watched
    base = live_server.url
    department = Unit.objects.get(name="市民政局", kind="department")
    log_in(page, live_server, "office", DEMO_PASSWORD, wait=True)

    # The dashboard, and the language switch that used to be an onchange handler.
    visit(page, f"{base}/")
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert "Log out" in page.locator("header").inner_text()
    with page.expect_navigation():
        page.select_option("#language-form select", "zh-hans")
    assert "退出" in page.locator("header").inner_text()

    # The tree expands in place (htmx) and its button flips its sign (data-toggle-text).
    visit(page, f"{base}/orgs/")
    toggle = page.locator("button.toggle").first
    assert toggle.inner_text() == "+"
    with page.expect_response(re.compile(r"/children/")):
        toggle.click()
    assert toggle.inner_text() == "−" and toggle.get_attribute("aria-expanded") == "true"

    # The returnee ledger filters as one types (htmx), and the import page.
    visit(page, f"{base}/returnees/")
    with page.expect_response(re.compile(r"/returnees/\?")):
        page.fill("#id_q", "张")
    visit(page, f"{base}/returnees/imports/")

    # The daily-report board, its trends and a unit's calendar: ECharts draws them on canvas, and
    # a tooltip (drawn on the canvas too) shows without an inline style.
    visit(page, f"{base}/reports/")
    visit(page, f"{base}/reports/trends/")
    page.wait_for_selector("#rate-chart canvas")
    series = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('rate-chart')).getOption().series.length")
    assert series == 2
    box = page.locator("#rate-chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2)
    page.wait_for_timeout(400)
    visit(page, f"{base}/reports/units/{department.pk}/calendar/")
    page.wait_for_selector("#calendar-chart canvas")

    # The passes: the list, one pass with its QR code, the issue form.
    visit(page, f"{base}/passes/")
    with page.expect_navigation():
        page.locator("#passes a").first.click()
    assert page.locator("main svg").count() == 1
    visit(page, f"{base}/passes/new/staff/")

    # data-confirm: declining keeps the person, accepting deletes them.
    person = f.person(department, "王可删")
    visit(page, f"{base}/people/{person.pk}/")
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.click("form[data-confirm] button")
    page.wait_for_timeout(300)
    assert Person.objects.filter(pk=person.pk).exists() and page.url.endswith(f"/people/{person.pk}/")
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    with page.expect_navigation():
        page.click("form[data-confirm] button")
    assert not Person.objects.filter(pk=person.pk).exists()
    assert questions == ["确定删除该人员吗？"] * 2

    # A liaison uploads a ledger with a mistake and reads the problems on the preview.
    page.click("#logout")
    community = Unit.objects.filter(kind="community").order_by("code").first()
    ledger = write_ledger(tmp_path / "台账.xlsx", [
        ["刘返乡", f.id_number(), "13900001111", department.name, community.name, "外地返回", "湖北省武汉市", "2020-02-01"],
        ["陈归来", "220602198901011234", "13900002222", department.name, community.name, "外地返回", "湖北省孝感市", "2020-02-02"],
    ])
    log_in(page, live_server, "liaison", DEMO_PASSWORD, wait=True)
    visit(page, f"{base}/returnees/imports/")
    page.select_option("#id_side", "unit")
    page.set_input_files("#id_file", str(ledger))
    page.click("#import-submit")
    page.wait_for_selector("#problems")

    assert seen == [], "\n".join(seen)


def test_the_checkpoint_verifies_offline_under_the_policy(watched, live_server, demo):
    page, seen = watched
    base = live_server.url
    checkpoint = Unit.objects.get(code="S1-C01-K1")  # the demo login "checkpoint" stands here
    holder = f.person(Unit.objects.get(name="市民政局", kind="department"), "赵通行")
    now = clock.now()  # the demo's business day: the page verifies on it
    issued = passes.issue_staff_pass(
        actor=SYSTEM, person=holder, valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30),
        zones=[checkpoint.parent], purpose="下沉卡点",
    )

    log_in(page, live_server, "checkpoint", DEMO_PASSWORD)
    response = page.goto(f"{base}/passes/checkpoint/{checkpoint.code}/")
    assert "worker-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("() => document.body.dataset.ready === '1'")

    def verdict(code):
        page.fill("#code", code)
        page.click("#verify")
        page.wait_for_function("() => document.querySelector('#verdict').style.display === 'block'")
        text = page.locator("#verdict").get_attribute("data-verdict")
        page.evaluate("() => { document.querySelector('#verdict').style.display = 'none'; }")
        return text

    # WebCrypto (Ed25519) checks the signature in the page.
    assert verdict(issued.token) == "valid"
    assert verdict(issued.token[:-2] + ("AA" if not issued.token.endswith("AA") else "BB")) in {"forged", "unreadable"}

    # The service worker registers under the policy and serves the page with no network.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert "离线" in page.locator("#net").inner_text()
    # The stylesheet came from the cache too: the verdict box is laid out by checkpoint.css.
    assert page.evaluate("() => getComputedStyle(document.querySelector('#verdict')).borderRadius") == "10px"
    assert verdict(issued.token) == "valid"
    page.context.set_offline(False)

    assert seen == [], "\n".join(seen)
