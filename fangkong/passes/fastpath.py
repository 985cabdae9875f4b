"""The lean path for ``POST /api/v1/passes/verify``: a WSGI layer in front of Django.

Checkpoints send thousands of verifications a second; through Django's middleware stack,
django-ninja and the ORM each took several milliseconds of CPU. This layer answers the ordinary
request itself — a JSON body with a token, an ``Authorization: Bearer`` token — with the same JSON
as the documented endpoint.

The token is read and its signature checked in Python (no database). What needs the database —
the API token's user (not revoked, active, a role that may verify, the checkpoint in its scope),
the pass's state now (a revocation counts at once in every worker), whether the holder's
secondment has ended, and the passage log (committed before the answer names its ``check_id``) —
is one statement. On PostgreSQL the requests a worker has in hand at the same moment share that
statement (``GroupRunner``): the first runs it for all of them in one transaction, so one commit
and one round trip carry a whole burst of checks. On SQLite each request reads and logs in turn.

Abuse costs it nothing: the body is read only after the headers have shown valid credentials (an
API token found in the database, remembered a minute; an unknown one is never remembered) and only
up to ``LEAN_BODY_MAX``; every memo filled from a request is bounded by bytes as well as entries;
malformed or deeply nested JSON and text holding NUL go to Django, which refuses them (400/422).

Everything unusual — no or bad credentials, a role without the permission, an unknown or
out-of-scope checkpoint, a lookup by pass number, input that is not exactly the documented
types — is handed to Django unchanged, so errors, scoping and validation have one implementation.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http.request import split_domain_port, validate_host
from django.utils import timezone, translation
from psycopg.pq import ExecStatus

from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import PERMISSIONS, role_has_perm
from fangkong.core.memo import MISSING, BoundedMemo
from fangkong.core.middleware import cookie_language

from . import selectors, tokens
from .choices import Direction, PassKind, PassStatus, Verdict
from .keys import public_keys

PATH = "/api/v1/passes/verify"
logger = logging.getLogger("django.request")
FIELDS = frozenset({"token", "number", "checkpoint", "direction", "log"})
DIRECTIONS = frozenset(d.value for d in Direction)
TOKEN_TOUCH = ApiToken.TOUCH_EVERY  # as accounts.services.token_user: last_used_at at most this often
VERIFY_ROLES = sorted(PERMISSIONS["passes.verify"])
# Verdicts the signature check settles: the database cannot change them.
FINAL = (Verdict.UNREADABLE, Verdict.UNKNOWN_KEY, Verdict.FORGED)


def final_verdict(provisional: str, status: str | None, stored_token: str | None, token: str, kind: str | None,
                  person_id: int | None, seconded: bool, ended_before: bool) -> str:
    """The verdict once the pass's row is known. ``provisional`` is the token checked with no
    revocations; the order is ``tokens.check_read``'s (withdrawn before dates), then a valid token
    that is not the pass's current one is unknown, and a staff pass whose holder's secondment has
    ended is refused. ``GROUP_SQL`` says the same in SQL."""
    if provisional in FINAL:
        return provisional
    if status == PassStatus.REVOKED:
        return Verdict.REVOKED
    if status == PassStatus.SUSPENDED:
        return Verdict.SUSPENDED
    if provisional != Verdict.VALID:
        return provisional
    if status is None or stored_token != token:
        return Verdict.NOT_FOUND
    if kind == PassKind.STAFF and person_id is not None and not seconded and ended_before:
        return Verdict.SECONDMENT_ENDED
    return Verdict.VALID


# The user's scope on a checkpoint, as ``core.scoping.unit_in_scope`` decides it: one of the user's
# scope units is the checkpoint or above it (the closure table holds each unit's self-link).
_IN_SCOPE = """EXISTS(SELECT 1 FROM accounts_userscope s JOIN orgs_unitlink l ON l.ancestor_id = s.unit_id
                    WHERE s.user_id = {user} AND l.descendant_id = {checkpoint})"""
_SECONDED = """EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id
                     AND s.starts_on <= {day} AND (s.ends_on IS NULL OR s.ends_on >= {day}))"""
_ENDED = "EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id AND s.ends_on < {day})"

GROUP_SQL = f"""
WITH r AS (
    SELECT * FROM unnest(%(ord)s::int[], %(key_hash)s::text[], %(pass_id)s::bigint[], %(checkpoint_id)s::bigint[],
                         %(provisional)s::text[], %(token)s::text[], %(holder)s::text[], %(number)s::text[],
                         %(direction)s::text[], %(log)s::bool[], %(now)s::timestamptz[], %(day)s::date[])
        AS r(ord, key_hash, pass_id, checkpoint_id, provisional, token, holder, number, direction, log, now, day)
), a AS MATERIALIZED (
    SELECT r.*, t.id AS token_pk, t.user_id, u.role = ANY(%(roles)s::text[]) AS may,
           (t.last_used_at IS NULL OR t.last_used_at < r.now - %(touch)s::interval) AS touch
    FROM r
    JOIN accounts_apitoken t ON t.key_hash = r.key_hash AND {ApiToken.LIVE_SQL.format(t="t", now="r.now")}
    JOIN accounts_user u ON u.id = t.user_id AND u.is_active
), inside AS MATERIALIZED (
    -- Each (user, checkpoint) of the group once: one of the user's scope units is the checkpoint or above it.
    SELECT pair.user_id, pair.checkpoint_id
    FROM (SELECT DISTINCT user_id, checkpoint_id FROM a WHERE checkpoint_id IS NOT NULL) AS pair
    WHERE {_IN_SCOPE.format(user="pair.user_id", checkpoint="pair.checkpoint_id")}
), w AS MATERIALIZED (
    SELECT a.*, p.id AS p_id, p.number AS p_number,
           a.may AND (a.checkpoint_id IS NULL OR EXISTS(
               SELECT 1 FROM inside i WHERE i.user_id = a.user_id AND i.checkpoint_id = a.checkpoint_id)) AS allowed,
           CASE WHEN a.provisional IN ('{Verdict.UNREADABLE}', '{Verdict.UNKNOWN_KEY}', '{Verdict.FORGED}')
                    THEN a.provisional
                WHEN p.status = '{PassStatus.REVOKED}' THEN '{Verdict.REVOKED}'
                WHEN p.status = '{PassStatus.SUSPENDED}' THEN '{Verdict.SUSPENDED}'
                WHEN a.provisional <> '{Verdict.VALID}' THEN a.provisional
                WHEN p.id IS NULL OR p.token <> a.token THEN '{Verdict.NOT_FOUND}'
                WHEN p.kind = '{PassKind.STAFF}' AND p.person_id IS NOT NULL
                     AND NOT {_SECONDED.format(day="a.day")} AND {_ENDED.format(day="a.day")}
                    THEN '{Verdict.SECONDMENT_ENDED}'
                ELSE '{Verdict.VALID}' END AS verdict
    FROM a LEFT JOIN passes_pass p ON p.id = a.pass_id
), x AS MATERIALIZED (
    SELECT w.*, CASE WHEN w.allowed AND w.log THEN nextval(pg_get_serial_sequence('passes_passcheck', 'id')) END
           AS check_id
    FROM w
), logged AS (
    INSERT INTO passes_passcheck (id, pass_id, pass_number, holder, checkpoint_id, verdict, direction, confirmed,
                                  checked_at, checked_by_id, source, client_id, list_version)
    SELECT check_id, p_id, left(coalesce(p_number, number), 16), holder, checkpoint_id, verdict, direction, false,
           now, user_id, 'api', '', NULL
    FROM x WHERE check_id IS NOT NULL
)
SELECT ord, allowed, touch, token_pk, user_id, p_id, p_number, verdict, check_id FROM x
"""
"""The statement a group of verifications shares (PostgreSQL): the requests come in as arrays, one
element each; a request whose API token is unknown gets no row back (Django answers it: 401), one
that may not verify there gets ``allowed`` false (Django answers: 403 or 404) and logs nothing."""

_SELECT_SQL = f"""
SELECT t.id, t.user_id, u.role, (t.last_used_at IS NULL OR t.last_used_at < %s),
       (%s IS NULL OR {_IN_SCOPE.format(user="t.user_id", checkpoint="%s")}),
       p.id, p.number, p.kind, p.status, p.person_id, p.token,
       EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id
              AND s.starts_on <= %s AND (s.ends_on IS NULL OR s.ends_on >= %s)),
       EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id AND s.ends_on < %s)
