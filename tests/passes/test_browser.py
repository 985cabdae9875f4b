"""The office issues a pass in the browser; a phone at the checkpoint verifies it online and
offline, and sees it revoked once its revocation list is refreshed."""

import datetime as dt
import random
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from fangkong.passes import selectors, tokens
from fangkong.passes.models import Pass, PassCheck

from .. import factories as f
from ..conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def verdict(page, code):
    page.fill("#code", code)
    page.click("#verify")
    page.wait_for_function("() => document.querySelector('#verdict').style.display === 'block'")
    text = page.locator("#verdict .word").inner_text()
    page.evaluate("document.querySelector('#verdict').style.display = 'none'")
    return text


def issue_staff_pass(page, live_server, person, zone=None):
    """Through the form as a clerk fills it: the holder found by name and ticked, the zone ticked
    in the tree."""
    page.goto(f"{live_server.url}/passes/new/staff/")
    page.fill("#person-q", person.name)
    page.locator(f"#person-results input[value='{person.pk}']").check()
    if zone:
        page.click("[data-tree=open]")
        page.locator(f"ul.zone-tree input[value='{zone.pk}']").check()
    with page.expect_navigation():
        page.click("#issue-submit")
    assert re.search(r"/passes/\d+/$", page.url), page.locator("main").inner_text()
    return Pass.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def test_issue_verify_revoke_and_verify_offline(page, live_server, city):
    f.user("committee_office", city.root, username="office1")
    log_in(page, live_server, "office1", f.PASSWORD, wait=True)
    first = issue_staff_pass(page, live_server, city.alice, city.comm_1)
    assert page.locator("#token").text_content() == first.token
    # The QR code on the page scans back to the token (with the reader the checkpoint page uses).
    page.add_script_tag(url=f"{live_server.url}/static/vendor/jsQR-1.4.0.js")
    scanned = page.evaluate("""async () => {
        const xml = new XMLSerializer().serializeToString(document.querySelector('main svg'));
        const img = new Image();
        img.src = 'data:image/svg+xml;base64,' + btoa(xml);
        await img.decode();
        const c = document.createElement('canvas');
        c.width = c.height = 400;
        const ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0, 400, 400);
        const code = jsQR(ctx.getImageData(0, 0, 400, 400).data, 400, 400);
        return code && code.data;
    }""")
    assert scanned == first.token
    second = issue_staff_pass(page, live_server, city.bob)

    checkpoint = f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/"
    page.goto(checkpoint)
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert "吊销名单第0版" in page.locator("#list-age").inner_text()
    assert verdict(page, first.number) == "有效"
    assert page.locator("#holder .name").inner_text() == "李爱丽"
    page.click("#confirm button[data-direction=in]")
    # The queue uploads in the background with backoff: a loaded machine may take longer than the
    # default wait.
    page.wait_for_function("() => document.querySelector('#queue').innerText.includes('已全部上传')",
                           timeout=45_000)
    check = PassCheck.objects.get()
    assert (check.pass_obj_id, check.direction, check.checkpoint_id) == (first.pk, "in", city.checkpoint_1.pk)

    # Revoked in the office: the phone says so once it has the new list.
    page.goto(f"{live_server.url}/passes/{first.pk}/")
    with page.expect_navigation():
        page.click("#revoke")
    assert Pass.objects.get(pk=first.pk).status == "revoked"
    page.goto(checkpoint)
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    page.click("#refresh")
    page.wait_for_function("() => document.querySelector('#list-age').innerText.includes('第1版')")
    assert verdict(page, first.number) == "已吊销"
    assert verdict(page, second.token) == "有效"

    # No network: the page comes from the service worker's cache and still verifies.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert "离线" in page.locator("#net").inner_text()
    assert verdict(page, second.token) == "有效"
    assert verdict(page, first.token) == "已吊销"
    assert verdict(page, first.number) == "已吊销"  # numbers looked up online are remembered
    tampered = second.token[:-2] + ("AA" if not second.token.endswith("AA") else "BB")
    assert verdict(page, tampered) in {"伪造", "无法识别"}
    # A check confirmed offline waits in the queue and is sent when the network returns.
    verdict(page, second.token)
    page.evaluate("document.querySelector('#verdict').style.display = 'block'")
    page.click("#confirm button[data-direction=out]")
    assert "待上传记录 1 条" in page.locator("#queue").inner_text()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.querySelector('#queue').innerText.includes('已全部上传')")
    synced = PassCheck.objects.get(pass_obj=second)
    assert (synced.direction, synced.source, synced.verdict) == ("out", "offline", "valid")
    page.goto("about:blank")  # nothing in flight while the live server's database is flushed


