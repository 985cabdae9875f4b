"""Snapshots of closed days (快照): a line's panel computed once for a scope at a moment of a
business day that is over, stored in ``command.Snapshot`` and read again by every later picture
that shows that moment (as its as-of moment, in its trend, or as the day before for the change).

What is kept: the panel exactly as the line computed it (figures with their links, alerts, the
briefing sentence, the breakdown), per line, scope (role and units in scope), language and moment.
Only a moment of a day before the business clock's today is kept; today's figures, and any moment
of today, are always computed from the records.

Why it cannot go stale: while a line computes a panel, every SQL statement it runs is watched and
the tables it reads are stored with the snapshot. Every table of the apps that own or contribute
to a line (and of the tree, the people and the business clock: ``watched_tables``) carries a
database trigger that deletes the snapshots that read the table from the earliest business date
of the rows a statement wrote (inserted, updated, before and after, or deleted) on: the smallest
of each row's date and date-time columns, a date-time taken in the platform's time zone. A row
without any business date (the tree's closure table, a unit without opening date) deletes all of
them. Being in the database, the trigger sees every write: a form, the API, an import by COPY, a
bulk update, raw SQL and another process alike. The triggers are taken off while migrations run
(they may drop the columns the triggers read) and put back after each ``migrate``
(``install_triggers``), which then deletes every snapshot, since the migrations wrote without
them. A snapshot that read a table without the trigger is not kept.

This rests on one rule every panel keeps: a row counts as of a moment only through its business
dates (``created_at <= at`` style filters), so a row all of whose dates fall after a day cannot
change that day's figures. One case is not covered: a picture computed while a write to what it
reads is in flight and kept after that write commits (the write's trigger ran before the snapshot
existed); ``invalidate`` deletes snapshots by hand, ``fangkong command_snapshots --clear`` all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, connections, models
from django.utils import timezone

from fangkong.core import clock

_TABLE = re.compile(r'(?:FROM|JOIN)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)
# Apps whose tables every picture may read besides those owning lines (a snapshot that read a
# table of another app, accounts say, is simply not kept).
BASE_APPS = {"orgs", "core", "people"}
_watched: dict[str, type[models.Model]] | None = None


def watched_tables() -> dict[str, type[models.Model]]:
    """The tables whose writes expire snapshots: every model of the apps owning or contributing to a
    line, of the tree, the people and the business clock (found once the apps are ready)."""
    global _watched
    if _watched is not None:
        return _watched
    from django.apps import apps

    from .registry import CONTRIBUTIONS, LINES

    labels = set(BASE_APPS)
    functions: list[Any] = [line.panel for line in LINES.values() if line.panel is not None]
    functions += [c for contributions in CONTRIBUTIONS.values() for c in contributions]
    for function in functions:
        config = apps.get_containing_app_config(getattr(function, "__module__", "") or "")
        if config is not None:
            labels.add(config.label)
    found: dict[str, type[models.Model]] = {}
    for label in sorted(labels - {"command"}):
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.managed and not model._meta.proxy and not getattr(model, "snapshot_exempt", False):
                found[model._meta.db_table] = model
    _watched = found
    return found


def _date_columns(model: type[models.Model], counted: bool = False) -> list[tuple[str, bool]]:
    """(column, is date-time) of the model's business dates (not its auto stamps); ``counted``:
    only those among the columns the whole city's panels count by (``_counted``)."""
    names = _counted(model)
    return [(f.column, isinstance(f, models.DateTimeField)) for f in model._meta.concrete_fields
            if isinstance(f, models.DateField) and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False) and (not counted or names is None or f.column in names)]


def _counted(model: type[models.Model]) -> set[str] | None:
    """The columns the whole city's panels read of a model that declares them with
    ``snapshot_counted`` (field names): a write that changes none of them changes no whole-city
    panel, and only their dates date it (the ledger: a person's second side registered today,
    or a return date, leaves the whole city's closed days as they were). None: every column."""
    names = getattr(model, "snapshot_counted", None)
    if names is None:
        return None
    return {str(getattr(model._meta.get_field(name), "column", name)) for name in names}


def _pg_date(alias: str, column: str, stamp: bool) -> str:
    from django.conf import settings

    return f'({alias}."{column}" AT TIME ZONE \'{settings.TIME_ZONE}\')::date' if stamp else f'{alias}."{column}"'


def _pg_day(alias: str, model: type[models.Model], counted: bool = False) -> str:
    parts = [_pg_date(alias, column, stamp) for column, stamp in _date_columns(model, counted)]
    if not parts:
        return "NULL::date"
    return parts[0] if len(parts) == 1 else f"LEAST({', '.join(parts)})"


