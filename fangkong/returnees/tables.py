"""Columns of the ledger, shared by the page export, the CLI export and the API. The headers are
the ledger template's, so an export can be edited and imported again.

Rows are read as plain values (one query, no model instances): exports of 100,000 rows are
bound by the writer, not by the ORM.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, DateTimeField, F, Func, Value, When
from django.db.models.functions import Coalesce, Concat, Left, Right
from django.utils import timezone

from fangkong.core.ahead import ahead, blocks
from fangkong.core.excel import BLOCK, ColumnBlocks
from fangkong.core.idcard import mask_id_number, mask_phone

from .choices import Category, Line

HEADERS = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式",
           "返回日期", "调度线", "单位报告时间", "社区登记时间", "备注"]
# Joins the columns of an exported row in the query (a control character no text cell keeps).
SEPARATOR = "\x01"
FIELDS = ("name", "id_number", "sex", "phone", "unit__name", "community__name", "address", "category",
          "origin_text", "transport", "return_date", "line", "unit_reported_at", "community_reported_at", "notes")


def export_rows(qs: Any, *, clear: bool) -> tuple[list[str], Iterable[Any]]:
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


def _rows_in_sql(qs: Any, *, clear: bool, categories: dict[str, str], lines: dict[str, str]) -> ColumnBlocks:
    """PostgreSQL: every column made text by the query itself (labels, masks, local times), so that
    the rows go to the writer as the driver returns them, with no Python code per row. (Loading
    200,000 timestamptz values into aware datetimes alone runs Django's time zone loader per value.)
    The masks are mask_id_number's and mask_phone's for the 18-digit numbers and 11-digit phones
    the ledger holds.

    Each row comes as one text, its columns joined by U+0001 (which the writer drops anyway: XML
    cannot carry it), and a block of rows is cut into columns by one split: the driver makes one
    Python string per row rather than one per cell. The next block is fetched (and made text by
    the server) while the writer converts this one."""
    zone = timezone.get_current_timezone_name()
    blank = Value("")
    columns: list[Any] = [
        F("name"),
        F("id_number") if clear else Concat(Left("id_number", 6), Value("*" * 8), Right("id_number", 4)),
        Case(When(sex="M", then=Value("男")), default=Value("女")),
        F("phone") if clear else Case(
            When(phone="", then=blank), default=Concat(Left("phone", 3), Value("****"), Right("phone", 4))),
        F("unit__name"),
        F("community__name"),
        F("address"),
        Case(*[When(category=value, then=Value(label)) for value, label in categories.items()], default=F("category")),
        F("origin_text"),
        F("transport"),
        Func(F("return_date"), Value("YYYY-MM-DD"), function="to_char", output_field=CharField()),
        Case(*[When(line=value, then=Value(label)) for value, label in lines.items()], default=blank),
        _local_minute("unit_reported_at", zone),
        _local_minute("community_reported_at", zone),
        F("notes"),
    ]
    parts = [Func(Coalesce(column, blank), Value(SEPARATOR), blank, function="replace", output_field=CharField())
             for column in columns]
    joined = Func(Value(SEPARATOR), *parts, function="concat_ws", output_field=CharField())
    width = len(columns)

    def cut(block: list[str]) -> list[Sequence[Any]]:
        cells = SEPARATOR.join(block).split(SEPARATOR)
        return [cells[i::width] for i in range(width)]

    def column_blocks() -> Iterator[list[Sequence[Any]]]:
        # In a transaction the server makes each block when it is fetched, while the writer
        # converts the one before; outside one, Django declares the cursor WITH HOLD and the
        # server makes every row before the first is sent. (This generator runs in the writer's
        # thread, so the transaction is that thread's connection's.)
        with transaction.atomic(using=qs.db, savepoint=False):
            rows = qs.values_list(joined, flat=True).iterator(chunk_size=BLOCK)
            yield from ahead(map(cut, blocks(rows, BLOCK)), first_here=True)

    return ColumnBlocks(column_blocks())


def _local_minute(field: str, zone: str) -> Func:
    """PostgreSQL: a timestamp as 'YYYY-MM-DD HH:MM' in ``zone`` (NULL stays NULL)."""
    local = Func(Value(zone), F(field), function="timezone", output_field=DateTimeField())
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())
