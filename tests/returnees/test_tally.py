"""The ledger's tally (returnees.tally) is kept by PostgreSQL's own triggers: after any write
(one row, many rows, an update through the ORM or raw SQL, a delete, a registration by the
services) it equals a count of the ledger, as of any moment, and the command picture of the whole
city now reads it with the same figures as one pass over the ledger."""

import datetime as dt
import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangkong.command.registry import AsOf, sharing
from fangkong.command.selectors import picture
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.returnees import services, tally
from fangkong.returnees.choices import Line
from fangkong.returnees.models import LedgerTally, Returnee
from fangkong.returnees.selectors import longest_waiting, missing_side
from fangkong.returnees.stats import unit_rows
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the tally is kept by PostgreSQL's triggers"),
]
LINES = [Line.ORGANS, Line.INDUSTRY]
KEYS = ("n_unit", "n_community", "n_both", "n_suspects")


def counted(moment):
    """The ledger counted in one pass (the reference), without the waiting times."""
    rows = unit_rows(Returnee.objects.filter(line__in=LINES), moment)
    return sorted((r["line"], r["unit_id"] or 0, r["coordinating_body_id"] or 0, *(r[k] for k in KEYS)) for r in rows)


def tallied(moment):
    rows = tally.unit_rows(LINES, moment)
    return sorted((r["line"], r["unit_id"] or 0, r["coordinating_body_id"] or 0, *(r[k] for k in KEYS)) for r in rows)


def person(unit, line, *, body=None, unit_at=None, community_at=None, community=None, n=[0]):  # noqa: B006
    n[0] += 1
    return Returnee(name=f"人员{n[0]}", id_number=f.id_number(), unit=unit, community=community, line=line,
                    coordinating_body=body, unit_reported_at=unit_at, community_reported_at=community_at)


def moments():
    now = clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [now, start + dt.timedelta(hours=9), start, now + dt.timedelta(days=400)]


def test_every_kind_of_write_keeps_the_tally_equal_to_the_ledger(city):
    now = clock.now()
    before = now - dt.timedelta(days=2)
    later = now - dt.timedelta(hours=1)
    people = [
        person(city.dept_a, Line.ORGANS, unit_at=before),
        person(city.dept_a, Line.ORGANS, unit_at=before, community_at=later, community=city.comm_1),
        person(city.dept_b, Line.ORGANS, community_at=before, community=city.comm_1),  # a suspect
        person(None, Line.ORGANS, community_at=later, community=city.comm_1),
        person(city.dept_b, Line.INDUSTRY, unit_at=later, community_at=now + dt.timedelta(hours=2)),
    ]
    Returnee.objects.bulk_create(people)  # one statement, many rows
    for moment in moments():
        assert tallied(moment) == counted(moment), moment

    # One row through the ORM; a bulk update (a move); raw SQL; a delete; the services.
    solo = person(city.dept_a, Line.INDUSTRY, unit_at=later)
    solo.save()
    Returnee.objects.filter(unit=city.dept_a, line=Line.ORGANS).update(unit=city.dept_b)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE returnees_returnee SET unit_reported_at = %s WHERE unit_reported_at IS NULL", [later])
    Returnee.objects.filter(pk=people[0].pk).delete()
    services.register(actor=SYSTEM, side="community", name="双报", id_number=solo.id_number,
                      community=city.comm_1, category="outside", return_date=now.date())
    services.register(actor=SYSTEM, side="unit", name="新人", id_number=f.id_number(), unit=city.dept_a,
                      category="outside", return_date=now.date())
    assert Returnee.objects.get(pk=solo.pk).community_reported_at is not None
    for moment in moments():
        assert tallied(moment) == counted(moment), moment
    assert LedgerTally.objects.count() > len(counted(moments()[-1]))  # rows of differences

    # Folding the rows leaves the figures; rebuilding from the ledger gives the same rows.
    folded = tally.compact()
    assert folded > 0
    assert LedgerTally.objects.count() == len(tallied(moments()[-1]))
    assert tallied(now) == counted(now)
    tally.rebuild()
    assert tallied(now) == counted(now)
    assert tally.compact(at_least=tally.COMPACT_AFTER) == 0  # few rows: nothing to fold


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10**6), size=st.integers(1, 40))
def test_random_ledgers_tally_and_longest_waiting_agree_with_one_pass(city, seed, size):
    Returnee.objects.all().delete()
    rng = random.Random(seed)
    now = clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def stamp():
        return rng.choice([None, start - dt.timedelta(days=rng.randrange(1, 5), minutes=rng.randrange(600)),
                           start + dt.timedelta(minutes=rng.randrange(24 * 60))])

    rows = []
    for _ in range(size):
        unit_at, community_at = stamp(), stamp()
        if unit_at is None and community_at is None:
            unit_at = now
        rows.append(person(rng.choice([city.dept_a, city.dept_b, None]), rng.choice(LINES),
                           body=rng.choice([None, city.dept_b]), unit_at=unit_at, community_at=community_at,
                           community=city.comm_1 if community_at else None))
    Returnee.objects.bulk_create(rows)
    for _ in range(rng.randrange(4)):  # later writes: moves and second sides
        target = Returnee.objects.order_by("?").first()
        Returnee.objects.filter(pk=target.pk).update(
            unit=rng.choice([city.dept_a, None]), community_reported_at=target.community_reported_at or now)
    at = start + dt.timedelta(minutes=rng.randrange(24 * 60))
    for moment in (at, now):
        assert tallied(moment) == counted(moment)
        for line in LINES:
            qs = Returnee.objects.filter(line=line)
            assert [p.pk for p in longest_waiting(qs, moment)] == [p.pk for p in missing_side(qs, moment)[:5]]