def _pg_whole_update(model: type[models.Model]) -> str:
    """For an update, per row whose counted columns changed: the earliest day it changes for the
    whole city (every counted date of both versions when a counted column other than a date
    changed, else the earliest of each changed date's two values)."""
    names = _counted(model)
    assert names is not None
    dates = _date_columns(model, counted=True)
    others = sorted(names - {column for column, _stamp in dates})
    pk = model._meta.pk.column  # type: ignore[union-attr]
    moved = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c in others) or "false"
    changed = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c, _stamp in dates) or "false"
    every = ", ".join(_pg_date(a, c, stamp) for c, stamp in dates for a in ("o", "n")) or "NULL::date"
    each = ", ".join(f'CASE WHEN o."{c}" IS DISTINCT FROM n."{c}" THEN LEAST({_pg_date("o", c, stamp)}, '
                     f'{_pg_date("n", c, stamp)}) END' for c, stamp in dates) or "NULL::date"
    return (f"SELECT CASE WHEN {moved} THEN LEAST({every}) ELSE LEAST({each}) END AS d "
            f'FROM o JOIN n ON o."{pk}" = n."{pk}" WHERE {moved} OR {changed}')


def _sqlite_offset() -> int:
    # Stored in UTC on SQLite: the platform's smallest offset over the year gives the business day
    # or the day before (never a later day).
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    year = clock.real_now().year
    offset = min(dt.datetime(year, month, 1, tzinfo=zone).utcoffset() or dt.timedelta() for month in (1, 7))
    return int(offset.total_seconds() // 60)


def _sqlite_date(alias: str, column: str, stamp: bool) -> str:
    value = f"date({alias}.\"{column}\", '{_sqlite_offset():+d} minutes')" if stamp else f'date({alias}."{column}")'
    return f"coalesce({value}, '9999-12-31')"


def _sqlite_day(alias: str, model: type[models.Model], counted: bool = False) -> str:
    """The row's earliest business day as text; '0000-01-01' (every day) for a row without one."""
    columns = _date_columns(model, counted)
    if not columns:
        return "'0000-01-01'"
    parts = [_sqlite_date(alias, column, stamp) for column, stamp in columns]
    parts += ["'9999-12-31'", "'9999-12-31'"]  # min() of one argument would be the aggregate
    undated = " AND ".join(f'{alias}."{column}" IS NULL' for column, _stamp in columns)
    return f"CASE WHEN {undated} THEN '0000-01-01' ELSE min({', '.join(parts)}) END"


def _sqlite_whole_update(model: type[models.Model]) -> str:
    """``_pg_whole_update`` for one row (OLD, NEW); '9999-12-31' when no counted column changed."""
    names = _counted(model)
    assert names is not None
    dates = _date_columns(model, counted=True)
    others = sorted(names - {column for column, _stamp in dates})
    moved = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in others) or "0"
    each = [f"CASE WHEN OLD.\"{c}\" IS NOT NEW.\"{c}\" THEN min({_sqlite_date('OLD', c, stamp)}, "
            f"{_sqlite_date('NEW', c, stamp)}) ELSE '9999-12-31' END" for c, stamp in dates]
    each += ["'9999-12-31'", "'9999-12-31'"]
    return (f"CASE WHEN {moved} THEN min({_sqlite_day('OLD', model, True)}, {_sqlite_day('NEW', model, True)}) "
            f"ELSE min({', '.join(each)}) END")


def install_triggers(using: str = "default") -> int:
    """(Re)create the expiry trigger of every watched table; returns how many tables carry one."""
    conn = connections[using]
    tables = watched_tables()
    existing = set(conn.introspection.table_names())
    done = 0
    with conn.cursor() as cursor:
        for table, model in tables.items():
            if table not in existing:
                continue
            like = f"%,{table},%"
            counted = _counted(model) is not None
            if conn.vendor == "postgresql":
                for event, rows in (("INSERT", ["n"]), ("UPDATE", ["n", "o"]), ("DELETE", ["o"])):
                    name = f"cmdx_{event[0].lower()}_{table}"[:63]
                    union = " UNION ALL ".join(f"SELECT {_pg_day(r, model)} AS d FROM {r}" for r in rows)
                    # The whole city's snapshots, for a table that names the columns they count.
                    whole = "wundated := undated; wfirst := first;"
                    if counted:
                        source = (_pg_whole_update(model) if event == "UPDATE"
                                  else f"SELECT {_pg_day(rows[0], model, True)} AS d FROM {rows[0]}")
                        whole = f"SELECT min(d), bool_or(d IS NULL) INTO wfirst, wundated FROM ({source}) AS w;"
                    cursor.execute(f"""
                        CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $$
                        DECLARE first date; undated boolean; wfirst date; wundated boolean;
                        BEGIN
                          SELECT min(d), bool_or(d IS NULL) INTO first, undated FROM ({union}) AS rows;
                          IF undated IS NULL THEN RETURN NULL; END IF;
                          {whole}
                          DELETE FROM command_snapshot WHERE tables LIKE '{like}'
                            AND ((NOT whole AND (undated OR day >= first)) OR (whole AND (wundated OR day >= wfirst)));
                          RETURN NULL;
                        END $$""")
                    referencing = " ".join(f"{'NEW' if r == 'n' else 'OLD'} TABLE AS {r}" for r in rows)
                    cursor.execute(f'CREATE OR REPLACE TRIGGER "{name}" AFTER {event} ON "{table}" '
                                   f'REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION "{name}"()')
            elif conn.vendor == "sqlite":
                for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["NEW", "OLD"]), ("DELETE", ["OLD"])):
                    name = f"cmdx_{event[0].lower()}_{table}"
                    days = [_sqlite_day(r, model) for r in rows]
                    first = days[0] if len(days) == 1 else f"min({', '.join(days)})"
                    wfirst = first
                    if counted:
                        wfirst = _sqlite_whole_update(model) if event == "UPDATE" else _sqlite_day(rows[0], model, True)
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                    cursor.execute(f"""
                        CREATE TRIGGER "{name}" AFTER {event} ON "{table}" FOR EACH ROW BEGIN
                          DELETE FROM command_snapshot WHERE tables LIKE '{like}'
                            AND ((NOT whole AND day >= {first}) OR (whole AND day >= {wfirst}));
                        END""")
            else:
                continue
            done += 1
    return done


