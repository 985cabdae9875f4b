"""The lean path for ``POST /api/v1/passes/verify``: a WSGI layer in front of Django.

Checkpoints send thousands of verifications a second; through Django's middleware stack,
django-ninja and the ORM each took several milliseconds of CPU. This layer answers the ordinary
request itself — a JSON body with a token, an ``Authorization: Bearer`` token — with the same
status, headers and JSON as the documented endpoint.

It is not a second web stack. Around the answer it does what Django's middleware does, with
their own code (``core.middleware.ApiEnvelope``: the host check, the HTTPS redirect, the security,
CSP and no-store headers, the language); the body limit and the request log are WSGI layers in
front of both (``config.wsgi``); ``MIDDLEWARE`` below says how each of Django's middleware applies
here, and ``fangkong check`` fails on one it does not know. ``tests/passes/test_envelope.py`` sends
the same requests through this layer and through Django alone and compares status, headers, body
and log line.

Nor does it decide anything itself. The token is read and its signature checked in Python (no
database); what needs the database — the API token's user (not revoked, active), the user's
scope units, the pass's row and its holder's secondments — is read in one statement, and Python
concludes: the role and scope (``accounts.roles.role_has_perm``, ``core.scoping.scope_covers``)
and the verdict (``verdict.decide``, through ``selectors.pass_facts``, as the Django endpoint).
The passage log is then written (committed before the answer names its ``check_id``). On
PostgreSQL the requests a worker has in hand at the same moment share both statements
(``GroupRunner``): one read and one write carry a whole burst of checks. On SQLite each request
reads and logs in turn.

Abuse costs it nothing: the body is read only after the headers have shown valid credentials (an
API token found in the database, remembered a minute; an unknown one is never remembered) and only
up to ``LEAN_BODY_MAX``; every memo filled from a request is bounded by bytes as well as entries;
malformed or deeply nested JSON and text holding NUL go to Django, which refuses them (400/422).

Everything unusual — no or bad credentials, a role without the permission, an unknown or
out-of-scope checkpoint, a lookup by pass number, input that is not exactly the documented
types, a host Django refuses, plain HTTP where HTTPS is required — is handed to Django unchanged,
so errors, scoping and validation have one implementation.
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
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation
from psycopg.pq import ExecStatus

from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import role_has_perm
from fangkong.config.accesslog import USER_KEY
from fangkong.core import clock
from fangkong.core.memo import MISSING, BoundedMemo
from fangkong.core.middleware import JSON, ApiEnvelope, cookie_language
from fangkong.core.scoping import scope_covers

from . import selectors, tokens, verdict
from .choices import Direction, PassKind, Verdict
from .keys import public_keys

PATH = "/api/v1/passes/verify"
logger = logging.getLogger("django.request")
FIELDS = frozenset({"token", "number", "checkpoint", "direction", "log"})
DIRECTIONS = frozenset(d.value for d in Direction)
TOKEN_TOUCH = ApiToken.TOUCH_EVERY  # as accounts.services.token_user: last_used_at at most this often

MIDDLEWARE = {
    "fangkong.config.accesslog.RequestUserMiddleware": "the user's id is left in the environ for the request log",
    "django.middleware.security.SecurityMiddleware": "ApiEnvelope: its HTTPS redirect (Django answers) and headers",
    "fangkong.core.middleware.BodyLimitMiddleware": "RequestEnvelope applies the same limit in front of both",
    "csp.middleware.CSPMiddleware": "ApiEnvelope: its Content-Security-Policy header",
    "whitenoise.middleware.WhiteNoiseMiddleware": "static files only",
    "django.contrib.sessions.middleware.SessionMiddleware": "no session with an API token; ApiEnvelope: Vary",
    "fangkong.core.middleware.LanguageMiddleware": "core.middleware.cookie_language; ApiEnvelope: Content-Language",
    "django.middleware.common.CommonMiddleware": "ApiEnvelope: the host check; Content-Length",
    "django.middleware.csrf.CsrfViewMiddleware": "an API token is no cookie: the API checks no CSRF token",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the API token, read in the statement",
    "fangkong.core.middleware.NoStoreMiddleware": "ApiEnvelope: add_never_cache_headers",
    "django_otp.middleware.OTPMiddleware": "the second factor concerns sessions only",
    "fangkong.accounts.middleware.SessionPolicyMiddleware": "sessions only",
    "django.contrib.messages.middleware.MessageMiddleware": "the API shows no messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "ApiEnvelope: its X-Frame-Options header",
}
"""How each of Django's middleware applies to the requests this layer answers. A middleware added
to ``settings.MIDDLEWARE`` must be added here, with how it applies (``middleware_check``)."""


def middleware_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``fangkong check``: every middleware is known to the lean path, so none silently skips it."""
    return [
        checks.Error(
            f"The lean verification path does not know the middleware {name}.",
            hint="Say in fangkong.passes.fastpath.MIDDLEWARE how it applies to the verifications that path "
                 "answers (and make it apply, through core.middleware.ApiEnvelope), or hand them to Django.",
            id="passes.E001",
        )
        for name in settings.MIDDLEWARE if name not in MIDDLEWARE
    ]


