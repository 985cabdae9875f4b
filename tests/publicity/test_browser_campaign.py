"""The campaign's journeys in a real Chromium at phone size (390×844): a party member signs the
relay pledge and gets their share link; a second browser opens the link and the member sees the
count rise (the same browser again does not); a community worker marks a help request done on
the phone, and the household closes it through its one-time link."""

import datetime as dt

import pytest

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.livelihood import services as livelihood
from fangkong.livelihood.models import HelpRequest
from fangkong.publicity import services
from tests import factories as f
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return context, tab


def test_a_member_signs_and_sees_the_share_count_rise(page, browser, live_server, city):
    from django.core.cache import cache

    cache.clear()
    pledge = services.pledge_create(actor=SYSTEM, slug="relay", title="市直机关打赢疫情防控阻击战接力承诺",
                                    text="我承诺……", items=["带头遵守全市各项防控规定"],
                                    opens_on=clock.today() - dt.timedelta(days=1))
    member = f.user("branch_secretary", city.branch_a, username="alice")
    member.person = city.alice
    member.save()
    log_in(page, live_server, "alice", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/publicity/pledges/{pledge.pk}/")
    page.click("#sign-button")
    page.wait_for_selector("#my-share")
    link = page.input_value("#share-link")
    assert "/publicity/p/" in link
    assert "已被打开0次" in page.inner_text("#share-counts")
    assert page.locator("#my-share img.qr").count() == 1
    context, other = phone(browser)
    try:
        other.goto(link)
        assert "接力承诺" in other.inner_text("h1")
        other.goto(link)  # the same browser again, the same day: not counted again
        other.click("#onward")
        other.wait_for_url(f"{link}#shared")
    finally:
        context.close()
    page.reload()
    assert "已被打开1次" in page.inner_text("#share-counts") and "再转发1次" in page.inner_text("#share-counts")


def test_a_help_request_is_marked_done_on_the_phone_and_closed_by_the_household(page, browser, live_server, city):
    request = livelihood.help_register(actor=SYSTEM, community=city.comm_1, household="王女士", address="江北路1号",
                                       kind="medicine", details="代购降压药", phone="13912345678",
                                       due_at=clock.now() + dt.timedelta(hours=3))
    f.user("community_staff", city.comm_1, username="hongqi")
    log_in(page, live_server, "hongqi", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/livelihood/help/")
    page.click(f"#help-table a[href='/livelihood/help/{request.pk}/']")
    assert "139****5678" in page.inner_text("#help-facts")
    page.fill("#done-note", "已送到门口")
    page.click("#mark-done")
    page.wait_for_selector("#confirm-link")
    link = page.input_value("#confirm-url")
    context, household = phone(browser)
    try:
        household.goto(link)
        assert "代购降压药" in household.inner_text("main")
        household.click("#confirm-button")
        household.wait_for_selector("#confirmed")
        household.goto(link)
        assert household.locator("#link-invalid").count() == 1
    finally:
        context.close()
    request.refresh_from_db()
    assert (request.status, request.closed_by) == ("closed", "household")
    page.goto(f"{live_server.url}/livelihood/help/{request.pk}/")
    assert "已办结" in page.inner_text("#help-status")
    assert HelpRequest.objects.get().confirm_digest == ""
