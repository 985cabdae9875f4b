"""Reads of the daily reports: who must report, who has not, and the board's figures.

Definitions (docs/daily-reports.md):
- expected: every unit assigned to the template (its kinds, under its root) for every day that
  both the unit and the template are active; a unit is open from ``opened_on`` up to the day
  before ``closed_on``;
- submitted: expected reports received by the end of their day (zero reports included);
- on time: received by the deadline; late: submitted but after the deadline;
- missing: expected − submitted (a report sent on a later day is a back-filled missing one);
- completeness = submitted ÷ expected, timeliness = on time ÷ expected.
Every count is limited to expected (unit, day) pairs, so neither rate can pass 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from fangkong.core.scoping import subtree_query
from fangkong.orgs.models import Unit

from .models import Report, ReportRollup, ReportTemplate


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def assigned_units(template: ReportTemplate, under: int | None = None) -> QuerySet[Unit]:
    """Units the template asks to report (on any day), optionally only under one unit."""
    qs = Unit.objects.filter(kind__in=template.unit_kinds)
    if template.root_id is not None:
        qs = qs.filter(id__in=subtree_query(template.root_id))
    if under is not None:
        qs = qs.filter(id__in=subtree_query(under))
    return qs


def _open_on(day: dt.date, prefix: str = "") -> Q:
    return (Q(**{f"{prefix}opened_on__isnull": True}) | Q(**{f"{prefix}opened_on__lte": day})) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": day})
    )


def expected_units(*, template: ReportTemplate, day: dt.date, under: int | None = None) -> QuerySet[Unit]:
    """Units expected to report on ``day`` for ``template`` (none when the template is inactive)."""
    if not template.active_on(day):
        return Unit.objects.none()
    return assigned_units(template, under).filter(_open_on(day))


def missing_units(*, template: ReportTemplate, day: dt.date, at: dt.datetime) -> QuerySet[Unit]:
    """Units expected to report on ``day`` for ``template`` that had sent nothing at moment ``at``."""
    received = Report.objects.filter(template=template, day=day, received_at__lte=at).values("unit_id")
    return expected_units(template=template, day=day).exclude(id__in=received).order_by("code")


def waiting_units(template: ReportTemplate, day: dt.date, under: int | None, at: dt.datetime) -> QuerySet[Unit]:
    """Expected units under ``under`` whose report for ``day`` had not arrived within the day by
    moment ``at``: the units ``unit_states`` shows as pending, past the deadline or missing."""
    received = Report.objects.filter(template=template, day=day, received_at__lte=at, in_day=True).values("unit_id")
    return expected_units(template=template, day=day, under=under).exclude(id__in=received)


def is_expected(template: ReportTemplate, unit: Unit, day: dt.date) -> bool:
    """The test of ``expected_units`` for one unit already read: no query unless the template
    is limited to a subtree (then one indexed look-up on the closure table)."""
    from fangkong.orgs.models import UnitLink

    if not template.active_on(day) or unit.kind not in template.unit_kinds:
        return False
    if (unit.opened_on is not None and unit.opened_on > day) or (unit.closed_on is not None and unit.closed_on <= day):
        return False
    return template.root_id is None or UnitLink.objects.filter(ancestor_id=template.root_id, descendant_id=unit.pk).exists()


def expected_count(template: ReportTemplate, start: dt.date, end: dt.date, under: int | None = None) -> int:
    """Expected reports over [start, end]: per unit, its open days inside the template's days.

    Units are grouped by (opened_on, closed_on) in SQL; the handful of groups is summed here.
    """
    first = max(start, template.start_date)
    last = min(end, template.end_date) if template.end_date else end
    if not template.is_active or last < first:
        return 0
    units = assigned_units(template, under).filter(
        Q(opened_on__isnull=True) | Q(opened_on__lte=last), Q(closed_on__isnull=True) | Q(closed_on__gt=first)
    )
    total = 0
    for opened, closed, n in units.values_list("opened_on", "closed_on").annotate(n=Count("id")).order_by():
        lo = max(first, opened) if opened else first
        hi = min(last, closed - dt.timedelta(days=1)) if closed else last
        if hi >= lo:
            total += n * ((hi - lo).days + 1)
    return total


SUBTREE_LITERAL_LIMIT = 3000
ODD_UNITS_LIMIT = 200


def _in_subtree(qs: QuerySet[Any], unit_id: int, field: str = "unit_id") -> QuerySet[Any]:
    """Rows of units under ``unit_id``: literal ids for a subtree of up to a few thousand units
    (PostgreSQL then reads the (unit, day) index), "not in the few units outside" for most of the
    tree (a count straight from the board index), a sub-select otherwise."""
    from fangkong.core.scoping import _units_outside, subtree_ids

    ids = subtree_ids(unit_id, limit=SUBTREE_LITERAL_LIMIT)
    if ids is not None:
        return qs.filter(**{f"{field}__in": ids})
    outside = _units_outside(unit_id, limit=SUBTREE_LITERAL_LIMIT)
    if outside is not None:
        return qs.exclude(**{f"{field}__in": outside}) if outside else qs
    return qs.filter(**{f"{field}__in": subtree_query(unit_id)})


def counted_reports(template: ReportTemplate, start: dt.date, end: dt.date, under: int | None = None) -> QuerySet[Report]:
    """Reports that belong to expected (unit, day) pairs over [start, end].

    Reports are only accepted from assigned units on their open days, but a unit may be opened
    or closed afterwards with an earlier date: reports outside a unit's open days are left out,
    so that no rate can pass 1. Those units are few, so they are excluded by id and the count
    needs no join on the units (one index-only scan on PostgreSQL). A unit's kind is taken as
    fixed: reports are only accepted from units of the template's kinds.
    """
    first = max(start, template.start_date)
    last = min(end, template.end_date) if template.end_date else end
    qs: QuerySet[Report] = Report.objects.filter(template=template, day__gte=first, day__lte=last)
    if template.root_id is not None:
        qs = _in_subtree(qs, template.root_id)
    if under is not None:
        qs = _in_subtree(qs, under)
    odd = list(
        Unit.objects.filter(Q(opened_on__gt=first) | Q(closed_on__lte=last))
        .values_list("id", "opened_on", "closed_on", "kind")[: ODD_UNITS_LIMIT + 1]
    )
    if len(odd) > ODD_UNITS_LIMIT:
        qs = qs.filter(unit__kind__in=template.unit_kinds)
        qs = qs.filter(Q(unit__opened_on__isnull=True) | Q(unit__opened_on__lte=F("day")))
        return qs.filter(Q(unit__closed_on__isnull=True) | Q(unit__closed_on__gt=F("day")))
    for unit_id, opened, closed, _kind in odd:
        if opened is not None and opened > first:
            qs = qs.exclude(unit_id=unit_id, day__lt=opened)
        if closed is not None and closed <= last:
            qs = qs.exclude(unit_id=unit_id, day__gte=closed)
    return qs


def _bounds(template: ReportTemplate, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    return max(start, template.start_date), min(end, template.end_date) if template.end_date else end


def _nodes(template: ReportTemplate, under: int | None) -> list[int]:
    """The roll-up nodes whose rows make up the subtree asked for, inside the template's root."""
    from fangkong.orgs.models import UnitLink

    root = template.root_id
    if under is None and root is None:
        return list(Unit.objects.filter(parent__isnull=True).values_list("id", flat=True))
    if under is None or root is None or under == root:
        return [under or root]  # type: ignore[list-item]
    if UnitLink.objects.filter(ancestor_id=root, descendant_id=under).exists():
        return [under]
    if UnitLink.objects.filter(ancestor_id=under, descendant_id=root).exists():
        return [root]
    return []