# The user's scope units, read with the row: ``core.scoping.scope_covers`` decides the scope.
_SCOPE = "(SELECT {agg}(s.unit_id{sep}) FROM accounts_userscope s WHERE s.user_id = {user})"
# The holder's secondments as 'start/end' pairs: ``verdict.secondment_ended`` decides.
_SPANS_PG = """(SELECT string_agg(to_char(d.starts_on, 'YYYY-MM-DD') || '/'
                                 || coalesce(to_char(d.ends_on, 'YYYY-MM-DD'), ''), ',')
               FROM deployment_secondment d WHERE d.person_id = p.person_id)"""
_SPANS_SQLITE = """(SELECT group_concat(d.starts_on || '/' || coalesce(d.ends_on, ''), ',')
                   FROM deployment_secondment d WHERE d.person_id = p.person_id)"""

READ_SQL = f"""
WITH r AS (
    SELECT * FROM unnest(%(ord)s::int[], %(key_hash)s::text[], %(pass_id)s::bigint[], %(now)s::timestamptz[])
        AS r(ord, key_hash, pass_id, now)
), a AS MATERIALIZED (
    SELECT r.*, t.id AS token_pk, t.user_id, u.role,
           (t.last_used_at IS NULL OR t.last_used_at < r.now - %(touch)s::interval) AS touch
    FROM r
    JOIN accounts_apitoken t ON t.key_hash = r.key_hash AND {ApiToken.LIVE_SQL.format(t="t", now="r.now")}
    JOIN accounts_user u ON u.id = t.user_id AND u.is_active
), scopes AS MATERIALIZED (
    -- Each user of the group once.
    SELECT g.user_id, {_SCOPE.format(agg="array_agg", sep="", user="g.user_id")} AS units
    FROM (SELECT DISTINCT user_id FROM a) AS g
)
SELECT a.ord, a.token_pk, a.user_id, a.role, a.touch, scopes.units,
       p.id, p.number, p.kind, p.status, p.person_id, p.token, {_SPANS_PG}
FROM a
JOIN scopes ON scopes.user_id = a.user_id
LEFT JOIN passes_pass p ON p.id = a.pass_id
"""
"""What a group of verifications reads (PostgreSQL): the requests come in as arrays, one element
each; a request whose API token is unknown gets no row back (Django answers it: 401)."""

WRITE_SQL = """
WITH v AS (
    SELECT * FROM unnest(%(ord)s::int[], %(pass_id)s::bigint[], %(number)s::text[], %(holder)s::text[],
                         %(checkpoint_id)s::bigint[], %(verdict)s::text[], %(direction)s::text[],
                         %(checked_at)s::timestamptz[], %(user_id)s::bigint[])
        AS v(ord, pass_id, number, holder, checkpoint_id, verdict, direction, checked_at, user_id)
), x AS MATERIALIZED (
    SELECT v.*, nextval(pg_get_serial_sequence('passes_passcheck', 'id')) AS check_id FROM v
), logged AS (
    INSERT INTO passes_passcheck (id, pass_id, pass_number, holder, checkpoint_id, verdict, direction, confirmed,
                                  checked_at, checked_by_id, source, client_id, list_version)
    SELECT check_id, pass_id, number, holder, checkpoint_id, verdict, direction, false, checked_at, user_id,
           'api', '', NULL
    FROM x
), touched AS (
    UPDATE accounts_apitoken SET last_used_at = %(now)s::timestamptz WHERE id = ANY(%(touch_ids)s::bigint[])
       AND (last_used_at IS NULL OR last_used_at < %(now)s::timestamptz - %(touch)s::interval)
)
SELECT ord, check_id FROM x
"""
"""What a group writes (PostgreSQL), in one transaction: the passages it logs, and the API tokens
whose last use is due to be noted."""

