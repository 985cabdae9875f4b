"""Columns of the ledger, shared by the page export, the CLI export and the API. The headers are
the ledger template's, so an export can be edited and imported again.

Rows are read as plain values (one query, no model instances): exports of 100,000 rows are
bound by the writer, not by the ORM.
"""

import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, DateTimeField, F, Func, Value, When
from django.db.models.functions import Coalesce, Concat, Left, Right
from django.utils import timezone

from fangkong.core.idcard import mask_id_number, mask_phone

from .choices import Category, Line

HEADERS = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式",
           "返回日期", "调度线", "单位报告时间", "社区登记时间", "备注"]
FIELDS = ("name", "id_number", "sex", "phone", "unit__name", "community__name", "address", "category",
          "origin_text", "transport", "return_date", "line", "unit_reported_at", "community_reported_at", "notes")


def export_rows(qs: Any, *, clear: bool) -> tuple[list[str], Iterator[Any]]:
    tz = timezone.get_current_timezone()
    categories = {c.value: str(c.label) for c in Category}
    lines = {c.value: str(c.label) for c in Line}

    # Rows imported together share their timestamps: each distinct one is formatted once.
    @functools.lru_cache(maxsize=4096)
    def stamp(value: dt.datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    if connection.vendor == "postgresql":
        return list(HEADERS), _rows_in_sql(qs, clear=clear, categories=categories, lines=lines)

    def rows() -> Iterator[list[Any]]:
        for (name, number, sex, phone, unit, community, address, category, origin, transport, returned, line,
             unit_at, community_at, notes) in qs.values_list(*FIELDS).iterator(chunk_size=5000):
            yield [
                name, number if clear else mask_id_number(number), "男" if sex == "M" else "女",
                (phone if clear else mask_phone(phone)) if phone else "", unit or "", community or "", address,
                categories.get(category, category), origin, transport, returned.isoformat() if returned else "",
                lines.get(line, ""), stamp(unit_at), stamp(community_at), notes,
            ]

    return list(HEADERS), rows()


def _rows_in_sql(qs: Any, *, clear: bool, categories: dict[str, str], lines: dict[str, str]) -> Iterator[Any]:
    """PostgreSQL: every column made text by the query itself (labels, masks, local times), so that
    the rows go to the writer as the driver returns them, with no Python code per row. (Loading
    200,000 timestamptz values into aware datetimes alone runs Django's time zone loader per value.)
    The masks are mask_id_number's and mask_phone's for the 18-digit numbers and 11-digit phones
    the ledger holds."""
    zone = timezone.get_current_timezone_name()
    blank = Value("")
    columns: list[Any] = [
        "name",
        F("id_number") if clear else Concat(Left("id_number", 6), Value("*" * 8), Right("id_number", 4)),
        Case(When(sex="M", then=Value("男")), default=Value("女")),
        F("phone") if clear else Case(
            When(phone="", then=blank), default=Concat(Left("phone", 3), Value("****"), Right("phone", 4))),
        Coalesce("unit__name", blank),
        Coalesce("community__name", blank),
        "address",
        Case(*[When(category=value, then=Value(label)) for value, label in categories.items()], default=F("category")),
        "origin_text",
        "transport",
        Coalesce(Func(F("return_date"), Value("YYYY-MM-DD"), function="to_char", output_field=CharField()), blank),
        Case(*[When(line=value, then=Value(label)) for value, label in lines.items()], default=blank),
        Coalesce(_local_minute("unit_reported_at", zone), blank),
        Coalesce(_local_minute("community_reported_at", zone), blank),
        "notes",
    ]
    return qs.values_list(*columns).iterator(chunk_size=5000)  # type: ignore[no-any-return]


def _local_minute(field: str, zone: str) -> Func:
    """PostgreSQL: a timestamp as 'YYYY-MM-DD HH:MM' in ``zone`` (NULL stays NULL)."""
    local = Func(Value(zone), F(field), function="timezone", output_field=DateTimeField())
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())
