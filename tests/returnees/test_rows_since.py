"""A moment inside a day is counted from the ledger's rows at the day's start (kept once the day
is closed) and the people registered since (``stats.rows_since``): the same rows as one pass over
the ledger, waiting times included, for random ledgers; and a kept start of day expires with the
records that could change it."""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.command.models import Snapshot
from fangkong.command.registry import end_of_day
from fangkong.command.selectors import picture
from fangkong.core import clock
from fangkong.returnees.choices import Line
from fangkong.returnees.models import Returnee
from fangkong.returnees.stats import rows_since, unit_rows
from tests import factories as f

pytestmark = pytest.mark.django_db
LINES = [Line.ORGANS, Line.INDUSTRY]


def key(rows):
    return sorted((r["line"], r["unit_id"] or 0, r["coordinating_body_id"] or 0, r["n_unit"], r["n_community"],
                   r["n_both"], r["n_suspects"], r["waiting"] or dt.datetime.min.replace(tzinfo=dt.UTC))
                  for r in rows)


def person(rng, city, unit_at, community_at):
    return Returnee(name="某", id_number=f.id_number(), unit=rng.choice([city.dept_a, city.dept_b, None]),
                    community=city.comm_1 if community_at else None, line=rng.choice(LINES),
                    coordinating_body=rng.choice([None, city.dept_b]), unit_reported_at=unit_at,
                    community_reported_at=community_at)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), size=st.integers(1, 30))
def test_a_moment_counted_from_the_days_start_equals_one_pass(city, seed, size):
    Returnee.objects.all().delete()
    rng = random.Random(seed)
    start = end_of_day(clock.today() - dt.timedelta(days=3))  # 00:00 of a closed day

    def stamp():
        # Before the day (some at the same minute: ties of the longest wait), in it, or after it.
        return rng.choice([None, start - dt.timedelta(hours=rng.choice([5, 5, 30, 50])),
                           start + dt.timedelta(minutes=rng.randrange(24 * 60)), start + dt.timedelta(days=2)])

    people = []
    for _ in range(size):
        unit_at, community_at = stamp(), stamp()
        people.append(person(rng, city, unit_at or (None if community_at else start), community_at))
    Returnee.objects.bulk_create(people)
    qs = Returnee.objects.filter(line__in=LINES)
    base = unit_rows(qs, start)
    for minutes in (1, rng.randrange(24 * 60), 24 * 60):
        moment = start + dt.timedelta(minutes=minutes)
        assert key(rows_since(qs, base, start, moment)) == key(unit_rows(qs, moment)), moment


def test_noon_of_a_closed_day_builds_on_its_kept_start_which_expires_with_a_backdated_record(city):
    office = f.user("committee_office", city.root, username="office_noon")
    day = clock.today() - dt.timedelta(days=2)
    start, noon = end_of_day(day - dt.timedelta(days=1)), end_of_day(day - dt.timedelta(days=1)) + dt.timedelta(hours=12)
    Returnee.objects.bulk_create([
        Returnee(name="早", id_number=f.id_number(), unit=city.dept_a, line=Line.ORGANS,
                 unit_reported_at=start - dt.timedelta(days=1)),
        Returnee(name="上午", id_number=f.id_number(), unit=city.dept_a, line=Line.ORGANS,
                 unit_reported_at=start + dt.timedelta(hours=9)),
        Returnee(name="下午", id_number=f.id_number(), unit=city.dept_a, line=Line.ORGANS,
                 unit_reported_at=start + dt.timedelta(hours=15)),
    ])

    def organs(at):
        lines = {x["key"]: x for x in picture(office, at, history=False)["lines"]}
        return {fig["key"]: fig["value"] for fig in lines["organs"]["figures"]}

    assert organs(noon)["returnees"] == 2
    kept = Snapshot.objects.get(line="returnees:unit_rows", at=start)
    assert sum(row[3] for row in kept.data) == 1  # the day's start: the one registered before
    # Registered late with the moment they were met, before the day: the start expires and noon follows.
    Returnee.objects.create(name="补登", id_number=f.id_number(), unit=city.dept_a, line=Line.ORGANS,
                            unit_reported_at=start - dt.timedelta(hours=2))
    assert not Snapshot.objects.filter(line="returnees:unit_rows", at=start).exists()
    assert organs(noon)["returnees"] == 3
    assert sum(row[3] for row in Snapshot.objects.get(line="returnees:unit_rows", at=start).data) == 2


def test_each_days_end_is_built_on_the_day_before_and_equals_one_pass(city):
    office = f.user("committee_office", city.root, username="office_ends")
    today = clock.today()
    rng = random.Random(7)
    first = end_of_day(today - dt.timedelta(days=12))
    people = []
    for _ in range(60):
        unit_at = rng.choice([None, first + dt.timedelta(minutes=rng.randrange(12 * 24 * 60))])
        community_at = rng.choice([None, first + dt.timedelta(minutes=rng.randrange(12 * 24 * 60))])
        people.append(person(rng, city, unit_at or (None if community_at else first), community_at))
    Returnee.objects.bulk_create(people)
    day = today - dt.timedelta(days=2)
    picture(office, end_of_day(day))  # the day and the trend's six days before it, oldest first
    kept = Snapshot.objects.filter(line="returnees:unit_rows").order_by("at")
    assert kept.count() == 7
    qs = Returnee.objects.filter(line__in=LINES)
    for snapshot in kept:
        rows = [{"line": v[0], "unit_id": v[1], "coordinating_body_id": v[2], "n_unit": v[3], "n_community": v[4],
                 "n_both": v[5], "n_suspects": v[6], "waiting": dt.datetime.fromisoformat(v[7]) if v[7] else None}
                for v in snapshot.data]
        assert key(rows) == key(unit_rows(qs, snapshot.at)), snapshot.at
