"""No dead ends: every demo role follows every link and GET form reachable from its home page, three
levels deep, and meets no 403, 404 or 500 and no HTML page without a Chinese title.

The pages are found by following what each page offers (``<a href>``, ``hx-get`` and GET forms),
not from a list, so a link added later to a place the user may not go fails here at once. A
failure names the URL, what it answered and the page it was found on.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from fangkong.accounts.models import User
from fangkong.orgs.management.commands.demo import DEMO_USERS

from .conftest import login_client

DEPTH = 3
# Each URL pattern (view and the names of its query parameters) is visited this often: a second
# person's page adds little, and the walk stays within a minute or so per role.
PER_PATTERN = 2
# Logout ends the walk; everything else a page links to is followed (files must answer 200).
SKIP_PREFIXES = ("/accounts/logout/",)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class _Link:
    url: str
    htmx: bool = False


class _Page(HTMLParser):
    """The links of a page: anchors, htmx GETs and GET forms (their fields at their first value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self.title = ""
        self._in_title = False
        self._form: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(_Link(a["href"]))
        if a.get("hx-get"):
            self.links.append(_Link(a["hx-get"], htmx=True))
        if tag == "title":
            self._in_title = True
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = {"action": a.get("action", ""), "fields": []}
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self._form["fields"].append((a["name"], a.get("value", "")))  # type: ignore[attr-defined]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "form" and self._form is not None:
            query = urlencode([(k, v) for k, v in self._form["fields"] if v])  # type: ignore[attr-defined]
            action = str(self._form["action"]) or "."
            self.links.append(_Link(f"{action}?{query}" if query else action))
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _pattern(path: str, query: str) -> tuple[str, tuple[str, ...]] | None:
    try:
        view = resolve(path).view_name
    except Resolver404:
        return (path, ())  # an unknown path is visited once: it must answer 404 and so fail
    return view, tuple(sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)}))


def crawl(client: Client) -> tuple[list[str], int]:
    """Walk from the home page; return the problems found and the number of pages seen."""
    problems: list[str] = []
    queue: list[tuple[str, bool, str, int]] = [("/", False, "(login)", 0)]
    seen: set[str] = {"/"}
    per_pattern: Counter[tuple[str, tuple[str, ...]]] = Counter()
    visited = 0
    while queue:
        url, htmx, source, depth = queue.pop(0)
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        visited += 1
        status = response.status_code
        if status in (301, 302):
            target = urljoin(url, response["Location"])
            if target not in seen and not urlsplit(target).path.startswith(SKIP_PREFIXES):
                seen.add(target)
                queue.append((target, False, url, depth))
            continue
        if status != 200:
            problems.append(f"{status} {url}  (linked from {source})")
            continue
        content_type = response.get("Content-Type", "")
        if response.get("Content-Disposition", "").startswith("attachment") or not content_type.startswith("text/html"):
            continue  # a download (xlsx, PDF) or data: answered 200, nothing to follow
        page = _Page()
        page.feed(response.content.decode())
        if not htmx and not CHINESE.search(page.title):
            problems.append(f"no Chinese <title> ({page.title.strip()!r}) {url}  (linked from {source})")
        if depth >= DEPTH:
            continue
        for link in page.links:
            target = urljoin(url, link.url.split("#")[0])
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue  # external
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES) or target in seen:
                continue
            key = _pattern(parts.path, parts.query)
            if key is None or per_pattern[key] >= PER_PATTERN:
                continue
            per_pattern[key] += 1
            seen.add(target)
            queue.append((target, link.htmx, url, depth + 1))
    return problems, visited


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    """The demo city, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("username", [username for username, _role, _scope in DEMO_USERS])
def test_every_link_from_a_roles_home_leads_somewhere(demo_city, db, username):
    """Each role meets no 403, 404 or 500 and no page without a Chinese title, three links deep."""
    client = login_client(User.objects.get(username=username))
    problems, visited = crawl(client)
    assert not problems, f"{username}: {len(problems)} dead ends\n" + "\n".join(problems)
    assert visited >= 3, (username, visited)
