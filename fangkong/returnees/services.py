"""Writing the returnee ledger: registrations from either side (one row or a whole ledger),
attribution conflicts, isolation orders and their changes, follow-ups, merges.

Every registration, whether typed into a form or imported from a ledger, goes through
``apply_rows``: the same validation, the same bulk writes, one transaction, and the same rule for
a person already known (docs/attribution.md): held in the registrant's scope, it is updated; with
the side's place empty, the registrant takes it; held outside the scope, the registrant's
registration becomes an attribution conflict and the person is left as it was.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
import operator
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.models import AuditEntry
from fangkong.audit.services import _request_ip, audit_change, audit_log, snapshot
from fangkong.core import clock
from fangkong.core.actors import Actor, user_of
from fangkong.core.bulk import insert_columns, insert_rows
from fangkong.core.fieldcrypt import digests, unseal
from fangkong.core.idcard import (
    id_number_columns,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
    phone_columns,
)
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from .choices import ISOLATED_CATEGORIES, Category, ChangeKind, ConflictStatus, Line, Resolution, Side
from .ledger.values import name_fault
from .models import (
    ID_NUMBER_UNIQUE,
    AttributionConflict,
    FollowUp,
    IsolationChange,
    IsolationOrder,
    LedgerImport,
    Registration,
    Returnee,
)

EMPLOYER_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, UnitKind.WORKING_COMMITTEE)
# Fields a later registration may fill in or correct, per side: the unit knows where its staff
# came from; the community knows where they live.
SIDE_FIELDS = {
    Side.UNIT: ("name", "phone", "unit", "category", "origin_text", "origin_code", "transport", "return_date", "notes"),
    Side.COMMUNITY: ("name", "phone", "community", "address", "category", "origin_text", "origin_code", "transport",
                     "return_date", "notes"),
}
LOCK_KEY = 0x66616E67  # serialises ledger commits (and merges) on PostgreSQL
# The person's place on each side: the column a registration from that side fills, and which
# decides whether a registrant may change the person (docs/attribution.md).
PLACE = {Side.UNIT: "unit_id", Side.COMMUNITY: "community_id"}
# What a claim keeps of the claimant's row: what it typed, never the ID number or the phone.
CLAIMED_FIELDS = ("name", "category", "return_date", "origin_text", "origin_code", "transport", "address", "notes",
                  "unit_id", "community_id")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class ApplyResult:
    """Counts as the registrant sees them: a person held outside their scope counts as new the
    first time, then as unchanged (or updated when their claim changes), like one of their own."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # People this registration made dual-reported (the other side had them, this side had not).
    dual: int = 0
    returnees: list[Returnee] = field(default_factory=list)
    # Small batches only (a form, the API): ID number -> the claim its row made or met, and the ID
    # numbers whose person lay outside the registrant's scope.
    claims: dict[str, int] = field(default_factory=dict)
    outside: set[str] = field(default_factory=set)

    def add(self, other: ApplyResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.dual += other.dual
        self.returnees += other.returnees


def isolation_days(category: str) -> int:
    days: dict[str, int] = getattr(settings, "ISOLATION_DAYS", {})
    return int(days.get(category, 14))


class UnitDirectory:
    """Resolves unit names, short names and codes typed in ledgers, one query per kind-set."""

    def __init__(self, kinds: Sequence[str]) -> None:
        self.by_key: dict[str, Unit] = {}
        self.names: list[str] = []
        for unit in Unit.objects.filter(kind__in=kinds).only("id", "code", "name", "short_name", "kind"):
            for key in {unit.code, unit.name, unit.short_name}:
                if key:
                    self.by_key.setdefault(key.strip().lower(), unit)
            self.names.append(unit.name)

    def find(self, text: str) -> Unit | None:
        return self.by_key.get(text.strip().lower())

    def suggest(self, text: str) -> str:
        close = difflib.get_close_matches(text, self.names, n=3, cutoff=0.5)
        return "；".join(close)


def _line_cache(units: Sequence[int] | None = None) -> dict[int, tuple[str, int | None]]:
    """Line and coordinating body of every employer unit (or of ``units``), in one query."""
    result: dict[int, tuple[str, int | None]] = {}
    links = UnitLink.objects.filter(ancestor__kind__in=[UnitKind.COORDINATING_BODY, UnitKind.DEPARTMENT])
    if units is not None:
        links = links.filter(descendant_id__in=list(units))
    for descendant, ancestor, kind in links.values_list("descendant_id", "ancestor_id", "ancestor__kind"):
        if kind == UnitKind.COORDINATING_BODY:
            result[descendant] = (Line.INDUSTRY, ancestor)
        else:
            result.setdefault(descendant, (Line.ORGANS, None))
    return result


class RowValidator:
    """Resolves units and checks the scope of parsed ledger rows, batch after batch: the unit
    directories are read once, and each distinct unit or community text is resolved once."""

    def __init__(self, *, actor: Actor | None, side: str) -> None:
        self.side = side
        self.employers = UnitDirectory(EMPLOYER_KINDS)
        self.communities = UnitDirectory([UnitKind.COMMUNITY])
        scope = scope_unit_ids(actor) if actor is not None else None
        self.scope = set(scope) if scope is not None else None
        self.default_employer: Unit | None = None
        if user_of(actor) is not None and side == Side.UNIT:
            own = list(Unit.objects.filter(user_scopes__user=user_of(actor), kind__in=EMPLOYER_KINDS)[:2])
            self.default_employer = own[0] if len(own) == 1 else None
        # (employer text, community text) -> (employer, community, problems as (key, value, reason))
        self._memo: dict[tuple[str, str], tuple[Unit | None, Unit | None, list[tuple[str, str, str]]]] = {}

    def _resolve(
        self, employer_text: str, community_text: str
    ) -> tuple[Unit | None, Unit | None, list[tuple[str, str, str]]]:
        side = self.side
        problems: list[tuple[str, str, str]] = []
        employer = self.employers.find(employer_text) if employer_text else None
        if employer_text and employer is None:
            hint = self.employers.suggest(employer_text)
            problems.append(("employer", employer_text, "找不到该单位" + (f"，是否是：{hint}" if hint else "")))
        if employer is None and not employer_text and side == Side.UNIT:
            employer = self.default_employer
            if employer is None:
                problems.append(("employer", "", "请填写工作单位"))
        community = self.communities.find(community_text) if community_text else None
        if community_text and community is None:
            hint = self.communities.suggest(community_text)
            problems.append(("community", community_text, "找不到该社区" + (f"，是否是：{hint}" if hint else "")))
        if side == Side.COMMUNITY and community is None and not community_text:
            problems.append(("community", "", "请填写居住社区"))
        registering = employer if side == Side.UNIT else community
        if registering is not None and self.scope is not None and registering.pk not in self.scope:
            key = "employer" if side == Side.UNIT else "community"
            problems.append((key, registering.name, "该单位不在您的管辖范围内，不能代为登记"))
        return employer, community, problems

    def validate(
        self, rows: Sequence[dict[str, Any]], columns: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], list[RowError]]:
        """The rows without problems, their employer and community texts replaced by units (in
        place: the rows are the reader's, read once), and every problem."""
        columns = columns or {}
        memo = self._memo
        keys = list(zip([row.get("employer") or "" for row in rows], [row.get("community") or "" for row in rows],
                        strict=True))
        for key in set(keys).difference(memo):
            memo[key] = self._resolve(str(key[0]).strip(), str(key[1]).strip())
        resolved = list(map(memo.__getitem__, keys))
        errors: list[RowError] = []
        clean: list[dict[str, Any]] = []
        for row, (employer, community, problems) in zip(rows, resolved, strict=True):
            if problems:
                number = row.get("row", 0)
                errors.extend(
                    RowError(number, columns.get(field, field), str(value or "")[:100], reason)
                    for field, value, reason in problems
                )
                continue
            row["employer"] = employer
            row["community"] = community
            clean.append(row)
        return clean, errors


