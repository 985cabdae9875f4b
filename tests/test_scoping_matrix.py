"""Role × action matrix: nobody sees or changes anything outside their scope; outside answers 404."""

import io

import pytest
from python_calamine import CalamineWorkbook

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import id_digest

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
        created = Person.objects.filter(id_digest=id_digest(number)).exists()
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


# ---- registrations that meet a person held in another scope ------------------------------
# Matching by ID number never crosses scope (docs/attribution.md): on every path, a registration
# whose ID number belongs to a person held outside the registrant's scope shows the registrant
# none of that person's values, changes none of them, and opens an attribution conflict.

HELD = {"name": "范持有", "phone": "13955556666", "address": "胜利路六号", "origin_text": "湖北省武汉市江岸区",
        "transport": "航班CZ6666", "notes": "持有方的备注", "category": "fever"}
HELD_TRACES = ("范持有", "胜利路六号", "湖北省武汉市江岸区", "航班CZ6666", "持有方的备注", "139****6666",
               "13955556666")
HELD_FIELDS = ("name", "phone", "unit_id", "community_id", "address", "category", "origin_text", "transport",
               "return_date", "notes", "line", "unit_reported_at", "community_reported_at")
# side, (holder's role, scope, place), (registrant's role, scope, registering unit)
CROSS = [
    ("unit", ("unit_liaison", "dept_b"), ("unit_liaison", "dept_a")),
    ("unit", ("unit_liaison", "industry"), ("unit_liaison", "dept_a")),
    ("community", ("community_staff", "comm_1"), ("community_staff", "comm_2")),
]
PATHS = ("form", "api", "import", "cli")


def _held_person(city, side, role, scope):
    from datetime import date

    from fangkong.returnees import services
    from fangkong.returnees.models import Returnee

    holder = f.user(role, getattr(city, scope))
    place = {"unit": getattr(city, scope), "community": city.comm_1} if side == "unit" else {
        "unit": city.dept_b, "community": getattr(city, scope)}
    returnee = services.register(actor=holder, side=side, id_number=f.id_number(), return_date=date(2020, 2, 4),
                                 **place, **HELD)
    return Returnee.objects.get(pk=returnee.pk), holder


def _held_state(returnee):
    from fangkong.returnees.models import Returnee

    fresh = Returnee.objects.get(pk=returnee.pk)
    return {name: getattr(fresh, name) for name in HELD_FIELDS}


def _register_through(path, *, city, side, user, unit, number, client, as_user, tmp_path, capsys):
    """Register the claim through one path; return everything the registrant was shown."""
    import xlsxwriter
    from django.core.management import call_command

    claim = {"name": "申报人", "phone": "13977778888", "category": "other", "return_date": "2020-02-09"}
    if path == "form":
        data = {**claim, "id_number": number, "unit" if side == "unit" else "community": unit.pk}
        response = as_user(user).post(f"/returnees/register/{side}/", data, follow=True)
        assert response.status_code == 200
        return response.content.decode()
    if path == "api":
        data = {**claim, "side": side, "id_number": number, f"{'unit' if side == 'unit' else 'community'}_id": unit.pk}
        response = client.post("/api/v1/returnees", data, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, actor=SYSTEM)}")
        assert response.status_code == 201, response.content
        return response.content.decode()
    ledger = tmp_path / "claim.xlsx"
    book = xlsxwriter.Workbook(str(ledger))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号", "联系电话", "工作单位" if side == "unit" else "居住社区", "人员类别",
                           "返回日期"])
    sheet.write_row(1, 0, [claim["name"], number, claim["phone"], unit.name, "其他", claim["return_date"]])
    book.close()
    if path == "import":
        web = as_user(user)
        with ledger.open("rb") as fh:
            preview = web.post("/returnees/imports/new/", {"side": side, "file": fh}, follow=True)
        from fangkong.returnees.models import LedgerImport

        li = LedgerImport.objects.get(uploaded_by=user)
        committed = web.post(f"/returnees/imports/{li.pk}/commit/", follow=True)
        li.refresh_from_db()
        assert (li.status, li.created, li.updated, li.unchanged) == ("committed", 1, 0, 0)
        return preview.content.decode() + committed.content.decode()
    call_command("import_ledger", str(ledger), "--side", side, "--user", user.username)
    out = capsys.readouterr()
    assert "新增 1" in out.out
    return out.out + out.err


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("side,holder,registrant", CROSS, ids=["unit@dept", "unit@industry", "community"])
def test_a_registration_meeting_a_person_held_elsewhere_shows_and_changes_nothing(
        city, as_user, client, tmp_path, capsys, path, side, holder, registrant):
    from fangkong.returnees.models import Returnee

    person, holder_user = _held_person(city, side, *holder)
    before = _held_state(person)
    role, scope = registrant
    user = f.user(role, getattr(city, scope))
    shown = _register_through(path, city=city, side=side, user=user, unit=getattr(city, scope),
                              number=person.id_number, client=client, as_user=as_user, tmp_path=tmp_path,
                              capsys=capsys)
    for trace in HELD_TRACES:
        assert trace not in shown, (path, trace)
    assert _held_state(person) == before
    assert Returnee.objects.count() == 1
    from fangkong.returnees.models import AttributionConflict

    conflict = AttributionConflict.objects.get()
    assert (conflict.returnee_id, conflict.side, conflict.claiming_unit, conflict.status) == (
        person.pk, side, getattr(city, scope), "open")
    # The holder still has the person; the registrant still does not.
    assert as_user(holder_user).get(f"/returnees/{person.pk}/").status_code == 200
    assert as_user(user).get(f"/returnees/{person.pk}/").status_code == 404