def test_the_whole_citys_picture_now_reads_the_tally_with_the_same_figures(city):
    office = f.user("committee_office", city.root, username="office_tally")
    now = clock.now()
    waiting = Returnee.objects.bulk_create([
        person(city.dept_a, Line.ORGANS, unit_at=now - dt.timedelta(days=1)),
        person(city.dept_a, Line.ORGANS, unit_at=now - dt.timedelta(hours=2), community_at=now - dt.timedelta(hours=1),
               community=city.comm_1),
        person(city.dept_b, Line.ORGANS, community_at=now - dt.timedelta(days=3), community=city.comm_1),
    ])
    from fangkong.returnees import command

    with sharing():
        assert command._from_tally(AsOf(office, now)) and command._from_tally(AsOf(SYSTEM, now))
        assert not command._from_tally(AsOf(office, now - dt.timedelta(days=1)))  # a closed day: kept instead
    liaison = f.user("unit_liaison", city.dept_a, username="liaison_tally")
    assert not command._from_tally(AsOf(liaison, now))  # a scope: its own indexes

    from_tally = picture(office, now, history=False)
    LedgerTally.objects.all().delete()  # the tally emptied by hand: the figures would go wrong
    emptied = picture(office, now, history=False)
    tally.rebuild()
    again = picture(office, now, history=False)

    def organs(pic):
        return {f["key"]: f["value"] for f in {x["key"]: x for x in pic["lines"]}["organs"]["figures"]}

    assert organs(from_tally)["returnees"] == 3 and organs(from_tally)["concealment_suspects"] == 1
    assert organs(emptied)["returnees"] == 0  # proves the picture read the tally
    assert organs(again) == organs(from_tally)
    alerts = {x["key"]: x for x in from_tally["lines"]}["organs"]["alerts"]
    # The longest waiting, read through the registration-time indexes: the two missing a side.
    assert {a["url"] for a in alerts if a["url"].startswith("/returnees/") and "?" not in a["url"]} == {
        f"/returnees/{waiting[0].pk}/", f"/returnees/{waiting[2].pk}/"}
