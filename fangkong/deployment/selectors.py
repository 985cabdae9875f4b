"""Reads of secondments and rosters reused by pages, the API, the report and other apps
(``passes`` asks whether a pass holder is still seconded)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.models import Person

from .models import Assignment, Secondment, Shift

TERRITORY_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT)


def active_on(day: dt.date) -> Q:
    """Secondments running on ``day`` (both ends inclusive)."""
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def active_secondment(person_id: int, on: dt.date) -> Secondment | None:
    """The person's secondment running on ``on``, or None when they are not seconded that day."""
    return (
        Secondment.objects.filter(active_on(on), person_id=person_id)
        .select_related("department", "unit")
        .order_by("-starts_on", "-id")
        .first()
    )


def seconded_people(department_id: int, on: dt.date) -> QuerySet[Person]:
    """The department's people away on secondment on ``on``."""
    ids = Secondment.objects.filter(active_on(on), department_id=department_id).values("person_id")
    return Person.objects.filter(id__in=ids)


def people_in_reach(user: Any) -> QuerySet[Person]:
    """The people a user may place on shifts or check in: those in the user's scope, and cadres
    seconded (now or earlier) from or to a unit in it — a checkpoint's leader commands cadres who
    belong to departments elsewhere in the tree."""
    seconded = Secondment.objects.visible_to(user).values("person_id")
    return Person.objects.filter(Q(pk__in=Person.objects.visible_to(user).values("pk")) | Q(pk__in=seconded))


def secondments_on(qs: QuerySet[Secondment], day: dt.date) -> QuerySet[Secondment]:
    return qs.filter(active_on(day))


def territory_of(unit_ids: set[int]) -> dict[int, dict[str, int | None]]:
    """For each placement unit: the street, community and checkpoint it is or lies under."""
    links = (
        UnitLink.objects.filter(descendant_id__in=unit_ids, ancestor__kind__in=TERRITORY_KINDS)
        .values_list("descendant_id", "ancestor_id", "ancestor__kind")
    )
    result: dict[int, dict[str, int | None]] = {uid: dict.fromkeys(TERRITORY_KINDS) for uid in unit_ids}
    for desc, anc, kind in links:
        result[desc][kind] = anc
    return result


def deployment_figures(qs: QuerySet[Secondment], day: dt.date) -> dict[str, Any]:
    """The report's counts as of ``day``: cadres, departments, territory covered, unplaced, and
    rows by street, community, checkpoint and department."""
    active = secondments_on(qs, day)
    rows = list(active.values("unit_id", "department_id", "role").annotate(n=Count("person", distinct=True)))
    placed_units = {r["unit_id"] for r in rows if r["unit_id"] is not None}
    territory = territory_of(placed_units)
    by: dict[str, dict[int, dict[str, int]]] = {kind: {} for kind in TERRITORY_KINDS}
    by_department: dict[int, dict[str, int]] = {}
    for row in rows:
        dept = by_department.setdefault(row["department_id"], {"cadres": 0, "team_leaders": 0, "placed": 0})
        dept["cadres"] += row["n"]
        if row["role"] == "team_leader":
            dept["team_leaders"] += row["n"]
        if row["unit_id"] is None:
            continue
        dept["placed"] += row["n"]
        for kind, uid in territory[row["unit_id"]].items():
            if uid is not None:
                entry = by[kind].setdefault(uid, {"cadres": 0, "team_leaders": 0})
                entry["cadres"] += row["n"]
                if row["role"] == "team_leader":
                    entry["team_leaders"] += row["n"]
    totals = active.aggregate(
        cadres=Count("person", distinct=True),
        departments=Count("department", distinct=True),
        unplaced=Count("person", distinct=True, filter=Q(unit__isnull=True)),
    )
    names = dict(
        Unit.objects.filter(id__in={*by_department, *[u for d in by.values() for u in d]}).values_list("id", "name")
    )

    def table(data: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
        return sorted(({"id": k, "name": names.get(k, ""), **v} for k, v in data.items()), key=lambda r: r["name"])

    return {
        "cadres_seconded": totals["cadres"],
        "departments_sending": totals["departments"],
        "streets": len(by[UnitKind.STREET]),
        "communities": len(by[UnitKind.COMMUNITY]),
        "checkpoints": len(by[UnitKind.CHECKPOINT]),
        "unplaced": totals["unplaced"],
        "by_street": table(by[UnitKind.STREET]),
        "by_community": table(by[UnitKind.COMMUNITY]),
        "by_checkpoint": table(by[UnitKind.CHECKPOINT]),
        "by_department": table(by_department),
    }


def no_shows(qs: QuerySet[Assignment], at: dt.datetime) -> QuerySet[Assignment]:
    """Assignments without a check-in whose shift started more than the grace period before
    ``at`` (a missed shift stays missed after it ends)."""
    from .services import no_show_grace

    return qs.filter(checked_in_at__isnull=True, starts_at__lte=at - no_show_grace()).select_related(
        "person", "checkpoint", "shift"
    )


def no_shows_on(qs: QuerySet[Assignment], day: dt.date, at: dt.datetime) -> QuerySet[Assignment]:
    """The day's no-shows as they stood at ``at``: shifts of ``day`` begun more than the grace
    period before ``at`` without a check-in by then."""
    from django.utils import timezone

    from .services import no_show_grace

    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    return qs.filter(
        Q(checked_in_at__isnull=True) | Q(checked_in_at__gt=at),
        starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1), starts_at__lte=at - no_show_grace(),
    ).select_related("person", "checkpoint", "shift")


