"""``fangkong demo --live``: the same story, moved so that its last day (2020-02-25) is today, on the
real calendar (no frozen day, no banner). Its figures hold on the moved days and its passes verify."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core import clock
from fangkong.core.timeshift import _shift_text
from fangkong.passes import tokens
from fangkong.passes.choices import PassKind, PassStatus, Verdict
from fangkong.passes.keys import public_keys
from fangkong.passes.models import Pass
from fangkong.passes.selectors import parse_revocation_document, revocation_document, verify_token
from fangkong.reports.models import ConcealmentFlag, Report
from fangkong.returnees.models import AttributionConflict, FollowUp, Registration

from .conftest import login_client

STORY_DAY = dt.date(2020, 2, 25)
pytestmark = pytest.mark.django_db


def stats(day: dt.date) -> dict:
    out = io.StringIO()
    call_command("stats", "--as-of", day.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_live_demo_is_the_story_moved_to_today():
    out = io.StringIO()
    call_command("demo", "--live", stdout=out)
    clock.clear_cache()
    today = timezone.localdate(clock.real_now())
    # The story's last day is the last real day whose evening has come: today from 22:00, else
    # yesterday, so that none of its records lies ahead of the real clock.
    last_day = Report.objects.order_by("-day").values_list("day", flat=True).first()
    assert last_day in (today, today - dt.timedelta(days=1))
    days = (last_day - STORY_DAY).days
    assert clock.frozen_day() is None and clock.today() == today
    assert today.isoformat() in out.getvalue() and last_day.isoformat() in out.getvalue()
    assert not Report.objects.filter(received_at__gt=clock.real_now()).exists()
    assert not Registration.objects.filter(registered_at__gt=clock.real_now()).exists()

    # No banner: the platform runs on the real calendar.
    office = login_client(User.objects.get(username="office"))
    assert 'id="story-day"' not in office.get("/").content.decode()

    # The story's figures, on the moved days (the source's 10 February, the last day, the first).
    tenth = stats(dt.date(2020, 2, 10) + dt.timedelta(days=days))
    assert (tenth["organs"]["units_with_returnees"], tenth["organs"]["returnees"]) == (62, 271)
    assert (tenth["industry"]["units_with_returnees"], tenth["industry"]["returnees"]) == (34, 194)
    assert tenth["organs"]["dual_report_rate"] == tenth["industry"]["dual_report_rate"] == 1.0
    last = stats(last_day)
    assert last["as_of"] == last_day.isoformat()
    reports = last["daily_reports"]
    assert reports["expected"] > 250 and reports["completeness"] == reports["timeliness"] == 1.0
    assert reports["zero"] > reports["submitted"] / 3
    first = stats(dt.date(2020, 1, 27) + dt.timedelta(days=days))["daily_reports"]
    assert first["expected"] == reports["expected"] and first["completeness"] < 0.8
    assert 950 <= stats(dt.date(2020, 2, 15) + dt.timedelta(days=days))["deployment"]["cadres_seconded"] <= 1050
    assert last["organs"]["in_isolation"] > 0
    # Nothing is left in the story's year.
    assert not Report.objects.filter(day__year=2020).exists()
    assert not Registration.objects.filter(registered_at__year=2020).exists()
    assert not Pass.objects.filter(valid_until__year=2020).exists()
    # Dates written as text moved with them.
    flag = ConcealmentFlag.objects.exclude(evidence=[]).first()
    assert flag is not None and all(e["registered_at"][:10] == flag.day.isoformat() for e in flag.evidence)
    for conflict in AttributionConflict.objects.exclude(claimed__return_date=None):
        assert not conflict.claimed["return_date"].startswith("2020")

    # The report page opens on today; the board of the story's last day: the liaison's unit reported.
    liaison = login_client(User.objects.get(username="liaison"))
    page = liaison.get("/reports/submit/")
    assert page.context["day"] == today and (page.context["report"] is not None) == (last_day == today)
    board = liaison.get("/reports/", {"template": page.context["template"].pk, "day": last_day.isoformat()})
    assert board.context["day"] == last_day
    assert board.context["states"] and all(row["state"] in {"submitted", "zero"} for row in board.context["states"])
    # Today's follow-ups: the people in isolation now (isolations run past the story's last day).
    community = login_client(User.objects.get(username="community"))
    due = community.get("/returnees/follow-ups/")
    assert due.context["day"] == today and due.context["rows"]
    assert FollowUp.objects.filter(day=last_day).exists()

    # A pass valid on the story's last day is valid today, online and offline; a withdrawn one is not.
    valid = Pass.objects.filter(kind=PassKind.VEHICLE, status=PassStatus.ISSUED, zones=None).order_by("id").first()
    assert valid.valid_from.date() < today < valid.valid_until.date()
    assert verify_token(valid.token, checkpoint_code="S1-C01-K1").verdict == Verdict.VALID
    revocations = parse_revocation_document(revocation_document(), public_keys())
    assert tokens.check(valid.token, public_keys=public_keys(), revocations=revocations,
                        now=clock.now()).verdict == Verdict.VALID
    revoked = Pass.objects.filter(status=PassStatus.REVOKED).order_by("id").first()
    assert verify_token(revoked.token).verdict == Verdict.REVOKED
    staff = Pass.objects.filter(kind=PassKind.STAFF, status=PassStatus.ISSUED).order_by("id").first()
    assert verify_token(staff.token).verdict == Verdict.VALID


def test_dates_inside_text_move_by_whole_days():
    moved = _shift_text({"a": "2020-02-24 10:30", "b": ["2020-02-29"], "c": "湖北", "d": 3, "e": "2020-13-01"}, 3)
    assert moved == {"a": "2020-02-27 10:30", "b": ["2020-03-03"], "c": "湖北", "d": 3, "e": "2020-13-01"}
