"""The lean WSGI path for POST /api/v1/passes/verify answers exactly as the Django endpoint does.

Every request below is sent twice: through Django's test client (the django-ninja endpoint) and
through the WSGI application granian serves (``fangkong.config.wsgi.application``); status, JSON
and the logged passage must be the same.
"""

import datetime as dt
import json

import pytest
from django.core import signals
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.config.wsgi import application
from fangkong.core.actors import SYSTEM
from fangkong.passes import keys, services, tokens
from fangkong.passes.fastpath import PATH
from fangkong.passes.models import PassCheck

from .. import factories as f
from .conftest import seconded

LOGGED = ("pass_obj_id", "pass_number", "holder", "checkpoint_id", "verdict", "direction", "confirmed",
          "checked_by_id", "source", "client_id", "list_version")


class Answer:
    def __init__(self, status: str, headers: list, body: bytes) -> None:
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.content = body

    def json(self):
        return json.loads(self.content)


def wsgi_post(body: bytes | str, auth: str | None, content_type: str = "application/json", **extra) -> Answer:
    """Send one request through the WSGI application the way granian does."""
    headers = {"HTTP_AUTHORIZATION": auth} if auth is not None else {}
    environ = RequestFactory().post(PATH, data=body, content_type=content_type, **headers, **extra).environ
    got: dict = {}

    def start_response(status, response_headers, exc_info=None):
        got["status"], got["headers"] = status, response_headers

    # As Django's test client: the test's transaction must survive the request's end.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        body_out = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return Answer(got["status"], got["headers"], body_out)


def both(client, data, auth):
    """The same request through Django and through the WSGI application, and the rows each logged."""
    body = data if isinstance(data, str) else json.dumps(data)
    before = set(PassCheck.objects.values_list("id", flat=True))
    headers = {"HTTP_AUTHORIZATION": auth} if auth is not None else {}
    slow = client.post(PATH, body, content_type="application/json", **headers)
    middle = set(PassCheck.objects.values_list("id", flat=True))
    fast = wsgi_post(body, auth)
    after = set(PassCheck.objects.values_list("id", flat=True))
    rows = [PassCheck.objects.filter(pk__in=ids).values(*LOGGED).first() for ids in (middle - before, after - middle)]
    return slow, fast, rows


def same(slow, fast, rows):
    assert slow.status_code == fast.status_code, (slow.content, fast.content)
    a, b = slow.json(), fast.json()
    if slow.status_code == 200:
        assert (a.pop("check_id") is None) == (b.pop("check_id") is None)
    assert a == b
    assert rows[0] == rows[1]
    if slow.status_code == 200:
        assert fast.headers["Content-Type"] == slow.headers["Content-Type"]
        assert fast.headers["Content-Language"] == slow.headers["Content-Language"]
    return b


@pytest.fixture
def setup(city, office, guard, staff_pass, window):
    other_cp = f.unit("checkpoint", city.comm_2, "光明路卡点")
    now = timezone.now()
    expired = services.issue_staff_pass(actor=office, person=city.carol, valid_from=now - dt.timedelta(days=9),
                                        valid_until=now - dt.timedelta(days=1))
    seconded(city.bob, city.dept_b, city.comm_1, starts=dt.date(2020, 1, 1), ends=timezone.localdate() - dt.timedelta(days=1))
    ended = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1])
    elsewhere = services.issue_staff_pass(actor=office, person=city.dave, valid_from=window[0], valid_until=window[1],
                                          zones=[city.comm_2])
    vehicle = services.issue_vehicle_pass(actor=office, plate="吉FD12345", unit=city.dept_a, valid_from=window[0],
                                          valid_until=window[1], driver_name="赵师傅")
    suspended = services.issue_staff_pass(actor=office, person=city.eve, valid_from=window[0], valid_until=window[1])
    services.suspend_pass(actor=office, p=suspended)
    return {"other_cp": other_cp, "expired": expired, "ended": ended, "elsewhere": elsewhere, "vehicle": vehicle,
            "suspended": suspended}


def test_every_verdict_is_the_same_through_the_lean_path(city, guard, office, staff_pass, setup, client):
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    cp = city.checkpoint_1.code
    tampered = staff_pass.token[:-3] + ("AAA" if staff_pass.token[-3:] != "AAA" else "BBB")
    claims = tokens.unpack(tokens.split(staff_pass.token)[0])
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Ed25519PrivateKey.generate()
    unknown_key = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "key_id": 99}), stranger)
    forged = tokens.sign(claims, stranger)
    cases = [
        ("valid", {"token": staff_pass.token, "checkpoint": cp, "direction": "in"}),
        ("valid", {"token": " " + staff_pass.token.lower() + " ", "checkpoint": cp, "direction": "out"}),
        ("valid", {"token": staff_pass.token}),
        ("valid", {"token": setup["vehicle"].token, "checkpoint": cp}),
        ("valid", {"token": staff_pass.token, "log": False, "direction": None}),
        ("forged", {"token": forged, "checkpoint": cp}),
        ("forged", {"token": tampered}),
        ("unknown_key", {"token": unknown_key, "checkpoint": cp}),
        ("unreadable", {"token": staff_pass.token[:40], "checkpoint": cp}),
        ("unreadable", {"token": "hello", "log": False}),
        ("expired", {"token": setup["expired"].token, "checkpoint": cp}),
        ("wrong_zone", {"token": setup["elsewhere"].token, "checkpoint": cp}),
        ("secondment_ended", {"token": setup["ended"].token, "checkpoint": cp}),
        ("suspended", {"token": setup["suspended"].token, "checkpoint": cp}),
    ]
    seen = set()
    for verdict, data in cases:
        body = same(*both(client, data, auth))
        assert body["verdict"] == verdict, (data, body)
        seen.add(verdict)
    assert len(seen) == 8
    # The lean path logged its checks itself with the same fields as the service.
    assert PassCheck.objects.filter(verdict="valid", checked_by=guard).count() == 2 * 4


