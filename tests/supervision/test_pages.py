"""The supervision pages through HTTP: the phone feedback screen, the board, the case file (its
reads audited), the unit's answer, referral letters, bulletin import and the periodic bulletin."""

import datetime as dt
import io

import pytest

from fangkong.audit.models import AuditEntry
from fangkong.core import clock
from fangkong.supervision import services
from fangkong.supervision.models import (
    BulletinImport,
    Classification,
    Feedback,
    OutcomeKind,
    Problem,
    ReceivingBody,
)
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    from tests.supervision.helpers import make_world

    return make_world()


def test_it_takes_a_community_s_feedback_on_one_screen_with_one_no(world):
    client = login_client(world.community_user)
    page = client.get("/supervision/feedback/")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.dept.name in html and world.dept2.name in html and world.unpaired.name not in html
    day = clock.today().isoformat()
    data = {"community": world.community.pk, "day": day, "department": [world.dept.pk, world.dept2.pk],
            f"obeys_{world.dept.pk}": "no", f"remark_{world.dept.pk}": "未按社区安排到岗"}
    response = client.post("/supervision/feedback/", data)
    assert response.status_code == 302
    assert Feedback.objects.filter(is_current=True).count() == 2
    assert Problem.objects.get().unit == world.dept
    board = client.get(f"/supervision/?day={day}")
    assert board.status_code == 200 and world.community.name in board.content.decode()


def test_it_refuses_feedback_for_another_community_or_a_future_day(world):
    client = login_client(world.community_user)
    assert client.get(f"/supervision/feedback/?community={world.other_community.pk}").status_code == 404
    future = (clock.today() + dt.timedelta(days=1)).isoformat()
    response = client.post("/supervision/feedback/", {"community": world.community.pk, "day": future,
                                                      "department": [world.dept.pk]})
    assert response.status_code == 400 and not Feedback.objects.exists()


def test_it_audits_every_read_of_a_case_file_and_hides_the_source_from_the_unit(world):
    problem = world.problem()
    case = services.case_open(actor=world.inspector, problems=[problem], title="返程人员未报备核查",
                              leader=world.leader, deadline=clock.today() + dt.timedelta(days=2))
    request = services.request_explanation(actor=world.inspector, case=case, unit=world.dept, question="请说明情况",
                                           deadline=clock.today() + dt.timedelta(days=2))
    office = login_client(world.office)
    before = AuditEntry.objects.filter(object_type="supervision.investigation", action="reveal").count()
    assert office.get(case.get_absolute_url()).status_code == 200
    assert AuditEntry.objects.filter(object_type="supervision.investigation", action="reveal").count() == before + 1
    liaison = login_client(world.liaison)
    assert liaison.get(case.get_absolute_url()).status_code == 404
    assert liaison.get(problem.get_absolute_url()).status_code == 404
    page = liaison.get(request.get_absolute_url()).content.decode()
    assert "请说明情况" in page and problem.number not in page and "简报" not in page
    response = liaison.post(request.get_absolute_url(), {"text": "已整改"})
    assert response.status_code == 302
    assert login_client(world.liaison2).get(request.get_absolute_url()).status_code == 404


