"""Snapshots of closed days (快照): a line's panel computed once for a scope at a moment of a
business day that is over, stored in ``command.Snapshot`` and read again by every later picture
that shows that moment (as its as-of moment, in its trend, or as the day before for the change).

What is kept: the panel exactly as the line computed it (figures with their links, alerts, the
briefing sentence, the breakdown), per line, scope (role and units), language and moment. Only a
moment of a day before the business clock's today is kept; today's figures, and any moment of
today, are always computed from the records.

Why it cannot go stale: while a line computes a panel, every SQL statement it runs is watched and
the tables it reads are stored with the snapshot. Any later save or delete of a row of such a
table (``post_save``/``post_delete``, for every model of every app: a line registered by any app
is covered without doing anything) deletes the snapshots that read the table from the earliest
business date of the row on: the smallest of its date and date-time fields, as saved and as
loaded before the change (a backdated record, a correction, a record moved to another unit or
community all carry the dates since when they count). A row without any business date (the
organisation tree's closure table, a unit without opening date) deletes them all. A row dated
today or later cannot change a closed day: nothing is deleted.

This rests on one rule that every panel keeps: a row counts as of a moment only through its
business dates (``created_at <= at`` style filters), so a row all of whose dates are after a day
cannot change that day's figures. Bulk writes that bypass the model signals (``QuerySet.update``,
``bulk_create``, raw SQL) and change a closed day must call ``invalidate`` themselves; imports
write rows dated at the moment of the import, which no closed day counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, models
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from fangkong.core import clock

_TABLE = re.compile(r'(?:FROM|JOIN)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)
# Tables some snapshot read, seen by this process; a write elsewhere costs nothing. Seeded with
# the tables of every app that owns a line or contributes to one, the tree and the clock, so that
# a process that never computed a picture (a worker, an import) still invalidates.
WATCHED: set[str] = set()
_seeded = False
_LOADED = "_command_dates_loaded"


def _seed() -> None:
    global _seeded
    from django.apps import apps

    if _seeded or not apps.ready:
        return

    from .registry import CONTRIBUTIONS, LINES

    labels = {"orgs", "core", "people"}
    functions: list[Callable[..., Any]] = [line.panel for line in LINES.values() if line.panel is not None]
    functions += [c for contributions in CONTRIBUTIONS.values() for c in contributions]
    for function in functions:
        config = apps.get_containing_app_config(getattr(function, "__module__", "") or "")
        if config is not None:
            labels.add(config.label)
    for label in labels - {"command"}:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        WATCHED.update(model._meta.db_table for model in config.get_models())
    _seeded = True


_READING: ContextVar[tuple[set[str], ...]] = ContextVar("command_reading", default=())


@contextmanager
def reading() -> Iterator[set[str]]:
    """The tables read by the statements run inside the block (and by the shared values it used)."""
    tables: set[str] = set()

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        tables.update(_TABLE.findall(sql))
        return execute(sql, params, many, context)

    token = _READING.set((*_READING.get(), tables))
    try:
        with connection.execute_wrapper(watch):
            yield tables
    finally:
        _READING.reset(token)
    tables.discard("command_snapshot")
    WATCHED.update(tables)


def note(tables: set[str]) -> None:
    """Count ``tables`` as read by every block being watched (a shared value read from memory)."""
    for watched in _READING.get():
        watched.update(tables)


def read(scope: str, language: str, moments: Iterable[dt.datetime], lines: Iterable[str]) -> dict[tuple[str, dt.datetime], dict[str, Any]]:
    """The snapshots kept for these moments and lines (one query)."""
    from .models import Snapshot

    moments, lines = list(moments), list(lines)
    if not moments or not lines:
        return {}
    rows = Snapshot.objects.filter(scope=scope, language=language, at__in=moments, line__in=lines)
    return {(row.line, row.at): row.data for row in rows.only("line", "at", "data")}


def store(items: list[tuple[str, str, str, dt.datetime, set[str], dict[str, Any]]]) -> None:
    """Keep panels of closed moments: (line, scope, language, moment, tables read, panel)."""
    from .models import Snapshot

    today = clock.today()
    now = clock.real_now()
    rows = []
    for line, scope, language, at, tables, data in items:
        day = business_day(at)
        if day >= today:  # never what can still change
            continue
        rows.append(Snapshot(line=line, scope=scope, language=language, at=at, day=day,
                             tables="," + ",".join(sorted(tables)) + ",", data=data, computed_at=now))
    if rows:
        Snapshot.objects.bulk_create(rows, ignore_conflicts=True)


def business_day(at: dt.datetime) -> dt.date:
    """The day a moment belongs to; 24:00 belongs to the day that ends then (as ``AsOf.day``)."""
    return timezone.localtime(at - dt.timedelta(microseconds=1)).date()


def invalidate(day: dt.date | None = None, table: str | None = None) -> int:
    """Delete the snapshots of ``day`` and later (None: all) that read ``table`` (None: any).
    For writers that bypass the model signals."""
    from .models import Snapshot

    qs = Snapshot.objects.all()
    if day is not None:
        qs = qs.filter(day__gte=day)
    if table is not None:
        qs = qs.filter(tables__contains=f",{table},")
    return qs._raw_delete(qs.db)  # type: ignore[attr-defined]


def _date_fields(model: type[models.Model]) -> list[models.DateField]:
    cached = model.__dict__.get("_command_date_fields")
    if cached is None:
        cached = [f for f in model._meta.concrete_fields if isinstance(f, models.DateField)
                  and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)]
        model._command_date_fields = cached  # type: ignore[attr-defined]
    return cached


def _earliest(instance: models.Model) -> dt.date | None:
    """The smallest business date the row holds (None: it holds none)."""
    days = []
    for field in _date_fields(type(instance)):
        value = instance.__dict__.get(field.attname)
        if isinstance(value, dt.datetime):
            days.append(timezone.localtime(value).date() if timezone.is_aware(value) else value.date())
        elif isinstance(value, dt.date):
            days.append(value)
    return min(days) if days else None


def _watched(sender: Any) -> bool:
    if not _seeded:
        _seed()
    meta = getattr(sender, "_meta", None)
    return meta is not None and meta.db_table in WATCHED


def _loaded(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    if _watched(sender):
        instance.__dict__[_LOADED] = (_earliest(instance),) if instance.pk is not None else None


def _changed(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or not _watched(sender):
        return
    days = [_earliest(instance)]
    loaded = instance.__dict__.get(_LOADED)
    if loaded is not None:
        days.append(loaded[0])
    if None in days:
        first = None
    else:
        first = min(d for d in days if d is not None)
        if first >= clock.today():
            return
    invalidate(first, sender._meta.db_table)
    instance.__dict__[_LOADED] = (_earliest(instance),)


def connect() -> None:
    post_init.connect(_loaded, dispatch_uid="command_snapshot_loaded")
    post_save.connect(_changed, dispatch_uid="command_snapshot_saved")
    post_delete.connect(_changed, dispatch_uid="command_snapshot_deleted")
