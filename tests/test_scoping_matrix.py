"""Role × action matrix: nobody sees or changes anything outside their scope; outside answers 404."""

import io

import pytest
from python_calamine import CalamineWorkbook

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM

from . import factories as f

ALL = {"李爱丽", "王博", "赵春兰", "钱大为", "孙二娥"}
# role, scope unit attribute on the City fixture, names visible, may change, may export
MATRIX = [
    ("committee_office", "root", ALL, True, True),
    ("unit_liaison", "dept_a", {"李爱丽"}, True, True),
    ("branch_secretary", "branch_a", {"李爱丽"}, False, False),
    ("community_staff", "comm_1", {"赵春兰", "孙二娥"}, True, False),
    ("community_staff", "street", {"赵春兰", "钱大为", "孙二娥"}, True, False),
    ("checkpoint_staff", "checkpoint_1", {"孙二娥"}, False, False),
    ("inspection_group", "root", ALL, False, True),
    ("discipline_office", "root", ALL, False, True),
    ("system_admin", "root", set(), False, False),
    ("security_admin", "root", set(), False, False),
    ("auditor", "root", set(), False, False),
]
IDS = [f"{role}@{scope}" for role, scope, *_ in MATRIX]


def people_by_name(city):
    return {p.name: p for p in (city.alice, city.bob, city.carol, city.dave, city.eve)}


@pytest.fixture(params=MATRIX, ids=IDS)
def case(request, city, as_user):
    role, scope, visible, may_change, may_export = request.param
    user = f.user(role, getattr(city, scope))
    return user, as_user(user), visible, may_change, may_export


def test_it_lists_only_people_in_scope(city, case):
    user, client, visible, *_ = case
    response = client.get("/people/?page_size=200")
    if not visible:
        assert response.status_code == 403
        return
    html = response.content.decode()
    shown = {name for name in ALL if name in html}
    assert shown == visible


def test_it_answers_404_for_detail_outside_scope(city, case):
    user, client, visible, *_ = case
    for name, person in people_by_name(city).items():
        response = client.get(f"/people/{person.pk}/")
        if not visible:
            assert response.status_code == 403
        else:
            assert response.status_code == (200 if name in visible else 404), name


def test_it_lets_only_changing_roles_update_inside_scope(city, case):
    user, client, visible, may_change, _ = case
    for name, person in people_by_name(city).items():
        data = {"name": name + "改", "id_number": person.id_number, "phone": person.phone, "unit": person.unit_id,
                "position": "staff"}
        response = client.post(f"/people/{person.pk}/edit/", data)
        person.refresh_from_db()
        if name in visible and may_change:
            assert response.status_code == 302, (name, response.content[:500])
            assert person.name == name + "改"
        else:
            assert response.status_code in ((403,) if name in visible or not visible else (404,)), name
            assert person.name == name


def test_it_lets_only_changing_roles_delete_inside_scope(city, case):
    user, client, visible, may_change, _ = case
    from fangkong.people.models import Person

    for name, person in people_by_name(city).items():
        response = client.post(f"/people/{person.pk}/delete/")
        exists = Person.objects.filter(pk=person.pk).exists()
        if name in visible and may_change:
            assert response.status_code == 302 and not exists
        else:
            assert exists
            assert response.status_code == (404 if visible and name not in visible else 403)


def test_it_creates_only_inside_scope(city, case):
    user, client, visible, may_change, _ = case
    from fangkong.people.models import Person

    for unit in (city.dept_a, city.comm_1, city.dept_b):
        number = f.id_number()
        response = client.post("/people/new/", {"name": "新人", "id_number": number, "unit": unit.pk, "position": "staff"})
        created = Person.objects.filter(id_number=number).exists()
        in_scope = any(p.unit_id == unit.pk for p in people_by_name(city).values() if p.name in visible)
        if may_change and in_scope:
            assert response.status_code == 302 and created, unit
        else:
            assert not created
            assert response.status_code in (400, 403)


def test_it_exports_only_people_in_scope(city, case):
    user, client, visible, _, may_export = case
    response = client.get("/people/export/")
    if not may_export:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert {row[0] for row in rows[1:]} == visible


def test_it_scopes_the_api(city, case, client):
    user, _client, visible, may_change, _ = case
    token = token_create(user=user, actor=SYSTEM)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get("/api/v1/people?page_size=200", **auth)
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == visible
    for name, person in people_by_name(city).items():
        detail = client.get(f"/api/v1/people/{person.pk}", **auth)
        assert detail.status_code == (200 if name in visible else 404)
        patch = client.patch(f"/api/v1/people/{person.pk}", {"title": "科员"}, content_type="application/json", **auth)
        if name in visible and may_change:
            assert patch.status_code == 200
        else:
            assert patch.status_code == (403 if name in visible else 404)


def test_it_scopes_units(city, case):
    user, client, visible, *_ = case
    from fangkong.orgs.models import Unit

    units = set(Unit.objects.visible_to(user).values_list("name", flat=True))
    if user.role == "auditor":
        assert units == set()
        return
    scope = user.scopes.get().unit
    below = set(Unit.objects.under(scope.pk).values_list("name", flat=True))
    assert units == below
    outside = Unit.objects.exclude(name__in=units).first()
    if outside is not None:
        assert client.get(f"/orgs/units/{outside.pk}/").status_code == 404