def test_it_follows_a_case_to_its_referral_letter_and_outcome(world):
    problem = world.problem()
    client = login_client(world.inspector)
    response = client.post(problem.get_absolute_url(), {"title": "核查", "leader": world.leader.pk,
                                                        "deadline": (clock.today() + dt.timedelta(days=5)).isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Problem.objects.get().case
    # A referral without a conclusion is refused.
    refused = client.post(case.get_absolute_url(), {"action": "refer",
                                                    "bodies": [ReceivingBody.objects.get(code="organisation").pk]})
    assert refused.status_code == 400
    assert client.post(case.get_absolute_url(), {"action": "conclude", "findings": "属实",
                                                 "conclusion": "refer"}).status_code == 302
    bodies = [ReceivingBody.objects.get(code=c).pk for c in ("organisation", "discipline")]
    assert client.post(case.get_absolute_url(), {"action": "refer", "bodies": bodies}).status_code == 302
    referral = case.referrals.get(body__code="discipline")
    letter = client.get(f"/supervision/referrals/{referral.pk}/letter/")
    assert letter.status_code == 200 and "移交函" in letter.content.decode()
    xlsx = client.get(f"/supervision/referrals/{referral.pk}/letter/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    discipline = login_client(world.discipline)
    assert discipline.get(case.get_absolute_url()).status_code == 200
    outcome = discipline.post(case.get_absolute_url(), {"action": "outcome", "referral": referral.pk,
                                                        "outcome": OutcomeKind.objects.get(code="talk").pk,
                                                        "on": clock.today().isoformat()})
    assert outcome.status_code == 302


def _xlsx(rows):
    from fangkong.core.excel import write_xlsx

    content, _count = write_xlsx(rows[0], rows[1:])
    out = io.BytesIO(content)
    out.name = "简报第12期问题清单.xlsx"
    return out


def test_it_imports_a_bulletin_list_all_or_nothing(world):
    client = login_client(world.office)
    data = {"title": "白山市疫情防控督查工作简报", "number": 12, "issued_on": clock.today().isoformat()}
    bad = _xlsx([["序号", "责任单位", "问题描述"], [1, "市民政局", "返程人员未向社区报备"], [2, "市民证局", "卡点无人值守"]])
    response = client.post("/supervision/bulletin-lists/", {**data, "file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "市民证局" in html and "市民政局" in html and "B" in html
    assert not Problem.objects.exists()
    assert BulletinImport.objects.get().status == "rejected"
    good = _xlsx([["序号", "责任单位", "问题描述"], [1, "市民政局", "返程人员未向社区报备"], [2, "市教育局", "卡点无人值守"]])
    assert client.post("/supervision/bulletin-lists/", {**data, "file": good}).status_code == 302
    assert Problem.objects.filter(source="bulletin", unannounced=True).count() == 2


def test_it_rejects_a_bulletin_problem_naming_a_unit_outside_the_scope(world):
    client = login_client(world.office_narrow)
    response = client.post("/supervision/bulletin-lists/", {
        "title": "简报", "number": 3, "issued_on": clock.today().isoformat(), "typed": "市民政局：问题"})
    assert response.status_code == 400 and not Problem.objects.exists()


def test_it_issues_a_numbered_bulletin_as_page_and_xlsx(world):
    world.problem()
    client = login_client(world.office)
    today = clock.today()
    response = client.post("/supervision/bulletins/", {"period_from": (today - dt.timedelta(days=6)).isoformat(),
                                                       "period_to": today.isoformat()})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "督查通报 第1期" in page.content.decode()
    assert client.get(response["Location"] + "?format=xlsx").content[:2] == b"PK"


def test_it_refuses_an_attachment_that_lies(world):
    problem = world.problem()
    case = services.case_open(actor=world.inspector, problems=[problem], title="核查", leader=world.leader,
                              deadline=clock.today() + dt.timedelta(days=5))
    request = services.request_explanation(actor=world.inspector, case=case, unit=world.dept, question="q",
                                           deadline=clock.today() + dt.timedelta(days=2))
    fake = io.BytesIO(b"MZ this is not a photo")
    fake.name = "photo.jpg"
    response = login_client(world.liaison).post(request.get_absolute_url(), {"text": "说明", "attachment": fake})
    assert response.status_code == 400 and not request.answers.exists()


def test_it_records_a_problem_by_hand_and_attaches_evidence(world):
    client = login_client(world.office)
    assert client.get("/supervision/problems/new/").status_code == 200
    response = client.post("/supervision/problems/new/", {
        "unit": world.dept.pk, "classification": Classification.objects.get(code="p1").pk,
        "summary": "卡点无人值守", "found_on": clock.today().isoformat()})
    assert response.status_code == 302
    problem = Problem.objects.get()
    photo = io.BytesIO(b"\x89PNG\r\n\x1a\nphoto")
    photo.name = "现场.png"
    assert client.post(problem.get_absolute_url(), {"action": "evidence", "file": photo}).status_code == 302
    evidence = problem.evidence.get()
    download = client.get(f"/supervision/evidence/{evidence.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert login_client(world.liaison).get(f"/supervision/evidence/{evidence.pk}/").status_code == 404


def test_the_api_refuses_a_bulletin_list_without_rows_in_its_own_answer(world):
    """No file and no typed list: refused with the list's answer shape (status, rows, errors), as a
    list with problems is; nothing written."""
    from django.test import Client

    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world.office, actor=SYSTEM)}"}
    response = Client().post("/api/v1/supervision/bulletin-lists",
                             {"title": "督查简报", "number": 12, "issued_on": "2020-02-10"},
                             content_type="application/json", **auth)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected" and body["rows"] == 0 and body["errors"]
    assert not BulletinImport.objects.exists()


def test_a_bulletin_lists_unknown_column_is_placed_by_the_user_and_remembered(world):
    """A column holding data under a header the platform does not know stops the list (nothing
    written) and is shown with its first values; placed on the page, the list imports, and the same
    layout goes straight through next time. 序号 and 备注 are named as not imported."""
    client = login_client(world.office)
    data = {"title": "白山市疫情防控督查工作简报", "number": 13, "issued_on": clock.today().isoformat()}
    rows = [["序号", "责任单位", "问题描述", "督查发现人", "备注"],
            [1, "市民政局", "返程人员未向社区报备", "王督查", ""], [2, "市教育局", "卡点无人值守", "李督查", "已通报"]]
    response = client.post("/supervision/bulletin-lists/", {**data, "file": _xlsx(rows)})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="mapping-table"' in html and "督查发现人" in html and "王督查" in html
    assert not Problem.objects.exists() and not BulletinImport.objects.exists()

    # A field that does not exist is refused by the form.
    wrong = client.post("/supervision/bulletin-lists/", {**data, "file": _xlsx(rows), "mapping": "督查发现人=inspector"})
    assert wrong.status_code == 400 and not Problem.objects.exists()

    placed = client.post("/supervision/bulletin-lists/", {**data, "file": _xlsx(rows), "mapping": "督查发现人=skip"},
                         follow=True)
    assert placed.status_code == 200
    assert Problem.objects.filter(source="bulletin").count() == 2
    shown = placed.content.decode()
    assert "序号" in shown and "备注" in shown and "督查发现人" in shown  # named as not imported

    again = client.post("/supervision/bulletin-lists/", {**data, "number": 14, "file": _xlsx(rows)})
    assert again.status_code == 302  # remembered for this layout
    assert Problem.objects.filter(source="bulletin").count() == 4


def test_the_api_asks_for_a_bulletin_lists_columns_and_takes_them(world):
    import base64

    from django.test import Client

    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world.office, actor=SYSTEM)}"}
    content = _xlsx([["单位全称", "问题描述"], ["市民政局", "返程人员未向社区报备"]]).getvalue()
    body = {"title": "督查简报", "number": 20, "issued_on": clock.today().isoformat(),
            "xlsx_base64": base64.b64encode(content).decode()}
    asked = Client().post("/api/v1/supervision/bulletin-lists", body, content_type="application/json", **auth)
    assert asked.status_code == 200
    answer = asked.json()
    assert answer["status"] == "needs_mapping" and "单位全称" in answer["errors"][0]
    assert [c["header"] for c in answer["header"]["columns"]][:1] == ["单位全称"]
    refused = Client().post("/api/v1/supervision/bulletin-lists", {**body, "mapping": {"单位全称": "owner"}},
                            content_type="application/json", **auth)
    assert refused.json()["status"] == "rejected" and not Problem.objects.exists()
    done = Client().post("/api/v1/supervision/bulletin-lists", {**body, "mapping": {"单位全称": "unit"}},
                         content_type="application/json", **auth)
    assert done.status_code == 201 and done.json()["status"] == "committed"
    assert Problem.objects.get().unit.name == "市民政局"


def test_the_command_imports_a_bulletin_list_and_asks_for_unknown_columns(world, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "清单.xlsx"
    path.write_bytes(_xlsx([["责任单位", "问题描述", "发现人"], ["市民政局", "未报备", "王"]]).getvalue())
    with pytest.raises(CommandError, match="发现人"):
        call_command("import_bulletin_list", str(path), "--number", "30")
    assert not Problem.objects.exists()
    out = io.StringIO()
    call_command("import_bulletin_list", str(path), "--number", "30", "--map", "发现人=skip", stdout=out)
    assert "Imported 1" in out.getvalue() and Problem.objects.get().summary == "未报备"