COUNTS = ("submitted", "zero", "on_time")


def _off_days(template: ReportTemplate, first: dt.date, last: dt.date, nodes: list[int], group: str) -> dict[Any, dict[str, int]]:
    """Counts to take off the roll-up: reports of units opened or closed afterwards with an
    earlier date, which fall outside the unit's open days (rates must never pass 1). Such
    units are few; the query reads only their reports. Grouped by "day" or "node"."""
    from fangkong.orgs.models import UnitLink

    odd = list(
        Unit.objects.filter(Q(opened_on__gt=first) | Q(closed_on__lte=last))
        .filter(id__in=UnitLink.objects.filter(ancestor_id__in=nodes).values("descendant_id"))
        .values_list("id", "opened_on", "closed_on")
    )
    if not odd:
        return {}
    outside = Q()
    for unit_id, opened, closed in odd:
        if opened is not None:
            outside |= Q(unit_id=unit_id, day__lt=opened)
        if closed is not None:
            outside |= Q(unit_id=unit_id, day__gte=closed)
    reports = Report.objects.filter(outside, template=template, day__gte=first, day__lte=last)
    key = "day" if group == "day" else "unit__ancestor_links__ancestor_id"
    if group != "day":
        reports = reports.filter(unit__ancestor_links__ancestor_id__in=nodes)
    rows = reports.values(key).annotate(
        submitted=Count("id", filter=Q(in_day=True)), zero=Count("id", filter=Q(in_day=True, is_zero=True)),
        on_time=Count("id", filter=Q(on_time=True)),
    ).order_by()
    return {row[key]: row for row in rows}