def test_errors_and_unusual_input_are_answered_by_django_the_same(city, guard, staff_pass, setup, client):
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    liaison = f"Bearer {token_create(user=f.user(Role.UNIT_LIAISON, city.dept_a), actor=SYSTEM)}"
    cp = city.checkpoint_1.code
    for data, who, status in [
        ({"token": staff_pass.token, "checkpoint": cp}, None, 401),
        ({"token": staff_pass.token, "checkpoint": cp}, "Bearer fk_nonsense", 401),
        ({"token": staff_pass.token, "checkpoint": cp}, "Basic abc", 401),
        ({"token": staff_pass.token}, liaison, 403),
        ({"token": staff_pass.token, "checkpoint": setup["other_cp"].code}, auth, 404),
        ({"token": staff_pass.token, "checkpoint": "NOPE"}, auth, 404),
        ({"token": staff_pass.token, "direction": "up"}, auth, 422),
        ({"token": 12}, auth, 422),  # not a string: the schema refuses it
        ({"token": staff_pass.token, "log": "yes"}, auth, 200),  # coerced by the schema, as Django does
        ({"number": staff_pass.number.lower(), "checkpoint": cp}, auth, 200),
        ({"number": "S999999", "checkpoint": cp}, auth, 400),  # an old-style number: refused, said why
        ({"number": "S2345-6789-A", "checkpoint": cp}, auth, 400),  # a failed check character
        ({}, auth, 200),
        ({"token": staff_pass.token, "number": "\ud800"}, auth, 200),  # not text the database takes: Django answers
        ('{"token": ', auth, 400),
    ]:
        slow, fast, rows = both(client, data, who)
        if slow.status_code != 200:
            assert slow.status_code == fast.status_code and slow.json() == fast.json(), (data, slow.content)
            assert rows == [None, None]
        else:
            same(slow, fast, rows)
        assert slow.status_code == status, (data, slow.status_code)


def test_a_revocation_counts_at_once_and_the_lean_path_reads_once_and_logs_once(city, guard, office, staff_pass):
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    data = json.dumps({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code, "direction": "in"})
    assert wsgi_post(data, auth).json()["verdict"] == "valid"  # warms the checkpoint and key caches
    keys.public_keys()
    with CaptureQueriesContext(connection) as queries:
        answer = wsgi_post(data, auth)
    assert answer.json()["verdict"] == "valid"
    # PostgreSQL: one statement reads and one logs (for every check then in hand); SQLite: read, then log.
    # Between them Python decides (verdict.decide): no statement holds a rule.
    expected = ["WITH r AS", "WITH v AS"] if connection.vendor == "postgresql" else ["SELECT", "INSERT"]
    assert [" ".join(q["sql"].split()[:3 if connection.vendor == "postgresql" else 1])
            for q in queries.captured_queries] == expected
    check = PassCheck.objects.get(pk=answer.json()["check_id"])
    assert (check.pass_obj_id, check.checked_by_id, check.direction, check.source) == (staff_pass.pk, guard.pk, "in", "api")
    services.revoke_pass(actor=office, p=staff_pass, reason="调离")
    assert wsgi_post(data, auth).json()["verdict"] == "revoked"
    # A token revoked or a user deactivated is refused at once too.
    from fangkong.accounts.models import ApiToken

    ApiToken.objects.filter(user=guard).update(revoked_at=timezone.now())
    assert wsgi_post(data, auth).status_code == 401


def test_other_requests_pass_through_to_django(city, guard, staff_pass):
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    environ = RequestFactory().get("/api/v1/passes/keys", HTTP_AUTHORIZATION=auth).environ
    got = {}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, lambda s, h, e=None: got.update(status=s)))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert got["status"].startswith("200") and json.loads(body)[0]["kid"] == staff_pass.key.key_id


def test_a_database_failure_is_a_logged_json_500_and_the_next_request_recovers(city, guard, staff_pass, caplog,
                                                                              monkeypatch):
    from fangkong.passes import fastpath

    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    data = json.dumps({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code})
    broken = fastpath.Statement("SELECT no_such_column FROM passes_pass WHERE id = %s", (int,))
    monkeypatch.setattr(fastpath, "SELECT", broken)
    monkeypatch.setattr(fastpath, "READ", fastpath.Prepared(
        "fk_verify_broken", "SELECT no_such_column FROM passes_pass WHERE id = ANY(%(ids)s)", ("ids",)))
    with caplog.at_level("ERROR", logger="django.request"):
        answer = wsgi_post(data, auth)
    assert answer.status_code == 500 and answer.json() == {"detail": "Server error."}
    assert "Internal Server Error" in caplog.text
    monkeypatch.undo()
    if connection.vendor == "postgresql":
        return  # the failed statement aborted the test's transaction; a real request starts afresh
    assert wsgi_post(data, auth).json()["verdict"] == "valid"