_SELECT_SQL = f"""
SELECT t.id, t.user_id, u.role, (t.last_used_at IS NULL OR t.last_used_at < %s),
       {_SCOPE.format(agg="group_concat", sep=", ','", user="t.user_id")},
       p.id, p.number, p.kind, p.status, p.person_id, p.token, {_SPANS_SQLITE}
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


SELECT = Statement(_SELECT_SQL, (int, int, str, bool, str, int, str, str, str, int, str, str))
INSERT = Statement(_INSERT_SQL, (int,))
TOUCH = Statement("UPDATE accounts_apitoken SET last_used_at = %s WHERE id = %s", None)


class Check:
    """One verification on its way through the database: what the request brings, then the answer
    (``row``: None when the API token is unknown; else allowed, pass id, pass number, verdict,
    check id)."""

    __slots__ = ("checkpoint_id", "claims", "direction", "error", "event", "holder", "key_hash", "lead", "log",
                 "now", "number", "row", "token", "token_state", "user_id", "zone_ids")

    def __init__(self, key_hash: str, claims: tokens.PassClaims | None, token_state: str, checkpoint_id: int | None,
                 zone_ids: frozenset[int] | None, token: str, number: str, direction: str, log: bool,
                 now: dt.datetime) -> None:
        self.key_hash, self.claims, self.token_state = key_hash, claims, token_state
        self.checkpoint_id, self.zone_ids = checkpoint_id, zone_ids
        self.token, self.number, self.direction, self.log, self.now = token, number, direction, log, now
        self.holder = (claims.holder if claims else "")[:100]
        self.row: tuple[Any, ...] | None = None
        self.user_id: int | None = None
        self.error: BaseException | None = None
        self.event: threading.Lock | None = None
        self.lead = False

    @property
    def pass_id(self) -> int | None:
        return self.claims.pass_id if self.claims else None

    def conclude(self, role: str, scope_units: Iterable[int], p_id: int | None, p_number: str | None,
                 p_kind: str | None, p_status: str | None, p_person: int | None, p_token: str | None,
                 spans: list[verdict.Span]) -> tuple[bool, str]:
        """Whether the user may verify here, and the verdict: the same functions the Django
        endpoint asks, on the rows the statement read."""
        allowed = role_has_perm(role, "passes.verify") and (
            self.zone_ids is None or scope_covers(scope_units, self.zone_ids))
        if not allowed:
            return False, ""
        facts = selectors.pass_facts(
            token=self.token_state, claims=self.claims, now=self.now, checkpoint_zones=self.zone_ids,
            on_record=p_id is not None and p_token == self.token, status=p_status,
            spans=spans if p_kind == PassKind.STAFF and p_person is not None else (),
        )
        return True, verdict.decide(facts)


def _ints(text: str | None) -> list[int]:
    """A list of ids as the database aggregated it: '{1,2}' (PostgreSQL) or '1,2' (SQLite)."""
    text = (text or "").strip("{}")
    return [int(v) for v in text.split(",")] if text else []


def _spans(text: str | None) -> list[verdict.Span]:
    """Secondments as the statement aggregated them: 'start/end' pairs (end empty: open-ended)."""
    spans: list[verdict.Span] = []
    for part in (text or "").split(","):
        if part:
            start, _slash, end = part.partition("/")
            spans.append((dt.date.fromisoformat(start), dt.date.fromisoformat(end) if end else None))
    return spans


class GroupRunner:
    """Runs the database work of concurrent requests together (leader and followers).

    A request that finds nobody running becomes the leader: it takes every check waiting (its own
    among them), runs them together on its own connection, hands the answers out, and passes the
    lead to the first request that arrived meanwhile — so nobody waits longer than the group ahead
    of it, and a lone request runs at once. Requests never wait for a timer. A leader may pass the
    lead on before it has finished (``hand_on``): once its group has read what it needs, the next
    group reads while this one writes its passages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Check] = []
        self._busy = False
        self._leader = threading.local()
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
        self._leader.handed = False
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
            self.hand_on()
            for c in group:
                if c is not check:
                    c.event.release()  # type: ignore[union-attr]

    def hand_on(self) -> None:
        """Pass the lead to the first request waiting (or let the next one lead at once); called
        by the leader, at most once per group (later calls do nothing)."""
        if getattr(self._leader, "handed", True):
            return
        self._leader.handed = True
        with self._lock:
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].event.release()  # type: ignore[union-attr]
            else:
                self._busy = False


