"""One business day in the demo city (frozen on its story day, 2020-02-25): what each role does
today lands on today's board, the ledger, the person's timeline and the check log, dated on the
story day and never on the real calendar."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core import clock
from fangkong.notify.models import Message
from fangkong.orgs.models import Unit
from fangkong.passes import services as pass_services
from fangkong.passes.choices import PassKind, PassStatus, Verdict
from fangkong.passes.models import Pass, PassCheck
from fangkong.reports.models import Report, ReportRevision
from fangkong.returnees import services as ledger
from fangkong.returnees.choices import Category, Side
from fangkong.returnees.models import FollowUp, Returnee

from .conftest import login_client
from .factories import id_number

STORY_DAY = dt.date(2020, 2, 25)
pytestmark = pytest.mark.django_db


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def test_a_day_in_the_demo_is_dated_on_the_story_day():
    call_command("demo", stdout=io.StringIO())
    clock.clear_cache()
    assert clock.today() == STORY_DAY
    real_year = timezone.localdate(clock.real_now()).year
    assert real_year != STORY_DAY.year  # else this test proves nothing

    # Every page says so, in a thin bar.
    office = login_client(User.objects.get(username="office"))
    home = office.get("/").content.decode()
    assert 'id="story-day"' in home and "2020年2月25日" in home

    # The liaison sends a zero report from the phone page, without naming a day: it is today's.
    liaison = login_client(User.objects.get(username="liaison"))
    page = liaison.get("/reports/submit/")
    assert page.status_code == 200 and page.context["day"] == STORY_DAY
    unit, template = page.context["unit"], page.context["template"]
    sent = liaison.post("/reports/submit/", {"unit": unit.pk, "template": template.pk, "zero": "1"})
    assert sent.status_code == 302
    report = Report.objects.get(template=template, unit=unit, day=STORY_DAY)
    assert report.is_zero and local_day(report.updated_at) == STORY_DAY
    assert local_day(report.revisions.order_by("-number").first().changed_at) == STORY_DAY
    assert not Report.objects.filter(day__year=real_year).exists()
    # Today's board (the default day) shows it as a zero report.
    board = liaison.get("/reports/", {"template": template.pk})
    assert board.context["day"] == STORY_DAY
    states = {row["unit"].pk: row["state"] for row in board.context["states"]}
    assert states[unit.pk] == "zero"

    # The community registers a returnee back today from outside the region.
    community_user = User.objects.get(username="community")
    community = Unit.objects.get(code="S1-C01")
    person = ledger.register(
        actor=community_user, side=Side.COMMUNITY, name="林今日", id_number=id_number("19880412"),
        category=Category.OUTSIDE, return_date=STORY_DAY, origin_text="湖北武汉", community=community,
    )
    person.refresh_from_db()
    assert local_day(person.community_reported_at) == STORY_DAY
    registration = person.registrations.get(side=Side.COMMUNITY)
    assert local_day(registration.registered_at) == STORY_DAY
    community_client = login_client(community_user)
    # It is on the ledger, dated today.
    listed = community_client.get("/returnees/", {"q": "林今日"})
    assert [r.pk for r in listed.context["object_list"]] == [person.pk]
    # Its first follow-up is due today: today's list (the default day) has it.
    due = community_client.get("/returnees/follow-ups/")
    assert due.context["day"] == STORY_DAY
    assert person.pk in {row["order"].returnee_id for row in due.context["rows"]}
    # The follow-up is recorded (a fever, so the timeline shows it).
    recorded = community_client.post(f"/returnees/{person.pk}/follow-ups/",
                                      {"day": STORY_DAY.isoformat(), "temperature": "37.8", "at_home": "on"})
    assert recorded.status_code == 302
    follow_up = FollowUp.objects.get(order__returnee=person)
    assert follow_up.day == STORY_DAY and local_day(follow_up.checked_at) == STORY_DAY
    assert follow_up.temperature == Decimal("37.8")
    # The person's timeline: registration, isolation and follow-up, all on the story day.
    detail = community_client.get(f"/returnees/{person.pk}/")
    timeline = detail.context["timeline"]
    kinds = {event["kind"] for event in timeline}
    assert {Side.COMMUNITY, "isolation", "alert"} <= kinds, kinds
    assert {local_day(event["at"]) for event in timeline} == {STORY_DAY}
    assert str(real_year) not in detail.content.decode()

    # The checkpoint officer checks a pass valid everywhere: valid on the story day, logged today.
    guard = User.objects.get(username="checkpoint")
    checkpoint = Unit.objects.get(code="S1-C01-K1")
    issued = Pass.objects.filter(kind=PassKind.VEHICLE, status=PassStatus.ISSUED, zones=None).order_by("id").first()
    found = pass_services.lookup_by_number(actor=guard, number=issued.number, checkpoint=checkpoint)
    assert found.verdict == Verdict.VALID
    check = PassCheck.objects.filter(pass_obj=issued, checked_by=guard).latest("id")
    assert local_day(check.checked_at) == STORY_DAY
    # The pass's check log lists it, on the story day.
    shown = office.get(f"/passes/{issued.pk}/")
    assert check.pk in [c.pk for c in shown.context["checks"]]
    assert check.checked_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") \
        in shown.content.decode()
    assert not PassCheck.objects.filter(checked_at__year=real_year).exists()

    # The reminder loop's pass runs on the business day: no alarm about the real yesterday's
    # "missing" reports, and nothing it sends is dated on the real calendar.
    real_yesterday = timezone.localdate(clock.real_now()) - dt.timedelta(days=1)
    before = set(Message.objects.values_list("id", flat=True))
    call_command("send_reminders", stdout=io.StringIO())
    sent = Message.objects.exclude(id__in=before)
    assert not Message.objects.filter(key__contains=real_yesterday.isoformat()).exists()
    assert all(local_day(m.created_at) == STORY_DAY for m in sent)
    assert not Message.objects.filter(created_at__year=real_year).exists()

    # Nothing the day wrote is on the real calendar, and nobody's revision is either.
    assert not ReportRevision.objects.filter(changed_at__year=real_year).exists()
    assert not Returnee.objects.filter(community_reported_at__year=real_year).exists()
    assert not FollowUp.objects.filter(checked_at__year=real_year).exists()