def figures(template: ReportTemplate, start: dt.date, end: dt.date, under: int | None = None) -> dict[str, Any]:
    """The reporting figures of one template over [start, end] under a unit (or the whole tree),
    read from the daily roll-up: at most one row per day."""
    expected = expected_count(template, start, end, under)
    counts = {key: 0 for key in COUNTS}
    if expected:
        first, last = _bounds(template, start, end)
        nodes = _nodes(template, under)
        sums = ReportRollup.objects.filter(template=template, node_id__in=nodes, day__gte=first, day__lte=last)\
            .aggregate(**{key: Sum(key) for key in COUNTS})
        counts = {key: sums[key] or 0 for key in COUNTS}
        for row in _off_days(template, first, last, nodes, "day").values():
            for key in COUNTS:
                counts[key] -= row[key]
    return _derive(expected, counts)


def _derive(expected: int, counts: Any) -> dict[str, Any]:
    submitted, on_time = counts["submitted"], counts["on_time"]
    return {
        "expected": expected,
        "submitted": submitted,
        "zero": counts["zero"],
        "on_time": on_time,
        "late": submitted - on_time,
        "missing": expected - submitted,
        "completeness": rate(submitted, expected),
        "timeliness": rate(on_time, expected),
    }


def all_figures(start: dt.date, end: dt.date, under: int | None = None) -> dict[str, Any]:
    """Figures summed over every template."""
    totals = {"expected": 0, "submitted": 0, "zero": 0, "on_time": 0}
    for template in ReportTemplate.objects.all():
        f = figures(template, start, end, under)
        for key in totals:
            totals[key] += f[key]
    return _derive(totals["expected"], totals)


CHILDREN_PAGE = 100


def child_figures(template: ReportTemplate, start: dt.date, end: dt.date, parent: Unit) -> list[dict[str, Any]]:
    """Figures per child of ``parent`` (each child's whole subtree), every child at once."""
    return child_page(template, start, end, parent, limit=None)[0]