def validate_rows(
    *, actor: Actor | None, side: str, rows: Sequence[dict[str, Any]], columns: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Resolve units and check the scope of parsed ledger rows (the file reader has already
    normalised IDs, phones, dates and categories). Returns clean rows and every problem."""
    return RowValidator(actor=actor, side=side).validate(rows, columns)


def _row_values(row: dict[str, Any], lines: dict[int, tuple[str, int | None]]) -> dict[str, Any]:
    employer: Unit | None = row.get("employer")
    line, cb = lines.get(employer.pk, ("", None)) if employer is not None else ("", None)
    return {
        "name": row["name"],
        "phone": row.get("phone") or "",
        "unit_id": _pk(employer),
        "community_id": _pk(row.get("community")),
        "address": row.get("address") or "",
        "category": row.get("category") or Category.OUTSIDE,
        "origin_text": row.get("origin") or row.get("origin_text") or "",
        "origin_code": row.get("origin_code") or "",
        "transport": row.get("transport") or "",
        "return_date": row.get("return_date"),
        "notes": row.get("notes") or "",
        "line": line,
        "coordinating_body_id": cb,
    }


def _lock() -> None:
    """Serialise ledger imports with each other and with merges (PostgreSQL; SQLite's write lock
    does it there). A single registration does not take it: it locks its own person's row (see
    ``_find_by_numbers``), and the unique ID-number index settles two new people at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


# The ID number and phone are stored sealed, with a digest and a mask (core.idcard.id_number_columns
# and phone_columns); sex and birth year come from the ID number.
RETURNEE_COLUMNS = (
    "name", "id_cipher", "id_digest", "id_masked", "sex", "birth_year", "phone_cipher", "phone_digest",
    "phone_masked", "unit_id", "community_id", "address", "category", "origin_code", "origin_text", "transport",
    "return_date", "line", "coordinating_body_id", "notes", "unit_reported_at", "community_reported_at",
    "created_at", "updated_at",
)
# What a side's later registration may change, as columns of RETURNEE_COLUMNS ("phone" stands for
# its three stored columns: see _stored).
SIDE_COLUMNS = {
    side: tuple(f"{name}_id" if name in {"unit", "community"} else name for name in names)
    for side, names in SIDE_FIELDS.items()
}
# What is read of a returnee already there, to compare with a row: no timestamps (psycopg's
# timestamptz loader under Django is Python code, and 100,000 rows have 400,000 of them). The ID
# number is read as its digest and the phone sealed (opened for the comparison: see _known).
DIFF_COLUMNS = ("id", "id_number", "name", "phone", "unit_id", "community_id", "address", "category", "origin_code",
                "origin_text", "transport", "return_date", "line", "coordinating_body_id", "notes")
_DIFF_READ = tuple({"id_number": "id_digest", "phone": "phone_cipher"}.get(c, c) for c in DIFF_COLUMNS)
AUDIT_COLUMNS = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "before",
                 "after", "detail", "ip")


def _audit_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column == "id_number":
        return mask_id_number(value)
    if column == "phone":  # the clear phone of a row, or of a record opened to compare with it
        return mask_phone(value) if value else ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def apply_rows(
    *,
    actor: Actor | None,
    side: str,
    rows: Sequence[dict[str, Any]],
    source_import: LedgerImport | None = None,
    registered_at: dt.datetime | None = None,
    chunk: int = 50_000,
) -> ApplyResult:
    """Write validated rows: create or update each returnee (matched by ID number), add the
    side's registration, open isolation orders. Must run inside a transaction.

    A person already known is updated only when their place on this side (unit or community) is
    in the registrant's scope; an empty place is taken; a place held outside the scope makes the
    row an attribution conflict and leaves the person as it was (docs/attribution.md).

    New returnees go to the database column by column (COPY on PostgreSQL), registrations and
    isolation orders are made in SQL from the rows' ID numbers: no model instance and no
    Python loop over the rows but the one reading their values. The audit log gets one entry per
    person created from a form and per person changed; a ledger's created people are recorded by
    the import's own entry (who, when, SHA-256, counts) and by their registration's
    ``source_import``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("apply_rows must run inside transaction.atomic()")
    # A ledger holds the import lock for its transaction; a single registration locks only the
    # row of the person it meets, so an import in progress never holds up the rest of the city.
    lock_people = source_import is None
    if not lock_people:
        _lock()
    # PostgreSQL: the transaction's own time, which the tables' defaults also give (migration
    # 0003), so that COPY leaves the timestamps out. On a frozen business day the database's
    # clock is not the business one: the moment is written out.
    db_now = registered_at is None and connection.vendor == "postgresql" and clock.frozen_day() is None
    now = registered_at or (_transaction_now() if db_now else clock.now())
    lines = _line_cache()
    result = ApplyResult()
    writer = _Writer(actor=actor, side=Side(side), source_import=source_import, now=now, lines=lines, db_now=db_now,
                     lock_people=lock_people, answer=len(rows) <= 50)
    touched: list[str] = []
    for start in range(0, len(rows), chunk):
        part = _first_per_person(rows[start : start + chunk])
        created, updated = _write_settled(writer, part)
        result.created += created
        result.updated += updated
        result.unchanged += len(part) - created - updated
        result.dual += writer.dual
        if len(rows) <= 50:
            touched.extend(row["id_number"] for row in part)
    if touched:
        found = _find_by_numbers(touched)
        by_pk = Returnee.objects.in_bulk([found[number][0] for number in touched])
        result.returnees = [by_pk[found[number][0]] for number in touched]
        result.claims = {number: writer.claims[number] for number in touched if number in writer.claims}
        result.outside = {number for number in touched if number in writer.outside}
    return result


def _write_settled(writer: _Writer, part: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """writer.write in a savepoint, tried again when another transaction committed one of the
    chunk's new people first (the unique ID-number index waits for it, then refuses the row): the
    next try finds that person and treats them as known. Without a city-wide lock on single
    registrations this is how two registrations of one new person, or a registration and an
    import, settle."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return writer.write(part)
        except Exception as exc:
            if attempt == 2 or not _clashes_on_id_number(exc):
                raise
    raise AssertionError("unreachable")


