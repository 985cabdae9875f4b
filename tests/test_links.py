"""Menu entries, buttons and links are offered exactly where the view behind them lets the user
in: they ask the view's own check (``core.links``), so the two cannot drift apart."""

import re

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.core.context_processors import AREAS
from fangkong.core.links import allowed_url, may_open, may_open_unit

from . import factories as f
from .conftest import login_client

MENU_LINK = re.compile(r'<nav class="areas".*?</nav>', re.S)


@pytest.mark.parametrize("role", list(Role))
def test_the_menu_offers_exactly_the_areas_the_role_may_open(city, role):
    client = login_client(f.user(role, city.street))
    menu = MENU_LINK.search(client.get("/").content.decode())
    offered = set(re.findall(r'href="([^"]+)"', menu.group(0))) if menu else set()
    for _label, name in AREAS:
        if name is None:
            continue
        url = reverse(name)
        opens = client.get(url).status_code in (200, 302)  # the check page goes on to the only checkpoint
        assert (url in offered) == opens, (role, url, opens)


@pytest.mark.parametrize(("role", "shown"), [
    ("committee_office", True), ("unit_liaison", False), ("branch_secretary", False),
    ("inspection_group", False), ("discipline_office", False),
])
def test_the_checkpoint_check_button_shows_only_where_it_opens(city, role, shown):
    client = login_client(f.user(role, city.root))
    page = client.get("/passes/").content.decode()
    assert ('href="/passes/checkpoint/"' in page) is shown
    assert (client.get("/passes/checkpoint/").status_code in (200, 302)) is shown


def test_a_unit_link_needs_the_unit_in_scope(city):
    street_user = f.user("community_staff", city.street)
    assert may_open_unit(street_user, city.comm_1) and may_open_unit(street_user, city.checkpoint_1.pk)
    assert not may_open_unit(street_user, city.root) and not may_open_unit(street_user, city.dept_a)
    # The view's unit argument is checked with its permission: a place in scope, a department not.
    assert allowed_url(street_user, "deployment:place", city.comm_1.pk) == f"/deployment/places/{city.comm_1.pk}/"
    assert allowed_url(street_user, "deployment:department_team", city.dept_a.pk) == ""
    assert allowed_url(street_user, "orgs:unit_detail", city.root.pk) == ""
    assert not may_open(street_user, "/audit/") and may_open(street_user, "/reports/")
    client = login_client(street_user)
    assert client.get(f"/deployment/departments/{city.dept_a.pk}/").status_code == 404
    assert client.get(f"/orgs/units/{city.root.pk}/").status_code == 404


def test_ancestors_outside_the_scope_are_plain_text(city):
    client = login_client(f.user("community_staff", city.comm_1))
    page = client.get(f"/orgs/units/{city.checkpoint_1.pk}/").content.decode()
    crumbs = page[page.index('<p class="muted">'):].split("</p>", 1)[0]
    assert f'href="/orgs/units/{city.comm_1.pk}/"' in crumbs
    assert city.street.name in crumbs and f'href="/orgs/units/{city.street.pk}/"' not in crumbs
    assert f'href="/orgs/units/{city.root.pk}/"' not in crumbs
