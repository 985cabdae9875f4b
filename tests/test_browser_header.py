"""On a phone (390×844) the header and the menu leave the screen to the work: at most 120 px
before the content, for every kind of role; the menu strip shows that it scrolls and opens on
the current entry."""

import pytest

from . import factories as f
from .conftest import login_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_HEADER_PX = 120


def sign_in(page, live_server, user) -> None:
    """The browser takes the session of a signed-in client (second factor passed for admins)."""
    cookie = login_client(user).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


@pytest.mark.parametrize(("role", "scope"), [
    ("committee_office", "root"), ("unit_liaison", "dept_a"), ("community_staff", "street"),
    ("checkpoint_staff", "checkpoint_1"), ("system_admin", "root"),
])
def test_the_header_and_menu_take_at_most_120_px_on_a_phone(page, live_server, city, role, scope):
    user = f.user(role, getattr(city, scope))
    user.full_name = "欧阳思思"  # a long name: the account row must still stay one line
    user.save(update_fields=["full_name"])
    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/")
    assert page.locator("main h1").is_visible()
    top = page.evaluate("() => document.querySelector('main').getBoundingClientRect().top")
    assert top <= MAX_HEADER_PX, f"{role}: the content starts {top} px down"
    # Everything the header offers is still on screen: notifications, logout, the language.
    for selector in ("#inbox-link", "#logout", "#language-form select"):
        assert page.locator(selector).is_visible(), selector


def test_the_menu_strip_shows_that_it_scrolls_and_opens_on_the_current_entry(page, live_server, city):
    sign_in(page, live_server, f.user("committee_office", city.root))
    page.goto(f"{live_server.url}/passes/")
    strip = page.locator("nav.areas")
    assert strip.evaluate("(nav) => nav.scrollWidth > nav.clientWidth"), "the office's menu is wider than a phone"
    assert "radial-gradient" in strip.evaluate("(nav) => getComputedStyle(nav).backgroundImage")
    # The current entry (通行证) has been scrolled into the strip's visible part.
    inside = strip.evaluate("""(nav) => {
        const a = nav.querySelector('a.active').getBoundingClientRect(), n = nav.getBoundingClientRect();
        return a.left >= n.left && a.right <= n.right; }""")
    assert inside
    assert page.locator("nav.areas a.active").inner_text() == "通行证"