def _clashes_on_id_number(exc: BaseException) -> bool:
    """Whether a write failed on the one-person-per-ID-number index (psycopg's own error from
    COPY, or Django's IntegrityError wrapping it)."""
    for error in (exc, exc.__cause__):
        diag = getattr(error, "diag", None)
        if diag is not None and getattr(diag, "constraint_name", None) == ID_NUMBER_UNIQUE:
            return True
    return False


def _find_by_numbers(numbers: Sequence[str], *, lock: bool = False) -> dict[str, tuple[Any, ...]]:
    """The people already known among these ID numbers, as ``DIFF_COLUMNS`` tuples by ID number
    (found by the numbers' keyed digests; the phone opened to be compared with the rows').

    The one look-up of existing people by ID number. ``lock`` takes each found person's row
    (``FOR UPDATE``): a single registration serialises with anything else writing that person
    (another registration, a merge, an import that changes them), and with nothing else.
    """
    numbers = list(numbers)
    if not numbers:
        return {}
    keys = digests(numbers, "id_number")
    number_of = dict(zip(keys, numbers, strict=True))
    qs = Returnee.objects.all()
    if lock:
        qs = qs.select_for_update()
    found: list[tuple[Any, ...]] = []
    for part in _where_in(qs, "id_digest", keys):
        found.extend(part.values_list(*_DIFF_READ))
    phone = DIFF_COLUMNS.index("phone")
    phones = unseal([values[phone] for values in found], "phone")
    return {
        number_of[values[1]]: (values[0], number_of[values[1]], *values[2:phone], clear, *values[phone + 1 :])
        for values, clear in zip(found, phones, strict=True)
    }


def _transaction_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        value: dt.datetime = cursor.fetchone()[0]
    return value


def _same_name(typed: str, held: str) -> bool:
    """Whether two registrations name the same person: the same characters, spaces, case and
    full-width forms aside."""
    def key(text: str) -> str:
        return unicodedata.normalize("NFKC", text or "").replace(" ", "").casefold()

    return key(typed) == key(held)


