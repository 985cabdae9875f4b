"""Reads of the donations line that pages, the API, the stats and the command picture share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Sum

from .choices import NeedStatus
from .models import Distribution, Donor, Intake, Item, Need, Receipt, StockMove, TraceLink


def quantities_by_item(qs: QuerySet[Any], field: str = "quantity") -> dict[str, dict[str, Any]]:
    """{item name: {"quantity", "unit"}} of a queryset with ``item`` and ``field``."""
    from .services import fmt

    rows = qs.values("item__name", "item__measure__name").annotate(total=Sum(field)).order_by("item__name")
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        total: Decimal = row["total"] or Decimal(0)
        if total:
            number = fmt(total)
            out[row["item__name"]] = {"quantity": int(number) if "." not in number else float(number),
                                      "unit": row["item__measure__name"]}
    return out


def intakes_until(qs: QuerySet[Intake], day: dt.date) -> QuerySet[Intake]:
    return qs.filter(received_on__lte=day)


def distributions_until(qs: QuerySet[Distribution], day: dt.date) -> QuerySet[Distribution]:
    return qs.filter(dispatched_on__lte=day)


def moves_until(qs: QuerySet[StockMove], day: dt.date) -> QuerySet[StockMove]:
    return qs.filter(moved_on__lte=day)


def open_needs(qs: QuerySet[Need], day: dt.date) -> QuerySet[Need]:
    return qs.filter(status=NeedStatus.OPEN, raised_on__lte=day)


def unsigned(qs: QuerySet[Distribution], day: dt.date | None = None) -> QuerySet[Distribution]:
    """Distributions with no receipt (signed by the end of ``day``, when given)."""
    receipts = Receipt.objects.filter(distribution=OuterRef("pk"))
    if day is not None:
        from fangkong.returnees.selectors import end_of_day

        receipts = receipts.filter(signed_at__lt=end_of_day(day))
        qs = qs.filter(dispatched_on__lte=day)
    return qs.filter(~Exists(receipts))


def donors_until(qs: QuerySet[Donor], day: dt.date) -> QuerySet[Donor]:
    """Donors who had given something by ``day``."""
    return qs.filter(Exists(Intake.objects.filter(donor=OuterRef("pk"), received_on__lte=day)))


def figures(*, intakes: QuerySet[Intake], distributions: QuerySet[Distribution], moves: QuerySet[StockMove],
            needs: QuerySet[Need], donors: QuerySet[Donor], day: dt.date) -> dict[str, Any]:
    from .choices import DonorKind

    given = donors_until(donors, day)
    return {
        "donor_departments": given.filter(kind=DonorKind.DEPARTMENT).count(),
        "donors": given.count(),
        "received": quantities_by_item(intakes_until(intakes, day)),
        "distributed": quantities_by_item(distributions_until(distributions, day)),
        "in_stock": quantities_by_item(moves_until(moves, day)),
        "needs_open": open_needs(needs, day).count(),
        "receipts_unsigned": unsigned(distributions, day).count(),
    }


def trace_of_intake(intake: Intake) -> list[TraceLink]:
    """Where every unit of an intake went (distributions and write-offs), oldest first."""
    return list(intake.traces.select_related("distribution__to_unit", "adjustment").order_by("id"))


def trace_of_distribution(distribution: Distribution) -> list[TraceLink]:
    """Which intakes (donors) a distribution came from."""
    return list(distribution.traces.select_related("intake__donor").order_by("id"))


def stock_card(moves: QuerySet[StockMove], store_id: int, item_id: int) -> QuerySet[StockMove]:
    return moves.filter(store_id=store_id, item_id=item_id).order_by("id")


def stock_now(item: Item, qs: QuerySet[Any]) -> Decimal:
    return qs.filter(item=item).aggregate(t=Sum("balance"))["t"] or Decimal(0)
