"""On a phone (390×844): a community raises a need, the materials group approves an allocation
and sends the goods, the community signs the receipt, and anyone finds it on the public list."""

import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

from fangkong.donations.models import Distribution, Need
from fangkong.orgs.management.commands.demo import DEMO_PASSWORD
from fangkong.orgs.models import Unit
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _fits(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, page.url


def test_need_to_public_list_on_a_phone(browser, live_server):
    call_command("demo", stdout=io.StringIO())
    cache.clear()
    community = Unit.objects.get(code="S1-C01")
    contexts = []
    try:
        context, page = _phone(browser)
        contexts.append(context)
        log_in(page, live_server, "community", DEMO_PASSWORD, wait=True)
        page.goto(f"{live_server.url}/donations/needs/new/")
        _fits(page)
        page.select_option("#id_unit", str(community.pk))
        page.select_option("#id_item", label="口罩")
        page.fill("#id_quantity", "1.5")
        page.fill("#id_reason", "社区值守人员防护")
        page.click("#submit")
        assert "不是整数" in page.locator(".errorlist").first.inner_text()
        page.fill("#id_quantity", "120")
        with page.expect_navigation():
            page.click("#submit")
        need = Need.objects.get(unit=community, reason="社区值守人员防护")
        assert page.url.endswith(f"/donations/needs/{need.pk}/")

        office_context, office = _phone(browser)
        contexts.append(office_context)
        log_in(office, live_server, "office", DEMO_PASSWORD, wait=True)
        office.goto(f"{live_server.url}/donations/needs/{need.pk}/")
        _fits(office)
        assert "500 个" in office.locator("#need-stock").inner_text()
        with office.expect_navigation():
            office.click("#approve")
        assert "/donations/distributions/new/" in office.url
        office.fill("#id_carrier", "工委机关 李师傅")
        office.fill("#id_vehicle", "吉F·B2020")
        with office.expect_navigation():
            office.click("#submit")
        distribution = Distribution.objects.get(allocation__need=need)
        assert office.url.endswith(f"/donations/distributions/{distribution.pk}/")

        page.goto(f"{live_server.url}/donations/distributions/{distribution.pk}/")
        _fits(page)
        assert page.locator("#id_quantity_received").input_value() == "120"
        with page.expect_navigation():
            page.click("#sign")
        assert page.locator("#distribution-status").inner_text() == "已签收"
        assert page.locator("#sign-form").count() == 0

        public_context, public = _phone(browser)
        contexts.append(public_context)
        public.goto(f"{live_server.url}/public/donations/")
        _fits(public)
        rows = public.locator("#public-distributions tbody tr", has_text=community.name)
        row = rows.filter(has_text="120 个").first
        assert re.search("街道/社区工作人员", row.inner_text()), row.inner_text()
        assert "7000 斤" in public.locator("#public-totals").inner_text()
    finally:
        for context in contexts:
            context.close()