def _first_per_person(rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The first row of each ID number (a ledger file has each once; the reader says so)."""
    numbers = [row["id_number"] for row in rows]
    if len(set(numbers)) == len(numbers):
        return rows
    first: dict[str, dict[str, Any]] = {}
    for row, number in zip(rows, numbers, strict=True):
        first.setdefault(number, row)
    return list(first.values())


def _pk(unit: Unit | None) -> int | None:
    return unit.pk if unit is not None else None


class _Writer:
    """apply_rows for one chunk of rows (one row per person)."""

    def __init__(self, *, actor: Actor | None, side: Side, source_import: LedgerImport | None, now: dt.datetime,
                 lines: dict[int, tuple[str, int | None]], db_now: bool, lock_people: bool = False,
                 answer: bool = False) -> None:
        self.actor, self.side, self.source_import, self.now, self.lines = actor, side, source_import, now, lines
        self.db_now = db_now  # created, updated and registered "now" are the columns' defaults
        self.lock_people = lock_people
        self.stamp = "unit_reported_at" if side == Side.UNIT else "community_reported_at"
        scope = scope_unit_ids(actor) if actor is not None else None
        self.scope: set[int] | None = set(scope) if scope is not None else None
        # For the answer to a form or the API (never kept for a whole ledger): ID number -> claim,
        # and the ID numbers whose person lay outside the scope.
        self.answer = answer
        self.claims: dict[str, int] = {}
        self.outside: set[str] = set()
        self.dual = 0  # of the last chunk written: people it made dual-reported

    def _create_if_all_new(self, part: Sequence[dict[str, Any]], employers: list[int | None],
                           communities: list[int | None]) -> bool:
        """PostgreSQL: write the chunk as new people straight away. The unique ID-number index
        checks, as it writes, what a lookup of 20,000 numbers would have checked before (the
        caller has looked up a sample of 16 first, so a ledger imported again goes to the lookup
        at once). When one of them is known already, the chunk is backed out to a savepoint and
        False is returned: the caller looks the people up and writes them as the other path does."""
        from psycopg.errors import UniqueViolation

        try:
            with transaction.atomic():
                self._create(part, employers, communities)
        except UniqueViolation as exc:  # raised by COPY itself, not through Django's cursor wrapper
            if exc.diag.constraint_name != ID_NUMBER_UNIQUE:
                raise
            return False
        return True

    def write(self, part: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Write one chunk; returns (created, updated) as the registrant sees them."""
        numbers = [row["id_number"] for row in part]
        employers = _pks([row["employer"] for row in part])
        communities = _pks([row["community"] for row in part])
        self.dual = 0
        sample = numbers[:: max(1, len(numbers) // 16)]
        if (connection.vendor == "postgresql" and not _find_by_numbers(sample)
                and self._create_if_all_new(part, employers, communities)):
            self._audit(part, [])
            return len(part), 0
        existing = _find_by_numbers(numbers, lock=self.lock_people)
        if not existing:
            self._create(part, employers, communities)
            self._audit(part, [])
            return len(part), 0
        fresh = [i for i, number in enumerate(numbers) if number not in existing]
        own, vacant, claimed = self._classify(numbers, existing, [row["name"] for row in part])
        if fresh:
            rows = [part[i] for i in fresh]
            self._create(rows, [employers[i] for i in fresh], [communities[i] for i in fresh])
        else:
            rows = []
        updates = self._update([part[i] for i in own], existing)
        taken = self._take([part[i] for i in vacant], existing)
        self._audit(rows, updates + taken)
        # People this side may write: their registration and isolation unless they have them.
        # Rows are locked (updates, stamps) before the registrations and isolations are added, the
        # order a single registration also takes (its person's row first), so that the two can
        # wait for each other but never deadlock.
        mine = own + vacant
        people = [existing[numbers[i]][0] for i in mine]
        # The first registration of this side dates the returnees that only the other side had:
        # they are dual-reported now, and a row of theirs is never "unchanged" (a person of one's
        # own whose values stay counts as updated: their registration is new).
        other = "community_reported_at" if self.stamp == "unit_reported_at" else "unit_reported_at"
        stamped: list[tuple[int, Any]] = []
        for found in _where_in(Returnee.objects.filter(**{f"{self.stamp}__isnull": True}), "id", people):
            stamped += found.values_list("id", other)
            found.update(**{self.stamp: self.now})
        self.dual = sum(1 for _pk, at in stamped if at is not None)
        changed = {u[0] for u in updates}
        own_people = {existing[numbers[i]][0] for i in own}
        first_here = sum(1 for pk, _at in stamped if pk in own_people and pk not in changed)
        self._register_known(people, [employers[i] for i in mine], [communities[i] for i in mine])
        # A place taken from the other side opens no isolation: the person's category (which a
        # registrant outside their scope does not change) decided that when they were registered.
        self._isolate_known([existing[numbers[i]][0] for i in own], [part[i] for i in own])
        claims_created, claims_updated = self._claim(
            [part[i] for i in claimed], existing, [employers[i] for i in claimed], [communities[i] for i in claimed])
        return len(fresh) + len(vacant) + claims_created, len(updates) + claims_updated + first_here

    def _classify(
        self, numbers: list[str], existing: dict[str, tuple[Any, ...]], names: list[str]
    ) -> tuple[list[int], list[int], list[int]]:
        """Positions of the known people whose place on this side is in the registrant's scope
        (own), empty (vacant), or held outside the scope (claimed). One pass over the chunk
        against the scope's unit ids read once.

        An empty place is taken only by a registrant who also gives the person's name as the
        other side registered it: the ID number alone (which many people know of a neighbour)
        would otherwise attach anyone registered without an employer, and show their record, to
        whoever typed it. A different name makes the row a claim for the office to decide."""
        place = DIFF_COLUMNS.index(PLACE[self.side])
        name_at = DIFF_COLUMNS.index("name")
        own: list[int] = []
        vacant: list[int] = []
        claimed: list[int] = []
        scope = self.scope
        for i, number in enumerate(numbers):
            current = existing.get(number)
            if current is None:
                continue
            held = current[place]
            if scope is None or (held is not None and held in scope):
                own.append(i)
            elif held is None and _same_name(names[i], current[name_at]):
                vacant.append(i)
            else:
                claimed.append(i)
        if self.answer:
            self.outside.update(numbers[i] for i in vacant + claimed)
        return own, vacant, claimed

    def _take(
        self, part: Sequence[dict[str, Any]], existing: dict[str, tuple[Any, ...]]
    ) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
        """Empty places taken (the dual report itself): the place, with the line and coordinating
        body of a unit, and the side's values the person lacks; nothing the person holds changes."""
        pos = {name: i for i, name in enumerate(DIFF_COLUMNS)}
        place = PLACE[self.side]
        updates: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []
        for row in part:
            current = existing[row["id_number"]]
            values = _row_values(row, self.lines)
            after: dict[str, Any] = {place: values[place]}
            if place == "unit_id":
                after["line"], after["coordinating_body_id"] = values["line"], values["coordinating_body_id"]
            for column in SIDE_COLUMNS[self.side]:
                if column == place or values[column] in ("", None) or current[pos[column]] not in ("", None):
                    continue
                if column == "origin_code" and current[pos["origin_text"]]:
                    continue  # a code belongs with its text: the person's text stays, so does its code
                after[column] = values[column]
            before = {column: current[pos[column]] for column in after}
            updates.append((current[0], current[pos["name"]], before, after))
        self._write_updates(updates)
        return updates

    def _claim(
        self, part: Sequence[dict[str, Any]], existing: dict[str, tuple[Any, ...]], employers: list[int | None],
        communities: list[int | None],
    ) -> tuple[int, int]:
        """Rows whose person is held outside the registrant's scope: the registrant's own
        registration and an attribution conflict, nothing written to the person. Returns
        (created, updated) as the registrant would count rows of their own: a first claim is new,
        an open claim whose values change is updated, anything else is unchanged."""
        if not part:
            return 0, 0
        place = DIFF_COLUMNS.index(PLACE[self.side])
        other = DIFF_COLUMNS.index(PLACE[Side.COMMUNITY if self.side == Side.UNIT else Side.UNIT])
        registering, _stated = self._registering(employers, communities)
        people = [existing[row["id_number"]][0] for row in part]
        conflicts = {
            (c.returnee_id, c.claiming_unit_id): c
            for c in AttributionConflict.objects.filter(returnee_id__in=people, side=self.side)
        }
        registered = set(Registration.objects.filter(returnee_id__in=people, side=self.side)
                         .values_list("returnee_id", "unit_id"))
        created = updated = 0
        new: list[int] = []
        changed: list[AttributionConflict] = []
        for i, (row, person, unit) in enumerate(zip(part, people, registering, strict=True)):
            conflict = conflicts.get((person, unit))
            if conflict is not None:
                if self.answer:
                    self.claims[row["id_number"]] = conflict.pk
                claimed = self._claimed(row)
                if conflict.is_open and conflict.claimed != claimed:
                    conflict.claimed = claimed
                    changed.append(conflict)
            elif (person, unit) not in registered:
                new.append(i)
            # else: this registrant's registration of the person stands already (it held the person
            # once, or the office let both stand): nothing to add.
        if changed:
            AttributionConflict.objects.bulk_update(changed, ["claimed"])
            updated = len(changed)
            self._audit_claims(changed, action=Action.UPDATE)
        if new:
            self._register_known([people[i] for i in new], [employers[i] for i in new],
                                 [communities[i] for i in new])
            registrations = dict(
                ((returnee_id, unit_id), pk) for pk, returnee_id, unit_id in
                Registration.objects.filter(returnee_id__in=[people[i] for i in new], side=self.side)
                .values_list("id", "returnee_id", "unit_id")
            )
            opened = [
                AttributionConflict(
                    returnee_id=people[i], side=self.side,
                    # An empty place (a name that did not match): the person stands with the side
                    # that registered them.
                    current_unit_id=existing[part[i]["id_number"]][place] or existing[part[i]["id_number"]][other],
                    claiming_unit_id=registering[i],
                    claiming_registration_id=registrations.get((people[i], registering[i])),
                    claimed=self._claimed(part[i]), opened_at=self.now, opened_by=user_of(self.actor),
                    source_import=self.source_import,
                )
                for i in new
            ]
            AttributionConflict.objects.bulk_create(opened)
            if self.answer:
                self.claims.update((part[i]["id_number"], c.pk) for i, c in zip(new, opened, strict=True))
            created = len(new)
            self._audit_claims(opened, action=Action.CREATE)
        return created, updated

    def _claimed(self, row: dict[str, Any]) -> dict[str, Any]:
        """What the claimant typed, as stored in its claim (JSON)."""
        values = _row_values(row, self.lines)
        claimed = {name: values[name] for name in CLAIMED_FIELDS}
        if claimed["return_date"] is not None:
            claimed["return_date"] = claimed["return_date"].isoformat()
        return claimed

    def _audit_claims(self, conflicts: list[AttributionConflict], *, action: str) -> None:
        actor = self.actor
        detail = f"import={self.source_import.pk}" if self.source_import else ""
        ip = _request_ip.get()
        insert_rows(AuditEntry, AUDIT_COLUMNS, [
            (self.now, actor.pk if actor is not None else None, actor.get_username() if actor is not None else "",
             action, "returnees.attributionconflict", str(c.pk), str(c)[:200], None,
             {"returnee": c.returnee_id, "side": c.side, "claiming_unit": c.claiming_unit_id, **c.claimed}, detail, ip)
            for c in conflicts
        ])

    def _registering(self, employers: list[int | None], communities: list[int | None]) -> tuple[list[Any], list[Any]]:
        """The registering unit and the employer named, per row."""
        if self.side == Side.UNIT:
            return employers, [None] * len(employers)
        return communities, employers

    def _create(self, rows: Sequence[dict[str, Any]], units: list[int | None], communities: list[int | None]) -> None:
        """New people, with their registration and isolation, each table written in one COPY."""
        n = len(rows)
        if not n:
            return
        ids = _allocate_ids(Returnee, n)
        numbers = [row["id_number"] for row in rows]
        phones = [row.get("phone") or "" for row in rows]
        line_of = [self.lines.get(pk, ("", None)) if pk is not None else ("", None) for pk in units]
        stamps = {"unit_reported_at": None, "community_reported_at": None, self.stamp: self.now}
        categories = [row.get("category") or Category.OUTSIDE for row in rows]
        returns = [row.get("return_date") for row in rows]
        insert_columns(Returnee, {
            "id": ids,
            "name": [row["name"] for row in rows],
            # Validated already (ledger reader or register()): sealed, digest, mask, sex, birth year.
            **id_number_columns(numbers),
            **phone_columns(phones),
            "unit_id": units,
            "community_id": communities,
            "address": [row.get("address") or "" for row in rows],
            "category": categories,
            "origin_code": [row.get("origin_code") or "" for row in rows],
            "origin_text": [row.get("origin") or row.get("origin_text") or "" for row in rows],
            "transport": [row.get("transport") or "" for row in rows],
            "return_date": returns,
            "line": [line for line, _ in line_of],
            "coordinating_body_id": [cb for _, cb in line_of],
            "notes": [row.get("notes") or "" for row in rows],
            **{name: [value] * n for name, value in stamps.items()},
            **({} if self.db_now else {"created_at": [self.now] * n, "updated_at": [self.now] * n}),
        })
        registering, stated = self._registering(units, communities)
        insert_columns(Registration, {
            "returnee_id": ids,
            "side": [self.side.value] * n,
            "unit_id": registering,
            "stated_employer_id": stated,
            **({} if self.db_now else {"registered_at": [self.now] * n}),
            "registered_by_id": [self.actor.pk if self.actor is not None else None] * n,
            "source_import_id": [self.source_import.pk if self.source_import is not None else None] * n,
        })
        people, starts, days, ends = self._plans(ids, returns, categories)
        insert_columns(IsolationOrder, {
            "returnee_id": people, "start_date": starts, "period_days": days, "planned_end": ends,
            "released_on": [None] * len(people), "released_by_id": [None] * len(people),
            "release_note": [""] * len(people),
        })

    def _plans(
        self, ids: Sequence[int], returns: list[Any], categories: list[str]
    ) -> tuple[list[int], list[dt.date], list[int], list[dt.date]]:
        """Isolation for the three categories, from the return date (or today): returnee ids,
        start dates, periods and planned ends, each distinct (date, category) worked out once."""
        today = timezone.localdate(self.now)
        keys = list(zip(returns, categories, strict=True))
        plan = {key: _plan(key[0] or today, key[1]) for key in set(keys)}
        plans: list[Any] = list(map(plan.__getitem__, keys))
        people = list(ids)
        if None in plan.values():  # people of a category without isolation
            people = list(itertools.compress(people, plans))
            plans = list(filter(None, plans))
        return (people, list(map(operator.itemgetter(0), plans)), list(map(operator.itemgetter(1), plans)),
                list(map(operator.itemgetter(2), plans)))

    def _update(
        self, part: Sequence[dict[str, Any]], existing: dict[str, tuple[Any, ...]]
    ) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
        """Compare each known person with their row; write what changed (rare: one statement each)."""
        pos = {name: i for i, name in enumerate(DIFF_COLUMNS)}
        changeable = SIDE_COLUMNS[self.side]
        updates: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []
        for row in part:
            current = existing.get(row["id_number"])
            if current is None:
                continue
            values = _row_values(row, self.lines)
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for column in changeable:
                value = values[column]
                if value in ("", None):
                    continue  # a blank cell never erases what the other side registered
                old = current[pos[column]]
                if old != value:
                    before[column], after[column] = old, value
            if "unit_id" in after:
                for column in ("line", "coordinating_body_id"):
                    if values[column] != current[pos[column]]:
                        before[column], after[column] = current[pos[column]], values[column]
            if after:
                updates.append((current[0], current[pos["name"]], before, after))
        self._write_updates(updates)
        return updates

    def _write_updates(self, updates: list[tuple[int, str, dict[str, Any], dict[str, Any]]]) -> None:
        with connection.cursor() as cursor:
            for pk, _name, _before, after in updates:
                stored = _stored(after)
                assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in stored)
                cursor.execute(
                    f"UPDATE returnees_returnee SET {assignments}, updated_at = %s WHERE id = %s",
                    [*stored.values(), self.now, pk],
                )

    def _audit(
        self, fresh: Sequence[dict[str, Any]], updates: list[tuple[int, str, dict[str, Any], dict[str, Any]]]
    ) -> None:
        actor = self.actor
        actor_id = actor.pk if actor is not None else None
        actor_name = actor.get_username() if actor is not None else ""
        detail = f"import={self.source_import.pk}" if self.source_import else ""
        ip = _request_ip.get()
        entries: list[tuple[Any, ...]] = []
        if self.source_import is None and fresh:
            # A form's registration: the person created, with what was entered.
            ids = {number: values[0] for number, values in
                   _find_by_numbers([row["id_number"] for row in fresh]).items()}
            for row in fresh:
                values = _row_values(row, self.lines)
                after = {"name": values["name"], "id_number": mask_id_number(row["id_number"]),
                         "phone": mask_phone(values["phone"]) if values["phone"] else "", "unit": values["unit_id"],
                         "community": values["community_id"], "category": values["category"],
                         "origin_text": values["origin_text"],
                         "return_date": values["return_date"].isoformat() if values["return_date"] else None,
                         "line": values["line"]}
                entries.append((self.now, actor_id, actor_name, Action.CREATE, "returnees.returnee",
                                str(ids[row["id_number"]]), values["name"], None, after, detail, ip))
        for pk, name, before, after in updates:
            entries.append((self.now, actor_id, actor_name, Action.UPDATE, "returnees.returnee", str(pk), name,
                            {c.removesuffix("_id"): _audit_value(c, v) for c, v in before.items()},
                            {c.removesuffix("_id"): _audit_value(c, v) for c, v in after.items()}, detail, ip))
        if entries:
            insert_rows(AuditEntry, AUDIT_COLUMNS, entries)

    def _register_known(self, people: list[int], employers: list[int | None], communities: list[int | None]) -> None:
        """The side's registration of people already known, once per registering unit."""
        if not people:
            return
        registering, stated = self._registering(employers, communities)
        source, params = _rows_source(returnee_id=(people, "bigint"), unit_id=(registering, "bigint"),
                                      stated_id=(stated, "bigint"))
        actor_id = self.actor.pk if self.actor is not None else None
        import_id = self.source_import.pk if self.source_import is not None else None
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO returnees_registration (returnee_id, side, unit_id, stated_employer_id, registered_at,"
                " registered_by_id, source_import_id)"
                f" SELECT s.returnee_id, %s, s.unit_id, s.stated_id, %s, %s, %s FROM {source} WHERE true"
                " ON CONFLICT (returnee_id, side, unit_id) DO NOTHING",
                [self.side.value, connection.ops.adapt_datetimefield_value(self.now), actor_id, import_id, *params],
            )

    def _isolate_known(self, people: list[int], rows: Sequence[dict[str, Any]]) -> None:
        """Isolation of people already known, unless they have one."""
        returns = [row.get("return_date") for row in rows]
        categories = [row.get("category") or Category.OUTSIDE for row in rows]
        ids, starts, days, ends = self._plans(people, returns, categories)
        if not ids:
            return
        source, params = _rows_source(returnee_id=(ids, "bigint"), start_date=(starts, "date"),
                                      period_days=(days, "integer"), planned_end=(ends, "date"))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO returnees_isolationorder (returnee_id, start_date, period_days, planned_end,"
                " released_on, released_by_id, release_note)"
                f" SELECT s.returnee_id, s.start_date, s.period_days, s.planned_end, NULL, NULL, ''"
                f" FROM {source} WHERE true ON CONFLICT (returnee_id) DO NOTHING",
                params,
            )


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Column values to write, with a clear phone replaced by its stored columns."""
    if "phone" not in values:
        return values
    stored = {name: value for name, value in values.items() if name != "phone"}
    stored.update({name: column[0] for name, column in phone_columns([values["phone"] or ""]).items()})
    return stored


def _allocate_ids(model: type[Model], count: int) -> list[int]:
    """``count`` new primary keys for rows written with their ids (so that the rows referring to
    them can be written at once, without reading the ids back). PostgreSQL gives them in one
    value (one text rather than ``count`` rows to read)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT string_agg(nextval(%s::regclass)::text, ',') FROM generate_series(1, %s)",
                           [sequence, count])
            text: str = cursor.fetchone()[0]
            return list(map(int, text.split(",")))
        # SQLite: the writing transaction holds the database; AUTOINCREMENT never reuses an id.
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {connection.ops.quote_name(table)}), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        top = int(cursor.fetchone()[0])
    return list(range(top + 1, top + count + 1))


