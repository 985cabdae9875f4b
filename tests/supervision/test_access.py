"""Confidentiality of the supervision line, role by role: inspectors see their groups' cases, the
discipline role only what was referred to discipline (and its evidence), the unit concerned only
the requests addressed to it and its own answers, community staff their own feedback's problems;
the office sees all. Pages and the API answer alike."""

import datetime as dt

import pytest
from django.test import Client

from fangkong.accounts.services import token_create
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.supervision import services
from fangkong.supervision.models import (
    Coverage,
    Evidence,
    ExplanationAnswer,
    ExplanationRequest,
    Feedback,
    Investigation,
    Problem,
    ReceivingBody,
    Referral,
)
from fangkong.supervision.services import FeedbackEntry
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
MODELS = (Coverage, Feedback, Problem, Investigation, ExplanationRequest, ExplanationAnswer, Referral, Evidence)


@pytest.fixture
def story():
    from tests.supervision.helpers import make_world

    w = make_world()
    day = clock.today()
    soon = day + dt.timedelta(days=3)
    # group 1: a "no" from the community; group 2: an unannounced bulletin problem on dept2
    services.feedback_submit(actor=w.community_user, community=w.community, day=day,
                             entries=[FeedbackEntry(w.dept.pk, obeys="no")], photos=[("p.png", b"\x89PNG\r\n\x1a\nx")])
    from_feedback = Problem.objects.get()
    bulletin = w.problem(unit=w.dept2, group=w.group2)
    c1 = services.case_open(actor=SYSTEM, problems=[from_feedback], title="一组案件", leader=w.leader, deadline=soon)
    c2 = services.case_open(actor=SYSTEM, problems=[bulletin], title="二组案件", leader=w.leader, deadline=soon)
    r1 = services.request_explanation(actor=SYSTEM, case=c1, unit=w.dept, question="一组问", deadline=soon)
    r2 = services.request_explanation(actor=SYSTEM, case=c2, unit=w.dept2, question="二组问", deadline=soon)
    services.answer_explanation(actor=w.liaison, request=r1, text="一组答", files=[("a.txt", b"ok")])
    services.answer_explanation(actor=w.liaison2, request=r2, text="二组答")
    services.case_conclude(actor=SYSTEM, case=c2, findings="属实", conclusion="refer")
    services.referral_create(actor=SYSTEM, case=c2, body=ReceivingBody.objects.get(code="discipline"))
    w.c1, w.c2, w.r1, w.r2, w.from_feedback, w.bulletin = c1, c2, r1, r2, from_feedback, bulletin
    return w


def visible(user, model):
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def test_the_office_sees_everything(story):
    for model in MODELS:
        assert visible(story.office, model) == set(model.objects.values_list("pk", flat=True)), model


def test_inspectors_see_their_groups_cases_only(story):
    assert visible(story.inspector, Investigation) == {story.c1.pk}
    assert visible(story.inspector, Problem) == {story.from_feedback.pk}
    assert visible(story.inspector, ExplanationRequest) == {story.r1.pk}
    assert visible(story.inspector, Referral) == set()
    assert visible(story.inspector, Coverage) == set(Coverage.objects.filter(group=story.group).values_list("pk", flat=True))
    # An inspector of no group sees no case, whatever the scope.
    assert all(not visible(story.inspector2, m) for m in (Investigation, Problem, ExplanationRequest, Feedback))


def test_the_discipline_role_sees_only_what_was_referred_to_discipline(story):
    assert visible(story.discipline, Investigation) == {story.c2.pk}
    assert visible(story.discipline, Problem) == {story.bulletin.pk}
    assert visible(story.discipline, ExplanationRequest) == {story.r2.pk}
    assert visible(story.discipline, Referral) == set(Referral.objects.values_list("pk", flat=True))
    assert visible(story.discipline, Feedback) == set() and visible(story.discipline, Coverage) == set()
    # The evidence of the first case (a feedback photo, an answer's attachment) is not discipline's.
    assert visible(story.discipline, Evidence) == set()


def test_the_unit_concerned_sees_only_its_requests_and_answers(story):
    assert visible(story.liaison, ExplanationRequest) == {story.r1.pk}
    assert visible(story.liaison, ExplanationAnswer) == set(story.r1.answers.values_list("pk", flat=True))
    for model in (Problem, Investigation, Referral, Feedback, Coverage):
        assert visible(story.liaison, model) == set(), model
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=story.liaison, actor=SYSTEM)}"}
    api = Client()
    assert api.get(f"/api/v1/supervision/cases/{story.c1.pk}", **auth).status_code == 404
    assert api.get(f"/api/v1/supervision/problems/{story.from_feedback.pk}", **auth).status_code == 404
    listed = api.get("/api/v1/supervision/requests", **auth).json()
    assert [r["id"] for r in listed["results"]] == [story.r1.pk]
    assert "source" not in listed["results"][0] and "reported_by" not in listed["results"][0]
    page = login_client(story.liaison).get(story.r1.get_absolute_url()).content.decode()
    assert story.from_feedback.number not in page and story.community.name not in page


def test_community_staff_see_their_feedback_and_its_problems_not_unannounced_ones(story):
    assert visible(story.community_user, Problem) == {story.from_feedback.pk}
    assert visible(story.community_user, Investigation) == set()
    assert visible(story.community_user, Feedback) == set(Feedback.objects.filter(
        community=story.community).values_list("pk", flat=True))
    client = login_client(story.community_user)
    assert client.get(story.bulletin.get_absolute_url()).status_code == 404
    assert client.get(story.c1.get_absolute_url()).status_code == 404


def test_every_read_of_a_case_file_is_audited_through_the_api_too(story):
    from fangkong.audit.models import AuditEntry

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=story.discipline, actor=SYSTEM)}"}
    before = AuditEntry.objects.filter(action="reveal", object_id=str(story.c2.pk)).count()
    assert Client().get(f"/api/v1/supervision/cases/{story.c2.pk}", **auth).status_code == 200
    assert AuditEntry.objects.filter(action="reveal", object_id=str(story.c2.pk)).count() == before + 1