def child_page(template: ReportTemplate, start: dt.date, end: dt.date, parent: Unit, *, offset: int = 0,
               limit: int | None = CHILDREN_PAGE) -> tuple[list[dict[str, Any]], int]:
    """One page of the figures per child of ``parent`` (each child's whole subtree), ordered by
    kind and code, and the number of children with reporting units below them.

    The expected counts of every child come from one grouped query (a few tuples per child);
    the units and the roll-up sums are read only for the children of the page. Used for the
    board's drill-down: a coordinating body has 600 children.
    """
    from fangkong.orgs.models import UnitLink

    first, last = _bounds(template, start, end)
    if not template.is_active or last < first:
        return [], 0
    units = assigned_units(template).filter(
        Q(opened_on__isnull=True) | Q(opened_on__lte=last), Q(closed_on__isnull=True) | Q(closed_on__gt=first)
    )
    expected: dict[int, int] = {}
    grouped = (
        UnitLink.objects.filter(ancestor__parent=parent, descendant__in=units)
        .values_list("ancestor_id", "ancestor__kind", "ancestor__code", "descendant__opened_on", "descendant__closed_on")
        .annotate(n=Count("id")).order_by()
    )
    keys: dict[int, tuple[str, str]] = {}
    for ancestor, kind, code, opened, closed, n in grouped:
        lo = max(first, opened) if opened else first
        hi = min(last, closed - dt.timedelta(days=1)) if closed else last
        if hi >= lo:
            expected[ancestor] = expected.get(ancestor, 0) + n * ((hi - lo).days + 1)
            keys[ancestor] = (kind, code)
    order = sorted(expected, key=keys.__getitem__)
    page_ids = order[offset: None if limit is None else offset + limit]
    children = Unit.objects.filter(id__in=page_ids).only("id", "code", "name", "short_name", "kind", "parent_id")
    by_id = {c.pk: c for c in children}
    counts: dict[int, dict[str, int]] = {
        row["node_id"]: row
        for row in ReportRollup.objects.filter(template=template, node_id__in=page_ids, day__gte=first, day__lte=last)
        .values("node_id").annotate(**{key: Sum(key) for key in COUNTS}).order_by()
    }
    for node, off in _off_days(template, first, last, page_ids, "node").items():
        row = counts.setdefault(node, {key: 0 for key in COUNTS})
        for key in COUNTS:
            row[key] -= off[key]
    empty = {"submitted": 0, "zero": 0, "on_time": 0}
    rows = [{**_derive(expected[pk], counts.get(pk, empty)), "unit": by_id[pk]} for pk in page_ids]
    return rows, len(order)


def unit_states(template: ReportTemplate, day: dt.date, under: int | None, at: dt.datetime,
                limit: int = 200, offset: int = 0, waiting_only: bool = False) -> list[dict[str, Any]]:
    """Each expected unit under ``under`` on ``day`` (``limit`` of them by code from ``offset``:
    the board pages through them; the day's expected count is their number) with its state at moment ``at``: submitted / zero / late / missing /
    pending (before the deadline) / late_pending (past the deadline, the day not over)."""
    listed = waiting_units(template, day, under, at) if waiting_only else expected_units(
        template=template, day=day, under=under)
    units = list(listed.only("id", "code", "name", "short_name").order_by("code")[offset: offset + limit])
    reports = {
        row[1]: row for row in Report.objects.filter(template=template, day=day, unit_id__in=[u.pk for u in units])
        .values_list("id", "unit_id", "is_zero", "on_time", "in_day", "received_at")
    }
    deadline_passed = at > template.deadline_at(day)
    day_over = at >= end_of_day(day)
    out = []
    for unit in units:
        row = reports.get(unit.pk)
        report = {"pk": row[0], "received_at": row[5], "is_zero": row[2]} if row else None
        if row is not None and row[5] <= at and row[4]:
            state = "late" if not row[3] else ("zero" if row[2] else "submitted")
        elif day_over:
            state = "missing"
        elif deadline_passed:
            state = "late_pending"
        else:
            state = "pending"
        out.append({"unit": unit, "report": report, "state": state})
    return out


