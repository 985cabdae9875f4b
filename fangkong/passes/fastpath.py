"""The lean path for ``POST /api/v1/passes/verify``: a WSGI layer in front of Django.

Checkpoints send thousands of verifications a second; through Django's middleware stack,
django-ninja and the ORM each took several milliseconds of CPU. This layer answers the ordinary
request itself — a JSON body with a token, an ``Authorization: Bearer`` token — with the same JSON
as the documented endpoint, in two database round trips:

1. one SELECT reads the API token's user (not revoked, active), the pass by primary key (its
   state now: a revocation counts at once in every worker) and whether the holder's secondment
   has ended;
2. one INSERT logs the passage (committed synchronously: once the answer says ``check_id`` the
   row is on disk).

Everything unusual — no or bad credentials, a role without the permission, an unknown or
out-of-scope checkpoint, a lookup by pass number, input that is not exactly the documented
types — is handed to Django unchanged, so errors, scoping and validation have one implementation.
The checkpoint's ancestry and the user's scope on it are cached as in ``selectors``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http.request import split_domain_port, validate_host
from django.utils import timezone, translation
from psycopg.pq import ExecStatus

from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import role_has_perm

from . import selectors, tokens
from .choices import Direction, PassKind, PassStatus, Verdict
from .keys import public_keys

PATH = "/api/v1/passes/verify"
logger = logging.getLogger("django.request")
FIELDS = frozenset({"token", "number", "checkpoint", "direction", "log"})
DIRECTIONS = frozenset(d.value for d in Direction)
TOKEN_TOUCH = dt.timedelta(minutes=5)  # as accounts.services.token_user: last_used_at at most every 5 min

_SELECT_SQL = """
SELECT t.id, t.user_id, u.role, (t.last_used_at IS NULL OR t.last_used_at < %s),
       p.id, p.number, p.kind, p.status, p.person_id, p.token,
       EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id
              AND s.starts_on <= %s AND (s.ends_on IS NULL OR s.ends_on >= %s)),
       EXISTS(SELECT 1 FROM deployment_secondment s WHERE s.person_id = p.person_id AND s.ends_on < %s)
FROM accounts_apitoken t
JOIN accounts_user u ON u.id = t.user_id
LEFT JOIN passes_pass p ON p.id = %s
WHERE t.key_hash = %s AND t.revoked = %s AND u.is_active = %s
"""
_INSERT_SQL = """
INSERT INTO passes_passcheck (pass_id, pass_number, holder, checkpoint_id, verdict, direction, confirmed,
                              checked_at, checked_by_id, source, client_id, list_version)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'api', '', NULL)
