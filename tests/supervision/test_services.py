"""Services of the supervision line: feedback (corrections, "no" opens a problem), bad input,
investigation, explanation, conclusion, referral and outcome."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.supervision import services
from fangkong.supervision.choices import Answer, CaseStatus, ProblemSource
from fangkong.supervision.models import (
    Classification,
    Feedback,
    OutcomeKind,
    Problem,
    ReceivingBody,
)
from fangkong.supervision.services import FeedbackEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    from tests.supervision.helpers import make_world

    return make_world()


def test_it_keeps_a_correction_with_the_first_and_opens_one_problem_per_no(world):
    day = clock.today()
    services.feedback_submit(actor=world.community_user, community=world.community, day=day,
                             entries=[FeedbackEntry(world.dept.pk), FeedbackEntry(world.dept2.pk)])
    assert Feedback.objects.filter(is_current=True).count() == 2
    assert not Problem.objects.exists()
    services.feedback_submit(actor=world.community_user, community=world.community, day=day,
                             entries=[FeedbackEntry(world.dept.pk, obeys=Answer.NO, remark="不听指挥")])
    rows = Feedback.objects.filter(department=world.dept, day=day).order_by("revision")
    assert [(r.revision, r.is_current) for r in rows] == [(1, False), (2, True)]
    problem = Problem.objects.get()
    assert problem.source == ProblemSource.FEEDBACK and problem.unit == world.dept
    assert problem.group == world.group
    # The same "no" again is a correction, not a second problem.
    services.feedback_submit(actor=world.community_user, community=world.community, day=day,
                             entries=[FeedbackEntry(world.dept.pk, obeys=Answer.NO, testing=Answer.NO)])
    assert Problem.objects.count() == 1


def test_it_refuses_unpaired_future_and_foreign_feedback(world):
    day = clock.today()
    with pytest.raises(ValidationError):
        services.feedback_submit(actor=world.community_user, community=world.community, day=day,
                                 entries=[FeedbackEntry(world.unpaired.pk)])
    with pytest.raises(ValidationError):
        services.feedback_submit(actor=world.community_user, community=world.community,
                                 day=day + dt.timedelta(days=1), entries=[FeedbackEntry(world.dept.pk)])
    with pytest.raises(PermissionDenied):
        services.feedback_submit(actor=world.community_user, community=world.other_community, day=day,
                                 entries=[FeedbackEntry(world.dept.pk)])


def test_it_needs_a_reason_to_change_the_cadre_counts(world):
    with pytest.raises(ValidationError):
        services.feedback_submit(actor=world.community_user, community=world.community, day=clock.today(),
                                 entries=[FeedbackEntry(world.dept.pk, cadres_expected=3, cadres_present=2)])
    [fb] = services.feedback_submit(
        actor=world.community_user, community=world.community, day=clock.today(),
        entries=[FeedbackEntry(world.dept.pk, cadres_expected=3, cadres_present=2, cadres_reason="名单未更新")])
    assert fb.cadres_edited and fb.cadres_expected == 3


def test_it_follows_a_case_from_problem_to_outcome(world):
    problem = world.problem()
    case = services.case_open(actor=world.inspector, problems=[problem], title="核查", leader=world.leader,
                              deadline=clock.today() + dt.timedelta(days=5))
    with pytest.raises(ValidationError):
        services.referral_create(actor=world.inspector, case=case, body=ReceivingBody.objects.get(code="discipline"))
    request = services.request_explanation(actor=world.inspector, case=case, unit=world.dept, question="请说明",
                                           deadline=clock.today() + dt.timedelta(days=2))
    services.answer_explanation(actor=world.liaison, request=request, text="情况如下", files=[("a.txt", b"hello")])
    services.case_conclude(actor=world.inspector, case=case, findings="属实", conclusion="refer")
    referral = services.referral_create(actor=world.inspector, case=case,
                                        body=ReceivingBody.objects.get(code="discipline"))
    with pytest.raises(ValidationError):
        services.referral_create(actor=world.inspector, case=case, body=ReceivingBody.objects.get(code="discipline"))
    services.referral_outcome(actor=world.discipline, referral=referral, outcome=OutcomeKind.objects.get(code="talk"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(ValidationError):
        services.answer_explanation(actor=world.liaison, request=request, text="补充")


def test_it_refuses_attachments_that_lie_or_are_too_large(world):
    with pytest.raises(ValidationError):
        services.check_file("photo.jpg", b"%PDF-1.4 not a photo")
    with pytest.raises(ValidationError):
        services.check_file("a.exe", b"MZ")
    with pytest.raises(ValidationError):
        services.check_file("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * services.MAX_EVIDENCE_BYTES)
    assert services.check_file("p.png", b"\x89PNG\r\n\x1a\nxx") == "image/png"


def test_it_refuses_a_problem_outside_the_scope(world):
    with pytest.raises(PermissionDenied):
        services.problem_create(actor=world.office_narrow, source=ProblemSource.BULLETIN, unit=world.dept,
                                classification=Classification.objects.get(code="other"), summary="x",
                                found_on=clock.today())
    assert services.problem_create(actor=SYSTEM, source=ProblemSource.BULLETIN, unit=world.dept,
                                   classification=Classification.objects.get(code="other"), summary="x",
                                   found_on=clock.today()).number.startswith("WT")