def test_a_stale_list_is_shown_loudly_and_never_passes(page, live_server, city):
    f.user("committee_office", city.root, username="office2")
    log_in(page, live_server, "office2", f.PASSWORD, wait=True)
    p = issue_staff_pass(page, live_server, city.alice)
    page.goto(f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    # The browser's verifier agrees with the server's on the genuine token and on tampered ones.
    assert page.evaluate("async (t) => (await window.fkVerify(t)).verdict", p.token) == "valid"
    rng = random.Random(5)
    raw = tokens.b45decode(p.token[len(tokens.PREFIX):])
    tampered = []
    for i in range(120):
        b = bytearray(raw)
        if i % 3 == 0:
            b[rng.randrange(len(b))] ^= rng.randrange(1, 256)
        elif i % 3 == 1:
            b = b[: rng.randrange(len(b))]
        else:
            b[rng.randrange(len(b)):rng.randrange(len(b))] = rng.randbytes(rng.randrange(1, 6))
        tampered.append(tokens.PREFIX + tokens.b45encode(bytes(b)))
    verdicts = page.evaluate("async (ts) => Promise.all(ts.map(async (t) => (await window.fkVerify(t)).verdict))", tampered)
    assert "valid" not in verdicts
    for text, seen in zip(tampered, verdicts, strict=True):
        server = selectors.verify_token(text).verdict
        assert server == seen, (text, server, seen)
    # Eight hours later, still offline: the stored list cannot be refreshed.
    page.context.set_offline(True)
    page.evaluate("() => { const real = Date.now; Date.now = () => real() + 8 * 3600 * 1000; }")
    assert verdict(page, p.token) == "吊销名单已过时"
    assert "8小时" in page.locator("#verdict .why").inner_text()
    page.evaluate("() => { document.querySelector('#refresh').click(); }")
    page.wait_for_function("() => document.querySelector('#list-age').className === 'stale'")
    assert "吊销名单已过时8小时" in page.locator("#list-age").inner_text()
    page.goto("about:blank")


FAKE_CLOCK = """(() => {
  // The browser test's clock: a moment in localStorage (Unix seconds) fixes Date.now for the page.
  try {
    const fixed = localStorage.getItem("fk.test.now");
    if (fixed !== null) { const ms = Number(fixed) * 1000; Date.now = () => ms; }
  } catch (e) { /* about:blank has no storage */ }
})();"""


def test_the_verdict_table_in_the_browser(page, live_server, city):
    """Every case of the verdict table through checkpoint.js's ``decide``, and every offline case
    end to end through ``fkVerify``: a token signed with the server's key, a signed revocation list
    of that case in the page's storage, the page reloaded offline at the case's moment."""
    import base64
    import json
    import time

    from fangkong.passes.keys import current_key

    from .test_verdict_cases import CASES, OFFLINE, facts_of, resolved

    checkpoint_2 = f.unit("checkpoint", city.comm_2, "光明路卡点")
    units = {"city": city.root, "street": city.street, "comm_1": city.comm_1, "comm_2": city.comm_2,
             "checkpoint_1": city.checkpoint_1, "checkpoint_2": checkpoint_2}
    ids = {name: unit.pk for name, unit in units.items()}
    key, private = current_key()
    f.user("checkpoint_staff", city.street, username="guard9")
    log_in(page, live_server, "guard9", f.PASSWORD, wait=True)
    page.add_init_script(FAKE_CLOCK)
    url = {name: f"{live_server.url}/passes/checkpoint/{units[name].code}/" for name in ("checkpoint_1", "checkpoint_2")}
    for address in url.values():  # online once: the page, the keys and the list go into the cache
        page.goto(address)
        page.wait_for_function("() => document.body.dataset.ready === '1'")

    decided = page.evaluate("(all) => all.map((facts) => window.fkDecide(facts))", [resolved(c, ids) for c in CASES])
    wrong = [f"{c['name']}: {got}" for c, got in zip(CASES, decided, strict=True) if got != c["verdict"]]
    assert not wrong, wrong

    page.context.set_offline(True)
    base = int(time.time())
    stranger = Ed25519PrivateKey.generate()
    checked = []
    for n, case in enumerate(OFFLINE):
        facts = facts_of(case)
        now = base + facts["now"]
        claims = tokens.PassClaims(
            key_id=key.key_id, pass_id=900_000 + n, kind="staff", holder="李爱丽", unit_id=city.dept_a.pk,
            unit_name="市民政局", valid_from=dt.datetime.fromtimestamp(base + facts["valid_from"], dt.UTC),
            valid_until=dt.datetime.fromtimestamp(base + facts["valid_until"], dt.UTC),
            zones=tuple(ids[z] for z in facts["pass_zones"]),
        )
        token = {
            "signed": lambda c=claims: tokens.sign(c, private),
            "forged": lambda c=claims: tokens.sign(c, stranger),
            "unknown_key": lambda c=claims: tokens.sign(tokens.PassClaims(**{**c.__dict__, "key_id": 999}), stranger),
            "unreadable": lambda c=claims: "FK1:HELLO WORLD",
        }[facts["token"]]()
        pid = claims.pass_id
        doc = None
        if facts["list_age"] is not None:
            payload = json.dumps({
                "version": 1000 + n, "issued_at": now - facts["list_age"], "max_age": facts["max_list_age"],
                "revoked": [pid] if facts["status"] == "revoked" else [],
                "suspended": [pid] if facts["status"] == "suspended" else [],
                "ended": [pid] if facts["secondment_ended"] else [],
            })
            doc = {"kid": key.key_id, "payload": payload,
                   "sig": base64.b64encode(private.sign(payload.encode())).decode()}
        page.evaluate("""async ([doc, now]) => {
            if (doc) localStorage.setItem("fk.revocations", JSON.stringify(doc));
            else localStorage.removeItem("fk.revocations");
            localStorage.setItem("fk.test.now", String(now));
            if (!doc) {  // no list at all: the service worker must not answer with the one it cached online
                for (const name of await caches.keys()) {
                    const cache = await caches.open(name);
                    for (const request of await cache.keys()) {
                        if (request.url.includes("revocations")) await cache.delete(request);
                    }
                }
            }
        }""", [doc, now])
        page.goto(url[facts["checkpoint"]])
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert page.evaluate("() => Date.now()") == now * 1000
        got = page.evaluate("async (t) => (await window.fkVerify(t)).verdict", token)
        checked.append((case["name"], got, case["verdict"]))
    page.context.set_offline(False)
    page.goto("about:blank")
    assert [c for c in checked if c[1] != c[2]] == []
    assert len(checked) == len(OFFLINE)


def test_the_checkpoint_page_lets_through_a_valid_pass_only(page, live_server, city, office):
    """On a phone (390×844): an expired, a revoked and a valid pass. Only the valid one offers
    确认放行; the others say not to let them through and record a refusal; the validity line
    reads 有效期 2020年2月1日–2月29日; the way back to the platform and the logout are on screen.
    Scanned codes are judged in the page (the offline verifier), with and without a network."""
    from django.utils import timezone

    from fangkong.passes import services

    tz = timezone.get_fixed_timezone(8 * 60)
    expired = services.issue_staff_pass(
        actor=office, person=city.bob, valid_from=dt.datetime(2020, 2, 1, tzinfo=tz),
        valid_until=dt.datetime(2020, 3, 1, tzinfo=tz),
    )
    now = timezone.now()
    revoked = services.issue_staff_pass(actor=office, person=city.carol, valid_from=now - dt.timedelta(days=1),
                                        valid_until=now + dt.timedelta(days=30))
    services.revoke_pass(actor=office, p=revoked, reason="丢失")
    valid = services.issue_staff_pass(actor=office, person=city.eve, valid_from=now - dt.timedelta(days=1),
                                      valid_until=now + dt.timedelta(days=30))
    f.user("checkpoint_staff", city.checkpoint_1, username="guard5")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "guard5", f.PASSWORD)
    page.goto(f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    # The page writes a period as the pass pages do (pass_dates.date_range_zh), in the platform's zone.
    from fangkong.passes.templatetags.pass_dates import date_range_zh

    periods = [(dt.datetime(2020, 2, 1, tzinfo=tz), dt.datetime(2020, 3, 1, tzinfo=tz)),
               (dt.datetime(2020, 12, 1, tzinfo=tz), dt.datetime(2021, 2, 1, tzinfo=tz)),
               (dt.datetime(2020, 2, 1, tzinfo=tz), dt.datetime(2020, 2, 2, tzinfo=tz)),
               (dt.datetime(2020, 2, 1, 8, tzinfo=tz), dt.datetime(2020, 2, 1, 18, 30, tzinfo=tz)),
               (dt.datetime(2020, 2, 1, 8, tzinfo=tz), dt.datetime(2020, 3, 1, 18, tzinfo=tz))]
    written = page.evaluate("(all) => all.map(([a, b]) => window.fkRangeZh(a, b))",
                            [[int(a.timestamp()), int(b.timestamp())] for a, b in periods])
    assert written == [date_range_zh(a, b) for a, b in periods]
    for link in ("#home-link", "#logout"):
        box = page.locator(link).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] < 120, link
    assert page.locator("#confirm").is_hidden() and page.locator("#refuse").is_hidden()

    def shown(token):
        page.fill("#code", token)
        page.click("#verify")
        page.wait_for_function("() => document.querySelector('#verdict').style.display === 'block'")
        return page.locator("#verdict .word").inner_text()

    for offline in (False, True):
        page.context.set_offline(offline)
        assert shown(expired.token) == "已过期"
        assert page.locator("#holder dd.dates").inner_text() == "2020年2月1日–2月29日"
        assert "有效期" in page.locator("#holder dl").inner_text()
        assert page.locator("#confirm").is_hidden() and page.locator("#refuse").is_visible()
        assert page.evaluate("""() => [...document.querySelectorAll('button')]
            .filter((b) => b.innerText.includes('确认放行') && b.offsetParent !== null).length""") == 0
        assert shown(revoked.token) == "已吊销"
        assert page.locator("#confirm").is_hidden() and page.locator("#refuse").is_visible()
        assert shown(valid.token) == "有效"
        assert page.locator("#confirm").is_visible() and page.locator("#refuse").is_hidden()
        assert page.locator("#confirm button.in").inner_text() == "确认放行：进入"
    page.context.set_offline(False)

    # The refusal is recorded as one, never as a passage; the valid pass's passage is.
    shown(expired.token)
    page.click("#refuse-button")
    shown(valid.token)
    page.click("#confirm button[data-direction=in]")
    page.wait_for_function("() => document.querySelector('#queue').innerText.includes('已全部上传')")
    checks = {c.pass_obj_id: c for c in PassCheck.objects.all()}
    assert (checks[expired.pk].verdict, checks[expired.pk].confirmed, checks[expired.pk].direction) == ("expired", False, "")
    assert (checks[valid.pk].verdict, checks[valid.pk].confirmed, checks[valid.pk].direction) == ("valid", True, "in")
    # The page's own guard: a click on a hidden release button for an expired pass records nothing.
    shown(expired.token)
    page.evaluate("document.querySelector('#confirm button.in').click()")
    page.wait_for_timeout(200)
    assert PassCheck.objects.count() == 2

    # The way back to the platform and out of it.
    with page.expect_navigation():
        page.click("#home-link")
    assert page.url == f"{live_server.url}/"
    page.goto(f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/")
    with page.expect_navigation():
        page.click("#logout")
    page.goto(f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/")
    assert "/accounts/login/" in page.url
    page.goto("about:blank")


def test_the_issue_form_picks_a_holder_and_ticks_a_street_at_phone_size(page, live_server, city):
    f.user("committee_office", city.root, username="office3")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "office3", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/passes/new/staff/")
    assert "未勾选区域" in page.locator("#zone-summary").inner_text()
    page.fill("#person-q", "lal")
    page.wait_for_selector(f"#person-results input[value='{city.alice.pk}']")
    assert city.alice.id_number not in page.content()
    page.locator(f"#person-results input[value='{city.alice.pk}']").check()
    # A new search keeps the chosen holder on top.
    page.fill("#person-q", "王")
    page.wait_for_selector(f"#person-results input[value='{city.bob.pk}']")
    assert page.locator(f"#person-results input[value='{city.alice.pk}']").is_checked()
    # Enter in the search box searches; it does not submit the form.
    page.press("#person-q", "Enter")
    page.wait_for_timeout(300)
    assert page.url.endswith("/passes/new/staff/") and not Pass.objects.exists()
    # The tree starts folded; ticking the street ticks all below it.
    assert page.locator(f"ul.zone-tree input[value='{city.comm_1.pk}']").is_hidden()
    page.locator(f"ul.zone-tree input[value='{city.street.pk}']").check()
    page.click(f"ul.zone-tree li:has(> .node input[value='{city.street.pk}']) > .node .toggle")
    assert page.locator(f"ul.zone-tree input[value='{city.checkpoint_1.pk}']").is_hidden()  # inside a folded community
    assert page.locator(f"ul.zone-tree input[value='{city.comm_2.pk}']").is_checked()
    assert page.evaluate(f"document.querySelector(\"ul.zone-tree input[value='{city.checkpoint_1.pk}']\").checked")
    assert "东兴街道" in page.locator("#zone-summary").inner_text()
    # Unticking one community leaves the street partly ticked and the other community ticked.
    page.locator(f"ul.zone-tree input[value='{city.comm_1.pk}']").uncheck()
    street = page.locator(f"ul.zone-tree input[value='{city.street.pk}']")
    assert not street.is_checked() and street.evaluate("(b) => b.indeterminate")
    assert page.locator("#zone-summary").inner_text().endswith("光明社区")
    page.locator(f"ul.zone-tree input[value='{city.comm_1.pk}']").check()
    with page.expect_navigation():
        page.click("#issue-submit")
    p = Pass.objects.get()
    assert p.person_id == city.alice.pk
    # Ticked community by community, the pass names both (not the street: a new community
    # would not be in it).
    assert sorted(z.pk for z in p.zones.all()) == sorted([city.comm_1.pk, city.comm_2.pk])


def test_the_page_verifies_on_the_frozen_business_day(page, live_server, city):
    """On a frozen story day (the demo) the page's clock is the business one: a pass valid on that
    day is valid offline, one valid only on the real calendar is not yet valid, and the bar shows."""
    from fangkong.core import clock
    from fangkong.core.actors import SYSTEM
    from fangkong.passes import services

    clock.freeze(dt.date(2020, 2, 25))
    story = services.issue_staff_pass(actor=SYSTEM, person=city.alice,
                                      **dict(zip(("valid_from", "valid_until"), services.day_bounds(
                                          dt.date(2020, 2, 1), dt.date(2020, 2, 29)), strict=True)))
    real_today = timezone.localdate(clock.real_now())
    real = services.issue_staff_pass(actor=SYSTEM, person=city.bob,
                                     **dict(zip(("valid_from", "valid_until"), services.day_bounds(
                                         real_today - dt.timedelta(days=1), real_today + dt.timedelta(days=1)),
                                         strict=True)))
    assert story.issued_at.year == 2020
    f.user("checkpoint_staff", city.street, username="guard7")
    log_in(page, live_server, "guard7", f.PASSWORD, wait=True)
    page.goto(f"{live_server.url}/passes/checkpoint/{city.checkpoint_1.code}/")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    assert "2020年2月25日" in page.locator("#story-day").inner_text()
    assert page.evaluate("async (t) => (await window.fkVerify(t)).verdict", story.token) == "valid"
    assert page.evaluate("async (t) => (await window.fkVerify(t)).verdict", real.token) == "not_yet_valid"
    page.goto("about:blank")
