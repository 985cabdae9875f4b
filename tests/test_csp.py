"""Content-Security-Policy: every page a demo role can reach carries the enforced policy, and no
page holds inline code that the policy would refuse.

The pages are found by following links from each role's home page (anchors and htmx ``hx-get``
targets), not from a list, so a template added later is checked as soon as a page links to it.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.template import engines
from django.urls import Resolver404, path, resolve

from fangkong.accounts.models import User
from fangkong.orgs.management.commands.demo import DEMO_USERS

from .conftest import login_client

EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# Script types that are data, never run, and so need no nonce (json_script writes application/json).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}
# Not pages: static files, the JSON API, the language switch (a POST), the admin's own login flow.
SKIP_PREFIXES = ("/static/", "/media/", "/api/", "/i18n/", "/accounts/logout/")
# Views that answer with a file (xlsx, PDF), not a page: named so by the apps' URL conventions.
FILE_VIEW_SUFFIXES = ("_export", "_print", "_download")
PAGES_PER_ROLE = 200
SAME_VIEW_VISITS = 2  # a view seen twice (e.g. two people's detail pages) is seen enough


def parse_policy(header: str) -> dict[str, str]:
    policy = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            policy[name] = value.strip()
    return policy


class _Scanner(HTMLParser):
    def __init__(self, nonce: str | None, style_nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.style_nonce = style_nonce
        self.problems: list[str] = []
        self.links: list[tuple[str, bool]] = []  # (URL, fetched by htmx)
        self._script: dict[str, str | None] | None = None
        self._script_body = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        shown = self.get_starttag_text() or tag
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"inline handler {name}= in {shown[:160]}")
            elif name == "style":
                self.problems.append(f"style attribute in {shown[:160]}")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name} (htmx evaluates it as code) in {shown[:160]}")
            elif name in {"href", "src", "action", "formaction", "hx-get", "hx-post"} and value and \
                    value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {shown[:160]}")
            elif name in {"hx-vals", "hx-vars"} and value and value.strip().lower().startswith(("js:", "javascript:")):
                self.problems.append(f"{name} evaluated as code in {shown[:160]}")
        if tag == "style" and (not self.style_nonce or a.get("nonce") != self.style_nonce):
            self.problems.append(f"<style> element without the nonce: {shown[:160]}")
        if tag == "script" and not a.get("src"):
            self._script = a
            self._script_body = ""
        if tag == "a" and a.get("href"):
            self.links.append((a["href"] or "", False))
        if a.get("hx-get"):
            self.links.append((a["hx-get"] or "", True))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_body += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            kind = (self._script.get("type") or "").strip().lower()
            nonced = bool(self.nonce) and self._script.get("nonce") == self.nonce
            if kind not in DATA_SCRIPT_TYPES and not nonced and self._script_body.strip():
                self.problems.append(f"inline <script> without the nonce: {self._script_body.strip()[:120]}")
            self._script = None


def scan(html: str, nonce: str | None = None, style_nonce: str | None = None) -> tuple[list[str], list[tuple[str, bool]]]:
    """The inline code in an HTML page that the policy refuses, and the page's links."""
    scanner = _Scanner(nonce, style_nonce)
    scanner.feed(html)
    scanner.close()
    return scanner.problems, scanner.links


def test_the_scanner_finds_every_kind_of_inline_code():
    """The crawl below can only fail if the scanner sees these; each is what the policy blocks."""
    bad = {
        '<select onchange="this.form.submit()"></select>': "inline handler onchange",
        '<form onsubmit="return confirm(1)"></form>': "inline handler onsubmit",
        '<span style="color:red">x</span>': "style attribute",
        "<style>p{}</style>": "<style> element",
        "<script>alert(1)</script>": "inline <script>",
        '<script nonce="other">alert(1)</script>': "inline <script>",
        '<a href="javascript:alert(1)">x</a>': "javascript: URL",
        '<button hx-on:click="alert(1)">x</button>': "hx-on:click",
        "<div hx-vals='js:{a: 1}'></div>": "hx-vals evaluated",
        '<svg><rect style="fill:red"/></svg>': "style attribute",
    }
    for html, kind in bad.items():
        problems, _ = scan(html, nonce="abc", style_nonce="abc")
        assert problems and kind in problems[0], (html, problems)
    good = ('<script src="/static/js/app.js" defer></script><script type="application/json" id="c">{"a": 1}</script>'
            '<script nonce="abc">run()</script><style nonce="def">p{}</style><a href="/x" data-confirm="ok?">x</a>'
            '<button hx-get="/y" data-toggle-text="-">+</button><p>onclick="x" is only text here</p>')
    assert scan(good, nonce="abc", style_nonce="def") == ([], [("/x", False), ("/y", True)])
    # A script's nonce does not admit a <style>: the policy's style-src names no nonce.
    assert scan('<style nonce="abc">p{}</style>', nonce="abc")[0]