RUNNER = GroupRunner()


class VerifyFastPath:
    """WSGI middleware: answers the ordinary verification itself, passes everything else on."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.envelope = ApiEnvelope()
        self.heads: dict[tuple[str, str], str] = {}
        self.grouped = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        request = self.envelope.request(environ)
        try:
            # Everything the headers can settle comes before the body is read: a request Django's
            # stack would refuse or redirect, or one without valid credentials, is handed to Django
            # with its body unread, and a body larger than a verification ever is goes to Django too
            # (its own limit applies there).
            key_hash = self.admitted(environ, request) if 0 < length <= LEAN_BODY_MAX else None
            if key_hash is None:
                return self.app(environ, start_response)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # Django reads it again when it answers
            answer = self.answer(environ, body, key_hash)
        except Exception:
            # As Django would: logged with the request's path, a JSON 500 to the client.
            logger.exception("Internal Server Error: %s", PATH)
            data = b'{"detail": "Server error."}'
            start_response("500 Internal Server Error", [("Content-Type", JSON), ("Content-Length", str(len(data)))])
            return [data]
        if answer is None:
            return self.app(environ, start_response)
        data, language, user_id = answer
        environ[USER_KEY] = user_id  # as RequestUserMiddleware: the request log names the user
        start_response("200 OK", [
            ("Content-Type", JSON), ("Content-Length", str(len(data))),
            *self.envelope.headers(request, language=language),
        ])
        return [data]

    def admitted(self, environ: dict[str, Any], request: Any) -> str | None:
        """The API token's hash when the headers make this a request for the lean path with valid
        credentials; None hands it to Django. Reads no body."""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        key = auth[7:]
        if not auth.startswith("Bearer ") or " " in key or not 2 <= len(key) <= MAX_KEY_LENGTH:
            return None
        if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return None
        if not self.envelope.admits(request):
            return None
        key_hash = _key_hash(key)
        return key_hash if _credentials_valid(key_hash) else None

    def answer(self, environ: dict[str, Any], body: bytes, key_hash: str) -> tuple[bytes, str, int] | None:
        """The response body, its language and the user's id, or None to let Django answer."""
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
        read = _read(token)
        if read is None:
            claims, token_state = None, str(Verdict.UNREADABLE)
        else:
            claims = read[2]
            token_state = tokens.signature_state(read[0], read[1], claims, public_keys=public_keys())
        check = Check(key_hash, claims, token_state, checkpoint_id, zone_ids, token.strip().upper(), number,
                      direction or "", log, clock.now())
        if self.grouped:
            RUNNER.run(check, _run_group)
        else:
            _run_one(connections[DEFAULT_DB_ALIAS], check)
        if check.error is not None:
            raise check.error
        if check.row is None:
            return None  # unknown or revoked token, inactive user: Django answers 401
        allowed, p_id, p_number, verdict_, check_id = check.row
        if not allowed:
            return None  # Django answers 403 (role) or 404 (checkpoint outside the scope)
        language = cookie_language(environ.get("HTTP_COOKIE") or "")
        # The answer is the same JSON as the endpoint's, put together from parts that repeat: the
        # verdict's part per language, the token's part (what it claims) per token.
        head = self.heads.get((language, verdict_))
        if head is None:
            with translation.override(language):
                label = str(Verdict(verdict_).label)
            head = self.heads[(language, verdict_)] = json.dumps(
                {"verdict": verdict_, "label": label, "valid": verdict_ == Verdict.VALID}
            )[:-1]
        number_json = f'"{p_number}"' if p_number and p_number.isascii() and p_number.isalnum() else json.dumps(
            p_number or "")
        return (
            f'{head}, "pass_id": {"null" if p_id is None else int(p_id)}, "pass_number": {number_json}, '
            f'{read[3] if read is not None else _UNREAD}, "check_id": {"null" if check_id is None else int(check_id)}}}'
        ).encode(), language, check.user_id  # type: ignore[return-value]


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
    if not ApiToken.objects.live(clock.real_now()).filter(key_hash=key_hash).exists():
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
    """Read a group of checks in one statement, conclude each in Python, and log them in a second
    statement, on this thread's connection (PostgreSQL)."""
    db = connections[DEFAULT_DB_ALIAS]
    _ready(db)
    db.ensure_connection()
    pgconn = db.connection.pgconn
    try:
        # Through libpq directly, as statements prepared and planned once per connection: Django's
        # cursors bind on the client, so the server would parse and plan them every time (planning
        # costs several times more than running them), and psycopg's array adaptation in Python
        # costs more than the statements. Django prepares nothing on the server, so the
        # generic-plan setting concerns these statements only.
        done: set[bytes] | None = getattr(db.connection, "_fangkong_prepared", None)
        if done is None:
            _result(pgconn, pgconn.exec_(b"SET plan_cache_mode = force_generic_plan"))
            done = set()
            db.connection._fangkong_prepared = done  # the statements this connection has prepared
        for statement in (READ, WRITE):
            if statement.name not in done:
                _result(pgconn, pgconn.prepare(statement.name, statement.sql))
                done.add(statement.name)
        now = group[0].now
        result = _result(pgconn, pgconn.exec_prepared(READ.name, [
            _int_array(range(len(group))), _text_array([c.key_hash for c in group]),
            _int_array([c.pass_id for c in group]), _text_array([c.now.isoformat() for c in group]), _TOUCH_INTERVAL,
        ]))
        RUNNER.hand_on()  # the next group may read while this one concludes and writes
        logged: list[Check] = []
        touch: set[int] = set()
        for i in range(result.ntuples):
            ord_, token_pk, user_id, role, due, units, p_id, p_number, p_kind, p_status, p_person, p_token, spans = (
                result.get_value(i, j) for j in range(13))
            check = group[int(ord_)]
            check.user_id = int(user_id)
            p_number_text = None if p_number is None else p_number.decode()
            allowed, verdict_ = check.conclude(
                role.decode(), _ints(units and units.decode()), None if p_id is None else int(p_id), p_number_text,
                _text(p_kind), _text(p_status), None if p_person is None else int(p_person), _text(p_token),
                _spans(spans and spans.decode()),
            )
            check.row = (allowed, None if p_id is None else int(p_id), p_number_text, verdict_, None)
            if allowed:
                if due == b"t":
                    touch.add(int(token_pk))
                if check.log:
                    logged.append(check)
        if logged or touch:
            written = _result(pgconn, pgconn.exec_prepared(WRITE.name, [
                _int_array(range(len(logged))), _int_array([c.row[1] for c in logged]),  # type: ignore[index]
                _text_array([_logged_number(c) for c in logged]), _text_array([c.holder for c in logged]),
                _int_array([c.checkpoint_id for c in logged]),
                _text_array([c.row[3] for c in logged]),  # type: ignore[index]
                _text_array([c.direction for c in logged]), _text_array([c.now.isoformat() for c in logged]),
                _int_array([c.user_id for c in logged]), now.isoformat().encode(), _int_array(sorted(touch)),
                _TOUCH_INTERVAL,
            ]))
            for i in range(written.ntuples):
                check = logged[int(written.get_value(i, 0))]
                check.row = (*check.row[:4], int(written.get_value(i, 1)))  # type: ignore[index]
    except DatabaseError:
        db.errors_occurred = True  # the connection is checked (and dropped if broken) at the next request
        raise
    if db.queries_logged:  # as Django's debug cursor: tests and the debug toolbar see them
        db.queries_log.append({"sql": f"{READ_SQL.strip()} -- {len(group)} checks", "time": "0.000"})
        if logged or touch:
            db.queries_log.append({"sql": f"{WRITE_SQL.strip()} -- {len(logged)} logged", "time": "0.000"})


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _logged_number(check: Check) -> str:
    """The pass number the passage log keeps: the pass's own, else the one the request named."""
    p_number = check.row[2] if check.row is not None and check.row[1] is not None else None
    return (p_number if p_number is not None else check.number)[:16]


