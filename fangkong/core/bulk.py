"""Fast inserts of many rows as plain tuples: COPY on PostgreSQL, executemany elsewhere.

Used where building a model instance per row would cost more than the write itself (ledger
imports of 100,000 rows). Callers pass database-ready values in ``columns`` order.

Values are converted column by column: a column's type is looked at once, and a column that
repeats a few values (a timestamp, a unit id, a category) converts each distinct value once.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models

BATCH = 5000
# What json.dumps(value, ensure_ascii=False) returns, without building an encoder per value.
_JSON = json.JSONEncoder(ensure_ascii=False).encode


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                while batch := list(islice(iterator, BATCH)):
                    copy.write(copy_text(batch, len(columns)))
                    count += len(batch)
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        while batch := list(islice(iterator, BATCH)):
            adapted = [_sqlite_column(column) for column in zip(*batch, strict=True)]
            cursor.executemany(sql, list(zip(*adapted, strict=True)))
            count += len(batch)
    return count


def insert_columns(model: type[models.Model], columns: dict[str, Sequence[Any]]) -> int:
    """insert_rows for data held column by column (a list of values per column name, all of one
    length): the rows are never built as tuples in Python code.

    On PostgreSQL, columns whose values are all of their field's Python type (int, str, date,
    aware datetime, bool, or None) go in COPY's binary format, each row encoded by psycopg's C
    code: less work on both sides than building and parsing text. Anything else goes as COPY text,
    each column converted in one go."""
    if not columns:
        return 0
    count = len(next(iter(columns.values())))
    if not count:
        return 0
    if connection.vendor != "postgresql":
        return insert_rows(model, list(columns), zip(*columns.values(), strict=True))
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    types = _binary_types(model, columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        if types is not None:
            with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:  # type: ignore[attr-defined]
                copy.set_types(types)
                write = copy.write_row
                for row in zip(*columns.values(), strict=True):
                    write(row)
            return count
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for start in range(0, count, BATCH * 4):
                texts = [_copy_column(column[start : start + BATCH * 4]) for column in columns.values()]
                copy.write("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n")
    return count


# PostgreSQL type (as psycopg names it for binary COPY) and the Python type its values must have,
# per Django field type. Text types all travel as text: the server reads varchar the same way.
_BINARY = {
    "AutoField": ("int4", int),
    "BigAutoField": ("int8", int),
    "IntegerField": ("int4", int),
    "BigIntegerField": ("int8", int),
    "PositiveIntegerField": ("int4", int),
    "SmallIntegerField": ("int2", int),
    "PositiveSmallIntegerField": ("int2", int),
    "CharField": ("text", str),
    "TextField": ("text", str),
    "DateField": ("date", dt.date),
    "DateTimeField": ("timestamptz", dt.datetime),
    "BooleanField": ("bool", bool),
}


# Subclasses that would be written as something else: a bool is not an int, nor a datetime a date.
_NOT_A = {int: bool, dt.date: dt.datetime}


def _binary_types(model: type[models.Model], columns: dict[str, Sequence[Any]]) -> list[str] | None:
    """The binary COPY type of each column, or None when a column's values do not all have the
    Python type that type needs (binary COPY has no text fallback per value)."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    types = []
    for name, column in columns.items():
        field = fields.get(name)
        if field is None:
            return None
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        kind = _BINARY.get(target.get_internal_type())
        if kind is None:
            return None
        pg_type, python_type = kind
        present = set(map(type, column)) - {type(None)}
        excluded = _NOT_A.get(python_type)
        if not all(issubclass(kind, python_type) and kind is not excluded for kind in present):
            return None  # (a str subclass, such as a TextChoices member, is text)
        if python_type is dt.datetime and any(value.tzinfo is None for value in set(column) - {None}):
            return None
        types.append(pg_type)
    return types


def copy_text(rows: Sequence[Sequence[Any]], width: int) -> str:
    """Rows in PostgreSQL's COPY text format, one line each (building whole lines column by column
    is many times faster than psycopg's per-row adaptation)."""
    if not rows:
        return ""
    texts = [_copy_column(column) for column in zip(*rows, strict=True)] if width else []
    return "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"



def _escape(text: str) -> str:
    # str.replace scans in C; str.translate with a table goes character by character through a
    # dict for any text that is not ASCII (all of ours).
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text



def _copy_column(column: Sequence[Any]) -> list[str]:
    kinds = set(map(type, column))
    if kinds == {str}:
        joined = "\x00".join(column)
        # A value holding NUL cannot go through the joined string (PostgreSQL refuses it anyway).
        if joined.count("\x00") == len(column) - 1:
            return _escape(joined).split("\x00")
    if kinds == {int}:
        return list(map(str, column))
    return _convert(column, _copy_value)


def _convert(column: Sequence[Any], func: Callable[[Any], Any]) -> list[Any]:
    """func applied to each value; to each distinct value once where the column repeats itself."""
    if bool in set(map(type, column)):
        return list(map(func, column))  # True == 1 would share a memo slot with 1
    try:
        distinct = set(column)
    except TypeError:  # dicts and lists (JSON values) are not hashable
        return list(map(func, column))
    if len(distinct) * 4 > len(column):
        return list(map(func, column))
    memo = {value: func(value) for value in distinct}
    return list(map(memo.__getitem__, column))


def _copy_value(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return _escape(_JSON(value))
    return _escape(str(value))


_SQLITE_AS_IS = {str, int, float, bool, type(None)}


def _sqlite_column(column: Sequence[Any]) -> Sequence[Any]:
    if set(map(type, column)) <= _SQLITE_AS_IS:
        return column  # the driver takes these as they are
    return _convert(column, _sqlite_value)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, (dict, list)):
        return _JSON(value)
    return value
