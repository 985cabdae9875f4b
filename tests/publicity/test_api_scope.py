"""The publicity API, and the scope matrix over the publicity models: every role sees the
materials, media pushes, forwards, signatures and model deeds of its scope only, and writes only
inside it."""

import pytest

from fangkong.accounts.services import token_create
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.publicity import services
from fangkong.publicity.models import MediaPush
from tests import factories as f
from tests.conftest import login_client
from tests.test_scoping_matrix import IDS, MATRIX


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


@pytest.fixture
def world(city, pledge, outlet):
    today = clock.today()
    services.material_create(actor=SYSTEM, unit=city.dept_a, kind="banner", title="横幅甲", issued_on=today)
    services.material_create(actor=SYSTEM, unit=city.dept_b, kind="banner", title="横幅乙", issued_on=today)
    services.media_push_create(actor=SYSTEM, unit=city.dept_a, outlet=outlet, title="报道甲", pushed_on=today)
    services.media_push_create(actor=SYSTEM, unit=city.dept_b, outlet=outlet, title="报道乙", pushed_on=today)
    services.forward_record(actor=SYSTEM, unit=city.branch_a, message="转发甲", day=today)
    services.forward_record(actor=SYSTEM, unit=city.dept_b, message="转发乙", day=today)
    services.pledge_sign(actor=SYSTEM, pledge=pledge, person=city.alice)
    services.deed_nominate(actor=SYSTEM, branch=city.branch_a, person=city.alice, title="典型甲", story="事迹")


# role@scope -> the 甲 (dept_a) and 乙 (dept_b) records seen; None: no access to the line at all.
SEEN = {
    "committee_office@root": {"甲", "乙"}, "unit_liaison@dept_a": {"甲"}, "branch_secretary@branch_a": {"甲"},
    "community_staff@comm_1": set(), "community_staff@street": set(), "checkpoint_staff@checkpoint_1": set(),
    "inspection_group@root": {"甲", "乙"}, "discipline_office@root": {"甲", "乙"},
    "system_admin@root": None, "security_admin@root": None, "auditor@root": None,
}
# The branch secretary's scope is the branch: the department's own materials and pushes lie above it.
BELOW_THE_DEPARTMENT = {("branch_secretary@branch_a", "横幅"): set(), ("branch_secretary@branch_a", "报道"): set()}
LISTS = [("/publicity/materials/", "/api/v1/publicity/materials", "横幅", "title"),
         ("/publicity/media-pushes/", "/api/v1/publicity/media-pushes", "报道", "title"),
         ("/publicity/forwards/", "/api/v1/publicity/forwards", "转发", "message")]


@pytest.mark.parametrize("case", MATRIX, ids=IDS)
def test_the_matrix_holds_for_the_publicity_lists(city, world, client, outlet, case):
    role, scope, *_ = case
    key = f"{role}@{scope}"
    seen = SEEN[key]
    user = f.user(role, getattr(city, scope))
    web = login_client(user)
    for page_url, api_url, stem, field in LISTS:
        page = web.get(page_url)
        answer = client.get(api_url, **bearer(user)).json()
        if seen is None:
            assert page.status_code == 403 and answer["count"] == 0
            continue
        html = page.content.decode()
        expected = BELOW_THE_DEPARTMENT.get((key, stem), seen)
        assert {s for s in ("甲", "乙") if f"{stem}{s}" in html} == expected, (page_url, key)
        assert {r[field][-1] for r in answer["results"]} == expected, (api_url, key)
    signatures = client.get("/api/v1/publicity/signatures", **bearer(user)).json()
    deeds = client.get("/api/v1/publicity/deeds", **bearer(user)).json()
    expected = 0 if not seen or "甲" not in seen else 1
    assert signatures["count"] == expected and deeds["count"] == expected
    # Writes: a media push for dept_b goes in only for a role that may write there.
    made = client.post("/api/v1/publicity/media-pushes", {"unit_id": city.dept_b.pk, "outlet_id": outlet.pk,
                                                          "title": "写入乙", "pushed_on": clock.today().isoformat()},
                       content_type="application/json", **bearer(user))
    may = key == "committee_office@root"
    assert made.status_code in ((201,) if may else (400, 403, 404)), (key, made.content)
    form = web.post("/publicity/media-pushes/", {"unit": city.dept_b.pk, "outlet": outlet.pk, "kind": "news",
                                                  "title": "表单乙", "pushed_on": clock.today().isoformat()})
    assert form.status_code in ((302,) if may else (400, 403))
    assert MediaPush.objects.filter(title__in=["写入乙", "表单乙"]).count() == (2 if may else 0)


def test_the_api_signs_refuses_twice_and_reports_the_counts(city, pledge, member_user, client):
    first = client.post(f"/api/v1/publicity/pledges/{pledge.pk}/signatures", {}, content_type="application/json",
                        **bearer(member_user))
    assert first.status_code == 201 and first.json()["opens"] == 0
    share = first.json()["share_url"]
    assert client.get(share.replace("http://testserver", "")).status_code == 200
    again = client.post(f"/api/v1/publicity/pledges/{pledge.pk}/signatures", {}, content_type="application/json",
                        **bearer(member_user))
    assert again.status_code in (400, 422)
    mine = client.get(f"/api/v1/publicity/pledges/{pledge.pk}/mine", **bearer(member_user)).json()
    assert mine["opens"] == 1


def test_the_api_refuses_a_bad_link_and_an_unknown_item(city, outlet, client):
    office = f.user("committee_office", city.root)
    bad = client.post("/api/v1/publicity/media-pushes", {"unit_id": city.dept_a.pk, "outlet_id": outlet.pk,
                                                         "title": "x", "pushed_on": clock.today().isoformat(),
                                                         "link": "javascript:alert(1)"},
                      content_type="application/json", **bearer(office))
    assert bad.status_code in (400, 422) and not MediaPush.objects.exists()
    formula = client.post("/api/v1/publicity/comparison/formula",
                          {"name": "x", "expression": "donations_received + 1", "since": "2020-01-27"},
                          content_type="application/json", **bearer(office))
    assert formula.status_code in (400, 422) and "donations_received" in formula.content.decode()
    ok = client.post("/api/v1/publicity/comparison/formula",
                     {"name": "x", "expression": "media_pushes + 1", "since": "2020-01-27"},
                     content_type="application/json", **bearer(office))
    assert ok.status_code == 201 and ok.json()["expression"] == "media_pushes + 1"
    assert client.get("/api/v1/publicity/figures", **bearer(office)).status_code == 200


def test_the_api_saves_a_checklist_inside_the_scope_only(city, client):
    secretary = f.user("branch_secretary", city.branch_a)
    items = client.get("/api/v1/publicity/checklists/items", **bearer(secretary)).json()
    assert {i["kind"] for i in items} == {"six", "four"} and len(items) == 10
    saved = client.post("/api/v1/publicity/checklists", {"person_id": city.alice.pk, "kind": "four",
                                                         "items": ["obey", "hygiene"]},
                        content_type="application/json", **bearer(secretary))
    assert saved.status_code == 200 and saved.json()["items"] == ["obey", "hygiene"]
    listed = client.get("/api/v1/publicity/checklists", **bearer(secretary)).json()
    assert listed["count"] == 1
    other = f.user("branch_secretary", city.dept_b)
    assert client.get("/api/v1/publicity/checklists", **bearer(other)).json()["count"] == 0
    refused = client.post("/api/v1/publicity/checklists", {"person_id": city.alice.pk, "kind": "four", "items": []},
                          content_type="application/json", **bearer(other))
    assert refused.status_code == 404
