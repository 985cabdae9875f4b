"""Matching by ID number never crosses scope: a registration that meets a person held outside the
registrant's scope adds the registrant's own registration and an attribution conflict (归属争议),
changes nothing of the person and shows nothing the registrant did not type; the committee office
resolves the conflict. Also: only the uploader commits an import; one rule for names."""

import datetime as dt
import json

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from fangkong.accounts.services import token_create
from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import id_digest
from fangkong.returnees import imports, selectors, services
from fangkong.returnees.models import LedgerImport, Registration, Returnee
from tests import factories as f

# What unit B (and community 1) typed: none of it may reach anyone outside their scope.
HELD = {"name": "王持有", "phone": "13911118888", "address": "光明路八号三单元", "origin_text": "湖北省武汉市江汉区",
        "transport": "火车G8888", "notes": "持有方备注", "category": "fever", "return_date": dt.date(2020, 2, 3)}
# What the claimant types.
CLAIM = {"name": "李申报", "phone": "13922227777", "category": "other", "return_date": dt.date(2020, 2, 9),
         "origin_text": "广东省深圳市", "transport": "自驾"}
TRACES = ("王持有", "光明路八号", "湖北省武汉市江汉区", "火车G8888", "持有方备注", "139****8888", "13911118888")
PERSON_FIELDS = ("name", "phone", "unit_id", "community_id", "address", "category", "origin_text", "origin_code",
                 "transport", "return_date", "notes", "line", "coordinating_body_id", "unit_reported_at",
                 "community_reported_at")


def state(returnee):
    returnee = Returnee.objects.get(pk=returnee.pk)
    return {name: getattr(returnee, name) for name in PERSON_FIELDS}


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


def assert_no_trace(text):
    for trace in TRACES:
        assert trace not in text, trace


@pytest.fixture
def holder(city):
    """A person reported by unit B (dept_b), living in community 1, with everything filled in."""
    liaison_b = f.user("unit_liaison", city.dept_b)
    returnee = services.register(actor=liaison_b, side="unit", id_number=f.id_number(), unit=city.dept_b,
                                 community=city.comm_1, **HELD)
    return returnee


@pytest.fixture
def liaison_a(city):
    return f.user("unit_liaison", city.dept_a, username="liaison_a")


def conflicts():
    from fangkong.returnees.models import AttributionConflict

    return AttributionConflict.objects.all()


# ---- finding 1: the unit side ------------------------------------------------------------


def test_the_api_answer_to_a_claim_holds_only_what_the_claimant_typed(city, client, holder, liaison_a):
    before = state(holder)
    body = {"side": "unit", "id_number": holder.id_number, "unit_id": city.dept_a.pk,
            **{k: str(v) for k, v in CLAIM.items()}}
    response = client.post("/api/v1/returnees", body, content_type="application/json", **bearer(liaison_a))
    assert response.status_code == 201, response.content
    text = response.content.decode()
    assert_no_trace(text)
    data = response.json()
    assert data["name"] == CLAIM["name"] and data["unit_id"] == city.dept_a.pk and data["community_id"] is None
    assert data["address"] == "" and data["dual_state"] == "unit_only" and data["isolation"] is None
    assert [r["unit_id"] for r in data["registrations"]] == [city.dept_a.pk]
    assert data["awaiting_decision"] is True
    # B's person is untouched and still B's.
    assert state(holder) == before
    liaison_b = f.user("unit_liaison", city.dept_b)
    assert client.get(f"/api/v1/returnees/{holder.pk}", **bearer(liaison_b)).status_code == 200
    assert client.get(f"/api/v1/returnees/{holder.pk}", **bearer(liaison_a)).status_code == 404
    conflict = conflicts().get()
    assert (conflict.returnee_id, conflict.side, conflict.current_unit, conflict.claiming_unit, conflict.status) == (
        holder.pk, "unit", city.dept_b, city.dept_a, "open")
    assert conflict.claiming_registration.unit == city.dept_a


def test_the_form_answer_to_a_claim_shows_nothing_of_the_other_units_record(city, as_user, holder, liaison_a):
    before = state(holder)
    client = as_user(liaison_a)
    response = client.post("/returnees/register/unit/", {
        "unit": city.dept_a.pk, "id_number": holder.id_number, "name": CLAIM["name"], "phone": CLAIM["phone"],
        "category": CLAIM["category"], "return_date": "2020-02-09", "origin_text": CLAIM["origin_text"],
    }, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert_no_trace(html)
    assert CLAIM["name"] in html
    assert state(holder) == before
    assert as_user(f.user("unit_liaison", city.dept_b)).get(f"/returnees/{holder.pk}/").status_code == 200
    assert conflicts().filter(claiming_unit=city.dept_a, status="open").count() == 1


def ledger(path, rows, headers=("姓名", "身份证号", "联系电话", "工作单位", "人员类别", "返回日期")):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, [str(v) for v in row])
    book.close()
    return path