def shifts_with_staffing(qs: QuerySet[Shift]) -> QuerySet[Shift]:
    """Shifts with ``assigned`` and ``gap`` (staff still missing) annotated."""
    return (
        qs.annotate(assigned=Count("assignments"))
        .annotate(gap=F("staff_needed") - F("assigned"))
        .order_by("starts_at", "checkpoint_id", "id")
    )


def department_team(department: Unit, day: dt.date, qs: QuerySet[Secondment] | None = None) -> dict[str, Any]:
    """A department's team on ``day``: the head responsible for it, its team leaders and members,
    where they are, the communities it is paired with, and its headcount with who is away."""
    from fangkong.orgs.models import Pairing
    from fangkong.people.choices import Position

    qs = Secondment.objects.all() if qs is None else qs
    team = list(
        secondments_on(qs.filter(department=department), day)
        .select_related("person", "unit")
        .order_by("-role", "unit__code", "person__name_initials")
    )
    communities = list(
        Unit.objects.filter(id__in=Pairing.objects.filter(department=department).values("community_id"))
    )
    if communities:
        # The team takes its paired communities' orders: placed in one of them, below it, or at
        # the street above it. Anywhere else is flagged.
        ids = [c.pk for c in communities]
        allowed = set(
            UnitLink.objects.filter(ancestor_id__in=ids).values_list("descendant_id", flat=True)
        ) | set(UnitLink.objects.filter(descendant_id__in=ids).values_list("ancestor_id", flat=True))
        for s in team:
            s.outside_pairing = s.unit_id is not None and s.unit_id not in allowed  # type: ignore[attr-defined]
    staff = Person.objects.filter(unit=department, is_active=True)
    return {
        "head": staff.filter(position=Position.HEAD).order_by("id").first(),
        "leaders": [s for s in team if s.role == "team_leader"],
        "members": [s for s in team if s.role != "team_leader"],
        "headcount": staff.count(),
        "away": len({s.person_id for s in team}),
        "communities": communities,
    }


def placed_under(qs: QuerySet[Secondment], unit_id: int, day: dt.date) -> QuerySet[Secondment]:
    """Secondments running on ``day`` placed at the unit or anywhere below it."""
    from fangkong.core.scoping import subtree_query

    return secondments_on(qs, day).filter(unit__in=subtree_query(unit_id))


def eligible_for(shift: Shift) -> QuerySet[Person]:
    """Cadres who may take the shift: seconded that day, placed at the checkpoint or above it."""
    from django.utils import timezone

    day = timezone.localtime(shift.starts_at).date()
    above = UnitLink.objects.filter(descendant_id=shift.checkpoint_id).values("ancestor_id")
    ids = Secondment.objects.filter(active_on(day), unit__in=above).values("person_id")
    return Person.objects.filter(id__in=ids).exclude(shift_assignments__shift=shift).select_related("unit")