_UNSET: Any = object()


def _plan(begin: dt.date, category: str) -> tuple[dt.date, int, dt.date] | None:
    if category not in ISOLATED_CATEGORIES:
        return None
    days = isolation_days(category)
    return begin, days, begin + dt.timedelta(days=days)


def _pks(units: list[Unit | None]) -> list[int | None]:
    """The primary keys of a column of units (each distinct unit object looked at once)."""
    memo = {id(unit): _pk(unit) for unit in {id(u): u for u in units}.values()}
    return list(map(memo.__getitem__, map(id, units)))


def _rows_source(**columns: tuple[Sequence[Any], str]) -> tuple[str, list[Any]]:
    """Columns of values as a table ``s`` to select from, in as many parameters as columns
    (PostgreSQL: unnest of arrays sent as joined text; SQLite: one JSON array of rows). Values are
    ids, ID numbers, ISO dates and numbers: none holds a comma."""
    names = list(columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(
            f"string_to_array(%s, ',', '')::{kind}[]" for _, kind in columns.values()
        )
        params = [",".join("" if v is None else str(v) for v in values) for values, _ in columns.values()]
        return f"unnest({arrays}) AS s({', '.join(names)})", params
    fields = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(names))
    data = json.dumps([list(row) for row in zip(*(values for values, _ in columns.values()), strict=True)],
                      default=str)  # dates as ISO text
    return f"(SELECT {fields} FROM json_each(%s)) AS s", [data]


