"""Going live in Chromium at desk size: the system administrator's first login and tree import
(a bad row read, fixed, previewed as a tree, committed), the security administrator's accounts in
bulk and slips, and a new user's first login with a slip's password."""

from __future__ import annotations

import base64
import contextlib
import io
import re
import zlib
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.models import User
from fangkong.orgs.models import Unit

from .conftest import log_in
from .golive_city import ACCOUNT_HEADERS, city_rows, write_sheet, write_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "var/screenshots"


def slip_passwords(pdf: bytes) -> list[str]:
    """The one-time passwords drawn on the slips (Courier text in the page streams)."""
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)\s*endstream", pdf, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):  # ASCII85, then Flate (reportlab's default filters)
            data = base64.a85decode(data[:-2].replace(b"\n", b""))
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
        found += [m.decode() for m in re.findall(rb"\(([A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4})\) Tj", data)]
    return found


def first_login(page, live_server, username: str, one_time: str, new: str) -> None:
    """One-time password, forced change, log in again, enrol the second factor (administrators)."""
    log_in(page, live_server, username, one_time)
    page.wait_for_url(re.compile(r".*/accounts/password/.*"))
    assert "一次性密码" in page.content()
    page.fill("input[name=old_password]", one_time)
    page.fill("input[name=new_password]", new)
    page.fill("input[name=new_password2]", new)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    log_in(page, live_server, username, new)
    user = User.objects.get(username=username)
    if user.role in ("system_admin", "security_admin", "auditor"):
        page.wait_for_url(re.compile(r".*/accounts/otp/.*"))
        device = TOTPDevice.objects.get(user=user)
        page.fill("input[name=token]", f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
        page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_city_goes_live_in_the_browser(browser, live_server, tmp_path):
    out = io.StringIO()
    call_command("init", city="白岭市", stdout=out)
    logins = dict(re.findall(r"^\s+(admin|secadmin|auditor)\s+(\S+)", out.getvalue(), re.M))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)

    first_login(page, live_server, "admin", logins["admin"], "Bailing@2020admin")
    rows = city_rows(departments=3, bodies=1, industry=2, streets=2, communities=3, checkpoints=4)
    bad = write_tree(tmp_path / "组织架构.xlsx", [*rows, ["99", "江北卡点", "", "卡点", "白岭市民政局", "KX", "", ""]])
    page.goto(f"{live_server.url}/orgs/")
    page.click("text=导入组织架构")
    page.set_input_files("input[name=file]", str(bad))
    page.click("main form button[type=submit]")
    problems = page.locator("main table").inner_text()
    assert "江北卡点" not in problems and "卡点不能放在部门之下" in problems and str(len(rows) + 3) in problems
    page.screenshot(path=f"{SHOTS}/golive-tree-problem-1366x900.png", full_page=True)
    assert Unit.objects.count() == 2
    good = write_tree(tmp_path / "组织架构（改）.xlsx", rows)
    page.set_input_files("input[name=file]", str(good))
    page.click("main form button[type=submit]")
    preview = page.locator(".tree-preview")
    assert preview.locator(".tp-new").count() == len(rows)
    assert "中共白岭市民政局机关委员会" in preview.inner_text()
    page.screenshot(path=f"{SHOTS}/golive-tree-preview-1366x900.png", full_page=True)
    page.click("button[name=commit]")
    page.wait_for_url(f"{live_server.url}/orgs/")
    assert "组织架构已导入" in page.content()
    assert Unit.objects.count() == 2 + len(rows)
    page.click("#logout")

    first_login(page, live_server, "secadmin", logins["secadmin"], "Bailing@2020sec")
    sheet = write_sheet(tmp_path / "账号.xlsx", ACCOUNT_HEADERS, [
        ["1", "王伟", "D001", "单位联络员", "", ""],
        ["2", "李娜", "第1街道第1社区", "社区工作人员", "", ""],
        ["3", "张敏", "S1-C01-K1", "卡点工作人员", "", ""],
    ], title="账号开通申请表")
    page.goto(f"{live_server.url}/accounts/users/")
    page.click("text=批量开通账号")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("main form button[type=submit]")
    assert "wangwei.d001" in page.locator("main table").inner_text()
    page.screenshot(path=f"{SHOTS}/golive-accounts-preview-1366x900.png", full_page=True)
    with page.expect_download() as download:
        page.click("button[name=commit]")
    path = download.value.path()
    passwords = slip_passwords(Path(path).read_bytes())
    assert len(passwords) == 3 and User.objects.filter(must_change_password=True, role__in=["unit_liaison", "community_staff", "checkpoint_staff"]).count() == 3
    page.goto(f"{live_server.url}/")
    page.click("#logout")

    liaison = User.objects.get(username="wangwei.d001")
    slip = None
    for password in passwords:  # which slip is whose: the one that logs 王伟 in
        log_in(page, live_server, "wangwei.d001", password)
        if "/accounts/password/" in page.url:
            slip = password
            break
    assert slip is not None
    page.fill("input[name=old_password]", slip)
    page.fill("input[name=new_password]", "Bailing@2020ww")
    page.fill("input[name=new_password2]", "Bailing@2020ww")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    log_in(page, live_server, "wangwei.d001", "Bailing@2020ww")
    page.wait_for_url(f"{live_server.url}/")
    liaison.refresh_from_db()
    assert not liaison.must_change_password
    context.close()
