"""The demo city's thousand cadres down (千人下沉), as in the source report of 15 February 2020.

Every department's deputies lead its team and its staff cadres go with them; the head stays
behind as the responsible person, and so does the liaison (专人), who keeps the daily reports going.
Each team goes to the community its department is paired with (包保): the team leaders to the
community, the members spread over its checkpoints. All leave between 28 January and 15 February;
a few are not yet placed. Rosters cover 24 and 25 February: three eight-hour shifts a day at every
checkpoint, with a few gaps and a few no-shows.

Drawn from its own seeded generator, so the ledger's draws before it are untouched.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Pairing, Unit
from fangkong.people.choices import Position
from fangkong.people.models import Person

from .choices import CheckBy, SecondmentRole
from .models import Assignment, Secondment, Shift

SEED = 2025
FIRST_DAY = dt.date(2020, 1, 28)
LAST_DAY = dt.date(2020, 2, 15)
ROSTER_DAYS = (dt.date(2020, 2, 24), dt.date(2020, 2, 25))
# The end of the rostered days: every shift before it has its check-ins, except the no-shows
# (the pages look from today, long after the story, so an unrecorded shift would be a no-show).
STORY_MOMENT = dt.datetime(2020, 2, 26, 0, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))
TARGET = 980  # cadres seconded: "about a thousand" (千名干部) in the source
STAFF_TITLES = ["一级科员", "科员", "四级主任科员", "二级主任科员"]
DUTIES = ["宣传引导", "人员排查", "体温检测", "重点人员盯守", "卡口值守，严防外来人员进入"]


def load_demo_deployment(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    tz = timezone.get_fixed_timezone(8 * 60)
    paired = dict(Pairing.objects.values_list("department_id", "community_id"))
    checkpoints: dict[int, list[int]] = defaultdict(list)
    for cid, parent in Unit.objects.filter(kind=UnitKind.CHECKPOINT).order_by("code").values_list("id", "parent_id"):
        checkpoints[parent].append(cid)
    liaisons = set(Unit.objects.filter(liaison__isnull=False).values_list("liaison_id", flat=True))
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, id__in=paired).order_by("code"))
    cadres = (
        Person.objects.filter(unit__in=departments, is_cadre=True, is_active=True)
        .filter(~Q(position=Position.HEAD))
        .exclude(id__in=liaisons)
        .order_by("unit_id", "id")
        .values_list("id", "unit_id", "position")
    )
    rows = list(cadres)
    if city is not None and len(rows) < TARGET:
        # The demo departments are a little small for the source's thousand: add staff cadres,
        # dealt to the departments in turn, until the teams add up.
        for i in range(TARGET - len(rows)):
            department = departments[i % len(departments)]
            person = city.person(department, title=rng.choice(STAFF_TITLES), cadre=True, born=(1975, 1996))
            rows.append((person.pk, department.pk, Position.STAFF))
        rows.sort(key=lambda row: (row[1], row[0]))
    by_department: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pid, unit_id, position in rows:
        by_department[unit_id].append((pid, position))

    secondments: list[Secondment] = []
    # Members placed at each checkpoint: the pool its roster draws from.
    pools: dict[int, list[int]] = defaultdict(list)
    span = (LAST_DAY - FIRST_DAY).days
    for department in departments:
        community = paired[department.pk]
        posts = checkpoints.get(community) or [community]
        starts = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        for i, (pid, position) in enumerate(by_department[department.pk]):
            leader = position == Position.DEPUTY
            place: int | None = community if leader else posts[(i + department.pk) % len(posts)]
            if not leader and rng.random() < 0.02:
                place = None  # on the list, not yet placed
            elif not leader and place is not None and place != community:
                pools[place].append(pid)
            secondments.append(Secondment(
                person_id=pid, department=department, unit_id=place,
                role=SecondmentRole.TEAM_LEADER if leader else SecondmentRole.MEMBER,
                starts_on=starts + dt.timedelta(days=rng.randrange(2)) if starts < LAST_DAY else LAST_DAY,
                duties="、".join(rng.sample(DUTIES, 2)) if not leader else "带队，统筹本部门下沉干部",
            ))
    Secondment.objects.bulk_create(secondments, batch_size=2000)

    shifts: list[Shift] = []
    planned: list[tuple[Shift, list[int]]] = []
    for checkpoint_id in sorted(pools):
        pool = pools[checkpoint_id]
        turn = 0
        for day in ROSTER_DAYS:
            for hour in (0, 8, 16):
                starts_at = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
                need = 3 if hour == 8 else 2
                shift = Shift(checkpoint_id=checkpoint_id, starts_at=starts_at,
                              ends_at=starts_at + dt.timedelta(hours=8), staff_needed=need)
                # A gap now and then: one cadre short.
                take = need - 1 if rng.random() < 0.08 else need
                # Nobody twice in one day: the three shifts of a day never share a cadre.
                people = [pool[(turn + k) % len(pool)] for k in range(min(take, len(pool)))]
                turn += len(people)
                people = list(dict.fromkeys(people))
                shifts.append(shift)
                planned.append((shift, people))
    Shift.objects.bulk_create(shifts, batch_size=2000)
    assignments: list[Assignment] = []
    seen: dict[tuple[int, dt.date], int] = {}
    for shift, people in planned:
        if people:
            shift.leader_id = people[0]
        for pid in people:
            key = (pid, shift.starts_at.date())
            if key in seen:
                continue  # a small pool would wrap round within the day
            seen[key] = shift.pk
            started = shift.starts_at < STORY_MOMENT
            present = started and rng.random() > 0.03
            ended = shift.ends_at <= STORY_MOMENT
            assignments.append(Assignment(
                shift=shift, person_id=pid, checkpoint_id=shift.checkpoint_id, starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                checked_in_at=shift.starts_at - dt.timedelta(minutes=rng.randrange(25)) if present else None,
                checked_in_by=rng.choice([CheckBy.SELF, CheckBy.SELF, CheckBy.LEADER]) if present else "",
                checked_out_at=shift.ends_at + dt.timedelta(minutes=rng.randrange(15)) if present and ended else None,
                checked_out_by=CheckBy.SELF if present and ended else "",
            ))
    Shift.objects.bulk_update([s for s, people in planned if people], ["leader"], batch_size=2000)
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    return {"secondments": len(secondments), "shifts": len(shifts), "shift assignments": len(assignments)}
