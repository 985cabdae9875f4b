"""Screenshots of each demo role's pages on a phone and on a desktop: ``make screenshots``.

Loads the demo city into a temporary SQLite database, serves it with granian on a free port (as
``make run`` does) and saves, for every demo login, its home page and the pages listed in ``PAGES``
at each size in ``SIZES`` into ``var/screenshots/<role>[-<page>]-<w>x<h>.png``. The admin roles
pass their second factor as a person would: the enrolment page shows the key, the script
computes the code.

    .venv/bin/python scripts/screenshots.py                     # every role, every page
    .venv/bin/python scripts/screenshots.py --roles office liaison --full
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Fangkong@2020"
SIZES = [(390, 844), (1366, 900)]

# Pages beyond the home page, per demo login: (name in the file, path). A path that does not
# resolve (a page not built yet) is reported and skipped.
PAGES: dict[str, list[tuple[str, str]]] = {
    "admin": [("orgs", "/orgs/"), ("tree-import", "/orgs/import/"), ("users", "/accounts/users/")],
    "secadmin": [("users", "/accounts/users/"), ("accounts-import", "/accounts/users/import/")],
    "auditor": [("audit", "/audit/")],
    "office": [("command", "/command/"), ("screen", "/command/screen/"), ("briefings", "/command/briefings/"), ("reports", "/reports/"), ("ledger", "/returnees/"),
               ("deployment", "/deployment/"), ("passes", "/passes/"), ("supervision", "/supervision/"),
               ("cases", "/supervision/cases/"), ("bulletin-import", "/supervision/bulletin-lists/"),
               ("donations", "/donations/"), ("catalogue", "/donations/catalogue/"), ("donations-import", "/donations/import/"),
               ("livelihood", "/livelihood/"),
               ("publicity", "/publicity/"), ("comparison", "/publicity/comparison/"), ("documents", "/documents/")],
    "leader": [("command", "/command/"), ("briefings", "/command/briefings/"), ("ledger", "/returnees/"),
               ("supervision", "/supervision/"), ("documents", "/documents/")],
    "liaison": [("reports", "/reports/"), ("submit", "/reports/submit/"), ("ledger", "/returnees/"),
                ("notify", "/notify/"), ("inbox", "/documents/inbox/"), ("pledges", "/publicity/pledges/")],
    "secretary": [("reports", "/reports/")],
    "community": [("ledger", "/returnees/"), ("deployment", "/deployment/"), ("rosters", "/deployment/rosters/"),
                  ("feedback", "/supervision/feedback/"), ("need", "/donations/needs/new/"), ("help", "/livelihood/help/")],
    "street": [("reports", "/reports/"), ("deployment", "/deployment/")],
    "checkpoint": [("check", "/passes/checkpoint/"), ("rosters", "/deployment/rosters/")],
    "inspector": [("flags", "/reports/flags/"), ("ledger", "/returnees/"), ("cases", "/supervision/cases/")],
    "discipline": [("flags", "/reports/flags/"), ("passes", "/passes/"), ("cases", "/supervision/cases/")],
}
ROLES = list(PAGES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fangkong(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "fangkong"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"fangkong {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("granian stopped before it served a page")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"nothing answers on port {port}")


def totp_now(secret: str) -> str:
    """The six-digit TOTP code of a base32 key now (RFC 6238: 30-second steps, SHA-1), as an
    authenticator app shows it."""
    secret = secret.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def log_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    if "/accounts/otp/" in page.url:
        page.fill("input[name=token]", totp_now(page.locator("#otp-secret").inner_text()))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    if "/accounts/" in page.url:
        raise RuntimeError(f"{username} could not log in (at {page.url})")


def shoot(base: str, out: Path, roles: list[str], full: bool) -> list[str]:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for role in roles:
            context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, locale="zh-CN")
            page = context.new_page()
            log_in(page, base, role)
            state = context.storage_state()
            context.close()
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                              storage_state=state)
                page = context.new_page()
                for name, path in [("", "/"), *PAGES.get(role, [])]:
                    response = page.goto(f"{base}{path}")
                    status = response.status if response else 0
                    if status != 200:
                        problems.append(f"{role} {path}: {status}")
                        continue
                    page.wait_for_load_state("networkidle")
                    stem = f"{role}-{name}" if name else role
                    target = out / f"{stem}-{width}x{height}.png"
                    page.screenshot(path=str(target), full_page=full)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                context.close()
        browser.close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", nargs="+", default=ROLES, choices=ROLES, metavar="ROLE")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    parser.add_argument("--full", action="store_true", help="the whole page, not only what the screen shows")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir (its logs) and say where")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    data = Path(tempfile.mkdtemp(prefix="fangkong-shots-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(FANGKONG_DATA_DIR=str(data), DEBUG="0", FANGKONG_SECURE="0")
    print(f"Loading the demo city into {data} ...")
    fangkong(env, "migrate", "--noinput", "-v0")
    fangkong(env, "demo")
    fangkong(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--blocking-threads", "8", "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, server)
        problems = shoot(f"http://127.0.0.1:{port}", args.out, args.roles, args.full)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if args.keep:
            print(f"Data and server log kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)
    for problem in dict.fromkeys(problems):  # once, not once per size
        print(f"not captured: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
