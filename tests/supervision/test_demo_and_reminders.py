"""The demo's supervision story and figures (``fangkong stats``), and the reminder pass's job:
requests due soon are reminded once a day, overdue cases escalated to the group leader once."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.notify.models import Message
from fangkong.supervision import services
from fangkong.supervision.models import BulletinImport, Investigation, Referral

pytestmark = pytest.mark.django_db


def test_the_demo_has_two_groups_over_26_communities_and_the_bulletin_12_case():
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", "--as-of", "2020-02-25", "--json", stdout=out)
    block = json.loads(out.getvalue())["supervision"]
    assert (block["groups"], block["communities_covered"]) == (2, 26)
    assert block["feedback_expected"] > block["feedback_submitted"] > 0
    assert block["referrals"] == {"organisation": 1, "discipline": 1, "inspection": 1}
    assert block["overdue"] == 1 and block["investigations_open"] == 1
    bulletin = BulletinImport.objects.get(number=12)
    assert bulletin.issued_on == dt.date(2020, 2, 10) and bulletin.problems.count() == 3
    case = bulletin.problems.first().case
    assert case.leader.title == "常务副书记" and case.conclusion == "refer"
    assert all(r.answers.exists() for r in case.requests.all()) and case.requests.count() == 3
    assert Referral.objects.get(case=case).body.code == "inspection"
    assert Investigation.objects.filter(referrals__outcome__isnull=False).count() == 3


def test_the_reminder_job_reminds_and_escalates_once():
    from tests.supervision.helpers import make_world

    w = make_world()
    case = services.case_open(actor=SYSTEM, problems=[w.problem()], title="逾期案件", leader=w.leader,
                              deadline=clock.today(), opened_on=clock.today() - dt.timedelta(days=5))
    services.request_explanation(actor=SYSTEM, case=case, unit=w.dept, question="请说明",
                                 deadline=clock.today() + dt.timedelta(days=1))
    later = clock.now() + dt.timedelta(days=1)
    assert services.reminders_due(later) == 2  # the reminder and the escalation
    services.reminders_due(later)
    assert Message.objects.filter(key__startswith="supervision-request-", key__contains="reminder").count() == 1
    assert Message.objects.filter(key=f"supervision-overdue-{case.pk}").count() == 1
    case.refresh_from_db()
    assert case.escalated_on is not None


def test_a_problem_nobody_takes_up_by_its_deadline_is_escalated_once():
    from fangkong.supervision.models import Problem
    from tests.conftest import login_client
    from tests.supervision.helpers import make_world

    w = make_world()
    untaken = w.problem()
    taken = w.problem()
    services.case_open(actor=SYSTEM, problems=[taken], title="已立案", leader=w.leader,
                       deadline=clock.today() + dt.timedelta(days=30))
    later = clock.now() + dt.timedelta(days=(untaken.deadline - clock.today()).days + 1)
    services.reminders_due(later)
    services.reminders_due(later)
    assert Message.objects.filter(key=f"supervision-untaken-{untaken.pk}").count() == 1
    assert not Message.objects.filter(key=f"supervision-untaken-{taken.pk}").exists()
    untaken.refresh_from_db()
    assert untaken.escalated_on is not None and Problem.objects.get(pk=taken.pk).escalated_on is None
    page = login_client(w.office).get(untaken.get_absolute_url()).content.decode()
    assert 'id="problem-escalated"' in page