RETURNING id
"""




class Statement:
    """One statement of the lean path: its text (``%s`` placeholders), a name to prepare it under
    on PostgreSQL, and how to read each column of its first row (None: it returns nothing)."""

    def __init__(self, name: str, sql: str, columns: tuple[Callable[[Any], Any], ...] | None) -> None:
        self.name, self.sql, self.columns = name.encode(), sql, columns
        parts = sql.split("%s")
        self.pg_sql = "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


SELECT = Statement("fk_verify_read", _SELECT_SQL, (int, int, str, bool, int, str, str, str, int, str, bool, bool))
INSERT = Statement("fk_verify_log", _INSERT_SQL, (int,))
TOUCH = Statement("fk_verify_touch", "UPDATE accounts_apitoken SET last_used_at = %s WHERE id = %s", None)


class _User:
    """Just enough of a user for ``selectors.checkpoint_in_scope``."""

    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


class VerifyFastPath:
    """WSGI middleware: answers the ordinary verification itself, passes everything else on."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.hosts: dict[str, bool] = {}
        self.languages = {code for code, _name in settings.LANGUAGES}
        self.labels: dict[tuple[str, str], str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)  # Django reads it again when it answers
        try:
            answer = self.answer(environ, body)
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
            ("X-Frame-Options", settings.X_FRAME_OPTIONS),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin"),
            ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin"),
        ])
        return [data]

    def host_allowed(self, environ: dict[str, Any]) -> bool:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        ok = self.hosts.get(host)
        if ok is None:
            domain, _port = split_domain_port(host)
            allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
            ok = bool(domain) and validate_host(domain, allowed)
            if len(self.hosts) < 1000:
                self.hosts[host] = ok
        return ok

    def answer(self, environ: dict[str, Any], body: bytes) -> tuple[bytes, str] | None:
        """The response body and language, or None to let Django answer."""
        if settings.SECURE_SSL_REDIRECT and environ.get("wsgi.url_scheme") != "https" and (
            environ.get("HTTP_X_FORWARDED_PROTO") != "https"
        ):
            return None
        if not self.host_allowed(environ):
            return None
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("Bearer ") or " " in auth[7:] or len(auth) < 9:
            return None
        if not (environ.get("CONTENT_TYPE") or "").startswith("application/json"):
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict) or not FIELDS.issuperset(payload):
            return None
        token, checkpoint_code = payload.get("token", ""), payload.get("checkpoint", "")
        number, direction, log = payload.get("number", ""), payload.get("direction"), payload.get("log", True)
        if not (type(token) is str and token and type(checkpoint_code) is str and type(number) is str
                and type(log) is bool and (direction is None or direction in DIRECTIONS)):
            return None
        try:
            signed, signature = tokens.split(token)
            read: tokens.PassClaims | None = tokens.unpack(signed)
        except tokens.TokenError:
            read = None
        pass_id = read.pass_id if read is not None else None
        now = timezone.now()
        day = timezone.localdate(now)
        db = connections[DEFAULT_DB_ALIAS]
        # What Django does at each request's start: drop a broken connection or one past CONN_MAX_AGE
        # (but not the health check's extra round trip on every request; a broken one is dropped).
        if not db.in_atomic_block and (
            db.errors_occurred or (db.close_at is not None and time.monotonic() >= db.close_at)
        ):
            close_old_connections()
        day_param = db.ops.adapt_datefield_value(day)
        touch_before = db.ops.adapt_datetimefield_value(now - TOKEN_TOUCH)
        row = _fetch(db, SELECT, [touch_before, day_param, day_param, day_param, pass_id, ApiToken.hash_key(auth[7:]),
                                  False, True])
        if row is None:
            return None  # unknown or revoked token, inactive user: Django answers 401
        token_pk, user_id, role, touch, *pass_row = row
        if not role_has_perm(role, "passes.verify"):
            return None
        checkpoint_id = None
        zone_ids = None
        if checkpoint_code:
            zone = selectors.checkpoint_zone(checkpoint_code)
            if zone is None or not selectors.checkpoint_in_scope(_User(user_id), zone):
                return None
            checkpoint_id, zone_ids = zone
        p_id, p_number, p_kind, p_status, p_person, p_token, seconded, ended_before = pass_row
        state = tokens.RevocationState(
            revoked=frozenset([p_id]) if p_status == PassStatus.REVOKED else frozenset(),
            suspended=frozenset([p_id]) if p_status == PassStatus.SUSPENDED else frozenset(),
            issued_at=now,
        )
        if read is None:
            outcome = tokens.Outcome(Verdict.UNREADABLE)
        else:
            outcome = tokens.check_read(signed, signature, read, public_keys=public_keys(), revocations=state, now=now,
                                        zone_ids=zone_ids)
        verdict = outcome.verdict
        if verdict == Verdict.VALID and (p_id is None or p_token != token.strip().upper()):
            verdict = Verdict.NOT_FOUND
        if (verdict == Verdict.VALID and p_kind == PassKind.STAFF and p_person is not None
                and not seconded and ended_before):
            verdict = Verdict.SECONDMENT_ENDED
        claims = outcome.claims
        check_id = None
        if touch:
            _fetch(db, TOUCH, [db.ops.adapt_datetimefield_value(now), token_pk])
        if log:
            inserted = _fetch(db, INSERT, [
                p_id, (p_number if p_id is not None else number)[:16], (claims.holder if claims else "")[:100],
                checkpoint_id, str(verdict), direction or "", False, db.ops.adapt_datetimefield_value(now),
                user_id,
            ])
            check_id = inserted[0] if inserted else None
        language = environ.get("HTTP_COOKIE") and _cookie_language(environ["HTTP_COOKIE"])
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        label = self.labels.get((language, verdict))
        if label is None:
            with translation.override(language):
                label = self.labels[(language, verdict)] = str(Verdict(verdict).label)
        out = {
            "verdict": verdict, "label": label, "valid": verdict == Verdict.VALID,
            "pass_id": p_id, "pass_number": p_number or "",
            "kind": claims.kind if claims else "", "holder": claims.holder if claims else "",
            "unit": claims.unit_name if claims else "",
            "valid_from": _iso(claims.valid_from) if claims else None,
            "valid_until": _iso(claims.valid_until) if claims else None,
            "check_id": check_id,
        }
        return json.dumps(out).encode(), language


