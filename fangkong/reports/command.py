"""Daily and zero reports (日报告/零报告) on the command picture: the day's and the week's
completeness and timeliness (``selectors.figures``, as ``fangkong stats`` reads them), late and
missing units, concealment flags awaiting review. Every line uses them; the industry units that
have not reported today are also listed here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import (
    Alert,
    AsOf,
    Figure,
    Line,
    Panel,
    UnitLists,
    contribute,
    register,
    unit_list_urls,
    url,
)
from fangkong.core.scoping import scope_unit_ids
from fangkong.orgs.models import Unit

from .choices import FlagStatus
from .models import ConcealmentFlag, Report, ReportTemplate
from .selectors import expected_units, figures

WEEK = 7


def node_of(as_of: AsOf) -> int | None:
    """The subtree the user's figures cover: None for the city, else the topmost unit of the
    scope (as the reports API's figures do)."""
    if as_of.is_city or scope_unit_ids(as_of.user) is None:
        return None
    first = Unit.objects.visible_to(as_of.user).order_by("level", "code").first()
    return first.pk if first is not None else -1


def _templates() -> list[ReportTemplate]:
    return list(ReportTemplate.objects.order_by("id"))


def _days(as_of: AsOf, span: int) -> list[dt.date]:
    return [as_of.day - dt.timedelta(days=i) for i in range(span - 1, -1, -1)]


def _state_lists(state: str, span: int = 1, codes: tuple[str, ...] = ()) -> Any:
    """Units in ``state`` (expected, submitted, on_time, late, missing) for each template and day."""

    def lists(as_of: AsOf) -> UnitLists:
        node = node_of(as_of)
        out: UnitLists = []
        for template in _templates():
            if codes and template.code not in codes:
                continue
            for day in _days(as_of, span):
                if node == -1:
                    units: QuerySet[Unit] = Unit.objects.none()
                else:
                    units = expected_units(template=template, day=day, under=node)
                received = Report.objects.filter(template=template, day=day, in_day=True)
                if state == "submitted":
                    units = units.filter(id__in=received.values("unit_id"))
                elif state == "on_time":
                    units = units.filter(id__in=received.filter(on_time=True).values("unit_id"))
                elif state == "late":
                    units = units.filter(id__in=received.filter(on_time=False).values("unit_id"))
                elif state == "missing":
                    units = units.exclude(id__in=received.values("unit_id"))
                label = f"{template.name} · {day:%m-%d}" if span > 1 else template.name
                out.append((label, units.order_by("code")))
        return out

    return lists


def totals(as_of: AsOf, start: dt.date, end: dt.date, codes: tuple[str, ...] = ()) -> dict[str, Any]:
    node = node_of(as_of)
    keys = ("expected", "submitted", "on_time", "late", "missing")
    total: dict[str, Any] = dict.fromkeys(keys, 0)
    if node != -1:
        for template in _templates():
            if codes and template.code not in codes:
                continue
            f = figures(template, start, end, node)
            for key in keys:
                total[key] += f[key]
    total["completeness"] = round(total["submitted"] / total["expected"], 4) if total["expected"] else 0.0
    total["timeliness"] = round(total["on_time"] / total["expected"], 4) if total["expected"] else 0.0
    return total


def _figure(key: str, label: str, value: int, as_of: AsOf) -> Figure:
    page, api = unit_list_urls("reports", key, as_of)
    return Figure(key, label, value, page, api)


def _rate(key: str, label: str, value: float, numerator: str, denominator: str, as_of: AsOf) -> Figure:
    page, api = unit_list_urls("reports", numerator, as_of)
    den_page, den_api = unit_list_urls("reports", denominator, as_of)
    return Figure(key, label, float(value), page, api, denominator_api_url=den_api, denominator_list_url=den_page)


def reports_panel(as_of: AsOf) -> Panel:
    day = totals(as_of, as_of.day, as_of.day)
    week = totals(as_of, as_of.day - dt.timedelta(days=WEEK - 1), as_of.day)
    figures = [
        _rate("completeness", _("Completeness today"), day["completeness"], "submitted", "expected", as_of),
        _rate("timeliness", _("Timeliness today"), day["timeliness"], "on_time", "expected", as_of),
        _figure("expected", _("Reports due today"), day["expected"], as_of),
        _figure("late", _("Late today"), day["late"], as_of),
        _figure("missing", _("Not reported today"), day["missing"], as_of),
        _rate("week_completeness", _("Completeness this week"), week["completeness"], "week_submitted",
              "week_expected", as_of),
        _rate("week_timeliness", _("Timeliness this week"), week["timeliness"], "week_on_time",
              "week_expected", as_of),
    ]
    flags = ConcealmentFlag.objects.visible_to(as_of.user).filter(
        day=as_of.day, status=FlagStatus.OPEN, raised_at__lt=as_of.at)
    query = {"status": FlagStatus.OPEN, "day_from": as_of.day.isoformat(), "day_to": as_of.day.isoformat(),
             "raised_before": as_of.iso}
    figures.append(Figure("concealment_flags", _("Concealment flags to review"), flags.count(),
                          url("reports:flag_list", **query), url("/api/v1/reports/flags", **query)))
    alerts = []
    if day["missing"]:
        alerts.append(Alert(_("%(n)d units have not sent today's report") % {"n": day["missing"]},
                            url=figures[4].list_url, level="danger"))
    if day["late"]:
        alerts.append(Alert(_("%(n)d reports came in after the deadline today") % {"n": day["late"]},
                            url=figures[3].list_url))
    if figures[-1].value:
        alerts.append(Alert(_("%(n)d concealment flags await review") % {"n": figures[-1].value},
                            url=figures[-1].list_url, level="danger"))
    text = _("On %(month)d/%(day)d, %(submitted)d of %(expected)d reports were in (completeness %(c)s, "
             "timeliness %(t)s); %(missing)d missing, %(late)d late.") % {
        "month": as_of.day.month, "day": as_of.day.day, "submitted": day["submitted"], "expected": day["expected"],
        "c": f"{day['completeness'] * 100:.1f}%", "t": f"{day['timeliness'] * 100:.1f}%",
        "missing": day["missing"], "late": day["late"]}
    return Panel(figures=figures, alerts=alerts, headline="completeness", text=text)


UNIT_LISTS = {
    **{state: _state_lists(state) for state in ("expected", "submitted", "on_time", "late", "missing")},
    **{f"week_{state}": _state_lists(state, WEEK) for state in ("expected", "submitted", "on_time")},
}

register(Line(key="reports", title=gettext_lazy("Daily and zero reports"), order=60, perm="reports.view",
              panel=reports_panel, unit_lists=UNIT_LISTS))


# The organs' and the industry units' own daily reports, on their lines.
LINE_TEMPLATES = {"organs": ("organs-daily",), "industry": ("industry-daily",)}


def _not_reported(line_key: str) -> Any:
    codes = LINE_TEMPLATES[line_key]

    def contribution(as_of: AsOf) -> tuple[list[Figure], list[Alert]]:
        day = totals(as_of, as_of.day, as_of.day, codes)
        if not day["expected"]:
            return [], []
        page, api = unit_list_urls("reports", f"{line_key}_missing", as_of)
        label = _("Departments not reported today") if line_key == "organs" else _("Industry units not reported today")
        figure = Figure(f"{line_key}_not_reported", label, day["missing"], page, api)
        alerts = [Alert(_("%(n)d units have not sent today's report") % {"n": day["missing"]}, url=page,
                        level="danger")] if day["missing"] else []
        return [figure], alerts

    return contribution


for _key, _codes in LINE_TEMPLATES.items():
    UNIT_LISTS[f"{_key}_missing"] = _state_lists("missing", 1, _codes)
    contribute(_key, _not_reported(_key))