class Prepared:
    """A statement prepared by name on a connection: ``%(name)s`` placeholders become ``$n`` in the
    order of ``names``."""

    def __init__(self, name: str, sql: str, names: tuple[str, ...]) -> None:
        for n, key in enumerate(names, 1):
            sql = sql.replace(f"%({key})s", f"${n}")
        if "%(" in sql:
            raise ValueError("a placeholder without a parameter")
        self.name, self.sql = name.encode(), sql.encode()


READ = Prepared("fk_verify_read", READ_SQL, ("ord", "key_hash", "pass_id", "now", "touch"))
WRITE = Prepared("fk_verify_write", WRITE_SQL, (
    "ord", "pass_id", "number", "holder", "checkpoint_id", "verdict", "direction", "checked_at", "user_id", "now",
    "touch_ids", "touch",
))
_TOUCH_INTERVAL = f"{int(TOKEN_TOUCH.total_seconds())} seconds".encode()


def _text_array(values: list[str]) -> bytes:
    """A PostgreSQL array literal of text: every element quoted, backslash and quote escaped.

    PostgreSQL text holds no NUL (libpq would cut the literal there and fail the whole group's
    statement): no text with one reaches a group, since a request that carries one is handed to
    Django, which refuses it (422), and a token's claims with one are unreadable. Raised here all
    the same, before anything is sent."""
    if not values:
        return b"{}"
    joined = "".join(values)
    if "\x00" in joined:
        raise ValueError("PostgreSQL text cannot hold NUL")
    if '"' not in joined and "\\" not in joined:  # the usual case: nothing to escape
        return ('{"' + '","'.join(values) + '"}').encode()
    return ("{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}").encode()


