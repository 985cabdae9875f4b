"""The ledger through the API: scoped lists, registration from both sides, follow-ups,
isolation actions, figures, imports."""

import datetime as dt
import io

import pytest
import xlsxwriter

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.returnees.models import FollowUp, Returnee
from tests import factories as f


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a)


def register(client, auth, **data):
    return client.post("/api/v1/returnees", data, content_type="application/json", **auth)


def payload(city, **extra):
    data = {"side": "unit", "name": "接口返乡", "id_number": f.id_number(), "phone": "139 0000 2222",
            "unit_id": city.dept_a.pk, "community_id": city.comm_1.pk, "return_date": "2020-02-01",
            "category": "outside", "origin_text": "湖北省武汉市"}
    data.update(extra)
    return data


def test_it_registers_both_sides_and_reports_the_dual_state(city, client, liaison):
    data = payload(city)
    first = register(client, bearer(liaison), **data)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["dual_state"] == "unit_only" and body["line"] == "organs" and body["phone"] == "139****2222"
    assert body["isolation"]["planned_end"] == "2020-02-15"
    staff = f.user("community_staff", city.comm_1)
    second = register(client, bearer(staff), **{**data, "side": "community", "unit_id": None})
    assert second.status_code == 201 and second.json()["id"] == body["id"]
    assert second.json()["dual_state"] == "both"


def test_it_refuses_registration_outside_scope_with_a_clear_error(city, client, liaison):
    response = register(client, bearer(liaison), **payload(city, unit_id=city.dept_b.pk))
    assert response.status_code == 400 and "unit" in response.json()["detail"]
    bad = register(client, bearer(liaison), **payload(city, id_number="110105194912310021"))
    assert bad.status_code == 400 and "id_number" in bad.json()["detail"]
    assert not Returnee.objects.exists()


def test_it_scopes_lists_and_details(city, client, liaison):
    register(client, bearer(liaison), **payload(city))
    other = f.user("unit_liaison", city.dept_b)
    mine = register(client, bearer(other), **payload(city, unit_id=city.dept_b.pk, name="乙单位"))
    assert mine.status_code == 201
    listing = client.get("/api/v1/returnees", **bearer(liaison)).json()
    assert [r["name"] for r in listing["results"]] == ["接口返乡"]
    assert client.get(f"/api/v1/returnees/{mine.json()['id']}", **bearer(liaison)).status_code == 404
    office = client.get("/api/v1/returnees?dual=unit_only", **bearer(f.user("committee_office", city.root))).json()
    assert office["count"] == 2


def test_it_records_follow_ups_only_within_the_isolation(city, client, liaison):
    returnee_id = register(client, bearer(liaison), **payload(city)).json()["id"]
    staff = bearer(f.user("community_staff", city.comm_1))
    ok = client.post(f"/api/v1/returnees/{returnee_id}/follow-ups",
                     {"day": "2020-02-03", "temperature": "36.6", "symptoms": ""}, content_type="application/json",
                     **staff)
    assert ok.status_code == 201
    late = client.post(f"/api/v1/returnees/{returnee_id}/follow-ups",
                       {"day": "2020-02-15", "temperature": "36.6"}, content_type="application/json", **staff)
    assert late.status_code == 400 and "day" in late.json()["detail"]
    extend = client.post(f"/api/v1/returnees/{returnee_id}/isolation/change",
                         {"days": 3, "reason": "复查", "approver": "张医生"}, content_type="application/json", **staff)
    assert extend.status_code == 200 and extend.json()["planned_end"] == "2020-02-18"
    assert client.post(f"/api/v1/returnees/{returnee_id}/follow-ups",
                       {"day": "2020-02-15", "temperature": "36.5"}, content_type="application/json",
                       **staff).status_code == 201
    release = client.post(f"/api/v1/returnees/{returnee_id}/isolation/release", {"day": "2020-02-16"},
                          content_type="application/json", **staff)
    assert release.status_code == 200
    after = client.post(f"/api/v1/returnees/{returnee_id}/follow-ups",
                        {"day": "2020-02-17", "temperature": "36.5"}, content_type="application/json", **staff)
    assert after.status_code == 400
    assert FollowUp.objects.count() == 2
    # Liaisons may not record follow-ups: that is the community's duty.
    assert client.post(f"/api/v1/returnees/{returnee_id}/follow-ups", {"day": "2020-02-04", "temperature": "36.5"},
                       content_type="application/json", **bearer(liaison)).status_code == 403


def test_it_answers_figures_as_of_a_date(city, client, liaison):
    register(client, bearer(liaison), **payload(city))
    today = dt.date.today().isoformat()
    figures = client.get(f"/api/v1/returnees/figures?as_of={today}", **bearer(f.user("committee_office", city.root)))
    body = figures.json()
    assert body["city"]["returnees"] == 1 and body["city"]["unit_only"] == 1 and body["city"]["dual_report_rate"] == 0
    assert body["units"][0]["label"] == city.dept_a.name
    past = client.get("/api/v1/returnees/figures?as_of=2019-12-31", **bearer(liaison)).json()
    assert past["city"]["returnees"] == 0 and past["city"]["dual_report_rate"] == 1.0


def ledger_bytes(rows):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def test_it_imports_through_the_api(city, client, liaison):
    good = f.id_number()
    content = ledger_bytes([["姓名", "身份证号", "工作单位", "居住社区", "返回日期"],
                            ["导入甲", good, city.dept_a.name, city.comm_1.name, "2020-02-03"]])
    upload = client.post("/api/v1/returnees/imports", {"side": "unit", "file": io.BytesIO(content)}, **bearer(liaison))
    assert upload.status_code == 201, upload.content
    body = upload.json()
    assert body["status"] == "preview" and body["error_count"] == 0 and body["total_rows"] == 1
    assert not Returnee.objects.exists()
    committed = client.post(f"/api/v1/returnees/imports/{body['id']}/commit", **bearer(liaison)).json()
    assert committed["status"] == "committed" and committed["created"] == 1
    assert Returnee.objects.get().id_number == good
