"""The ``organs`` and ``industry`` blocks of ``fangkong stats``."""

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.orgs.selectors import units_open_on

from .choices import Line
from .models import Returnee
from .selectors import _filters, dual_figures, end_of_day, isolation_figures


def line_block(line: str, day: dt.date) -> dict[str, Any]:
    return line_figures(Returnee.objects.all(), line, end_of_day(day), units_open_on(day))


def line_figures(returnees: QuerySet[Returnee], line: str, moment: dt.datetime, units: QuerySet[Unit]) -> dict[str, Any]:
    """The line's figures as of ``moment`` over ``returnees`` (the whole ledger for ``fangkong
    stats``, a user's scope for the command picture); ``units`` are the units open that day."""
    day = timezone.localtime(moment - dt.timedelta(microseconds=1)).date()
    qs = returnees.filter(line=line)
    figures = dual_figures(qs, moment)
    registered = qs.filter(_filters(moment)["returnees"])
    block: dict[str, Any] = {
        "units_with_returnees": registered.exclude(unit__isnull=True).aggregate(n=Count("unit", distinct=True))["n"],
        "returnees": figures["returnees"],
        "dual_reported": figures["dual_reported"],
        "dual_report_rate": figures["dual_report_rate"],
        "unit_only": figures["unit_only"],
        "community_only": figures["community_only"],
        **{k: v for k, v in isolation_figures(registered, day).items() if k in {"in_isolation", "released"}},
        "concealment_suspects": figures["concealment_suspects"],
    }
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
