"""The organs return line (机关返程) and the industry screening line (行业排查) on the command
picture: the figures of ``fangkong stats`` (``stats.line_figures``) over the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fangkong.command.registry import (
    Alert,
    AsOf,
    Figure,
    Line,
    Panel,
    UnitLists,
    end_of_day,
    register,
    unit_list_urls,
    url,
)
from fangkong.core import clock
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.orgs.selectors import units_open_on

from . import tally
from .choices import Line as LedgerLine
from .models import Returnee
from .selectors import _filters, longest_waiting, missing_side, waiting_since
from .stats import line_figures, registered, rows_since, unit_rows

LEDGER_API = "/api/v1/returnees"
UNITS_API = "/api/v1/units"


def _ledger(line: str, as_of: AsOf, **params: Any) -> tuple[str, str]:
    query = {"line": line, "as_of": as_of.iso, **params}
    return url("returnees:returnee_list", **query), url(LEDGER_API, **query)


def _units_with_returnees(line: str) -> Any:
    def lists(as_of: AsOf) -> UnitLists:
        registered = as_of.scoped(Returnee).filter(line=line).filter(_filters(as_of.at)["returnees"])
        units = Unit.objects.filter(id__in=registered.exclude(unit__isnull=True).values("unit_id")).order_by("code")
        return [("", units)]
    return lists


def _from_tally(as_of: AsOf) -> bool:
    """Whether the moment is read from the ledger's tally: a moment of today for a reader who sees
    the whole ledger (``tally``); a closed day is computed from the ledger and kept."""
    user = as_of.user
    return (tally.available() and as_of.day >= clock.today() and user_has_perm(user, "returnees.view")
            and (as_of.is_city or scope_unit_ids(user) is None))


def _rows(as_of: AsOf) -> list[dict[str, Any]]:
    """Both lines' registered per unit and coordinating body as of the moment for the two panels:
    from the tally (today, the whole city) or one pass over the ledger (``stats.unit_rows``)."""
    lines = [LedgerLine.ORGANS, LedgerLine.INDUSTRY]
    if _from_tally(as_of):
        return as_of.shared("returnees:tally_rows", lambda: tally.unit_rows(lines, as_of.at))
    qs = as_of.scoped(Returnee).filter(line__in=lines)
    start = end_of_day(as_of.day - dt.timedelta(days=1))
    if as_of.at == end_of_day(as_of.day):  # a day's end: kept for the next day's moments
        return as_of.shared("returnees:unit_rows", lambda: _kept_rows(as_of, as_of.at, qs))
    return as_of.shared("returnees:unit_rows", lambda: rows_since(qs, _kept_rows(as_of, start, qs), start, as_of.at))


ROW_KEYS = ("line", "unit_id", "coordinating_body_id", "n_unit", "n_community", "n_both", "n_suspects")


def _kept_rows(as_of: AsOf, at: dt.datetime, qs: Any) -> list[dict[str, Any]]:
    """``unit_rows`` at the end of a day, kept once the day is closed (``snapshots.kept``): built
    on the day before's when that one is kept (the picture computes its days in order), else one
    pass over the ledger."""
    from fangkong.command import snapshots
    from fangkong.command.selectors import scope_key

    scope = scope_key(as_of.user)

    def load(kept: list[list[Any]]) -> list[dict[str, Any]]:
        return [{**dict(zip(ROW_KEYS, values[:7], strict=True)),
                 "waiting": dt.datetime.fromisoformat(values[7]) if values[7] else None} for values in kept]

    def compute() -> list[list[Any]]:
        previous = end_of_day(snapshots.business_day(at) - dt.timedelta(days=1))
        before = snapshots.find("returnees:unit_rows", scope, previous)
        rows = unit_rows(qs, at) if before is None else rows_since(qs, load(before), previous, at)
        return [[*(r[k] for k in ROW_KEYS), r["waiting"].isoformat() if r["waiting"] else None] for r in rows]

    return load(snapshots.kept("returnees:unit_rows", scope, at, compute))


def _longest_waiting(line: str, as_of: AsOf, rows: list[dict[str, Any]]) -> list[Returnee]:
    """The five people of the line missing a side who have waited longest (``missing_side``'s
    order), read from the units holding them: the five earliest of the units' longest waits name
    every unit a person among the first five can belong to (a unit whose longest wait began after
    five other units' has five people before all of its own), and the fifth of those bounds their
    wait (with fewer than five units, every one-sided person of them is read)."""
    if rows and "waiting" not in rows[0]:  # read from the tally
        return longest_waiting(as_of.scoped(Returnee).filter(line=line), as_of.at)
    waits = sorted(r["waiting"] for r in rows if r["line"] == line and r["waiting"] is not None)
    if not waits:
        return []
    cutoff = waits[min(4, len(waits) - 1)]
    units = {r["unit_id"] for r in rows if r["line"] == line and r["waiting"] is not None and r["waiting"] <= cutoff}
    among = Q(unit_id__in=[u for u in units if u is not None])
    if None in units:
        among |= Q(unit__isnull=True)
    people = as_of.scoped(Returnee).filter(line=line).filter(among)
    if len(waits) >= 5:
        # The fifth has waited since the cutoff or before: five units' longest waits begin by then.
        filters = _filters(as_of.at)
        people = people.filter((filters["unit_only"] & Q(unit_reported_at__lte=cutoff))
                               | (filters["community_only"] & Q(community_reported_at__lte=cutoff)))
    return list(missing_side(people, as_of.at)[:5])


def _panel(line: str, as_of: AsOf) -> Panel:
    units = units_open_on(as_of.day).visible_to(as_of.user)  # type: ignore[attr-defined]
    rows = _rows(as_of)
    f = line_figures(as_of.scoped(Returnee), line, as_of.at, units, rows=rows, isolation=False)
    figures = []
    page, api = unit_list_urls(line, "units_with_returnees", as_of)
    label = _("Departments with returnees") if line == LedgerLine.ORGANS else _("Units with returnees")
    figures.append(Figure("units_with_returnees", label, f["units_with_returnees"], page, api))
    if line == LedgerLine.INDUSTRY:
        day = as_of.day.isoformat()
        figures.append(Figure(
            "industry_units", _("Industry units"), f["units"],
            url("orgs:unit_list", kind=UnitKind.INDUSTRY_UNIT, open_on=day),
            url(UNITS_API, kind=UnitKind.INDUSTRY_UNIT, open_on=day),
        ))
    page, api = _ledger(line, as_of)
    figures.append(Figure("returnees", _("Returnees"), f["returnees"], page, api, unit=_("people")))
    both_page, both_api = _ledger(line, as_of, dual="both")
    figures.append(Figure("dual_report_rate", pgettext("rate", "Dual-reported"), float(f["dual_report_rate"]), both_page, both_api,
                          denominator_api_url=api, denominator_list_url=page))
    page, api = _ledger(line, as_of, dual="one_side")
    figures.append(Figure("missing_side", _("Missing a side"), f["unit_only"] + f["community_only"], page, api,
                          unit=_("people")))
    page, api = _ledger(line, as_of, dual="suspect")
    figures.append(Figure("concealment_suspects", _("Concealment suspects"), f["concealment_suspects"], page, api,
                          unit=_("people")))
    alerts = []
    for person in _longest_waiting(line, as_of, rows):
        since = waiting_since(person)
        side = _("community") if person.unit_reported_at and person.unit_reported_at < as_of.at else _("unit")
        alerts.append(Alert(
            _("%(name)s has not registered with the %(side)s yet (waiting since %(since)s)") % {
                "name": person.name, "side": side,
                "since": timezone.localtime(since).strftime("%m-%d %H:%M") if since else "-"},
            url=f"/returnees/{person.pk}/",
        ))
    if f["concealment_suspects"]:
        alerts.append(Alert(
            _("%(n)d people registered by a community and not by their unit (possible concealment)")
            % {"n": f["concealment_suspects"]}, url=_ledger(line, as_of, dual="suspect")[0], level="danger"))
    breakdown = _by_body(as_of, rows) if line == LedgerLine.INDUSTRY else []
    return Panel(figures=figures, alerts=alerts, headline="returnees", text=_sentence(line, as_of, f),
                 breakdown=breakdown)


def _by_body(as_of: AsOf, unit_rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Per coordinating body (面上统、分块抓): its units with returnees of its units, and people."""
    rows: dict[int, dict[str, Any]] = {}
    for r in unit_rows:
        if r["line"] != LedgerLine.INDUSTRY or r["coordinating_body_id"] is None:
            continue
        row = rows.setdefault(r["coordinating_body_id"], {"units": set(), "people": 0})
        row["people"] += registered(r)
        if r["unit_id"] is not None:
            row["units"].add(r["unit_id"])
    bodies = units_open_on(as_of.day).visible_to(as_of.user).filter(kind=UnitKind.COORDINATING_BODY)  # type: ignore[attr-defined]
    totals = dict(UnitLink.objects.filter(ancestor__in=bodies, descendant__kind=UnitKind.INDUSTRY_UNIT,
                                          descendant__in=units_open_on(as_of.day))
                  .values_list("ancestor_id").annotate(n=Count("id")).order_by())
    out = []
    for body in bodies.order_by("code"):
        row = rows.get(body.pk, {"units": set(), "people": 0})
        out.append((body.short_name or body.name,
                    _("%(units)d of %(total)d units, %(people)d people") % {
                        "units": len(row["units"]), "total": totals.get(body.pk, 0), "people": row["people"]},
                    _ledger(LedgerLine.INDUSTRY, as_of, coordinating_body=body.pk)[0]))
    return out


def _sentence(line: str, as_of: AsOf, f: dict[str, Any]) -> str:
    day = as_of.day
    params = {"month": day.month, "day": day.day, "units": f["units_with_returnees"], "people": f["returnees"],
              "rate": _percent(f["dual_report_rate"]), "total": f.get("units", 0)}
    if line == LedgerLine.INDUSTRY:
        text = _("As of %(month)d/%(day)d, %(units)d of %(total)d industry units had %(people)d returnees; "
                 "dual-reported %(rate)s.") % params
    elif f["returnees"] and f["dual_reported"] == f["returnees"]:
        text = _("As of %(month)d/%(day)d, all %(people)d returnees of %(units)d departments reported to their "
                 "units and communities; dual-reported %(rate)s.") % params
    else:
        text = _("As of %(month)d/%(day)d, %(units)d departments reported %(people)d returnees to their units "
                 "and communities; dual-reported %(rate)s.") % params
    missing = f["unit_only"] + f["community_only"]
    if missing:
        text += _(" %(n)d people still miss a side.") % {"n": missing}
    return text


def _percent(value: float) -> str:
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def organs_panel(as_of: AsOf) -> Panel:
    return _panel(LedgerLine.ORGANS, as_of)


def industry_panel(as_of: AsOf) -> Panel:
    return _panel(LedgerLine.INDUSTRY, as_of)


register(Line(key="organs", title=gettext_lazy("Organs return line"), order=0, perm="returnees.view",
              panel=organs_panel, unit_lists={"units_with_returnees": _units_with_returnees(LedgerLine.ORGANS)}))
register(Line(key="industry", title=gettext_lazy("Industry screening line"), order=10, perm="returnees.view",
              panel=industry_panel, unit_lists={"units_with_returnees": _units_with_returnees(LedgerLine.INDUSTRY)}))