def _int_array(values: Iterable[int | None]) -> bytes:
    return ("{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}").encode()



def _result(pgconn: Any, result: Any) -> Any:
    if result.status not in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
        raise DatabaseError((result.error_message or pgconn.error_message).decode(errors="replace"))
    return result


def _run_one(db: BaseDatabaseWrapper, check: Check) -> None:
    """One check, read, concluded and logged in turn through Django's cursor (SQLite)."""
    _ready(db)
    touch_before = db.ops.adapt_datetimefield_value(check.now - TOKEN_TOUCH)
    row = _fetch(db, SELECT, [touch_before, check.pass_id, check.key_hash,
                              db.ops.adapt_datetimefield_value(check.now), True])
    if row is None:
        return
    token_pk, user_id, role, touch, units, p_id, p_number, p_kind, p_status, p_person, p_token, spans = row
    check.user_id = user_id
    allowed, verdict_ = check.conclude(role, _ints(units), p_id, p_number, p_kind, p_status, p_person, p_token,
                                       _spans(spans))
    check.row = (allowed, p_id, p_number, verdict_, None)
    if not allowed:
        return
    if touch:
        _fetch(db, TOUCH, [db.ops.adapt_datetimefield_value(check.now), token_pk])
    if check.log:
        inserted = _fetch(db, INSERT, [
            p_id, _logged_number(check), check.holder, check.checkpoint_id, verdict_, check.direction, False,
            db.ops.adapt_datetimefield_value(check.now), user_id,
        ])
        check.row = (allowed, p_id, p_number, verdict_, inserted[0] if inserted else None)


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