def _installed(using: str) -> bool:
    conn = connections[using]
    query = {"postgresql": "SELECT 1 FROM pg_trigger WHERE tgname LIKE 'cmdx\\_%%' LIMIT 1",
             "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cmdx%%' LIMIT 1"}.get(conn.vendor)
    if query is None:
        return True
    with conn.cursor() as cursor:
        cursor.execute(query, [])
        return cursor.fetchone() is not None


def drop_triggers(using: str = "default") -> None:
    """Remove the expiry triggers (before migrations, which may drop or rename the columns they read)."""
    conn = connections[using]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                           "WHERE t.tgname LIKE 'cmdx\\_%%'", [])
            for name, table in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        elif conn.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cmdx%%'", [])
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def _migrating(sender: Any, using: str = "default", **kwargs: Any) -> None:
    drop_triggers(using)


def _migrated(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: the triggers back (with the columns as they are now), and when migrations
    ran (they write without triggers) every snapshot deleted. Not again after a test's ``flush``."""
    if kwargs.get("plan") or not _installed(using):
        install_triggers(using)
    if kwargs.get("plan"):
        from .models import Snapshot

        qs = Snapshot.objects.using(using).all()
        qs._raw_delete(using)  # type: ignore[attr-defined]


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
    from fangkong.core.models import SiteSetting

    from .models import Snapshot

    today = clock.today()
    now = clock.real_now()
    watched = watched_tables()
    # What is closed depends on the business clock: a frozen day set or lifted (a write to the
    # settings, which carry no date) expires every snapshot.
    clock_table = SiteSetting._meta.db_table
    rows = []
    for line, scope, language, at, read_tables, data in items:
        tables = read_tables | {clock_table}
        day = business_day(at)
        if day >= today or not tables <= watched.keys():  # never what can still change
            continue
        rows.append(Snapshot(line=line, scope=scope, language=language, at=at, day=day, whole=covers_all(scope),
                             tables="," + ",".join(sorted(tables)) + ",", data=data, computed_at=now))
    if rows:
        Snapshot.objects.bulk_create(rows, ignore_conflicts=True)


def kept(key: str, scope: str, at: dt.datetime, compute: Any) -> Any:
    """A value (JSON) a line computes for a closed moment and builds on later, kept like a panel
    under ``key`` (the app's label first) and expiring with it: the ledger's rows at the end of a
    day, from which the moments of the next day are counted. Computed and kept on a miss; a
    moment of today is computed each time."""
    found = find(key, scope, at)
    if found is not None:
        return found
    with reading() as tables:
        value = compute()
    store([(key, scope, "", at, tables, value)])
    return value


def find(key: str, scope: str, at: dt.datetime) -> Any:
    """The value ``kept`` under ``key`` for a closed moment, or None (nothing computed)."""
    from .models import Snapshot

    if business_day(at) >= clock.today():
        return None
    found = Snapshot.objects.filter(line=key, scope=scope, language="", at=at).values_list("data", "tables").first()
    if found is None:
        return None
    note({table for table in found[1].split(",") if table})
    return found[0]


def covers_all(scope: str) -> bool:
    """Whether a scope key (``selectors.scope_key``) is the whole city's."""
    from .selectors import ALL_UNITS

    return scope == "city" or scope.endswith(f":{ALL_UNITS}")


def business_day(at: dt.datetime) -> dt.date:
    """The day a moment belongs to; 24:00 belongs to the day that ends then (as ``AsOf.day``)."""
    return timezone.localtime(at - dt.timedelta(microseconds=1)).date()


def invalidate(day: dt.date | None = None, table: str | None = None) -> int:
    """Delete the snapshots of ``day`` and later (None: all) that read ``table`` (None: any)."""
    from .models import Snapshot

    qs = Snapshot.objects.all()
    if day is not None:
        qs = qs.filter(day__gte=day)
    if table is not None:
        qs = qs.filter(tables__contains=f",{table},")
    return qs._raw_delete(qs.db)  # type: ignore[attr-defined]


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_migrate, pre_migrate

    config = apps.get_app_config("command")
    pre_migrate.connect(_migrating, sender=config, dispatch_uid="command_snapshot_triggers_off")
    post_migrate.connect(_migrated, sender=config, dispatch_uid="command_snapshot_triggers")
