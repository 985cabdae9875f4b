"""Journeys in a real Chromium (Debian's), driven by Playwright against a live server."""


import pytest

from fangkong.accounts.models import User

from . import factories as f
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_community_user_sees_only_that_community(page, live_server, city):
    f.user("community_staff", city.comm_1, username="hongqi")
    log_in(page, live_server, "hongqi", f.PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/")
    table = page.locator("#person-table").inner_text()
    assert "赵春兰" in table and "孙二娥" in table
    for outsider in ("李爱丽", "王博", "钱大为"):
        assert outsider not in table
    # Searching by pinyin initials updates the table in place (HTMX).
    page.fill("#id_q", "zcl")
    page.wait_for_function("() => !document.querySelector('#person-table').innerText.includes('孙二娥')")
    assert "赵春兰" in page.locator("#person-table").inner_text()
    response = page.goto(f"{live_server.url}/people/{city.bob.pk}/")
    assert response.status == 404


def test_the_language_switches_to_english_and_back(page, live_server, city):
    f.user("committee_office", city.root, username="office1")
    log_in(page, live_server, "office1", f.PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    assert "退出" in page.locator("header").inner_text()
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert "Log out" in page.locator("header").inner_text()
    assert "Workbench" in page.locator("main h1").inner_text()
    with page.expect_navigation():
        page.select_option("#language-form select", "zh-hans")
    assert "退出" in page.locator("header").inner_text()


def test_five_wrong_passwords_lock_the_account(page, live_server, city):
    f.user("unit_liaison", city.dept_a, username="locked1")
    for _ in range(5):
        log_in(page, live_server, "locked1", "Wrong-Pass-1")
        assert "用户名或密码错误" in page.content()
    log_in(page, live_server, "locked1", f.PASSWORD)
    assert "锁定" in page.content()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert User.objects.get(username="locked1").locked_until is not None


def test_the_tree_expands_in_place(page, live_server, city):
    f.user("community_staff", city.street, username="street1")
    log_in(page, live_server, "street1", f.PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orgs/")
    assert "红旗社区" not in page.locator("main").inner_text()
    page.click("button.toggle")
    page.wait_for_selector("text=红旗社区")
    assert "市民政局" not in page.locator("main").inner_text()
