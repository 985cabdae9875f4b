"""Reads of the supervision line reused by pages, the API, the command picture, the workbench and
``fangkong stats``: the feedback board (completeness per group and community), the cadres a
community expects from a department, deadlines and their lights, the key figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Pairing, Unit, WorkingGroup

from .choices import Answer, CaseStatus, Conclusion
from .models import Coverage, Feedback, Investigation, Problem, Referral

YELLOW_DAYS = 3
ITEM_NAMES = ("obeys", "publicity", "screening", "testing")


def light(deadline: dt.date | None, today: dt.date) -> str:
    """``red`` past the deadline, ``yellow`` within three days of it, else empty."""
    if deadline is None:
        return ""
    if deadline < today:
        return "red"
    return "yellow" if (deadline - today).days <= YELLOW_DAYS else ""


def paired_on(day: dt.date) -> Q:
    return Q(since__isnull=True) | Q(since__lte=day)


def paired_department_ids(community_id: int, day: dt.date) -> set[int]:
    return set(Pairing.objects.filter(paired_on(day), community_id=community_id).values_list("department_id", flat=True))


def paired_departments(community_id: int, day: dt.date) -> QuerySet[Unit]:
    ids = Pairing.objects.filter(paired_on(day), community_id=community_id).values("department_id")
    return Unit.objects.filter(id__in=ids).order_by("code")


def cadres_on(community_id: int, department_ids: list[int], day: dt.date) -> dict[int, tuple[int, int]]:
    """For each department: its cadres placed at the community (or below) that day, and how many of
    them were present (those without a missed shift that day, from the rosters' check-ins)."""
    from fangkong.core.scoping import subtree_query
    from fangkong.deployment.models import Assignment, Secondment
    from fangkong.deployment.selectors import active_on, no_shows_on

    placed = list(Secondment.objects.filter(active_on(day), department_id__in=department_ids,
                                            unit__in=subtree_query(community_id))
                  .values_list("department_id", "person_id"))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    absent = set(no_shows_on(Assignment.objects.filter(checkpoint__in=subtree_query(community_id)), day, end)
                 .values_list("person_id", flat=True))
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for department_id, person_id in placed:
        result[department_id][0] += 1
        result[department_id][1] += person_id not in absent
    return {k: (v[0], v[1]) for k, v in result.items()}


def group_covering(community_id: int, day: dt.date) -> WorkingGroup | None:
    coverage = Coverage.objects.filter(community_id=community_id, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)).select_related("group").order_by("-starts_on").first()
    return coverage.group if coverage else None


def group_for_unit(unit_id: int, community_id: int | None, day: dt.date) -> WorkingGroup | None:
    """The group a problem goes to: the one covering its community, or a community the unit is paired with."""
    if community_id is not None:
        return group_covering(community_id, day)
    for pairing in Pairing.objects.filter(department_id=unit_id).order_by("community__code"):
        group = group_covering(pairing.community_id, day)
        if group is not None:
            return group
    return None


def covering_on(day: dt.date) -> Q:
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def board(coverage: QuerySet[Coverage], feedback: QuerySet[Feedback], day: dt.date,
          communities: QuerySet[Unit] | None = None) -> dict[str, Any]:
    """The feedback board of a day: per group and community, the pairs expected and answered, the
    "no" items; three aggregate queries whatever the number of communities."""
    groups: dict[int | None, str] = {}
    group_of: dict[int, int | None] = {}
    for community_id, group_id, group_name in coverage.filter(covering_on(day)).values_list(
            "community_id", "group_id", "group__name"):
        group_of[community_id] = group_id
        groups[group_id] = group_name
    if communities is None:
        communities = Unit.objects.filter(id__in=list(group_of), kind=UnitKind.COMMUNITY)
    names = dict(communities.values_list("id", "name"))
    expected = dict(Pairing.objects.filter(paired_on(day), community_id__in=list(names)).values("community_id")
                    .annotate(n=Count("id")).values_list("community_id", "n"))
    no_any = Q(obeys=Answer.NO) | Q(publicity=Answer.NO) | Q(screening=Answer.NO) | Q(testing=Answer.NO)
    answered = {row["community_id"]: row for row in feedback.filter(day=day, is_current=True,
                                                                    community_id__in=list(names))
                .values("community_id").annotate(n=Count("id"), no=Count("id", filter=no_any))}
    rows = []
    for community_id, name in sorted(names.items(), key=lambda kv: kv[1]):
        e = expected.get(community_id, 0)
        a = answered.get(community_id, {"n": 0, "no": 0})
        rows.append({"id": community_id, "name": name, "group_id": group_of.get(community_id),
                     "group": groups.get(group_of.get(community_id), ""), "expected": e, "submitted": a["n"],
                     "no": a["no"], "missing": max(e - a["n"], 0),
                     "rate": round(a["n"] / e * 100, 1) if e else 100.0})
    by_group: dict[Any, dict[str, Any]] = {}
    for row in rows:
        g = by_group.setdefault(row["group_id"], {"id": row["group_id"], "name": row["group"], "expected": 0,
                                                  "submitted": 0, "no": 0, "communities": 0})
        g["expected"] += row["expected"]
        g["submitted"] += row["submitted"]
        g["no"] += row["no"]
        g["communities"] += 1
    for g in by_group.values():
        g["rate"] = round(g["submitted"] / g["expected"] * 100, 1) if g["expected"] else 100.0
    total_e = sum(r["expected"] for r in rows)
    total_s = sum(r["submitted"] for r in rows)
    return {"day": day, "rows": rows, "groups": sorted(by_group.values(), key=lambda g: g["name"]),
            "expected": total_e, "submitted": total_s, "no": sum(r["no"] for r in rows),
            "rate": round(total_s / total_e * 100, 1) if total_e else 100.0}


