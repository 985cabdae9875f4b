"""Closed days' panels are kept (command.snapshots) and read again; a record that could change
a closed day deletes the snapshots from its earliest business date on, so a figure never differs
from the records; today's figures are never kept."""

import datetime as dt

import pytest
from django.core.cache import cache

from fangkong.accounts.services import token_create
from fangkong.command.models import Snapshot
from fangkong.command.registry import end_of_day
from fangkong.command.selectors import precompute
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.returnees import services as returnee_services
from fangkong.returnees.models import Returnee
from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def figures(client, user, day, line="organs"):
    answer = client.get("/api/v1/command", {"as_of": day.isoformat()},
                        HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, actor=SYSTEM)}").json()
    return {f["key"]: f["value"] for f in {x["key"]: x for x in answer["lines"]}[line]["figures"]}


def register(city, name, unit, at=None):
    return returnee_services.register(
        actor=SYSTEM, side="unit", name=name, id_number=f.id_number(), unit=unit, community=city.comm_1,
        category="outside", return_date=(at or clock.now()).date(), registered_at=at)


def test_a_closed_day_is_kept_and_a_backdated_or_moved_record_renews_it(city, client):
    office = f.user("committee_office", city.root, username="office_s")
    liaison = f.user("unit_liaison", city.dept_b, username="liaison_s")
    today = clock.today()
    day = today - dt.timedelta(days=3)
    register(city, "前日", city.dept_a, end_of_day(day - dt.timedelta(days=2)))
    first = figures(client, office, day)
    assert first["returnees"] == 1
    # The as-of moment and the trend's six days before it, each line once; never today.
    assert Snapshot.objects.filter(at=end_of_day(day), line="organs").count() == 1
    assert Snapshot.objects.filter(day=day - dt.timedelta(days=6)).exists()
    assert not Snapshot.objects.filter(day__gte=today).exists()
    kept = Snapshot.objects.count()
    assert figures(client, office, day) == first and Snapshot.objects.count() == kept

    # Registered today: no closed day counts them; the snapshots stay, today's figure moves.
    register(city, "今日", city.dept_a)
    assert Snapshot.objects.count() == kept
    assert figures(client, office, day) == first
    assert figures(client, office, today)["returnees"] == 2

    # Registered late with the moment they were met (the day before): counted from then on.
    late = register(city, "补登", city.dept_a, end_of_day(day - dt.timedelta(days=1)) - dt.timedelta(hours=3))
    assert not Snapshot.objects.filter(day__gte=day - dt.timedelta(days=1), line="organs").exists()
    assert Snapshot.objects.filter(day__lt=day - dt.timedelta(days=1), line="organs").exists()
    assert figures(client, office, day)["returnees"] == 2

    # Moved to another department: that department's picture of the closed day follows.
    before = figures(client, liaison, day)
    person = Returnee.objects.get(pk=late.pk)
    person.unit = city.dept_b
    person.save()
    assert figures(client, liaison, day)["returnees"] == before["returnees"] + 1
    assert figures(client, office, day)["returnees"] == 2


def test_the_day_close_job_keeps_every_readers_closed_days_ahead(city, client):
    f.user("committee_office", city.root, username="office_t")
    f.user("community_staff", city.comm_1, username="community_t")
    today = clock.today()
    readers = precompute([today - dt.timedelta(days=1), today])
    assert readers == 3  # the whole city, the office's scope, the community's
    assert set(Snapshot.objects.values_list("day", flat=True)) == {today - dt.timedelta(days=1)}
    assert Snapshot.objects.values("scope").distinct().count() == 3


def test_the_day_close_job_queues_the_work_once_a_day(db):
    from django_tasks_db.models import DBTaskResult

    from fangkong.command.services import snapshots_due

    at = dt.datetime(2020, 2, 11, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert snapshots_due(at) == 1
    assert snapshots_due(at + dt.timedelta(minutes=1)) == 0
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"][0][0] == "2020-02-10"


def test_the_longest_waiting_are_those_the_ledger_orders_first(city):
    from fangkong.command.registry import AsOf
    from fangkong.returnees.command import _longest_waiting, _rows
    from fangkong.returnees.selectors import missing_side

    start = end_of_day(clock.today() - dt.timedelta(days=10))
    units = [city.dept_a, city.dept_b, city.committee]
    for i in range(14):
        register(city, f"等{'甲乙丙丁戊己庚辛壬癸子丑寅卯'[i]}", units[i % 3], start + dt.timedelta(hours=(i * 7) % 11))
    for user in (SYSTEM, f.user("unit_liaison", city.dept_b, username="liaison_w")):
        as_of = AsOf(user, end_of_day(clock.today() - dt.timedelta(days=1)))
        expected = list(missing_side(Returnee.objects.visible_to(user).filter(line="organs"), as_of.at)[:5])
        assert _longest_waiting("organs", as_of, _rows(as_of)) == expected and expected


def test_a_row_without_a_business_date_expires_every_day_that_read_its_table(city, client):
    office = f.user("committee_office", city.root, username="office_u")
    figures(client, office, clock.today() - dt.timedelta(days=2))
    assert Snapshot.objects.filter(tables__contains=",orgs_unit,").count() >= 7
    kept = Snapshot.objects.exclude(tables__contains=",orgs_unit,").count()
    city.street.name = "改名街道"  # a unit without an opening date
    city.street.save()
    assert not Snapshot.objects.filter(tables__contains=",orgs_unit,").exists()
    assert Snapshot.objects.count() == kept


def test_a_second_side_today_leaves_the_whole_citys_closed_days_and_expires_a_scopes(city, client):
    office = f.user("committee_office", city.root, username="office_w")
    community = f.user("community_staff", city.comm_1, username="community_w")
    today = clock.today()
    day = today - dt.timedelta(days=2)
    first = register(city, "单位先报", city.dept_a, end_of_day(day - dt.timedelta(days=3)))
    Returnee.objects.filter(pk=first.pk).update(community=None)  # the unit side alone so far
    whole, scoped = figures(client, office, day), figures(client, community, day)
    assert (whole["returnees"], whole["missing_side"]) == (1, 1)
    assert Snapshot.objects.filter(whole=True, at=end_of_day(day)).exists()
    assert Snapshot.objects.filter(whole=False, at=end_of_day(day)).exists()

    # Today the community registers the person (their community, name and time written): the
    # whole city's closed days cannot change and are kept; the community's now see the person.
    returnee_services.register(actor=SYSTEM, side="community", name="单位先报", id_number=first.id_number,
                               community=city.comm_1, category="outside", return_date=day)
    assert Snapshot.objects.filter(whole=True, at=end_of_day(day), line="organs").exists()
    assert not Snapshot.objects.filter(whole=False, at=end_of_day(day), line="organs").exists()
    assert figures(client, office, day) == whole
    assert figures(client, community, day)["returnees"] == scoped["returnees"] + 1
    assert figures(client, office, today)["missing_side"] == 0

    # A return date alone (not counted) leaves them; a move to another unit expires them.
    Returnee.objects.filter(pk=first.pk).update(return_date=day - dt.timedelta(days=20))
    assert Snapshot.objects.filter(whole=True, at=end_of_day(day), line="organs").exists()
    Returnee.objects.filter(pk=first.pk).update(unit=city.dept_b)
    assert not Snapshot.objects.filter(whole=True, at=end_of_day(day), line="organs").exists()
    assert figures(client, office, day) == whole
