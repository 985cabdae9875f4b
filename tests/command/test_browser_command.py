"""The command picture in a real Chromium on the demo city: the office's desk and phone, and the
command room's large screen at 1920×1080 (no scrolling, refreshed by its own script)."""

import io
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("FANGKONG_SCREENSHOTS", "var/screenshots"))


def test_the_office_reads_the_picture_on_a_phone_and_on_the_large_screen(browser, live_server):
    call_command("demo")
    cache.clear()
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2)
    page = phone.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "office", "Fangkong@2020", wait=True)
    page.goto(f"{live_server.url}/command/?as_of=2020-02-10")
    page.wait_for_selector("#line-organs .cmd-trend canvas")
    organs = page.locator("#line-organs").inner_text()
    assert "62" in organs and "271" in organs and "100%" in organs
    donations = page.locator("#line-donations").inner_text()
    assert "捐赠部门" in donations and "25" in donations  # every line is in service: none says 未启用
    assert "未启用" not in page.locator("main").inner_text()
    assert "26" in page.locator("#line-supervision").inner_text()
    # No sideways scrolling on a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "command-phone.png"), full_page=True)
    # A figure opens the list it counts, with the same count.
    page.click("#line-organs [data-figure=returnees]")
    page.wait_for_url("**/returnees/**")
    assert "271" in page.locator("main").inner_text()
    page.go_back()
    page.click("#line-organs [data-figure=units_with_returnees]")
    page.wait_for_url("**/command/units/organs/units_with_returnees/**")
    assert page.locator("#unit-count").inner_text() == "62"
    page.screenshot(path=str(SHOTS / "command-units-phone.png"), full_page=True)
    # The day's briefing, on the phone.
    call_command("briefing", "--as-of", "2020-02-10", stdout=io.StringIO())
    page.goto(f"{live_server.url}/command/briefings/")
    page.click("#briefings a >> nth=0")
    assert "截至2月10日，62个部门271名输入人员全部到本单位和社区报备，双报率100%。" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "briefing-phone.png"), full_page=True)
    phone.close()

    desk = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = desk.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "office", "Fangkong@2020", wait=True)
    page.goto(f"{live_server.url}/command/")
    page.wait_for_selector("#line-deployment .cmd-trend canvas")
    page.screenshot(path=str(SHOTS / "command-desk.png"))
    page.goto(f"{live_server.url}/command/screen/")
    page.wait_for_selector("#line-passes .cmd-trend canvas")
    assert page.evaluate("() => document.body.dataset.refresh") == "60"
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1920 and size[1] <= 1080, size
    page.screenshot(path=str(SHOTS / "command-screen.png"))
    desk.close()
    assert not errors, errors
