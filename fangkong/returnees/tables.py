"""Columns of the ledger, shared by the page, the xlsx export and the CLI export. The headers
are the ledger template's, so an export can be edited and imported again."""

from collections.abc import Callable, Iterator
from typing import Any

from django.utils.timezone import localtime

from .models import Returnee

Column = tuple[str, Callable[[Returnee, bool], Any]]


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


COLUMNS: list[Column] = [
    ("姓名", lambda r, clear: r.name),
    ("身份证号", lambda r, clear: r.id_number if clear else r.masked_id_number),
    ("性别", lambda r, clear: "男" if r.sex == "M" else "女"),
    ("联系电话", lambda r, clear: r.phone if clear else r.masked_phone),
    ("工作单位", lambda r, clear: r.unit.name if r.unit else ""),
    ("居住社区", lambda r, clear: r.community.name if r.community else ""),
    ("居住地址", lambda r, clear: r.address),
    ("人员类别", lambda r, clear: r.get_category_display()),
    ("来源地", lambda r, clear: r.origin_text),
    ("交通方式", lambda r, clear: r.transport),
    ("返回日期", lambda r, clear: _date(r.return_date)),
    ("调度线", lambda r, clear: r.get_line_display() if r.line else ""),
    ("单位报告时间", lambda r, clear: localtime(r.unit_reported_at).strftime("%Y-%m-%d %H:%M")
     if r.unit_reported_at else ""),
    ("社区登记时间", lambda r, clear: localtime(r.community_reported_at).strftime("%Y-%m-%d %H:%M")
     if r.community_reported_at else ""),
    ("备注", lambda r, clear: r.notes),
]


def export_rows(qs: Any, *, clear: bool) -> tuple[list[str], Iterator[list[Any]]]:
    headers = [label for label, _fn in COLUMNS]
    rows = ([fn(r, clear) for _label, fn in COLUMNS] for r in qs.select_related("unit", "community").iterator(
        chunk_size=5000))
    return headers, rows