FROM accounts_apitoken t
JOIN accounts_user u ON u.id = t.user_id
LEFT JOIN passes_pass p ON p.id = %s
WHERE t.key_hash = %s AND {ApiToken.LIVE_SQL.format(t="t", now="%s")} AND u.is_active = %s
"""
_INSERT_SQL = """
INSERT INTO passes_passcheck (pass_id, pass_number, holder, checkpoint_id, verdict, direction, confirmed,
                              checked_at, checked_by_id, source, client_id, list_version)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'api', '', NULL)
RETURNING id
"""


class Statement:
    """One statement of the one-by-one path: its text and how to read each column of its first row
    (None: it returns nothing)."""

    def __init__(self, sql: str, columns: tuple[Callable[[Any], Any], ...] | None) -> None:
        self.sql, self.columns = sql, columns


SELECT = Statement(_SELECT_SQL, (int, int, str, bool, bool, int, str, str, str, int, str, bool, bool))
INSERT = Statement(_INSERT_SQL, (int,))
TOUCH = Statement("UPDATE accounts_apitoken SET last_used_at = %s WHERE id = %s", None)


class Check:
    """One verification on its way through the database: what the request brings, then what the
    database said (``row``: None when the API token is unknown)."""

    __slots__ = ("checkpoint_id", "day", "direction", "error", "event", "holder", "key_hash", "lead", "log", "now",
                 "number", "pass_id", "provisional", "row", "token")

    def __init__(self, key_hash: str, pass_id: int | None, checkpoint_id: int | None, provisional: str, token: str,
                 holder: str, number: str, direction: str, log: bool, now: dt.datetime, day: dt.date) -> None:
        self.key_hash, self.pass_id, self.checkpoint_id = key_hash, pass_id, checkpoint_id
        self.provisional, self.token, self.holder, self.number = provisional, token, holder, number
        self.direction, self.log, self.now, self.day = direction, log, now, day
        self.row: tuple[Any, ...] | None = None
        self.error: BaseException | None = None
        self.event: threading.Lock | None = None
        self.lead = False


class GroupRunner:
    """Runs the database work of concurrent requests together (leader and followers).

    A request that finds nobody running becomes the leader: it takes every check waiting (its own
    among them), runs them as one statement on its own connection, hands the answers out, and
    passes the lead to the first request that arrived meanwhile — so nobody waits longer than the
    group ahead of it, and a lone request runs at once. Requests never wait for a timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Check] = []
        self._busy = False
        self.groups = 0
        self.largest = 0

    def run(self, check: Check, execute: Callable[[list[Check]], None]) -> None:
        with self._lock:
            if self._busy:
                # A plain lock, taken now and released by whoever answers: cheaper than an Event.
                check.event = threading.Lock()
                check.event.acquire()
                self._waiting.append(check)
            else:
                self._busy = True
                self._waiting.append(check)
        if check.event is not None:
            check.event.acquire()
            if not check.lead:
                return  # answered by a leader
        group: list[Check] = []
        try:
            with self._lock:
                group, self._waiting = self._waiting, []
            self.groups += 1
            self.largest = max(self.largest, len(group))
            try:
                execute(group)
            except BaseException as exc:  # every request of the group answers 500, logged
                for c in group:
                    c.error = exc
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].event.release()  # type: ignore[union-attr]
                else:
                    self._busy = False
            for c in group:
                if c is not check:
                    c.event.release()  # type: ignore[union-attr]