def open_cases(qs: QuerySet[Investigation]) -> QuerySet[Investigation]:
    return qs.filter(status=CaseStatus.OPEN)


def overdue_cases(qs: QuerySet[Investigation], today: dt.date) -> QuerySet[Investigation]:
    return qs.filter(Q(status=CaseStatus.OPEN, deadline__lt=today)
                     | Q(status=CaseStatus.RECTIFYING, rectify_by__lt=today))


def overdue_problems(qs: QuerySet[Problem], today: dt.date) -> QuerySet[Problem]:
    return qs.filter(status="open", case__isnull=True, deadline__lt=today)


def _as_of_cases(qs: QuerySet[Investigation], day: dt.date) -> QuerySet[Investigation]:
    return qs.filter(opened_on__lte=day)


def investigations_open_on(qs: QuerySet[Investigation], day: dt.date) -> QuerySet[Investigation]:
    """Cases opened by ``day`` and not concluded by then."""
    return _as_of_cases(qs, day).filter(Q(concluded_on__isnull=True) | Q(concluded_on__gt=day))


def rectifications_open_on(qs: QuerySet[Investigation], day: dt.date) -> QuerySet[Investigation]:
    return _as_of_cases(qs, day).filter(conclusion=Conclusion.RECTIFY, concluded_on__lte=day).filter(
        Q(verified_on__isnull=True) | Q(verified_on__gt=day))


def overdue_on(qs: QuerySet[Investigation], day: dt.date) -> QuerySet[Investigation]:
    """Cases past their deadline on ``day``: open and past the case deadline, or rectifying past the
    rectification's."""
    return (investigations_open_on(qs, day).filter(deadline__lt=day)
            | rectifications_open_on(qs, day).filter(rectify_by__lt=day))


def figures(*, coverage: QuerySet[Coverage], feedback: QuerySet[Feedback], problems: QuerySet[Problem],
            cases: QuerySet[Investigation], referrals: QuerySet[Referral], day: dt.date) -> dict[str, Any]:
    """The key figures as of ``day`` (the ``supervision`` block of ``fangkong stats``)."""
    covered = coverage.filter(covering_on(day))
    communities = list(covered.values_list("community_id", flat=True).distinct())
    b = board(coverage, feedback, day)
    by_body = dict(referrals.filter(referred_on__lte=day).values("body__code").annotate(n=Count("id"))
                   .values_list("body__code", "n"))
    return {
        "groups": covered.values("group_id").distinct().count(),
        "communities_covered": len(communities),
        "feedback_expected": b["expected"],
        "feedback_submitted": b["submitted"],
        "feedback_no_items": b["no"],
        "problems": problems.filter(found_on__lte=day).count(),
        "investigations_open": investigations_open_on(cases, day).count(),
        "rectifications_open": rectifications_open_on(cases, day).count(),
        "referrals": {key: by_body.get(key, 0) for key in ("organisation", "discipline", "inspection")},
        "overdue": overdue_on(cases, day).count(),
    }