def _where_in(qs: Any, column: str, values: Sequence[Any]) -> list[Any]:
    """``qs`` filtered to ``column`` in ``values``, as querysets to iterate. PostgreSQL gets one
    ``= ANY(array)`` (psycopg would otherwise parse a query with thousands of placeholders);
    SQLite gets chunks under its parameter limit."""
    if not values:
        return []
    if connection.vendor == "postgresql":
        # The column name is ours (never user input); the values travel as one bound array, as one
        # joined text when they can (psycopg adapts a list element by element in Python).
        name = connection.ops.quote_name(column)
        kinds = set(map(type, values))
        param: str | list[Any]
        if kinds == {int}:
            where, param = f"{name} = ANY(string_to_array(%s, ',')::bigint[])", ",".join(map(str, values))
        elif kinds == {str} and all(values) and not any("," in value for value in values):
            where, param = f"{name} = ANY(string_to_array(%s, ','))", ",".join(values)
        else:
            where, param = f"{name} = ANY(%s)", list(values)
        return [qs.extra(where=[where], params=[param])]  # noqa: S610
    # Plain placeholders: a __in lookup prepares each of thousands of values through the ORM.
    name = connection.ops.quote_name(column)
    return [
        qs.extra(where=[f"{name} IN ({', '.join(['%s'] * len(chunk))})"], params=list(chunk))  # noqa: S610
        for chunk in _chunks(values, 5000)
    ]


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _require(actor: Actor | None, perm: str) -> None:
    """The actor's role may do ``perm``. No actor is no permission: the platform's own work passes
    ``core.actors.SYSTEM``, so skipping the checks is always a visible choice of the caller."""
    if actor is None or not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _require_in_scope(actor: Actor, model: type[Returnee] | type[IsolationOrder], pk: int) -> None:
    """The record lies in the actor's scope (the service checks it itself, whatever its caller
    already read through ``visible_to``)."""
    if not model.objects.visible_to(actor).filter(pk=pk).exists():
        raise PermissionDenied(_("This record is outside your scope."))


def register(*, actor: Actor | None, side: str, registered_at: dt.datetime | None = None, **data: Any) -> Returnee:
    """Register one returnee from one side (the form and the API). Raises ValidationError with
    field errors; the same rules as a ledger row.

    Returns the person's record when it is in the registrant's scope afterwards; when the ID
    number met a person held outside the scope, an unsaved stand-in (``pk`` None) holding only
    what the registrant typed, its registration and its claim (docs/attribution.md)."""
    _require(actor, "returnees.change")
    errors: dict[str, list[str]] = {}
    row: dict[str, Any] = {"row": 0}
    try:
        row["name"] = _clean_name(data.get("name"))
    except ValidationError as exc:
        errors["name"] = exc.messages
    try:
        row["id_number"] = parse_id_number(str(data.get("id_number") or "")).number
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    try:
        row["phone"] = normalize_phone(str(data["phone"])) if data.get("phone") else ""
    except ValidationError as exc:
        errors["phone"] = exc.messages
    for key, limit in (("address", 200), ("origin_text", 100), ("transport", 40), ("notes", 500)):
        try:
            row[key] = clean_text(str(data.get(key) or ""), max_length=limit, multiline=key == "notes")
        except ValidationError as exc:
            errors[key] = exc.messages
    row["origin_code"] = str(data.get("origin_code") or "")[:6]
    category = data.get("category") or Category.OUTSIDE
    if category not in Category.values:
        errors["category"] = [_("Unknown category.")]
    row["category"] = category
    row["return_date"] = data.get("return_date")
    employer, community = data.get("unit"), data.get("community")
    row["employer"] = employer.code if isinstance(employer, Unit) else ""
    row["community"] = community.code if isinstance(community, Unit) else ""
    if errors:
        raise ValidationError(errors)
    clean, problems = validate_rows(actor=actor, side=side, rows=[row])
    if problems:
        raise ValidationError({
            ("unit" if p.column == "employer" else p.column): [p.reason] for p in problems
        })
    with transaction.atomic():
        result = apply_rows(actor=actor, side=side, rows=clean, registered_at=registered_at)
        returnee = result.returnees[0]
        number = returnee.id_number
        if (number not in result.outside or actor is None
                or Returnee.objects.visible_to(actor).filter(pk=returnee.pk).exists()):
            return returnee
        claim = result.claims.get(number)
        conflict = (AttributionConflict.objects.select_related("claiming_registration__unit").get(pk=claim)
                    if claim is not None else None)
        return _stand_in(clean[0], side=Side(side), person=returnee, conflict=conflict)