RUNNER = GroupRunner()


class VerifyFastPath:
    """WSGI middleware: answers the ordinary verification itself, passes everything else on."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.hosts: dict[str, bool] = {}
        self.heads: dict[tuple[str, str], str] = {}
        # Settings the answer needs, read once (as Django's middleware reads them when it starts).
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.zone = timezone.get_default_timezone()
        self.headers = [
            ("X-Frame-Options", settings.X_FRAME_OPTIONS),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin"),
            ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin"),
            # As core.middleware.NoStoreMiddleware: the answer names the holder.
            ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private"),
        ]
        self.grouped = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        try:
            # Everything the headers can settle comes before the body is read: a request without
            # valid credentials is handed to Django (401) with its body unread, and a body larger
            # than a verification ever is goes to Django too (its own limit applies there).
            key_hash = self.admitted(environ) if 0 < length <= LEAN_BODY_MAX else None
            if key_hash is None:
                return self.app(environ, start_response)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # Django reads it again when it answers
            answer = self.answer(environ, body, key_hash)
        except Exception:
            # As Django would: logged with the request's path, a JSON 500 to the client.
            logger.exception("Internal Server Error: %s", PATH)
            data = b'{"detail": "Server error."}'
            start_response("500 Internal Server Error", [
                ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data))),
            ])
            return [data]
        if answer is None:
            return self.app(environ, start_response)
        data, language = answer
        start_response("200 OK", [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Content-Language", language),
            *self.headers,
        ])
        return [data]

    def host_allowed(self, environ: dict[str, Any]) -> bool:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        ok = self.hosts.get(host)
        if ok is None:
            domain, _port = split_domain_port(host)
            allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
            ok = bool(domain) and validate_host(domain, allowed)
            if len(self.hosts) < 1000 and len(host) <= 255:  # bounded: 1,000 names of a DNS name's length
                self.hosts[host] = ok
        return ok

    def admitted(self, environ: dict[str, Any]) -> str | None:
        """The API token's hash when the headers make this a request for the lean path with valid
        credentials; None hands it to Django. Reads no body."""
        if self.ssl_redirect and environ.get("wsgi.url_scheme") != "https" and (
            environ.get("HTTP_X_FORWARDED_PROTO") != "https"
        ):
            return None
        if not self.host_allowed(environ):
            return None
        auth = environ.get("HTTP_AUTHORIZATION", "")
        key = auth[7:]
        if not auth.startswith("Bearer ") or " " in key or not 2 <= len(key) <= MAX_KEY_LENGTH:
            return None
        if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return None
        key_hash = _key_hash(key)
        return key_hash if _credentials_valid(key_hash) else None

    def answer(self, environ: dict[str, Any], body: bytes, key_hash: str) -> tuple[bytes, str] | None:
        """The response body and language, or None to let Django answer."""
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return None  # Django answers 400 (malformed or too deeply nested)
        if not isinstance(payload, dict) or not FIELDS.issuperset(payload):
            return None
        token, checkpoint_code = payload.get("token", ""), payload.get("checkpoint", "")
        number, direction, log = payload.get("number", ""), payload.get("direction"), payload.get("log", True)
        if not (type(token) is str and token and type(checkpoint_code) is str and type(number) is str
                and type(log) is bool and (direction is None or direction in DIRECTIONS)):
            return None
        if "\x00" in token or "\x00" in number or "\x00" in checkpoint_code:
            return None  # PostgreSQL text holds no NUL: Django refuses it (422) before any statement
        try:
            token.encode()
            number.encode()
            checkpoint_code.encode()
        except UnicodeEncodeError:
            return None  # a lone surrogate from a JSON escape is no text the database takes: Django answers
        checkpoint_id = None
        zone_ids = None
        if checkpoint_code:
            zone = selectors.checkpoint_zone(checkpoint_code)
            if zone is None:
                return None  # Django answers: 401 without credentials, else 404
            checkpoint_id, zone_ids = zone
        now = dt.datetime.now(dt.UTC)
        read = _read(token)
        claims = read[2] if read is not None else None
        provisional: str
        if read is None:
            provisional = Verdict.UNREADABLE
        else:
            provisional = tokens.check_read(
                read[0], read[1], read[2], public_keys=public_keys(), revocations=None, now=now, zone_ids=zone_ids,
            ).verdict
        check = Check(
            key_hash, claims.pass_id if claims else None, checkpoint_id, str(provisional),
            token.strip().upper(), (claims.holder if claims else "")[:100], number, direction or "", log, now,
            now.astimezone(self.zone).date(),
        )
        if self.grouped:
            RUNNER.run(check, _run_group)
        else:
            _run_one(connections[DEFAULT_DB_ALIAS], check)
        if check.error is not None:
            raise check.error
        if check.row is None:
            return None  # unknown or revoked token, inactive user: Django answers 401
        allowed, p_id, p_number, verdict, check_id = check.row
        if not allowed:
            return None  # Django answers 403 (role) or 404 (checkpoint outside the scope)
        language = cookie_language(environ.get("HTTP_COOKIE") or "")
        # The answer is the same JSON as the endpoint's, put together from parts that repeat: the
        # verdict's part per language, the token's part (what it claims) per token.
        head = self.heads.get((language, verdict))
        if head is None:
            with translation.override(language):
                label = str(Verdict(verdict).label)
            head = self.heads[(language, verdict)] = json.dumps(
                {"verdict": verdict, "label": label, "valid": verdict == Verdict.VALID}
            )[:-1]
        number_json = f'"{p_number}"' if p_number and p_number.isascii() and p_number.isalnum() else json.dumps(
            p_number or "")
        return (
            f'{head}, "pass_id": {"null" if p_id is None else int(p_id)}, "pass_number": {number_json}, '
            f'{read[3] if read is not None else _UNREAD}, "check_id": {"null" if check_id is None else int(check_id)}}}'
        ).encode(), language


# Request-supplied keys: every memo is bounded by entries and bytes (``core.memo``).
MAX_KEY_LENGTH = 256
"""An Authorization value longer than this is no API token (they are 46 characters): Django answers."""
LEAN_BODY_MAX = 16 * 1024
"""A verification's body is a few hundred bytes (a token is at most about 2.5 kB): a larger one is
handed to Django, whose own body limit applies."""
_KEY_HASHES: BoundedMemo[str, str] = BoundedMemo(
    max_entries=10_000, max_bytes=4 * 1024 * 1024, max_item_bytes=1024, size=lambda k, v: len(k) + len(v) + 200,
)
_ADMITTED: BoundedMemo[str, float] = BoundedMemo(
    max_entries=10_000, max_bytes=4 * 1024 * 1024, max_item_bytes=1024, size=lambda k, v: len(k) + 200,
)
ADMIT_SECONDS = 60.0
"""How long an API token found valid lets its requests' bodies be read without asking the database
again. Only the reading: the statement that answers checks the token again (a revocation counts
at once)."""


def _key_hash(key: str) -> str:
    """The API token's stored hash (the token's own state is still read at every check)."""
    hit = _KEY_HASHES.get(key)
    if hit is MISSING:
        hit = ApiToken.hash_key(key)
        _KEY_HASHES.put(key, hit)
    return hit  # type: ignore[return-value]


def _credentials_valid(key_hash: str) -> bool:
    """Whether the API token is live (``ApiToken.objects.live``: not revoked, not expired, its user
    active; the statement's join decides the same again at every check), remembered for ``ADMIT_SECONDS`` when it is; an unknown one is asked every time (and
    never remembered, so random tokens fill nothing)."""
    now = time.monotonic()
    until = _ADMITTED.get(key_hash)
    if until is not MISSING and now < until:  # type: ignore[operator]
        return True
    _ready(connections[DEFAULT_DB_ALIAS])
    if not ApiToken.objects.live(timezone.now()).filter(key_hash=key_hash).exists():
        return False
    _ADMITTED.put(key_hash, now + ADMIT_SECONDS)
    return True


def forget_all() -> None:
    """Empty the memos (tests: ids and tokens are reused between them)."""
    _KEY_HASHES.clear()
    _ADMITTED.clear()
    _READS.clear()


Read = tuple[bytes, bytes, tokens.PassClaims, str]
_UNREAD = json.dumps({"kind": "", "holder": "", "unit": "", "valid_from": None, "valid_until": None})[1:-1]
_READS: BoundedMemo[str, Read | None] = BoundedMemo(
    max_entries=50_000, max_bytes=32 * 1024 * 1024, max_item_bytes=16 * 1024,
    size=lambda k, v: 3 * len(k) + 600,
)
"""Token text → what it reads as. A real token is at most about 2.5 kB; 32 MB hold over 10,000 of
the largest and some 50,000 of the usual."""


def _read(token: str) -> Read | None:
    """The token's signed body, signature and claims, and the claims as the answer's JSON members;
    None when it cannot be read. Remembered per token text (a pass is scanned many times a day;
    reading it is a pure function of the text)."""
    hit = _READS.get(token)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    read = _read_token(token)
    _READS.put(token, read)
    return read


def _read_token(token: str) -> Read | None:
    try:
        signed, signature = tokens.split(token)
        claims = tokens.unpack(signed)
    except tokens.TokenError:
        return None
    return signed, signature, claims, json.dumps({
        "kind": claims.kind, "holder": claims.holder, "unit": claims.unit_name,
        "valid_from": _iso(claims.valid_from), "valid_until": _iso(claims.valid_until),
    })[1:-1]


def _ready(db: BaseDatabaseWrapper) -> None:
    """What Django does at each request's start: drop a broken connection or one past CONN_MAX_AGE
    (but not the health check's extra round trip on every request; a broken one is dropped)."""
    if not db.in_atomic_block and (
        db.errors_occurred or (db.close_at is not None and time.monotonic() >= db.close_at)
    ):
        close_old_connections()


def _run_group(group: list[Check]) -> None:
    """Run a group of checks as one statement on this thread's connection (PostgreSQL)."""
    db = connections[DEFAULT_DB_ALIAS]
    _ready(db)
    db.ensure_connection()
    pgconn = db.connection.pgconn
    try:
        # Through libpq directly, as a statement prepared and planned once per connection: Django's
        # cursors bind on the client, so the server would parse and plan it every time (planning
        # costs several times more than running it), and psycopg's array adaptation in Python costs
        # more than the statement. Django prepares nothing on the server, so the generic-plan
        # setting concerns this statement only.
        done: set[bytes] | None = getattr(db.connection, "_fangkong_prepared", None)
        if done is None:
            _result(pgconn, pgconn.exec_(b"SET plan_cache_mode = force_generic_plan"))
            done = set()
            db.connection._fangkong_prepared = done  # the statements this connection has prepared
        for statement in (GROUP, TOUCH_GROUP):
            if statement.name not in done:
                _result(pgconn, pgconn.prepare(statement.name, statement.sql))
                done.add(statement.name)
        result = _result(pgconn, pgconn.exec_prepared(GROUP.name, [
            _int_array(range(len(group))), _text_array([c.key_hash for c in group]),
            _int_array([c.pass_id for c in group]), _int_array([c.checkpoint_id for c in group]),
            _text_array([c.provisional for c in group]), _text_array([c.token for c in group]),
            _text_array([c.holder for c in group]), _text_array([c.number for c in group]),
            _text_array([c.direction for c in group]), _bool_array([c.log for c in group]),
            _text_array([c.now.isoformat() for c in group]), _text_array([c.day.isoformat() for c in group]),
            _TOUCH_INTERVAL, _VERIFY_ROLES,
        ]))
        rows = [[result.get_value(i, j) for j in range(9)] for i in range(result.ntuples)]
        touch = sorted({int(row[3]) for row in rows if row[1] == b"t" and row[2] == b"t"})
        if touch:
            now = group[0].now.isoformat().encode()
            _result(pgconn, pgconn.exec_prepared(TOUCH_GROUP.name, [now, _int_array(touch), _TOUCH_INTERVAL]))
    except DatabaseError:
        db.errors_occurred = True  # the connection is checked (and dropped if broken) at the next request
        raise
    if db.queries_logged:  # as Django's debug cursor: tests and the debug toolbar see it
        db.queries_log.append({"sql": f"{GROUP_SQL.strip()} -- {len(group)} checks", "time": "0.000"})
    for ord_, allowed, _touch, _token_pk, _user_id, p_id, p_number, verdict, check_id in rows:
        group[int(ord_)].row = (
            allowed == b"t", None if p_id is None else int(p_id), None if p_number is None else p_number.decode(),
            verdict.decode(), None if check_id is None else int(check_id),
        )


class Prepared:
    """A statement prepared by name on a connection: ``%(name)s`` placeholders become ``$n`` in the
    order of ``names``."""

    def __init__(self, name: str, sql: str, names: tuple[str, ...]) -> None:
        for n, key in enumerate(names, 1):
            sql = sql.replace(f"%({key})s", f"${n}")
        if "%(" in sql:
            raise ValueError("a placeholder without a parameter")
        self.name, self.sql = name.encode(), sql.encode()


GROUP = Prepared("fk_verify_group", GROUP_SQL, (
    "ord", "key_hash", "pass_id", "checkpoint_id", "provisional", "token", "holder", "number", "direction", "log",
    "now", "day", "touch", "roles",
))
TOUCH_GROUP = Prepared(
    "fk_verify_touch",
    "UPDATE accounts_apitoken SET last_used_at = %(now)s WHERE id = ANY(%(ids)s::bigint[])"
    " AND (last_used_at IS NULL OR last_used_at < %(now)s::timestamptz - %(touch)s::interval)",
    ("now", "ids", "touch"),
)
_TOUCH_INTERVAL = f"{int(TOKEN_TOUCH.total_seconds())} seconds".encode()


def _text_array(values: list[str]) -> bytes:
    """A PostgreSQL array literal of text: every element quoted, backslash and quote escaped.

    PostgreSQL text holds no NUL (libpq would cut the literal there and fail the whole group's
    statement): no text with one reaches a group, since a request that carries one is handed to
    Django, which refuses it (422), and a token's claims with one are unreadable. Raised here all
    the same, before anything is sent."""
    joined = "".join(values)
    if "\x00" in joined:
        raise ValueError("PostgreSQL text cannot hold NUL")
    if '"' not in joined and "\\" not in joined:  # the usual case: nothing to escape
        return ('{"' + '","'.join(values) + '"}').encode()
    return ("{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}").encode()


def _int_array(values: Iterable[int | None]) -> bytes:
    return ("{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}").encode()


def _bool_array(values: list[bool]) -> bytes:
    return ("{" + ",".join("t" if v else "f" for v in values) + "}").encode()


_VERIFY_ROLES = _text_array(VERIFY_ROLES)


def _result(pgconn: Any, result: Any) -> Any:
    if result.status not in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
        raise DatabaseError((result.error_message or pgconn.error_message).decode(errors="replace"))
    return result


def _run_one(db: BaseDatabaseWrapper, check: Check) -> None:
    """One check, read and logged in turn through Django's cursor (SQLite)."""
    _ready(db)
    day = db.ops.adapt_datefield_value(check.day)
    touch_before = db.ops.adapt_datetimefield_value(check.now - TOKEN_TOUCH)
    row = _fetch(db, SELECT, [touch_before, check.checkpoint_id, check.checkpoint_id, day, day, day, check.pass_id,
                              check.key_hash, db.ops.adapt_datetimefield_value(check.now), True])
    if row is None:
        return
    token_pk, user_id, role, touch, inside, p_id, p_number, p_kind, p_status, p_person, p_token, seconded, ended = row
    allowed = role_has_perm(role, "passes.verify") and inside
    if not allowed:
        check.row = (False, None, None, "", None)
        return
    verdict = final_verdict(check.provisional, p_status, p_token, check.token, p_kind, p_person, seconded, ended)
    if touch:
        _fetch(db, TOUCH, [db.ops.adapt_datetimefield_value(check.now), token_pk])
    check_id = None
    if check.log:
        inserted = _fetch(db, INSERT, [
            p_id, (p_number if p_id is not None else check.number)[:16], check.holder, check.checkpoint_id, verdict,
            check.direction, False, db.ops.adapt_datetimefield_value(check.now), user_id,
        ])
        check_id = inserted[0] if inserted else None
    check.row = (True, p_id, p_number, verdict, check_id)


def _fetch(db: BaseDatabaseWrapper, statement: Statement, params: list[Any]) -> tuple[Any, ...] | None:
    """Run one statement through Django's cursor and return its first row, read with the
    statement's column types."""
    with db.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone() if statement.columns else None
    if row is None:
        return None
    return tuple(None if v is None else read(v) for read, v in zip(statement.columns or (), row, strict=True))


def _iso(moment: dt.datetime) -> str:
    """A datetime as django-ninja's encoder writes it (DjangoJSONEncoder: milliseconds, Z for UTC)."""
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text
