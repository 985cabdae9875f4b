"""The demo's thousand cadres and the ``deployment`` block of ``fangkong stats``."""

import datetime as dt
import io
import itertools
import json

from django.core.management import call_command
from django.db.models import Count

from fangkong.core.actors import SYSTEM
from fangkong.deployment import selectors, services
from fangkong.deployment.demo import STORY_MOMENT
from fangkong.deployment.models import Assignment, Secondment, Shift
from fangkong.orgs.models import Pairing
from tests import factories as f

from .conftest import DAY


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_stats_block_counts_cadres_places_and_unplaced_as_of_a_day(city, seconded, checkpoint_2):
    carol = f.person(city.dept_a, "周未分", is_cadre=True)
    dave = f.person(city.dept_b, "吴卡点", is_cadre=True)
    services.secondment_create(actor=SYSTEM, person=carol, department=city.dept_a, starts_on=DAY)
    services.secondment_create(actor=SYSTEM, person=dave, department=city.dept_b, unit=checkpoint_2,
                               starts_on=DAY + dt.timedelta(days=1))
    block = json.loads(run("stats", "--as-of", "2020-02-15", "--json"))["deployment"]
    assert block == {"cadres_seconded": 3, "departments_sending": 2, "streets": 1, "communities": 1,
                     "checkpoints": 0, "unplaced": 1}
    later = json.loads(run("stats", "--as-of", "2020-02-16", "--json"))["deployment"]
    assert (later["cadres_seconded"], later["communities"], later["checkpoints"]) == (4, 2, 1)


def test_the_demo_places_about_a_thousand_cadres_with_rosters(db):
    run("demo")
    block = json.loads(run("stats", "--as-of", "2020-02-15", "--json"))["deployment"]
    assert 950 <= block["cadres_seconded"] <= 1050
    assert (block["streets"], block["communities"], block["checkpoints"]) == (7, 26, 99)
    assert block["departments_sending"] >= 90 and 0 < block["unplaced"] < 30
    assert json.loads(run("stats", "--as-of", "2020-01-27", "--json"))["deployment"]["cadres_seconded"] == 0
    # Every team goes to its paired community (or one of its checkpoints).
    paired = dict(Pairing.objects.values_list("department_id", "community_id"))
    for s in Secondment.objects.exclude(unit=None).select_related("unit"):
        assert paired[s.department_id] in (s.unit_id, s.unit.parent_id)
    leaders = Secondment.objects.filter(role="team_leader").values("department").distinct().count()
    assert leaders == block["departments_sending"]
    # Rosters: nobody at two places at once, some gaps, some no-shows.
    rows = list(Assignment.objects.values_list("person_id", "starts_at", "ends_at"))
    by_person: dict[int, list] = {}
    for pid, start, end in rows:
        by_person.setdefault(pid, []).append((start, end))
    for spans in by_person.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    gaps = selectors.shifts_with_staffing(Shift.objects.all()).filter(gap__gt=0).count()
    assert 0 < gaps < Shift.objects.count() / 4
    late = selectors.no_shows(Assignment.objects.all(), STORY_MOMENT).count()
    started = Assignment.objects.filter(starts_at__lt=STORY_MOMENT).count()
    assert 0 < late < started / 10
    assert Shift.objects.values("checkpoint").annotate(n=Count("id")).count() == 99