def _clean_name(value: Any) -> str:
    """A person's name as typed in a form or the API, by the ledger's own rule (name_fault)."""
    name = clean_text(str(value or ""), max_length=60)
    if not name:
        raise ValidationError(_("The name is required."), code="required")
    bad = name_fault(name)
    if bad is not None:
        raise ValidationError(
            _("A name may hold only letters, the middle dot (·) and spaces, not “%(char)s”.") % {"char": bad},
            code="name",
        )
    return name


def _stand_in(row: dict[str, Any], *, side: Side, person: Returnee, conflict: AttributionConflict | None) -> Returnee:
    """The answer to a registration that met a person held outside the registrant's scope: an
    unsaved record holding only what the registrant typed, with their own registration and the
    claim awaiting the office. Nothing of the person's record is read into it."""
    employer = row.get("employer")
    lines = _line_cache([employer.pk]) if employer is not None else {}
    values = _row_values(row, lines)
    number = row["id_number"]
    if conflict is not None:
        registration = conflict.claiming_registration
    else:  # the registrant's registration of the person stood already
        registering = values[PLACE[side]]
        registration = (Registration.objects.select_related("unit")
                        .filter(returnee=person, side=side, unit_id=registering).first())
    at = registration.registered_at if registration is not None else None
    shown = Returnee(
        name=values["name"], unit_id=values["unit_id"], community_id=values["community_id"],
        address=values["address"], category=values["category"], origin_code=values["origin_code"],
        origin_text=values["origin_text"], transport=values["transport"], return_date=values["return_date"],
        line=values["line"], coordinating_body_id=values["coordinating_body_id"], notes=values["notes"],
        unit_reported_at=at if side == Side.UNIT else None,
        community_reported_at=at if side == Side.COMMUNITY else None,
    )
    shown.id_number, shown.phone = number, values["phone"]  # their stored columns filled by the setters
    shown.standin_registrations = [registration] if registration is not None else []
    shown.attribution_conflict = conflict
    return shown


@transaction.atomic
def returnee_update(*, actor: Actor | None, returnee: Returnee, **data: Any) -> Returnee:
    """Correct a returnee's details (not the ID number: a wrong ID is a merge)."""
    _require(actor, "returnees.change")
    assert actor is not None  # for the type checker: _require refused None
    _require_in_scope(actor, Returnee, returnee.pk)
    returnee = Returnee.objects.select_for_update().get(pk=returnee.pk)
    before = snapshot(returnee)
    errors: dict[str, list[str]] = {}
    if "name" in data:
        try:
            returnee.name = _clean_name(data["name"])
        except ValidationError as exc:
            errors["name"] = exc.messages
    for key, limit in (("address", 200), ("origin_text", 100), ("transport", 40), ("notes", 500)):
        if key in data:
            try:
                setattr(returnee, key, clean_text(str(data[key] or ""), max_length=limit, multiline=key == "notes"))
            except ValidationError as exc:
                errors[key] = exc.messages
    if "phone" in data:
        try:
            returnee.phone = normalize_phone(str(data["phone"])) if data["phone"] else ""
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "category" in data:
        returnee.category = data["category"]
    if "return_date" in data:
        returnee.return_date = data["return_date"]
    if "origin_code" in data:
        returnee.origin_code = str(data["origin_code"] or "")[:6]
    if errors:
        raise ValidationError(errors)
    returnee.full_clean()
    returnee.save()
    audit_change(actor=actor, obj=returnee, before=before)
    return returnee


# ---- attribution conflicts -------------------------------------------------------------


@transaction.atomic
def conflict_resolve(
    *, actor: Actor | None, conflict: AttributionConflict, resolution: str, reason: str
) -> AttributionConflict:
    """The committee office's decision on an attribution conflict (docs/attribution.md):

    - keep: the person stays where it is; the claimant's registration is removed (the claim keeps
      what was typed, by whom and when);
    - move: the person's place on the side goes to the claimant, whose values are applied as a
      registration in scope would apply them;
    - both: both registrations stand; the person stays with its holder.

    In every case the side's first-registration time is the earliest registration that stands.
    """
    _require(actor, "returnees.resolve")
    if actor is None or not AttributionConflict.objects.visible_to(actor).filter(pk=conflict.pk).exists():
        raise PermissionDenied(_("Your role may not do this."))
    errors: dict[str, list[str]] = {}
    if resolution not in Resolution.values:
        errors["resolution"] = [_("Choose keep, move or both.")]
    try:
        reason = clean_text(reason, max_length=200)
        if not reason:
            errors["reason"] = [_("Give the reason for the decision.")]
    except ValidationError as exc:
        errors["reason"] = exc.messages
    if errors:
        raise ValidationError(errors)
    conflict = AttributionConflict.objects.select_for_update().get(pk=conflict.pk)
    if not conflict.is_open:
        raise ValidationError(_("This conflict has already been decided."))
    # The person's row first, as every registration of them takes it.
    person = Returnee.objects.select_for_update().get(pk=conflict.returnee_id)
    before_conflict, before_person = snapshot(conflict), snapshot(person)
    registration = conflict.claiming_registration
    claimed_at = registration.registered_at if registration is not None else conflict.opened_at
    stamp = "unit_reported_at" if conflict.side == Side.UNIT else "community_reported_at"
    if resolution == Resolution.KEEP:
        if registration is not None:
            conflict.claiming_registration = None
            conflict.save(update_fields=["claiming_registration"])
            registration.delete()
    else:
        if resolution == Resolution.MOVE:
            _apply_claim(person, conflict)
        current = getattr(person, stamp)
        if current is None or claimed_at < current:
            setattr(person, stamp, claimed_at)
        person.save()
    conflict.status, conflict.resolution, conflict.reason = ConflictStatus.RESOLVED, resolution, reason
    conflict.resolved_by, conflict.resolved_at = user_of(actor), clock.now()
    conflict.full_clean()
    conflict.save()
    audit_change(actor=actor, obj=conflict, before=before_conflict)
    if snapshot(person) != before_person:
        audit_change(actor=actor, obj=person, before=before_person)
    return conflict


