"""The livelihood API and the scope matrix: every role sees the help requests and daily volumes of
its scope only, writes only inside it, and a record outside answers as not found."""

import pytest

from fangkong.accounts.services import token_create
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.livelihood import services
from fangkong.livelihood.models import HelpRequest
from tests import factories as f
from tests.conftest import login_client
from tests.test_scoping_matrix import IDS, MATRIX

from .conftest import due_in


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


@pytest.fixture
def world(city, catalogue):
    service, other, online, post = catalogue
    services.volumes_record(actor=SYSTEM, service=service, day=clock.today(), counts={online.pk: 5})
    services.volumes_record(actor=SYSTEM, service=other, day=clock.today(), counts={post.pk: 2})
    common = {"address": "江北路1号", "kind": "groceries", "details": "代购蔬菜", "due_at": due_in(3)}
    one = services.help_register(actor=SYSTEM, community=city.comm_1, household="王女士", **common)
    two = services.help_register(actor=SYSTEM, community=city.comm_2, household="李先生", **common)
    return one, two


# Which help requests (by household) each role of the matrix sees, and whether it may register.
HELP = {
    "committee_office@root": ({"王女士", "李先生"}, True),
    "unit_liaison@dept_a": (set(), False),
    "branch_secretary@branch_a": (set(), False),
    "community_staff@comm_1": ({"王女士"}, True),
    "community_staff@street": ({"王女士", "李先生"}, True),
    "checkpoint_staff@checkpoint_1": (set(), False),
    "inspection_group@root": ({"王女士", "李先生"}, False),
    "discipline_office@root": ({"王女士", "李先生"}, False),
    "system_admin@root": (None, False),
    "security_admin@root": (None, False),
    "auditor@root": (None, False),
}


@pytest.mark.parametrize("case", MATRIX, ids=IDS)
def test_the_matrix_holds_for_help_requests_and_volumes(city, world, client, case):
    role, scope, *_ = case
    key = f"{role}@{scope}"
    visible, may_register = HELP[key]
    user = f.user(role, getattr(city, scope))
    web = login_client(user)
    page = web.get("/livelihood/help/")
    api = client.get("/api/v1/livelihood/help-requests", **bearer(user))
    if visible is None:
        assert page.status_code == 403 and api.json()["count"] == 0
        return
    html = page.content.decode()
    assert {h for h in ("王女士", "李先生") if h in html} == visible
    assert {r["household"] for r in api.json()["results"]} == visible
    for request in world:
        detail = web.get(f"/livelihood/help/{request.pk}/")
        assert detail.status_code == (200 if request.household in visible else 404)
        closing = client.post(f"/api/v1/livelihood/help-requests/{request.pk}/close", {}, content_type="application/json",
                              **bearer(user))
        assert closing.status_code == (200 if request.household in visible and may_register
                                       else 404 if request.household not in visible else 403), closing.content
    created = client.post("/api/v1/livelihood/help-requests", {
        "community_id": city.comm_2.pk, "household": "新户", "address": "x", "kind": "medicine", "details": "代购",
        "due_at": due_in(2).isoformat()}, content_type="application/json", **bearer(user))
    in_scope = key in ("committee_office@root", "community_staff@street")
    assert created.status_code in ((201,) if in_scope else (403, 404)), created.content
    form = web.post("/livelihood/help/new/", {"community": city.comm_2.pk, "household": "表单户", "address": "x",
                                              "kind": "medicine", "details": "代购", "due_at": "2030-01-01T10:00"})
    assert form.status_code == (302 if in_scope else 403 if not may_register else 400)
    assert HelpRequest.objects.filter(household="表单户").exists() == in_scope
    volumes = client.get("/api/v1/livelihood/volumes", **bearer(user)).json()
    departments = {v["department_id"] for v in volumes["results"]}
    expected = {"committee_office@root": {city.dept_a.pk, city.dept_b.pk}, "unit_liaison@dept_a": {city.dept_a.pk},
                "inspection_group@root": {city.dept_a.pk, city.dept_b.pk},
                "discipline_office@root": {city.dept_a.pk, city.dept_b.pk}}.get(key, set())
    assert departments == expected


def test_the_api_refuses_a_request_without_due_time_and_returns_the_token_once(city, client):
    staff = f.user("community_staff", city.comm_1)
    body = {"community_id": city.comm_1.pk, "household": "王女士", "address": "x", "kind": "medicine",
            "details": "代购"}
    refused = client.post("/api/v1/livelihood/help-requests", body, content_type="application/json", **bearer(staff))
    assert refused.status_code == 422 or refused.status_code == 400
    made = client.post("/api/v1/livelihood/help-requests", {**body, "due_at": due_in(2).isoformat(),
                                                             "phone": "13912345678"},
                       content_type="application/json", **bearer(staff))
    assert made.status_code == 201 and made.json()["phone_masked"] == "139****5678"
    assert "13912345678" not in made.content.decode()
    done = client.post(f"/api/v1/livelihood/help-requests/{made.json()['id']}/done", {"note": "ok"},
                       content_type="application/json", **bearer(staff))
    token = done.json()["confirm_token"]
    assert client.post(f"/livelihood/confirm/{token}/").status_code == 200
    again = client.get(f"/api/v1/livelihood/help-requests/{made.json()['id']}", **bearer(staff)).json()
    assert again["status"] == "closed" and again["closed_by"] == "household"