def test_an_import_counts_a_person_held_elsewhere_as_new_and_changes_nothing(city, holder, liaison_a, tmp_path):
    before = state(holder)
    path = ledger(tmp_path / "a.xlsx", [[CLAIM["name"], holder.id_number, CLAIM["phone"], city.dept_a.name, "其他",
                                         "2020-02-09"],
                                        ["新面孔", f.id_number(), "", city.dept_a.name, "外地返回", "2020-02-09"]])
    li = imports.import_run(imports.import_create(actor=liaison_a, side="unit", source=path, file_name="a.xlsx"),
                            commit=True)
    assert (li.status, li.created, li.updated, li.unchanged) == ("committed", 2, 0, 0)
    assert state(holder) == before
    assert conflicts().filter(returnee=holder, claiming_unit=city.dept_a).count() == 1
    again = imports.import_run(imports.import_create(actor=liaison_a, side="unit", source=path, file_name="a.xlsx"),
                               commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert conflicts().count() == 1 and state(holder) == before


def test_the_cli_import_says_new_for_a_person_held_elsewhere(city, holder, liaison_a, tmp_path, capsys):
    before = state(holder)
    path = ledger(tmp_path / "c.xlsx", [[CLAIM["name"], holder.id_number, CLAIM["phone"], city.dept_a.name, "其他",
                                         "2020-02-09"]])
    call_command("import_ledger", str(path), "--side", "unit", "--user", "liaison_a")
    out = capsys.readouterr().out
    assert "新增 1" in out and "更新 0" in out
    assert_no_trace(out)
    assert state(holder) == before and conflicts().count() == 1


# ---- finding 1: the community side -------------------------------------------------------


def test_a_second_community_opens_a_conflict_and_changes_nothing(city, client, holder):
    staff_1 = f.user("community_staff", city.comm_1)
    services.register(actor=staff_1, side="community", id_number=holder.id_number, community=city.comm_1,
                      unit=city.dept_b, **HELD)
    before = state(holder)
    staff_2 = f.user("community_staff", city.comm_2)
    response = client.post("/api/v1/returnees", {
        "side": "community", "id_number": holder.id_number, "community_id": city.comm_2.pk, "name": CLAIM["name"],
        "address": "另一条街", "category": "other"}, content_type="application/json", **bearer(staff_2))
    assert response.status_code == 201
    assert_no_trace(response.content.decode())
    assert response.json()["unit_id"] is None and response.json()["dual_state"] == "community_only"
    assert state(holder) == before
    conflict = conflicts().get()
    assert (conflict.side, conflict.current_unit, conflict.claiming_unit) == ("community", city.comm_1, city.comm_2)


# ---- what stays as it was ----------------------------------------------------------------


def test_an_empty_place_is_taken_without_changing_what_the_other_side_typed(city, liaison_a):
    """The dual report itself: a community registered a resident without naming an employer; the
    unit that reports the person takes the empty place. Nothing the community typed changes."""
    staff = f.user("community_staff", city.comm_1)
    number = f.id_number()
    services.register(actor=staff, side="community", id_number=number, community=city.comm_1, unit=None,
                      **{**HELD, "phone": ""})
    person = Returnee.objects.get(id_digest=id_digest(number))
    before = state(person)
    # The unit knows its employee's name as well as the ID number (spaces and width aside).
    services.register(actor=liaison_a, side="unit", id_number=number, unit=city.dept_a,
                      **{**CLAIM, "name": " 王 持有"})
    after = state(person)
    assert after["unit_id"] == city.dept_a.pk and after["line"] == "organs" and after["unit_reported_at"]
    assert after["phone"] == CLAIM["phone"]  # was blank
    for name in ("name", "address", "category", "origin_text", "transport", "return_date", "notes", "community_id",
                 "community_reported_at"):
        assert after[name] == before[name], name
    assert not conflicts().exists()
    assert Returnee.objects.visible_to(liaison_a).filter(pk=person.pk).exists()


def test_an_id_number_alone_does_not_take_an_empty_place(city, client, liaison_a):
    """Someone who knows a neighbour's ID number but registers another name does not attach the
    person (and see their record): the row is a claim for the office, the person unchanged."""
    staff = f.user("community_staff", city.comm_1)
    number = f.id_number()
    services.register(actor=staff, side="community", id_number=number, community=city.comm_1, unit=None,
                      **{**HELD, "phone": ""})
    person = Returnee.objects.get(id_digest=id_digest(number))
    before = state(person)
    body = {"side": "unit", "id_number": number, "unit_id": city.dept_a.pk, **{k: str(v) for k, v in CLAIM.items()}}
    response = client.post("/api/v1/returnees", body, content_type="application/json", **bearer(liaison_a))
    assert response.status_code == 201, response.content
    assert_no_trace(response.content.decode())
    assert state(person) == before
    assert not Returnee.objects.visible_to(liaison_a).filter(pk=person.pk).exists()
    conflict = conflicts().get()
    assert conflict.side == "unit" and conflict.claiming_unit_id == city.dept_a.pk
    assert conflict.current_unit_id == city.comm_1.pk  # the person stands with the community that registered them
    # The office moves the person to the unit: then the unit holds the place.
    office = f.user("committee_office", city.root)
    services.conflict_resolve(actor=office, conflict=conflict, resolution="move", reason="核实为本单位职工")
    assert Returnee.objects.get(pk=person.pk).unit_id == city.dept_a.pk


def test_a_person_in_the_registrants_subtree_is_updated_as_before(city):
    """A coordinating body's liaison moves a person between its industry units: no conflict."""
    from fangkong.orgs.choices import UnitKind

    other_industry = f.unit(UnitKind.INDUSTRY_UNIT, city.cb, "白岭市燃气公司")
    body = f.user("unit_liaison", city.cb)
    number = f.id_number()
    services.register(actor=body, side="unit", id_number=number, unit=city.industry, **HELD)
    services.register(actor=body, side="unit", id_number=number, unit=other_industry, **CLAIM)
    person = Returnee.objects.get(id_digest=id_digest(number))
    assert person.unit == other_industry and person.name == CLAIM["name"] and person.category == "other"
    assert not conflicts().exists()


# ---- the conflict while open, and its resolution -----------------------------------------


def claim(city, holder, liaison_a):
    services.register(actor=liaison_a, side="unit", id_number=holder.id_number, unit=city.dept_a, **CLAIM)
    return conflicts().get()


def test_while_open_each_side_sees_only_its_own_and_the_figures_stand(city, as_user, holder, liaison_a):
    liaison_b = f.user("unit_liaison", city.dept_b)
    moment = selectors.end_of_day(dt.date.today())
    figures_b = selectors.dual_figures(Returnee.objects.visible_to(liaison_b), moment)
    conflict = claim(city, holder, liaison_a)
    # The holder: figures unchanged, the person's page says the attribution is disputed, without
    # naming the claimant or listing its registration.
    assert selectors.dual_figures(Returnee.objects.visible_to(liaison_b), moment) == figures_b
    page_b = as_user(liaison_b).get(f"/returnees/{holder.pk}/").content.decode()
    assert 'id="attribution-disputed"' in page_b and city.dept_a.name not in page_b and CLAIM["name"] not in page_b
    # The claimant: the person is not in its ledger or figures; its claim shows what it typed.
    assert not Returnee.objects.visible_to(liaison_a).exists()
    client_a = as_user(liaison_a)
    listing = client_a.get("/returnees/conflicts/").content.decode()
    assert CLAIM["name"] in listing
    assert_no_trace(listing)
    detail = client_a.get(f"/returnees/conflicts/{conflict.pk}/").content.decode()
    assert CLAIM["name"] in detail and city.dept_b.name not in detail
    assert_no_trace(detail)
    # B does not see A's claim page; A cannot resolve.
    assert as_user(liaison_b).get(f"/returnees/conflicts/{conflict.pk}/").status_code == 404
    assert client_a.post(f"/returnees/conflicts/{conflict.pk}/resolve/",
                         {"resolution": "move", "reason": "x"}).status_code == 403
    assert conflicts().get().status == "open"


def test_the_office_keeps_the_person_where_it_was(city, as_user, holder, liaison_a):
    before = state(holder)
    conflict = claim(city, holder, liaison_a)
    office_user = f.user("committee_office", city.root)
    office = as_user(office_user)
    assert 'href="/returnees/conflicts/"' in office.get("/returnees/").content.decode()  # the ledger's tab
    listing = office.get("/returnees/conflicts/").content.decode()
    assert HELD["name"] in listing and city.dept_a.name in listing and city.dept_b.name in listing
    assert office.post(f"/returnees/conflicts/{conflict.pk}/resolve/", {"resolution": "keep"}).status_code == 400
    response = office.post(f"/returnees/conflicts/{conflict.pk}/resolve/",
                           {"resolution": "keep", "reason": "经核实为市教育局职工"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.resolved_by) == ("resolved", "keep", office_user)
    assert state(holder) == before
    assert not Registration.objects.filter(returnee=holder, unit=city.dept_a).exists()
    entry = AuditEntry.objects.get(object_type="returnees.attributionconflict", action="update")
    assert entry.actor == office_user and "keep" in json.dumps(entry.after)
    # The claimant sees the decision and its reason.
    assert "经核实为市教育局职工" in as_user(liaison_a).get(f"/returnees/conflicts/{conflict.pk}/").content.decode()
    # Registering again does not reopen what the office decided.
    services.register(actor=liaison_a, side="unit", id_number=holder.id_number, unit=city.dept_a, **CLAIM)
    assert conflicts().count() == 1 and conflicts().get().status == "resolved" and state(holder) == before


def test_the_office_moves_the_person_to_the_claimant(city, holder, liaison_a):
    before = state(holder)
    conflict = claim(city, holder, liaison_a)
    office = f.user("committee_office", city.root)
    services.conflict_resolve(actor=office, conflict=conflict, resolution="move", reason="工作关系已转入市民政局")
    after = state(holder)
    assert after["unit_id"] == city.dept_a.pk and after["name"] == CLAIM["name"] and after["category"] == "other"
    assert after["address"] == HELD["address"] and after["community_id"] == city.comm_1.pk
    assert after["unit_reported_at"] == before["unit_reported_at"]  # the first unit report still dates it
    assert Returnee.objects.visible_to(liaison_a).filter(pk=holder.pk).exists()
    assert not Returnee.objects.visible_to(f.user("unit_liaison", city.dept_b)).filter(pk=holder.pk).exists()
    with pytest.raises(ValidationError):
        services.conflict_resolve(actor=office, conflict=conflict, resolution="keep", reason="again")


def test_the_office_accepts_both_registrations(city, holder, liaison_a):
    community_only = services.register(actor=f.user("community_staff", city.comm_2), side="community",
                                       id_number=f.id_number(), community=city.comm_2, unit=city.dept_b, **HELD)
    assert community_only.unit_reported_at is None
    before = state(community_only)
    services.register(actor=liaison_a, side="unit", id_number=community_only.id_number, unit=city.dept_a, **CLAIM)
    conflict = conflicts().get()
    office = f.user("committee_office", city.root)
    services.conflict_resolve(actor=office, conflict=conflict, resolution="both", reason="两单位均有工作关系")
    after = state(community_only)
    assert after["unit_id"] == city.dept_b.pk and after["name"] == HELD["name"]
    assert after["unit_reported_at"] == conflict.claiming_registration.registered_at  # now reported by a unit
    assert {k: v for k, v in after.items() if k != "unit_reported_at"} == {
        k: v for k, v in before.items() if k != "unit_reported_at"}
    assert Registration.objects.filter(returnee=community_only, side="unit", unit=city.dept_a).exists()


def test_a_pending_claim_is_not_a_second_unit_report_until_the_office_accepts_it(
        city, as_user, client, holder, liaison_a):
    conflict = claim(city, holder, liaison_a)
    office_user = f.user("committee_office", city.root)
    office = as_user(office_user)

    def several():
        html = office.get("/returnees/reconciliation/").content.decode()
        return html.split('id="several"')[1].split("</table>")[0]

    assert HELD["name"] not in several()
    detail = client.get(f"/api/v1/returnees/{holder.pk}", **bearer(f.user("unit_liaison", city.dept_b))).json()
    assert [r["unit_id"] for r in detail["registrations"]] == [city.dept_b.pk] and detail["awaiting_decision"]
    services.conflict_resolve(actor=office_user, conflict=conflict, resolution="both", reason="借调")
    assert HELD["name"] in several() and city.dept_a.name in several()
    detail = client.get(f"/api/v1/returnees/{holder.pk}", **bearer(f.user("unit_liaison", city.dept_b))).json()
    assert {r["unit_id"] for r in detail["registrations"]} == {city.dept_a.pk, city.dept_b.pk}
    assert not detail["awaiting_decision"]


def test_a_merge_carries_the_claims_to_the_record_kept(city, holder, liaison_a):
    conflict = claim(city, holder, liaison_a)
    office = f.user("committee_office", city.root)
    twin = services.register(actor=office, side="unit", id_number=f.id_number(), unit=city.dept_b, **HELD)
    kept = services.returnee_merge(actor=office, keep=twin, remove=Returnee.objects.get(pk=holder.pk))
    conflict.refresh_from_db()
    assert conflict.returnee_id == kept.pk and conflict.claiming_registration.returnee_id == kept.pk


def test_only_the_committee_office_resolves(city, holder, liaison_a):
    conflict = claim(city, holder, liaison_a)
    for role, scope in (("unit_liaison", city.dept_b), ("inspection_group", city.root),
                        ("community_staff", city.comm_1)):
        with pytest.raises(PermissionDenied):
            services.conflict_resolve(actor=f.user(role, scope), conflict=conflict, resolution="move", reason="x")


def test_the_conflict_api_for_the_office_and_the_claimant(city, client, holder, liaison_a):
    conflict = claim(city, holder, liaison_a)
    office = bearer(f.user("committee_office", city.root))
    listing = client.get("/api/v1/returnees/conflicts", **office).json()
    assert [c["id"] for c in listing["results"]] == [conflict.pk]
    mine = client.get(f"/api/v1/returnees/conflicts/{conflict.pk}", **bearer(liaison_a))
    assert mine.status_code == 200 and mine.json()["claimed"]["name"] == CLAIM["name"]
    assert_no_trace(mine.content.decode())
    assert mine.json()["current_unit_id"] is None  # the claimant does not learn who holds the person
    refused = client.post(f"/api/v1/returnees/conflicts/{conflict.pk}/resolve", {"resolution": "move", "reason": "x"},
                          content_type="application/json", **bearer(liaison_a))
    assert refused.status_code == 403
    done = client.post(f"/api/v1/returnees/conflicts/{conflict.pk}/resolve",
                       {"resolution": "keep", "reason": "核实"}, content_type="application/json", **office)
    assert done.status_code == 200 and done.json()["resolution"] == "keep"


# ---- finding 7: only the uploader commits ------------------------------------------------


def test_only_the_uploader_commits_a_preview_on_the_web(city, as_user, tmp_path):
    uploader = f.user("unit_liaison", city.dept_a)
    colleague = f.user("unit_liaison", city.dept_a)
    path = ledger(tmp_path / "p.xlsx", [["刘返乡", f.id_number(), "", city.dept_a.name, "外地返回", "2020-02-01"]])
    li = imports.import_run(imports.import_create(actor=uploader, side="unit", source=path, file_name="p.xlsx"),
                            commit=False)
    assert li.status == "preview"
    client = as_user(colleague)
    response = client.post(f"/returnees/imports/{li.pk}/commit/")
    assert response.status_code == 403
    assert LedgerImport.objects.get(pk=li.pk).status == "preview" and not Returnee.objects.exists()
    assert 'id="commit"' not in client.get(f"/returnees/imports/{li.pk}/").content.decode()
    with pytest.raises(PermissionDenied):
        imports.import_start(li, commit=True, actor=colleague)
    as_user(uploader).post(f"/returnees/imports/{li.pk}/commit/")
    assert LedgerImport.objects.get(pk=li.pk).status == "committed"
    entry = AuditEntry.objects.get(object_type="returnees.ledgerimport")
    assert entry.actor == uploader


# ---- finding 10: one rule for names ------------------------------------------------------


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "张三2"])
def test_the_api_refuses_the_names_the_ledger_refuses(city, client, liaison_a, name, tmp_path):
    from fangkong.returnees.ledger import read_ledger

    path = ledger(tmp_path / "n.xlsx", [[name, f.id_number(), "", city.dept_a.name, "外地返回", "2020-02-01"]])
    assert any(p.column == "姓名" for p in read_ledger(path, side="unit").errors)
    response = client.post("/api/v1/returnees", {"side": "unit", "name": name, "id_number": f.id_number(),
                                                 "unit_id": city.dept_a.pk}, content_type="application/json",
                           **bearer(liaison_a))
    assert response.status_code == 400 and "name" in response.json()["detail"]
    assert not Returnee.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.register(actor=liaison_a, side="unit", name=name, id_number=f.id_number(), unit=city.dept_a)
    assert "name" in exc.value.message_dict
