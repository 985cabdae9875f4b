"""The ledger's running tally (台账合计): for each line, employer unit and coordinating body, how
many people are registered on the unit side, on the community side, on both, and registered by a
community alone while naming their employer (concealment suspects), over the whole ledger.

Kept by the database itself (PostgreSQL): a statement trigger on the ledger adds, for every
statement that inserts, updates or deletes people (a form, the API, an import by COPY, a bulk
update, raw SQL, another process), one row per group it changed with the difference it made. It
only ever inserts, so writers never wait on each other for it; ``compact`` (a scheduled job) folds
the rows into one per group. The tally is exact at every commit, unlike a cache.

What it serves: the command picture of the whole city now. The figures as of a moment M are the
tally minus what the people registered at or after M added to it (a person registered on one side
before M and on the other after it counts one side as of M): an index range over the registration
times, nearly empty for today's now. One grouped pass over the 1,000,000 people of the benchmark
takes about 280 ms; the tally and that correction take a few. A scope smaller than the city reads
the ledger through its own indexes (``stats.unit_rows``), as does SQLite, where the ledger of a
city on the embedded default is small.

The triggers are taken off while migrations run and put back after each ``migrate``, which then
rebuilds the tally when migrations ran (they may have written without the triggers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction

TABLE = "returnees_ledgertally"
LEDGER = "returnees_returnee"
LOCK = 0x7461_6C6C  # serialises compactions (writers never take it)
# Rows past which the scheduled job compacts (a registration adds one row per group it touched).
COMPACT_AFTER = 5000

# One person's contribution to each count (1 or 0), over the alias of a ledger row.
_COUNTS = {
    "n_unit": "({a}.unit_reported_at IS NOT NULL)",
    "n_community": "({a}.community_reported_at IS NOT NULL)",
    "n_both": "({a}.unit_reported_at IS NOT NULL AND {a}.community_reported_at IS NOT NULL)",
    "n_suspects": "({a}.community_reported_at IS NOT NULL AND {a}.unit_reported_at IS NULL AND {a}.unit_id IS NOT NULL)",
}
_COLUMNS = "line, unit_id, body_id, n_unit, n_community, n_both, n_suspects"


def available(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def _contribution(alias: str, sign: str) -> str:
    counts = ", ".join(f"{sign}{sql.format(a=alias)}::int AS {name}" for name, sql in _COUNTS.items())
    return (
        f"SELECT {alias}.line, coalesce({alias}.unit_id, 0) AS unit_id, "
        f"coalesce({alias}.coordinating_body_id, 0) AS body_id, {counts} FROM {alias}"
    )


def _grouped(source: str) -> str:
    sums = ", ".join(f"sum({name})" for name in _COUNTS)
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in _COUNTS)
    return (
        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT line, unit_id, body_id, {sums} FROM ({source}) AS d "
        f"GROUP BY line, unit_id, body_id HAVING {nonzero}"
    )


def install_triggers(using: str = "default") -> bool:
    if not available(using):
        return False
    with connections[using].cursor() as cursor:
        for event, aliases in (("INSERT", ["n"]), ("UPDATE", ["o", "n"]), ("DELETE", ["o"])):
            name = f"ledger_tally_{event.lower()}"
            source = " UNION ALL ".join(_contribution(a, "-" if a == "o" else "") for a in aliases)
            cursor.execute(f"""
                CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN {_grouped(source)}; RETURN NULL; END $$""")
            referencing = " ".join(f"{'NEW' if a == 'n' else 'OLD'} TABLE AS {a}" for a in aliases)
            cursor.execute(
                f'CREATE OR REPLACE TRIGGER "{name}" AFTER {event} ON "{LEDGER}" '
                f'REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION "{name}"()'
            )
    return True


def _installed(using: str) -> bool:
    if not available(using):
        return True
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'ledger_tally_insert'")
        return cursor.fetchone() is not None


def drop_triggers(using: str = "default") -> None:
    if not available(using):
        return
    with connections[using].cursor() as cursor:
        for event in ("insert", "update", "delete"):
            cursor.execute(f'DROP TRIGGER IF EXISTS "ledger_tally_{event}" ON "{LEDGER}"')


def rebuild(using: str = "default") -> None:
    """The tally counted again from the ledger (after migrations, or by hand)."""
    if not available(using):
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"LOCK TABLE {LEDGER} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(_grouped(_contribution(LEDGER, "")))


def compact(using: str = "default", *, at_least: int = 0) -> int:
    """Fold the tally's rows into one per group (when it holds more than ``at_least`` rows);
    returns the rows folded. Rows other writers insert meanwhile are left for the next time."""
    if not available(using):
        return 0
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK])
        if not cursor.fetchone()[0]:
            return 0
        if at_least:
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} LIMIT %s) AS r", [at_least + 1])
            if cursor.fetchone()[0] <= at_least:
                return 0
        sums = ", ".join(f"sum({name})" for name in _COUNTS)
        nonzero = " OR ".join(f"sum({name}) <> 0" for name in _COUNTS)
        cursor.execute(f"""
            WITH gone AS (DELETE FROM {TABLE} RETURNING {_COLUMNS}),
                 kept AS (INSERT INTO {TABLE} ({_COLUMNS})
                          SELECT line, unit_id, body_id, {sums} FROM gone GROUP BY line, unit_id, body_id
                          HAVING {nonzero} RETURNING 1)
            SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM kept)""")
        gone, _kept = cursor.fetchone()
    return int(gone)


def compact_due(at: dt.datetime | None = None) -> int:
    """The scheduled job: compact once the tally holds more rows than ``COMPACT_AFTER``."""
    return compact(at_least=COMPACT_AFTER)


def unit_rows(lines: Sequence[str], moment: dt.datetime, using: str = "default") -> list[dict[str, Any]]:
    """``stats.unit_rows`` of the whole city's ledger for ``lines`` as of ``moment``, from the
    tally less what people registered at or after ``moment`` added (one statement, so both parts
    see the same commits). Rows carry no ``waiting``: ``longest_waiting`` reads those people."""
    m = "%(m)s"
    later = {
        "n_unit": f"coalesce(r.unit_reported_at >= {m}, false)",
        "n_community": f"coalesce(r.community_reported_at >= {m}, false)",
        "n_both": (
            f"(r.unit_reported_at IS NOT NULL AND r.community_reported_at IS NOT NULL "
            f"AND (r.unit_reported_at >= {m} OR r.community_reported_at >= {m}))"
        ),
    }
    suspect_at = (
        f"coalesce(r.community_reported_at < {m}, false) "
        f"AND NOT coalesce(r.unit_reported_at < {m}, false) AND r.unit_id IS NOT NULL"
    )
    correction = ", ".join(
        [
            *(f"-({sql})::int" for sql in later.values()),
            f"({suspect_at})::int - ({_COUNTS['n_suspects'].format(a='r')})::int",
        ]
    )
    sums = ", ".join(f"sum({name})" for name in _COUNTS)
    sql = f"""
        SELECT line, unit_id, body_id, {sums} FROM (
          SELECT {_COLUMNS} FROM {TABLE} WHERE line = ANY(%(lines)s)
          UNION ALL
          SELECT r.line, coalesce(r.unit_id, 0), coalesce(r.coordinating_body_id, 0), {correction}
          FROM {LEDGER} AS r
          WHERE r.line = ANY(%(lines)s) AND (r.unit_reported_at >= {m} OR r.community_reported_at >= {m})
        ) AS d GROUP BY line, unit_id, body_id"""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, {"m": moment, "lines": list(lines)})
        found = cursor.fetchall()
    rows = []
    for line, unit_id, body_id, n_unit, n_community, n_both, n_suspects in found:
        if n_unit + n_community - n_both <= 0:
            continue
        rows.append(
            {
                "line": line,
                "unit_id": unit_id or None,
                "coordinating_body_id": body_id or None,
                "n_unit": int(n_unit),
                "n_community": int(n_community),
                "n_both": int(n_both),
                "n_suspects": int(n_suspects),
            }
        )
    return rows


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_migrate, pre_migrate

    config = apps.get_app_config("returnees")

    def migrating(sender: Any, using: str = "default", **kwargs: Any) -> None:
        drop_triggers(using)

    def migrated(sender: Any, using: str = "default", **kwargs: Any) -> None:
        # Not again after a test's flush (no plan): the triggers stay, the tally is emptied with the ledger.
        if kwargs.get("plan") or not _installed(using):
            install_triggers(using)
        if kwargs.get("plan"):
            rebuild(using)

    pre_migrate.connect(migrating, sender=config, weak=False, dispatch_uid="ledger_tally_off")
    post_migrate.connect(migrated, sender=config, weak=False, dispatch_uid="ledger_tally_on")
