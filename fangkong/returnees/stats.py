"""The ``organs`` and ``industry`` blocks of ``fangkong stats``."""

import datetime as dt
from typing import Any

from django.db.models import Case, Count, F, Min, Q, QuerySet, When
from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.orgs.selectors import units_open_on

from .choices import Line
from .models import Returnee
from .selectors import _filters, end_of_day, isolation_figures, rate


def line_block(line: str, day: dt.date) -> dict[str, Any]:
    return line_figures(Returnee.objects.all(), line, end_of_day(day), units_open_on(day))


def unit_rows(returnees: QuerySet[Returnee], moment: dt.datetime) -> list[dict[str, Any]]:
    """The people registered as of ``moment`` per line, unit and coordinating body, in one pass
    over the ledger: each side's count, both, concealment suspects, and since when the longest
    waiting of those missing a side has waited (``waiting``)."""
    filters = _filters(moment)
    unit, community = Q(unit_reported_at__lt=moment), Q(community_reported_at__lt=moment)
    since = Case(When(unit_reported_at__lt=moment, then=F("unit_reported_at")), default=F("community_reported_at"))
    return list(
        returnees.filter(filters["returnees"])
        .values("line", "unit_id", "coordinating_body_id")
        .annotate(
            n_unit=Count("unit_reported_at", filter=unit),
            n_community=Count("community_reported_at", filter=community),
            n_both=Count("unit_reported_at", filter=unit & community),
            n_suspects=Count("community_reported_at", filter=filters["concealment_suspects"]),
            waiting=Min(since, filter=filters["unit_only"] | filters["community_only"]),
        )
        .order_by()
    )


def rows_since(returnees: QuerySet[Returnee], base: list[dict[str, Any]], start: dt.datetime,
               moment: dt.datetime) -> list[dict[str, Any]]:
    """``unit_rows(returnees, moment)`` from ``base`` = ``unit_rows(returnees, start)`` (``start``
    before ``moment``) and the people with a registration in [start, moment): only they count
    differently at the two moments. A group's longest wait is read again where someone who was
    waiting at ``start`` as long as the group's longest has since been registered by the other side."""
    f0, fm = _filters(start), _filters(moment)

    def since(at: dt.datetime) -> Case:
        return Case(When(unit_reported_at__lt=at, then=F("unit_reported_at")), default=F("community_reported_at"))

    new_unit = Q(unit_reported_at__gte=start, unit_reported_at__lt=moment)
    new_community = Q(community_reported_at__gte=start, community_reported_at__lt=moment)
    changes = (
        returnees.filter(new_unit | new_community)
        .values("line", "unit_id", "coordinating_body_id")
        .annotate(
            d_unit=Count("id", filter=new_unit), d_community=Count("id", filter=new_community),
            both_m=Count("id", filter=fm["dual_reported"]), both_0=Count("id", filter=f0["dual_reported"]),
            suspects_m=Count("id", filter=fm["concealment_suspects"]),
            suspects_0=Count("id", filter=f0["concealment_suspects"]),
            waiting=Min(since(moment), filter=fm["unit_only"] | fm["community_only"]),
            # The earliest wait of those waiting at start who are on both sides by the moment.
            ended=Min(since(start), filter=(f0["unit_only"] | f0["community_only"]) & fm["dual_reported"]),
        )
        .order_by()
    )
    rows = {(r["line"], r["unit_id"], r["coordinating_body_id"]): dict(r) for r in base}
    stale = set()
    for change in changes:
        key = (change["line"], change["unit_id"], change["coordinating_body_id"])
        row = rows.setdefault(key, {"line": key[0], "unit_id": key[1], "coordinating_body_id": key[2], "n_unit": 0,
                                    "n_community": 0, "n_both": 0, "n_suspects": 0, "waiting": None})
        row["n_unit"] += change["d_unit"]
        row["n_community"] += change["d_community"]
        row["n_both"] += change["both_m"] - change["both_0"]
        row["n_suspects"] += change["suspects_m"] - change["suspects_0"]
        if change["ended"] is not None and row["waiting"] is not None and change["ended"] <= row["waiting"]:
            stale.add(key)
        elif change["waiting"] is not None:
            row["waiting"] = min(w for w in (row["waiting"], change["waiting"]) if w is not None)
    if stale:
        units = {key[1] for key in stale}
        among = Q(unit_id__in=[u for u in units if u is not None])
        if None in units:
            among |= Q(unit__isnull=True)
        waits = (returnees.filter(among).filter(fm["unit_only"] | fm["community_only"])
                 .values("line", "unit_id", "coordinating_body_id")
                 .annotate(waiting=Min(since(moment))).order_by())
        for key in stale:
            rows[key]["waiting"] = None
        for wait in waits:
            key = (wait["line"], wait["unit_id"], wait["coordinating_body_id"])
            if key in stale:
                rows[key]["waiting"] = wait["waiting"]
    return [row for row in rows.values() if registered(row) > 0]


def registered(row: dict[str, Any]) -> int:
    return int(row["n_unit"] + row["n_community"] - row["n_both"])


def line_figures(returnees: QuerySet[Returnee], line: str, moment: dt.datetime, units: QuerySet[Unit], *,
                 rows: list[dict[str, Any]] | None = None, isolation: bool = True) -> dict[str, Any]:
    """The line's figures as of ``moment`` over ``returnees`` (the whole ledger for ``fangkong
    stats``, a user's scope for the command picture); ``units`` are the units open that day.
    ``rows``: ``unit_rows`` of the same returnees and moment when already read (the command
    picture reads them once for both lines); ``isolation``: add the isolation figures."""
    day = timezone.localtime(moment - dt.timedelta(microseconds=1)).date()
    qs = returnees.filter(line=line)
    mine = [row for row in (unit_rows(qs, moment) if rows is None else rows) if row["line"] == line]
    n_unit, n_community = sum(r["n_unit"] for r in mine), sum(r["n_community"] for r in mine)
    both = sum(r["n_both"] for r in mine)
    people = n_unit + n_community - both
    block: dict[str, Any] = {
        "units_with_returnees": len({r["unit_id"] for r in mine if r["unit_id"] is not None}),
        "returnees": people,
        "dual_reported": both,
        "dual_report_rate": rate(both, people),
        "unit_only": n_unit - both,
        "community_only": n_community - both,
        "concealment_suspects": sum(r["n_suspects"] for r in mine),
    }
    if isolation:
        block.update({k: v for k, v in isolation_figures(qs.filter(_filters(moment)["returnees"]), day).items()
                      if k in {"in_isolation", "released"}})
    if line == Line.INDUSTRY:
        counts = units.filter(kind__in=[UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY])
        by_kind = dict(counts.values_list("kind").annotate(n=Count("id")))
        block["units"] = by_kind.get(UnitKind.INDUSTRY_UNIT, 0)
        block["coordinating_bodies"] = by_kind.get(UnitKind.COORDINATING_BODY, 0)
    return block


def organs_block(day: dt.date) -> dict[str, Any]:
    return line_block(Line.ORGANS, day)


def industry_block(day: dt.date) -> dict[str, Any]:
    return line_block(Line.INDUSTRY, day)
