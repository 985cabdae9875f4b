"""Fast inserts of many rows as plain tuples: COPY on PostgreSQL, executemany elsewhere.

Used where building a model instance per row would cost more than the write itself (ledger
imports of 100,000 rows). Callers pass database-ready values in ``columns`` order.
"""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                lines: list[str] = []
                for row in rows:
                    lines.append("\t".join([_copy_text(v) for v in row]))
                    if len(lines) >= 5000:
                        copy.write("\n".join(lines) + "\n")
                        count += len(lines)
                        lines = []
                if lines:
                    copy.write("\n".join(lines) + "\n")
                    count += len(lines)
            return count
        ops = connection.ops

        def adapt(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                return ops.adapt_datetimefield_value(value)
            if isinstance(value, dt.date):
                return ops.adapt_datefield_value(value)
            if isinstance(value, (dict, list)):
                return json.dumps(value, ensure_ascii=False)
            return value

        batch: list[Sequence[Any]] = []
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        for row in rows:
            batch.append([adapt(v) for v in row])
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format (writing whole lines is several times faster
    than psycopg's per-row adaptation)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)
