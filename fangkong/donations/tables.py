"""The columns of each list, shared by its xlsx export (rows read through the page's FilterSet)."""

from __future__ import annotations

from typing import Any

from .services import fmt


def donor_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["捐赠方", "类别", "公示名称", "联系方式", "证书编号"]
    return headers, [[d.name, d.get_kind_display(), d.shown_name, d.contact if clear else "", d.certificate_number or ""]
                     for d in qs.select_related(None)]


def pledge_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["捐赠方", "物资", "认捐数量", "单位", "认捐日期", "预计到货"]
    return headers, [[p.donor.name, p.item.name, fmt(p.quantity), p.item.measure.name, p.pledged_on,
                      p.expected_on or ""] for p in qs.select_related("donor", "item__measure")]


def lead_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["供应方", "物资", "单价（元）", "可供数量", "单位", "联系方式", "提供人单位", "提供日期"]
    return headers, [[x.supplier, x.item.name, x.price, fmt(x.quantity_available), x.item.measure.name, x.contact,
                      x.unit.name, x.offered_on] for x in qs.select_related("item__measure", "unit")]


def intake_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["入库单号", "来源", "捐赠方", "物资", "数量", "单位", "仓库", "入库日期", "接收人", "尚未发出"]
    return headers, [[i.number, i.get_source_display(), i.donor.name if i.donor else "", i.item.name, fmt(i.quantity),
                      i.item.measure.name, i.store.name, i.received_on, i.received_by, fmt(i.remaining)]
                     for i in qs.select_related("donor", "item__measure", "store")]


def need_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["需求单位", "物资", "数量", "单位", "需要日期", "用途", "状态", "提出日期"]
    return headers, [[n.unit.name, n.item.name, fmt(n.quantity), n.item.measure.name, n.needed_by or "", n.reason,
                      n.get_status_display(), n.raised_on] for n in qs.select_related("unit", "item__measure")]


def distribution_rows(qs: Any, *, clear: bool) -> tuple[list[str], list[list[Any]]]:
    headers = ["运单号", "发放日期", "接收单位", "物资", "数量", "单位", "仓库", "承运人", "车辆", "状态"]
    return headers, [[d.number, d.dispatched_on, d.to_unit.name, d.item.name, fmt(d.quantity), d.item.measure.name,
                      d.store.name, d.carrier, d.vehicle, d.get_status_display()]
                     for d in qs.select_related("to_unit", "item__measure", "store")]