def _nonce(directive: str) -> str | None:
    m = re.search(r"'nonce-([^']+)'", directive)
    return m.group(1) if m else None


def _crawl(client, problems: list[str]) -> int:
    queue: list[tuple[str, bool]] = [("/", False)]
    seen, per_view = {"/"}, Counter()
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        url, by_htmx = queue.pop(0)
        # What htmx fetches is asked for as htmx asks, so the partial templates are checked too.
        response = client.get(url, headers={"HX-Request": "true"} if by_htmx else {})
        visited += 1
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if target not in seen and not urlsplit(target).path.startswith(SKIP_PREFIXES):
                seen.add(target)
                queue.append((target, False))
            continue
        assert response.status_code < 500, (url, response.status_code)
        header = response.get("Content-Security-Policy")
        if header is None:
            problems.append(f"{url}: no Content-Security-Policy header")
            continue
        if "Content-Security-Policy-Report-Only" in response:
            problems.append(f"{url}: a report-only policy is sent")
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        policy = parse_policy(header)
        nonce, style_nonce = _nonce(policy.get("script-src", "")), _nonce(policy.get("style-src", ""))
        found, links = scan(response.content.decode(), nonce, style_nonce)
        problems.extend(f"{url}: {p}" for p in found)
        for href, hx in links:
            target = urljoin(url, href.split("#")[0])
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
                continue
            if target in seen:
                continue
            try:
                view = resolve(parts.path).view_name
            except Resolver404:
                continue
            if view.endswith(FILE_VIEW_SUFFIXES):
                continue
            key = (view, tuple(sorted(k for k in re.findall(r"([^&=]+)=", parts.query))))
            if per_view[key] >= SAME_VIEW_VISITS:
                continue
            per_view[key] += 1
            seen.add(target)
            queue.append((target, hx))
    return visited


@pytest.fixture
def demo_city(db):
    call_command("demo", stdout=io.StringIO())


def test_every_reachable_page_has_the_policy_and_no_inline_code(demo_city):
    """Every demo role walks every page linked from its home (each view at most twice): each answer
    carries the enforced policy and no HTML page holds code the policy would refuse."""
    problems: list[str] = []
    visited = {}
    for username, _role, _scope in DEMO_USERS:
        client = login_client(User.objects.get(username=username))
        visited[username] = _crawl(client, problems)
    assert not problems, "\n".join(problems[:40])
    # Not a vacuous pass: the office reaches most of the platform, the checkpoint its check page.
    assert visited["office"] >= 40, visited
    assert min(visited.values()) >= 3, visited


def test_the_policy_is_enforced_as_written(client, db):
    """The header is the enforcing one (not report-only) and allows no inline code and no eval."""
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy-Report-Only" not in response
    policy = parse_policy(response["Content-Security-Policy"])
    for name, value in EXPECTED.items():
        assert policy.get(name, "").replace(" ", "").startswith(value.replace(" ", "")), (name, policy.get(name))
    assert not re.search(r"unsafe-inline|unsafe-eval|unsafe-hashes|\*", response["Content-Security-Policy"])
    # A nonce, when a page asks for one, is the only way in for an inline script.
    assert set(policy["script-src"].split()) - {"'self'"} <= {n for n in policy["script-src"].split() if n.startswith("'nonce-")}


def test_htmx_is_told_to_inject_no_style_and_evaluate_nothing(client, db):
    html = client.get("/accounts/login/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config, "base.html must configure htmx"
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False and settings["allowEval"] is False
    assert html.index("htmx-config") < html.index("htmx.min.js"), "htmx reads its config when it loads"


def _nonced_page(request):
    page = engines["django"].from_string(
        '<script nonce="{{ request.csp_nonce }}">document.title = "x";</script><script>document.title = "y";</script>'
    )
    return HttpResponse(page.render({}, request))


urlpatterns = [path("nonced/", _nonced_page)]  # for the test below only (pytest.mark.urls)


@pytest.mark.urls(__name__)
def test_a_page_that_needs_an_inline_script_gets_a_fresh_nonce_for_it(client):
    """The one way in for an inline script: the request's nonce, named in that answer's header only."""
    first, second = client.get("/nonced/"), client.get("/nonced/")
    nonces = [_nonce(parse_policy(r["Content-Security-Policy"])["script-src"]) for r in (first, second)]
    assert all(nonces) and nonces[0] != nonces[1]
    problems, _ = scan(first.content.decode(), nonces[0])
    assert problems == ['inline <script> without the nonce: document.title = "y";']
