"""The public disclosure (公示) as data, cached.

The page and its xlsx are read from the cache under a version key; every write that changes what
the public list shows bumps the version (``services`` call ``bump`` when their transaction
commits), so the next request builds it once and every request after it is answered from memory
without a query. The cache entries also expire after ``TTL`` seconds, so that processes that do
not share a cache (Django's default per-process memory cache) see another process's writes within
that time; with a shared cache (``CACHES``) the bump reaches every process at once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.core.cache import cache

VERSION_KEY = "donations:public:version"
TTL = 60


def version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        value = 1
        cache.add(VERSION_KEY, value, None)
    return int(value)


def bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def disclosure() -> dict[str, Any]:
    """What the public page shows, from the cache (built once per version)."""
    key = f"donations:public:{version()}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, TTL)
    return data  # type: ignore[no-any-return]


def build() -> dict[str, Any]:
    """Every donation (the donor's public name or 匿名), every distribution (receiving unit, signed
    by which role), totals per item and the stock now. No personal data beyond a donor's chosen
    display name."""
    from .models import Distribution, Intake, Item, Receipt, StockBalance
    from .services import fmt

    items = {i.pk: i for i in Item.objects.select_related("measure")}
    donations = [
        {"date": r.received_on.isoformat(), "donor": r.donor.shown_name if r.donor else "采购",
         "item": r.item.name, "quantity": fmt(r.quantity), "unit": r.item.measure.name, "number": r.number}
        for r in Intake.objects.select_related("donor", "item__measure").order_by("received_on", "id")
    ]
    signed: dict[int, Receipt] = {}
    for done in Receipt.objects.order_by("signed_at", "id"):
        signed[done.distribution_id] = done  # a correction, later, replaces what was signed
    distributions = []
    for d in Distribution.objects.select_related("to_unit", "item__measure").order_by("dispatched_on", "id"):
        receipt = signed.get(d.pk)
        distributions.append({
            "date": d.dispatched_on.isoformat(), "unit": d.to_unit.name, "item": d.item.name,
            "quantity": fmt(d.quantity), "unit_of_measure": d.item.measure.name, "number": d.number,
            "signed_by": receipt.signer_role if receipt else "",
            "received": fmt(receipt.quantity_received) if receipt else "",
        })
    totals: dict[int, dict[str, Decimal]] = {pk: {"in": Decimal(0), "out": Decimal(0), "stock": Decimal(0)}
                                             for pk in items}
    for r in Intake.objects.values("item_id", "quantity"):
        totals[r["item_id"]]["in"] += r["quantity"]
    for out in Distribution.objects.values("item_id", "quantity"):
        totals[out["item_id"]]["out"] += out["quantity"]
    for b in StockBalance.objects.values("item_id", "balance"):
        totals[b["item_id"]]["stock"] += b["balance"]
    rows = [
        {"item": items[pk].name, "unit": items[pk].measure.name, "received": fmt(t["in"]),
         "distributed": fmt(t["out"]), "in_stock": fmt(t["stock"])}
        for pk, t in totals.items() if t["in"] or t["out"] or t["stock"]
    ]
    data = {"donations": donations, "distributions": distributions, "totals": rows,
            "donors": len({d["donor"] for d in donations if d["donor"] != "采购"})}
    data["etag"] = hashlib.sha256(repr(data).encode()).hexdigest()[:32]
    return data


def workbook() -> bytes:
    """The public list as xlsx, from the cache (built once per version)."""
    key = f"donations:public:xlsx:{version()}"
    content = cache.get(key)
    if content is None:
        content = build_workbook(disclosure())
        cache.set(key, content, TTL)
    return content  # type: ignore[no-any-return]


def build_workbook(data: dict[str, Any]) -> bytes:
    from fangkong.core.excel import write_xlsx

    headers = ["类别", "日期", "捐赠方/接收单位", "物资", "数量", "单位", "单号", "签收"]
    rows: list[list[Any]] = [["捐赠", d["date"], d["donor"], d["item"], d["quantity"], d["unit"], d["number"], ""]
                             for d in data["donations"]]
    rows += [["发放", d["date"], d["unit"], d["item"], d["quantity"], d["unit_of_measure"], d["number"],
              d["signed_by"] or "待签收"] for d in data["distributions"]]
    rows += [["合计", "", f"收{t['received']} 发{t['distributed']} 存{t['in_stock']}", t["item"], t["in_stock"],
              t["unit"], "", ""] for t in data["totals"]]
    content, _count = write_xlsx(headers, rows, sheet="捐赠物资公示")
    return content
