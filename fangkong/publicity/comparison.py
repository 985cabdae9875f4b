"""The comparison (比): a transparent, configurable score of the departments.

Measurable items are registered here by key, each by the app that holds its records
(``register_item``): this module registers the items the platform holds today (report
timeliness, dual-report rate, cadre attendance, pledge signatures, media pushes, official
forwards); a supervision or donations app adds its own from its ``AppConfig.ready`` the same way,
and nothing here imports it. A formula is arithmetic over item keys (numbers, + - * /, brackets);
a formula naming an item that is not registered is refused when saved.

Each item gives, per department (the department and every unit below it), a value with the
numerator and denominator it was computed from, and the records behind them (``records``), so
every score on the ranking links to the rows it was made of.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink


@dataclass(frozen=True)
class Measure:
    value: float
    numerator: int
    denominator: int | None = None  # None: the value is a count, not a rate


# (department ids, since, until) -> {department id: Measure}
Values = Callable[[list[int], dt.date, dt.date], dict[int, Measure]]
# (user, unit ids of one department's subtree, since, until) -> (headers, rows); the rows are read
# through visible_to(user); a row's last cell says whether it counts in the numerator.
Records = Callable[[Any, list[int], dt.date, dt.date], tuple[list[str], Iterable[list[Any]]]]


@dataclass(frozen=True)
class Item:
    key: str
    label: Any
    explain: Any
    values: Values
    records: Records
    rate: bool = True


ITEMS: dict[str, Item] = {}


def register_item(item: Item) -> None:
    ITEMS[item.key] = item


# -- the formula --------------------------------------------------------------------------------

MAX_WEIGHT = 1_000_000
_OPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}


def parse_formula(expression: str) -> ast.Expression:
    """The formula's tree, or ValueError saying what is wrong (an unknown item first of all)."""
    text = (expression or "").strip()
    if not text:
        raise ValueError(_("Write a formula."))
    if len(text) > 500:
        raise ValueError(_("The formula is too long."))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(_("The formula cannot be read: use item names, numbers, + - * / and brackets.")) from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in ITEMS:
                raise ValueError(_("Unknown item in the formula: %(name)s. Known items: %(known)s.") % {
                    "name": node.id, "known": ", ".join(sorted(ITEMS))})
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise ValueError(_("The formula cannot be read: use item names, numbers, + - * / and brackets."))
            if not abs(node.value) <= MAX_WEIGHT:
                raise ValueError(_("A number in the formula is larger than %(max)d.") % {"max": MAX_WEIGHT})
        elif not isinstance(node, ast.Expression | ast.BinOp | ast.UnaryOp | ast.Load | ast.USub | ast.UAdd
                            | ast.Add | ast.Sub | ast.Mult | ast.Div):
            raise ValueError(_("The formula cannot be read: use item names, numbers, + - * / and brackets."))
    return tree


def items_of(expression: str) -> list[str]:
    tree = parse_formula(expression)
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)))


def evaluate(tree: ast.Expression, values: dict[str, float]) -> float:
    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]  # numbers only (parse_formula)
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                return 0.0
            return _OPS[type(node.op)](left, right)
        raise ValueError(node)

    return ev(tree)


# -- the ranking --------------------------------------------------------------------------------


def departments() -> QuerySet[Unit]:
    return Unit.objects.filter(kind=UnitKind.DEPARTMENT, closed_on__isnull=True).order_by("code")


def department_of(dept_ids: list[int]) -> dict[int, int]:
    """Every unit at or below each department → the department."""
    return dict(UnitLink.objects.filter(ancestor_id__in=dept_ids).values_list("descendant_id", "ancestor_id"))


