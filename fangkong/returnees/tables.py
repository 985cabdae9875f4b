"""Columns of the ledger, shared by the page export, the CLI export and the API. The headers are
the ledger template's, so an export can be edited and imported again.

Rows are read as plain values (one query, no model instances): exports of 100,000 rows are
bound by the writer, not by the ORM.
"""

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connections, transaction
from django.db.models import Case, CharField, DateTimeField, F, Func, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from fangkong.core.ahead import ahead, blocks
from fangkong.core.excel import BLOCK, ColumnBlocks
from fangkong.core.fieldcrypt import unseal

from .choices import Category, Line

HEADERS = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式",
           "返回日期", "调度线", "单位报告时间", "社区登记时间", "备注"]
# Joins the columns of an exported row in the query (a control character no text cell keeps).
SEPARATOR = "\x01"
STAMPS = ("unit_reported_at", "community_reported_at")
FREE_TEXT = {"姓名", "工作单位", "居住社区", "居住地址", "来源地", "交通方式", "备注"}


def export_rows(qs: Any, *, clear: bool) -> tuple[list[str], ColumnBlocks]:
    """The export's headers and rows (ID and phone masked unless ``clear``), every column made text
    by the query itself: labels, dates and, on PostgreSQL, local times. So the rows go to the
    writer as the driver returns them, with no Python code per row or per cell. (Loading 200,000
    timestamps into aware datetimes alone runs Django's time zone code per value.) The masks are
    the ones stored with each record (core.idcard, the one statement of them); only a ``clear``
    export, for a role that may reveal, opens the sealed numbers, column by column.

    Each row comes as one text, its columns joined by U+0001 (which the writer drops anyway: XML
    cannot carry it), and a block of rows is cut into columns by one split: the driver makes one
    Python string per row rather than one per cell. The next block is fetched while the writer
    converts this one."""
    postgres = connections[qs.db].vendor == "postgresql"
    zone = timezone.get_current_timezone_name()
    blank = Value("")
    columns: list[Any] = [
        F("name"),
        F("id_cipher") if clear else F("id_masked"),
        Case(When(sex="M", then=Value("男")), default=Value("女")),
        F("phone_cipher") if clear else F("phone_masked"),
        F("unit__name"),
        F("community__name"),
        F("address"),
        Case(*[When(category=c.value, then=Value(str(c.label))) for c in Category], default=F("category")),
        F("origin_text"),
        F("transport"),
        # SQLite keeps dates as ISO text already, and timestamps as UTC text, made local below.
        Func(F("return_date"), Value("YYYY-MM-DD"), function="to_char", output_field=CharField()) if postgres
        else Cast("return_date", CharField()),
        Case(*[When(line=c.value, then=Value(str(c.label))) for c in Line], default=blank),
        *[_local_minute(name, zone) if postgres else Cast(name, CharField()) for name in STAMPS],
        F("notes"),
    ]
    # Free text may hold anything; the other columns are validated numbers, dates and our labels.
    parts = [
        Func(Coalesce(column, blank), Value(SEPARATOR), blank, function="replace", output_field=CharField())
        if header in FREE_TEXT else Coalesce(column, blank)
        for header, column in zip(HEADERS, columns, strict=True)
    ]
    # One flat ||: Concat nests a pair per argument, deeper than SQLite's parser goes for 29.
    joined = Func(*itertools.chain.from_iterable((part, Value(SEPARATOR)) for part in parts[:-1]), parts[-1],
                  arg_joiner=" || ", template="(%(expressions)s)", output_field=CharField())
    width = len(columns)
    stamps = [] if postgres else [HEADERS.index(header) for header in ("单位报告时间", "社区登记时间")]
    sealed = [(HEADERS.index("身份证号"), "id_number"), (HEADERS.index("联系电话"), "phone")] if clear else []
    tz = timezone.get_current_timezone()

    def local(text: str) -> str:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def cut(block: list[str]) -> list[Sequence[Any]]:
        cells = SEPARATOR.join(block).split(SEPARATOR)
        if len(cells) != width * len(block):  # never shift a column: the other columns are validated
            raise ValueError("an exported value outside the free-text columns holds U+0001")
        result: list[Sequence[Any]] = [cells[i::width] for i in range(width)]
        for i in stamps:  # rows imported together share their timestamps: each is made local once
            memo = {text: local(text) if text else "" for text in set(result[i])}
            result[i] = list(map(memo.__getitem__, result[i]))
        for i, purpose in sealed:
            result[i] = unseal(result[i], purpose)
        return result

    def column_blocks() -> Iterator[list[Sequence[Any]]]:
        # In a transaction PostgreSQL makes each block when it is fetched, while the writer
        # converts the one before; outside one, Django declares the cursor WITH HOLD and the
        # server makes every row before the first is sent. (This generator runs in the writer's
        # thread, so the transaction is that thread's connection's.)
        with transaction.atomic(using=qs.db, savepoint=False):
            rows = map(cut, blocks(qs.values_list(joined, flat=True).iterator(chunk_size=BLOCK), BLOCK))
            # SQLite's driver takes the GIL back for every row: a fetching thread would only slow the writer.
            yield from ahead(rows, first_here=True) if postgres else rows

    return list(HEADERS), ColumnBlocks(column_blocks())


def _local_minute(field: str, zone: str) -> Func:
    """PostgreSQL: a timestamp as 'YYYY-MM-DD HH:MM' in ``zone`` (NULL stays NULL)."""
    local = Func(Value(zone), F(field), function="timezone", output_field=DateTimeField())
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())