def _apply_claim(person: Returnee, conflict: AttributionConflict) -> None:
    """Move the person's place to the claimant and apply what it typed, as a registration in its
    scope would: its values replace the side's fields, a blank never erases; an isolation opens
    when the person has none and the category calls for one."""
    claimed = conflict.claimed
    side = Side(conflict.side)
    for name in SIDE_FIELDS[side]:
        if name in {"unit", "community", "phone"}:
            continue
        value = claimed.get(name)
        if value in ("", None):
            continue
        if name == "return_date":
            value = dt.date.fromisoformat(value)
        setattr(person, name, value)
    if side == Side.UNIT:
        person.unit_id = conflict.claiming_unit_id
        line, body = _line_cache([conflict.claiming_unit_id]).get(conflict.claiming_unit_id, ("", None))
        person.line, person.coordinating_body_id = line, body
    else:
        person.community_id = conflict.claiming_unit_id
    plan = _plan(person.return_date or timezone.localdate(conflict.opened_at), person.category)
    if plan is not None and not IsolationOrder.objects.filter(returnee=person).exists():
        start, days, end = plan
        IsolationOrder.objects.create(returnee=person, start_date=start, period_days=days, planned_end=end)


# ---- isolation -------------------------------------------------------------------------


@transaction.atomic
def isolation_change(
    *, actor: Actor | None, order: IsolationOrder, days: int, reason: str, approver: str
) -> IsolationOrder:
    """Extend (days > 0) or shorten (days < 0) an isolation; the follow-up schedule follows the end."""
    _require(actor, "returnees.isolation")
    assert actor is not None
    _require_in_scope(actor, IsolationOrder, order.pk)
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if order.released_on is not None:
        raise ValidationError(_("This isolation has already been released."))
    if days == 0:
        raise ValidationError({"days": [_("Give a number of days other than zero.")]})
    reason = clean_text(reason, max_length=200)
    approver = clean_text(approver, max_length=60)
    if not reason or not approver:
        raise ValidationError(_("A reason and an approver are required."))
    new_end = order.planned_end + dt.timedelta(days=days)
    if new_end <= order.start_date:
        raise ValidationError({"days": [_("The isolation cannot end before it starts.")]})
    before = snapshot(order)
    IsolationChange.objects.create(
        order=order, kind=ChangeKind.EXTEND if days > 0 else ChangeKind.SHORTEN, days=days, old_end=order.planned_end,
        new_end=new_end, reason=reason, approver=approver, changed_by=user_of(actor), changed_at=clock.now(),
    )
    order.planned_end = new_end
    order.period_days = (new_end - order.start_date).days
    order.save(update_fields=["planned_end", "period_days"])
    audit_change(actor=actor, obj=order, before=before)
    return order


@transaction.atomic
def isolation_release(*, actor: Actor | None, order: IsolationOrder, day: dt.date, note: str = "") -> IsolationOrder:
    _require(actor, "returnees.isolation")
    assert actor is not None
    _require_in_scope(actor, IsolationOrder, order.pk)
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if order.released_on is not None:
        raise ValidationError(_("This isolation has already been released."))
    if day < order.start_date:
        raise ValidationError({"day": [_("The release date is before the isolation started.")]})
    before = snapshot(order)
    order.released_on = day
    order.released_by = user_of(actor)
    order.release_note = clean_text(note, max_length=200)
    order.save(update_fields=["released_on", "released_by", "release_note"])
    audit_change(actor=actor, obj=order, before=before)
    return order


@transaction.atomic
def follow_up_record(
    *, actor: Actor | None, order: IsolationOrder, day: dt.date, temperature: Decimal, symptoms: str = "",
    at_home: bool = True, checked_at: dt.datetime | None = None,
) -> FollowUp:
    """Record (or correct) one day's follow-up. Only days of the isolation are due."""
    _require(actor, "returnees.followup")
    assert actor is not None
    _require_in_scope(actor, IsolationOrder, order.pk)
    if not order.is_due(day):
        raise ValidationError({"day": [_("No follow-up is due on this day: it is outside the isolation.")]})
    if not Decimal("34.0") <= temperature <= Decimal("43.0"):
        raise ValidationError({"temperature": [_("A body temperature must be between 34.0 and 43.0 °C.")]})
    symptoms = clean_text(symptoms, max_length=200)
    follow_up, created = FollowUp.objects.select_for_update().get_or_create(
        order=order, day=day,
        defaults={"temperature": temperature, "symptoms": symptoms, "at_home": at_home, "checked_by": user_of(actor),
                  "checked_at": checked_at or clock.now()},
    )
    if created:
        audit_change(actor=actor, obj=follow_up, before=None)
        return follow_up
    before = snapshot(follow_up)
    follow_up.temperature, follow_up.symptoms, follow_up.at_home = temperature, symptoms, at_home
    follow_up.checked_by, follow_up.checked_at = user_of(actor), checked_at or clock.now()
    follow_up.save()
    audit_change(actor=actor, obj=follow_up, before=before)
    return follow_up


# ---- merging ---------------------------------------------------------------------------


@transaction.atomic
def returnee_merge(*, actor: Actor | None, keep: Returnee, remove: Returnee) -> Returnee:
    """Merge a duplicate into the record kept: its registrations move over (the earliest of each
    side dates the kept record), its isolation moves when the kept record has none."""
    _require(actor, "returnees.merge")
    assert actor is not None
    _require_in_scope(actor, Returnee, keep.pk)
    _require_in_scope(actor, Returnee, remove.pk)
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different records."))
    # Imports add registrations and isolation orders to people they do not lock one by one: a
    # merge, the only delete of a returnee, waits for them rather than failing at its commit (or
    # theirs) on the foreign-key constraint.
    _lock()
    keep = Returnee.objects.select_for_update().get(pk=keep.pk)
    remove = Returnee.objects.select_for_update().get(pk=remove.pk)
    before_keep, before_remove = snapshot(keep), snapshot(remove)
    kept_pairs = set(keep.registrations.values_list("side", "unit_id"))
    for registration in remove.registrations.all():
        if (registration.side, registration.unit_id) in kept_pairs:
            registration.delete()
        else:
            registration.returnee = keep
            registration.save(update_fields=["returnee"])
    for stamp in ("unit_reported_at", "community_reported_at"):
        values = [v for v in (getattr(keep, stamp), getattr(remove, stamp)) if v is not None]
        setattr(keep, stamp, min(values) if values else None)
    for name in ("phone", "unit", "community", "address", "origin_text", "origin_code", "transport", "return_date"):
        if not getattr(keep, name) and getattr(remove, name):
            setattr(keep, name, getattr(remove, name))
    if not hasattr(keep, "isolation") and hasattr(remove, "isolation"):
        order = remove.isolation
        order.returnee = keep
        order.save(update_fields=["returnee"])
    # Claims follow the person; one claim per claimant and side is kept.
    kept_claims = set(keep.conflicts.values_list("side", "claiming_unit_id"))
    for conflict in remove.conflicts.all():
        if (conflict.side, conflict.claiming_unit_id) in kept_claims:
            conflict.delete()
        else:
            conflict.returnee = keep
            conflict.save(update_fields=["returnee"])
    keep.save()
    audit_log(
        actor=actor, action=Action.UPDATE, obj=keep, before=before_keep, after=snapshot(keep),
        detail=f"merged {remove.pk} ({remove.masked_id_number}) into {keep.pk}",
    )
    audit_log(actor=actor, action=Action.DELETE, obj=remove, before=before_remove, detail=f"merged into {keep.pk}")
    remove.delete()
    return keep
