"""The deployment pages through HTTP: overview and report figures, the report export (audited),
secondment list/detail/create/place/end, a department's team, a place, rosters, no-shows,
imports; and scope: pages answer 404 outside it."""

import datetime as dt
import io

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.deployment.models import Assignment, Secondment, Shift
from tests import factories as f
from tests.conftest import login_client

from .conftest import DAY, at


@pytest.fixture
def office(city):
    return login_client(f.user("committee_office", city.root))


def test_overview_and_report_show_the_figures(city, seconded, office):
    page = office.get("/deployment/?on=2020-02-15")
    assert page.status_code == 200
    html = page.content.decode()
    assert "市民政局" in html and "红旗社区" in html and "东兴街道" in html
    report = office.get("/deployment/report/?on=2020-02-15").content.decode()
    assert "关于千名干部下社区的情况报告" in report


def test_the_report_export_has_the_counts_and_is_audited(city, seconded, office):
    response = office.get("/deployment/report/export/?on=2020-02-15")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][2] == 2  # total cadres
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["东兴街道"][2] == 2 and by_name["东兴街道"][3] == 1  # bob leads, alice below
    assert by_name["红旗社区"][2] == 1 and by_name["市教育局"][3] == 1
    assert AuditEntry.objects.filter(action="export", object_type="deployment.report").exists()


def test_export_needs_the_export_permission(city, seconded):
    liaison = login_client(f.user("unit_liaison", city.dept_a))
    assert liaison.get("/deployment/report/export/").status_code == 403


def test_create_place_and_end_through_the_pages(city, office, checkpoint_2):
    response = office.post("/deployment/secondments/new/", {
        "person": city.alice.pk, "department": city.dept_a.pk, "unit": "", "role": "member",
        "starts_on": "2020-02-01", "duties": "排查",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    s = Secondment.objects.get()
    assert s.unit is None
    assert office.get("/deployment/secondments/?placed=false").content.decode().count(city.alice.name) >= 1
    office.post(f"/deployment/secondments/{s.pk}/place/", {"unit": checkpoint_2.pk, "role": "team_leader"})
    s.refresh_from_db()
    assert s.unit == checkpoint_2 and s.role == "team_leader"
    office.post(f"/deployment/secondments/{s.pk}/end/", {"ends_on": "2020-02-20", "reason": "返岗"})
    s.refresh_from_db()
    assert s.ends_on == dt.date(2020, 2, 20)
    # A second overlapping secondment gets a clear error on the form.
    response = office.post("/deployment/secondments/new/", {
        "person": city.alice.pk, "department": city.dept_a.pk, "role": "member", "starts_on": "2020-02-10",
    })
    assert response.status_code == 400 and "已" in response.content.decode()


def test_department_team_and_place_pages(city, seconded, office):
    from fangkong.people.choices import Position

    f.person(city.dept_a, "周局长", position=Position.HEAD)
    html = office.get(f"/deployment/departments/{city.dept_a.pk}/?on=2020-02-15").content.decode()
    assert "周局长" in html and city.alice.name in html
    assert 'id="no-leader"' in html  # alice goes as a member and nobody leads the team
    html = office.get(f"/deployment/departments/{city.dept_b.pk}/?on=2020-02-15").content.decode()
    assert city.bob.name in html and 'id="no-leader"' not in html
    # Paired with comm_2, dept_a's cadre at comm_1 is flagged; bob at the street above is not.
    from fangkong.orgs.models import Pairing

    Pairing.objects.create(department=city.dept_a, community=city.comm_2)
    Pairing.objects.create(department=city.dept_b, community=city.comm_2)
    assert "outside-pairing" in office.get(f"/deployment/departments/{city.dept_a.pk}/?on=2020-02-15").content.decode()
    assert "outside-pairing" not in office.get(f"/deployment/departments/{city.dept_b.pk}/?on=2020-02-15").content.decode()
    html = office.get(f"/deployment/places/{city.street.pk}/?on=2020-02-15").content.decode()
    assert city.alice.name in html and city.bob.name in html


def test_scope_limits_what_a_department_and_a_community_see(city, seconded, checkpoint_2):
    a, b = seconded
    liaison_a = login_client(f.user("unit_liaison", city.dept_a))
    assert liaison_a.get(f"/deployment/secondments/{a.pk}/").status_code == 200
    assert liaison_a.get(f"/deployment/secondments/{b.pk}/").status_code == 404
    community_2 = login_client(f.user("community_staff", city.comm_2))
    assert community_2.get(f"/deployment/secondments/{a.pk}/").status_code == 404
    community_1 = login_client(f.user("community_staff", city.comm_1))
    assert community_1.get(f"/deployment/secondments/{a.pk}/").status_code == 200
    html = community_1.get("/deployment/secondments/").content.decode()
    assert city.alice.name in html and city.bob.name not in html


def test_roster_pages_show_gaps_and_no_shows_and_refuse_two_places(city, seconded, office, checkpoint_2):
    s1 = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    s2 = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 10), ends_at=at(DAY, 18))
    response = office.post(f"/deployment/rosters/{s1.pk}/", {"action": "assign", "person": city.bob.pk})
    assert response.status_code == 302
    response = office.post(f"/deployment/rosters/{s2.pk}/", {"action": "assign", "person": city.bob.pk})
    assert response.status_code == 400 and "不能同时" in response.content.decode()
    html = office.get("/deployment/rosters/?day=2020-02-15").content.decode()
    assert 'class="gap"' in html and "1/2" in html
    assert city.bob.name in office.get("/deployment/rosters/no-shows/").content.decode()
    assignment = Assignment.objects.get(person=city.bob)
    office.post(f"/deployment/rosters/{s1.pk}/", {"action": "unassign", "assignment": assignment.pk})
    assert not Assignment.objects.exists()


def test_the_day_form_plans_three_shifts(city, office):
    response = office.post("/deployment/rosters/", {"checkpoint": city.checkpoint_1.pk, "day": "2020-02-16",
                                                    "staff_needed": 3})
    assert response.status_code == 302
    assert list(Shift.objects.values_list("staff_needed", flat=True)) == [3, 3, 3]


def test_import_pages_preview_and_commit(city, office, tmp_path):
    assert office.get("/deployment/imports/template/").status_code == 200
    path = tmp_path / "l.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for c, v in enumerate(["姓名", "身份证号", "派出单位", "下沉日期"]):
        sheet.write_string(0, c, v)
    for c, v in enumerate([city.alice.name, city.alice.id_number, city.dept_a.name, "2020-02-01"]):
        sheet.write_string(1, c, v)
    book.close()
    with path.open("rb") as fh:
        response = office.post("/deployment/imports/", {"file": fh})
    assert response.status_code == 302
    detail = office.get(response["Location"]).content.decode()
    assert 'id="commit"' in detail
    office.post(response["Location"])
    assert Secondment.objects.filter(person=city.alice).exists()