_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()
_PG_BOOL = {b"t": True, b"f": False}


def _pg_text(value: Any) -> bytes | None:
    if value is None:
        return None
    if value is True or value is False:
        return b"t" if value else b"f"
    if isinstance(value, dt.date):
        return value.isoformat().encode()
    return str(value).encode()


def _fetch(db: BaseDatabaseWrapper, statement: Statement, params: list[Any]) -> tuple[Any, ...] | None:
    """Run one statement and return its first row, read with the statement's column types.

    On PostgreSQL through libpq directly (psycopg's ``pgconn``), as a statement prepared once per
    connection: Django's cursors bind parameters on the client, so the server would parse and plan
    every statement again, and psycopg's cursor machinery costs more than the query itself here.
    Elsewhere (SQLite) through Django's cursor."""
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(statement.sql, params)
            row = cursor.fetchone() if statement.columns else None
        if row is None:
            return None
        return tuple(None if v is None else read(v) for read, v in zip(statement.columns or (), row, strict=True))
    db.ensure_connection()
    conn = db.connection
    pgconn = conn.pgconn
    done = _prepared.setdefault(conn, set())
    if statement.name not in done:
        _check(db, pgconn, pgconn.prepare(statement.name, statement.pg_sql.encode()))
        done.add(statement.name)
    result = _check(db, pgconn, pgconn.exec_prepared(statement.name, [_pg_text(v) for v in params]))
    if db.queries_logged:  # as Django's debug cursor: tests and the debug toolbar see it
        db.queries_log.append({"sql": f"{statement.sql.strip()} -- {params!r}", "time": "0.000"})
    if not statement.columns or result.ntuples == 0:
        return None
    values = [result.get_value(0, i) for i in range(len(statement.columns))]
    return tuple(
        None if v is None else _PG_BOOL[v] if read is bool else read(v.decode())
        for read, v in zip(statement.columns, values, strict=True)
    )


def _check(db: BaseDatabaseWrapper, pgconn: Any, result: Any) -> Any:
    if result.status not in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK):
        db.errors_occurred = True  # the connection is checked (and dropped if broken) at the next request
        raise DatabaseError((result.error_message or pgconn.error_message).decode(errors="replace"))
    return result


def _iso(moment: dt.datetime) -> str:
    """A datetime as django-ninja's encoder writes it (DjangoJSONEncoder: milliseconds, Z for UTC)."""
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _cookie_language(cookie: str) -> str:
    name = settings.LANGUAGE_COOKIE_NAME + "="
    for part in cookie.split(";"):
        part = part.strip()
        if part.startswith(name):
            return part[len(name):]
    return ""