def day_series(template: ReportTemplate, start: dt.date, end: dt.date, under: int | None = None) -> list[dict[str, Any]]:
    """Completeness and timeliness for each day of [start, end] (two grouped queries in all)."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    first, last = _bounds(template, start, end)
    nodes = _nodes(template, under)
    counts: dict[dt.date, dict[str, int]] = {
        row["day"]: row
        for row in ReportRollup.objects.filter(template=template, node_id__in=nodes, day__gte=first, day__lte=last)
        .values("day").annotate(**{key: Sum(key) for key in COUNTS}).order_by()
    }
    for day, off in _off_days(template, first, last, nodes, "day").items():
        row = counts.setdefault(day, {key: 0 for key in COUNTS})
        for key in COUNTS:
            row[key] -= off[key]
    empty = {"submitted": 0, "zero": 0, "on_time": 0}
    units = list(assigned_units(template, under).values_list("opened_on", "closed_on").annotate(n=Count("id")).order_by())
    out = []
    for day in days:
        expected = 0
        if template.active_on(day):
            expected = sum(n for opened, closed, n in units
                           if (opened is None or opened <= day) and (closed is None or closed > day))
        out.append({**_derive(expected, counts.get(day, empty)), "day": day})
    return out


def value_series(template: ReportTemplate, start: dt.date, end: dt.date, under: int | None = None) -> dict[str, Any]:
    """The sums of each integer field per day (zero reports count as 0) over [start, end]."""
    from .models import ReportField

    keys = list(
        ReportField.objects.filter(template=template, kind="integer").order_by("position").values_list("key", "label")
    )
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    sums = {
        f"s{i}": Sum(Cast(KeyTextTransform(key, "values"), IntegerField())) for i, (key, _label) in enumerate(keys)
    }
    by_day = {
        row["day"]: row
        for row in counted_reports(template, start, end, under).filter(is_zero=False)
        .values("day").annotate(**sums).order_by()
    } if sums else {}
    return {
        "days": [d.isoformat() for d in days],
        "series": [
            {"key": key, "label": label, "data": [(by_day.get(d) or {}).get(f"s{i}") or 0 for d in days]}
            for i, (key, label) in enumerate(keys)
        ],
    }



# The order in which lines come first when several templates apply equally: the working
# committee's own line (the organ departments) leads.
LINE_ORDER = ("organs", "industry", "community", "checkpoint", "other")


def template_distances(user: Any, templates: list[ReportTemplate]) -> dict[int, int]:
    """For each template that applies to the user's units, how far below the user's scope units
    its nearest reporting unit lies (one query per template).

    A template applies when a unit of one of its reporting kinds (under its root) lies in the
    user's scope: a community's own template is at 0, its checkpoints' at 1, the departments
    under the whole city at 2.
    """
    from django.db.models import Min

    from fangkong.accounts.models import UserScope
    from fangkong.orgs.models import UnitLink

    out: dict[int, int] = {}
    if getattr(user, "pk", None) is None:
        return out
    roots = list(UserScope.objects.filter(user_id=user.pk).values_list("unit_id", flat=True))
    if not roots:
        return out
    for template in templates:
        links = UnitLink.objects.filter(ancestor_id__in=roots, descendant__kind__in=template.unit_kinds)
        if template.root_id is not None:
            links = links.filter(descendant_id__in=subtree_query(template.root_id))
        nearest = links.aggregate(d=Min("depth"))["d"]
        if nearest is not None:
            out[template.pk] = nearest
    return out


def templates_for(user: Any, templates: list[ReportTemplate]) -> tuple[list[ReportTemplate], int]:
    """The templates in the order a user's board and trends offer them, and how many of the first
    apply to the user's units: those that apply come first, nearest first; ties (the office's
    whole tree, where departments and communities both sit two levels down) go by line, the organ
    departments first; the templates that do not apply follow in the same line order."""
    distances = template_distances(user, templates)

    def key(template: ReportTemplate) -> tuple[bool, int, int, str]:
        rank = LINE_ORDER.index(template.line) if template.line in LINE_ORDER else len(LINE_ORDER)
        return template.pk not in distances, distances.get(template.pk, 0), rank, template.code

    return sorted(templates, key=key), len(distances)