def subtree(dept_id: int) -> list[int]:
    return list(UnitLink.objects.filter(ancestor_id=dept_id).values_list("descendant_id", flat=True))


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _by_department(rows: Iterable[tuple[int, int]], owner: dict[int, int]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for unit_id, n in rows:
        if unit_id in owner:
            out[owner[unit_id]] += n or 0
    return out


def _rate(num: dict[int, int], den: dict[int, int], ids: list[int]) -> dict[int, Measure]:
    return {d: Measure(num.get(d, 0) / den[d] if den.get(d) else 0.0, num.get(d, 0), den.get(d, 0)) for d in ids}


def ranking(expression: str, since: dt.date, until: dt.date) -> dict[str, Any]:
    """Every department's score under the formula over [since, until], best first, with the item
    measures each score was computed from."""
    tree = parse_formula(expression)
    keys = items_of(expression)
    ids = list(departments().values_list("id", flat=True))
    measures = {key: ITEMS[key].values(ids, since, until) for key in keys}
    rows: list[dict[str, Any]] = []
    for unit in departments():
        values = {key: measures[key].get(unit.pk, Measure(0.0, 0, 0)) for key in keys}
        score = evaluate(tree, {k: m.value for k, m in values.items()})
        if not math.isfinite(score):  # a product of large weights: no score rather than infinity
            score = 0.0
        rows.append({"unit": unit, "score": round(score, 2), "measures": values})
    rows.sort(key=lambda r: (-r["score"], r["unit"].code))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {"items": [ITEMS[k] for k in keys], "rows": rows}


# -- the items the platform holds ---------------------------------------------------------------


def _report_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from fangkong.reports.models import Report

    owner = department_of(ids)
    qs = Report.objects.filter(day__gte=since, day__lte=until, unit_id__in=list(owner))
    counts = qs.values("unit_id").annotate(n=Count("id"), ok=Count("id", filter=Q(on_time=True)))
    rows = list(counts.values_list("unit_id", "n", "ok"))
    return _rate(_by_department(((u, ok) for u, _n, ok in rows), owner),
                 _by_department(((u, n) for u, n, _ok in rows), owner), ids)


def _report_records(user: Any, units: list[int], since: dt.date, until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from fangkong.reports.models import Report

    qs = (Report.objects.visible_to(user).filter(day__gte=since, day__lte=until, unit_id__in=units)
          .select_related("unit", "template").order_by("day", "unit__code", "id"))
    return ([_("Day"), _("Unit"), pgettext("daily report", "Report"), _("Received at"), _("On time")],
            ([r.day.isoformat(), r.unit.name, r.template.name, timezone.localtime(r.received_at).strftime("%Y-%m-%d %H:%M"),
              r.on_time] for r in qs))


def _dual_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from fangkong.returnees.models import Returnee

    owner = department_of(ids)
    end = end_of(until)
    qs = Returnee.objects.filter(unit_id__in=list(owner), unit_reported_at__lt=end)
    rows = list(qs.values("unit_id").annotate(n=Count("id"), both=Count("id", filter=Q(community_reported_at__lt=end)))
                .values_list("unit_id", "n", "both"))
    return _rate(_by_department(((u, b) for u, _n, b in rows), owner),
                 _by_department(((u, n) for u, n, _b in rows), owner), ids)


def _dual_records(user: Any, units: list[int], since: dt.date, until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from fangkong.returnees.models import Returnee

    end = end_of(until)
    qs = (Returnee.objects.visible_to(user).filter(unit_id__in=units, unit_reported_at__lt=end)
          .select_related("unit", "community").order_by("unit_reported_at", "id"))
    return ([pgettext("person", "Name"), _("Unit"), _("Community"), _("Dual-reported")],
            ([r.name, r.unit.name if r.unit else "", r.community.name if r.community else "",
              bool(r.community_reported_at and r.community_reported_at < end)] for r in qs))


def _attendance_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from fangkong.deployment.models import Assignment

    owner = department_of(ids)
    qs = Assignment.objects.filter(starts_at__gte=start_of(since), starts_at__lt=end_of(until),
                                   person__unit_id__in=list(owner))
    rows = list(qs.values("person__unit_id").annotate(n=Count("id"), came=Count("id", filter=Q(checked_in_at__isnull=False)))
                .values_list("person__unit_id", "n", "came"))
    return _rate(_by_department(((u, c) for u, _n, c in rows), owner),
                 _by_department(((u, n) for u, n, _c in rows), owner), ids)


def _attendance_records(user: Any, units: list[int], since: dt.date,
                        until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from fangkong.deployment.models import Assignment

    qs = (Assignment.objects.visible_to(user).filter(starts_at__gte=start_of(since), starts_at__lt=end_of(until),
                                                     person__unit_id__in=units)
          .select_related("person", "checkpoint").order_by("starts_at", "id"))
    return ([_("Cadre"), _("Checkpoint"), _("Shift starts"), _("Checked in")],
            ([a.person.name, a.checkpoint.name, timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M"),
              a.checked_in_at is not None] for a in qs))


def _pledge_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from fangkong.people.models import Person

    from .models import PledgeSignature

    owner = department_of(ids)
    members = Person.objects.filter(is_party_member=True, is_active=True, branch__isnull=False,
                                    unit_id__in=list(owner))
    den = _by_department(members.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"), owner)
    signed = (PledgeSignature.objects.filter(signed_at__lt=end_of(until), person__in=members.values("id"))
              .values("unit_id").annotate(n=Count("person_id", distinct=True)).values_list("unit_id", "n"))
    return _rate(_by_department(signed, owner), den, ids)


def _pledge_records(user: Any, units: list[int], since: dt.date, until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from fangkong.people.models import Person

    from .models import PledgeSignature

    end = end_of(until)
    signed = set(PledgeSignature.objects.filter(signed_at__lt=end, unit_id__in=units).values_list("person_id", flat=True))
    qs = (Person.objects.visible_to(user).filter(is_party_member=True, is_active=True, branch__isnull=False,
                                                 unit_id__in=units).select_related("branch").order_by("name_initials", "id"))
    return ([_("Party member"), _("Party branch"), pgettext("pledge", "Signed")],
            ([p.name, p.branch.name if p.branch else "", p.pk in signed] for p in qs))


def _push_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from .models import MediaPush

    owner = department_of(ids)
    rows = (MediaPush.objects.filter(pushed_on__gte=since, pushed_on__lte=until, unit_id__in=list(owner))
            .values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))
    counts = _by_department(rows, owner)
    return {d: Measure(float(counts.get(d, 0)), counts.get(d, 0)) for d in ids}


def _push_records(user: Any, units: list[int], since: dt.date, until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from .models import MediaPush

    qs = (MediaPush.objects.visible_to(user).filter(pushed_on__gte=since, pushed_on__lte=until, unit_id__in=units)
          .select_related("outlet", "unit").order_by("pushed_on", "id"))
    return ([_("Day"), _("Unit"), _("Outlet"), _("Title"), _("Counted")],
            ([p.pushed_on.isoformat(), p.unit.name, p.outlet.name, p.title, True] for p in qs))


def _forward_values(ids: list[int], since: dt.date, until: dt.date) -> dict[int, Measure]:
    from .models import OfficialForward

    owner = department_of(ids)
    rows = (OfficialForward.objects.filter(day__gte=since, day__lte=until, unit_id__in=list(owner))
            .values("unit_id").annotate(n=Sum("count")).values_list("unit_id", "n"))
    counts = _by_department(rows, owner)
    return {d: Measure(float(counts.get(d, 0)), counts.get(d, 0)) for d in ids}


def _forward_records(user: Any, units: list[int], since: dt.date, until: dt.date) -> tuple[list[str], Iterable[list[Any]]]:
    from .models import OfficialForward

    qs = (OfficialForward.objects.visible_to(user).filter(day__gte=since, day__lte=until, unit_id__in=units)
          .select_related("unit", "person").order_by("day", "id"))
    return ([_("Day"), _("Branch or unit"), pgettext("party member", "Member"), _("Message"), _("Forwards")],
            ([f.day.isoformat(), f.unit.name, f.person.name if f.person else "", f.message, f.count] for f in qs))


for _item in (
    Item("report_timeliness", gettext_lazy("Report timeliness"),
         gettext_lazy("Daily reports received on time ÷ daily reports received"), _report_values, _report_records),
    Item("dual_report_rate", gettext_lazy("Dual-report rate"),
         gettext_lazy("Returnees registered by the community too ÷ returnees reported by the unit"),
         _dual_values, _dual_records),
    Item("cadre_attendance", gettext_lazy("Cadre attendance"),
         gettext_lazy("Shifts of the department's cadres checked in ÷ shifts assigned"),
         _attendance_values, _attendance_records),
    Item("pledge_rate", gettext_lazy("Pledge signatures"),
         gettext_lazy("Party members who signed a pledge ÷ party members"), _pledge_values, _pledge_records),
    Item("media_pushes", gettext_lazy("Media pushes"), gettext_lazy("Reports pushed to media (a count)"),
         _push_values, _push_records, rate=False),
    Item("official_forwards", gettext_lazy("Official forwards"),
         gettext_lazy("Official messages forwarded (a count)"), _forward_values, _forward_records, rate=False),
):
    register_item(_item)

DEFAULT_FORMULA = "40*report_timeliness + 20*dual_report_rate + 20*cadre_attendance + 10*pledge_rate + media_pushes"
