"""The command picture's API and pages on the small test city: who may read it, what an as-of
moment means, and a line registered later showing up without touching the page."""

import pytest
from django.core.cache import cache

from fangkong.accounts.services import token_create
from fangkong.command.registry import LINES, Figure, Line, Panel, register
from fangkong.core.actors import SYSTEM
from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


def test_a_date_means_its_end_and_a_bad_moment_is_refused(city, client):
    office = f.user("committee_office", city.root, username="office_p")
    answer = client.get("/api/v1/command", {"as_of": "2020-02-10", "trend": "false"}, **bearer(office)).json()
    assert answer["as_of"].startswith("2020-02-11T00:00:00")
    keys = [line["key"] for line in answer["lines"]]
    assert keys[:3] == ["organs", "industry", "deployment"]
    assert not {line["key"] for line in answer["lines"] if not line["enabled"]} - {"supervision", "donations",
                                                                                    "livelihood"}
    assert client.get("/api/v1/command", {"as_of": "10 Feb"}, **bearer(office)).status_code == 422
    at_noon = client.get("/api/v1/command", {"as_of": "2020-02-10T12:00:00+08:00", "trend": "false"},
                         **bearer(office)).json()
    assert at_noon["as_of"].startswith("2020-02-10T12:00:00")


def test_a_role_without_the_picture_is_refused(city, client, as_user):
    auditor = f.user("auditor", city.root, username="auditor_p")
    assert client.get("/api/v1/command", **bearer(auditor)).status_code == 403
    checkpoint = f.user("checkpoint_staff", city.comm_1, username="cp_p")
    # Checkpoint staff read the picture but not the ledger: its lines are not shown to them.
    lines = {line["key"] for line in client.get("/api/v1/command", {"trend": "false"}, **bearer(checkpoint)).json()["lines"]}
    assert "organs" not in lines and "deployment" in lines
    assert as_user(checkpoint).get("/command/briefings/").status_code == 403


def test_a_line_registered_later_shows_without_touching_the_page(city, as_user):
    """A line announced without its panel shows as 未启用 (never zeros); the app that builds it
    replaces the placeholder and its figures appear, the page untouched."""
    office = f.user("committee_office", city.root, username="office_q")
    try:
        register(Line(key="volunteers", title="志愿服务调度线", order=99, perm="people.view"))
        page = as_user(office).get("/command/").content.decode()
        assert 'id="line-volunteers"' in page and "志愿服务调度线" in page and "未启用" in page
        register(Line(key="volunteers", title="志愿服务调度线", order=99, perm="people.view",
                      panel=lambda as_of: Panel(figures=[Figure("helpers", "志愿者", 1500, "/people/", "/api/v1/people")],
                                                headline="helpers", text="")))
        page = as_user(office).get("/command/").content.decode()
        assert 'id="line-volunteers"' in page and "志愿者" in page and "1,500" in page and "未启用" not in page
    finally:
        LINES.pop("volunteers", None)
    page = as_user(office).get("/command/").content.decode()
    assert 'id="line-volunteers"' not in page and "志愿者" not in page
