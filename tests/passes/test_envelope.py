"""The lean verification path is no second web stack: the same requests sent through the WSGI
application granian serves (request log → body limit → lean path → Django) and through the same
stack without the lean path (request log → body limit → Django) get the same status, the same
headers, the same body and the same request-log line, and log the same passage.

Built inside each test, so settings overridden there (HTTPS required, an added middleware) reach
both stacks as they would at a server's start."""

import datetime as dt
import json
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.http import parse_http_date

from fangkong.accounts.services import token_create
from fangkong.config.accesslog import AccessLog
from fangkong.core.actors import SYSTEM
from fangkong.core.middleware import RequestEnvelope
from fangkong.passes import fastpath, services, tokens
from fangkong.passes.keys import current_key
from fangkong.passes.models import PassCheck

from .conftest import seconded

LOGGED = ("pass_obj_id", "pass_number", "holder", "checkpoint_id", "verdict", "direction", "confirmed",
          "checked_by_id", "source", "client_id", "list_version")


class Stacks:
    """The application with the lean path and the same application without it."""

    def __init__(self) -> None:
        django = WSGIHandler()
        self.lean = AccessLog(RequestEnvelope(fastpath.VerifyFastPath(django)))
        self.plain = AccessLog(RequestEnvelope(django))
        self.answered_lean = 0

    def send(self, app, body: bytes, headers: dict, caplog) -> dict:
        environ = RequestFactory().post(fastpath.PATH, data=body, content_type="application/json", **headers).environ
        environ.pop("HTTP_COOKIE", None)
        if "cookie" in headers:
            environ["HTTP_COOKIE"] = headers["cookie"]
        got: dict = {}
        before = set(PassCheck.objects.values_list("id", flat=True))
        # As Django's test client: the test's transaction must survive the request's end.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        caplog.clear()
        try:
            with caplog.at_level(logging.INFO, logger="fangkong.access"):
                result = app(environ, lambda status, response_headers, exc_info=None: got.update(
                    status=status, headers=response_headers))
                content = b"".join(result)
                result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "fangkong.access"]
        new = set(PassCheck.objects.values_list("id", flat=True)) - before
        return {"status": got["status"], "headers": got["headers"], "body": content, "log": lines,
                "logged": [PassCheck.objects.filter(pk__in=new).values(*LOGGED).first()] if new else []}

    def compare(self, body: bytes | str, caplog, **headers) -> dict:
        """Send the request through both stacks and assert the answers are the same."""
        data = body.encode() if isinstance(body, str) else body
        plain = self.send(self.plain, data, headers, caplog)
        lean = self.send(self.lean, data, headers, caplog)
        assert lean["status"] == plain["status"], (lean, plain)
        a, b = dict(lean["headers"]), dict(plain["headers"])
        assert len(a) == len(lean["headers"]) and len(b) == len(plain["headers"])  # no header twice
        for answer, headers in ((lean, a), (plain, b)):  # the check ids may differ in length
            assert headers.pop("Content-Length", str(len(answer["body"]))) == str(len(answer["body"]))
        expires = a.pop("Expires", None), b.pop("Expires", None)
        assert (expires[0] is None) == (expires[1] is None), (sorted(a.items()), sorted(b.items()))
        if expires[0] is not None:  # the moment of the answer: the same second, or the next
            assert abs(parse_http_date(expires[0]) - parse_http_date(expires[1])) <= 1
        assert a == b, (sorted(a.items()), sorted(b.items()))
        lean_body, plain_body = lean["body"], plain["body"]
        if lean["status"].startswith("200"):
            ids = json.loads(lean_body)["check_id"], json.loads(plain_body)["check_id"]
            assert (ids[0] is None) == (ids[1] is None)
            lean_body = lean_body.replace(f'"check_id": {json.dumps(ids[0])}'.encode(), b'"check_id": ?')
            plain_body = plain_body.replace(f'"check_id": {json.dumps(ids[1])}'.encode(), b'"check_id": ?')
        assert lean_body == plain_body
        for line in lean["log"] + plain["log"]:
            line.pop("time"), line.pop("ms")
        assert len(lean["log"]) == len(plain["log"]) == 1 and lean["log"] == plain["log"]
        assert lean["logged"] == plain["logged"]
        return {"status": int(lean["status"].split()[0]), "headers": a, "body": lean["body"]}


@pytest.fixture
def passes(city, office, staff_pass, window):
    """A pass for each verdict a token can get online."""
    now = timezone.now()
    made = {"valid": staff_pass}
    made["expired"] = services.issue_staff_pass(actor=office, person=city.carol, valid_from=now - dt.timedelta(days=9),
                                                valid_until=now - dt.timedelta(days=1))
    made["not_yet_valid"] = services.issue_staff_pass(
        actor=office, person=city.carol, valid_from=now + dt.timedelta(days=1), valid_until=now + dt.timedelta(days=9))
    seconded(city.bob, city.dept_b, city.comm_1, starts=dt.date(2020, 1, 1),
             ends=timezone.localdate() - dt.timedelta(days=1))
    made["secondment_ended"] = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0],
                                                         valid_until=window[1])
    made["wrong_zone"] = services.issue_staff_pass(actor=office, person=city.dave, valid_from=window[0],
                                                   valid_until=window[1], zones=[city.comm_2])
    for verdict, change in (("suspended", services.suspend_pass), ("revoked", services.revoke_pass)):
        made[verdict] = services.issue_staff_pass(actor=office, person=city.eve, valid_from=window[0],
                                                  valid_until=window[1])
        change(actor=office, p=made[verdict])
    texts = {v: p.token for v, p in made.items()}
    claims = tokens.unpack(tokens.split(staff_pass.token)[0])
    stranger = Ed25519PrivateKey.generate()
    texts["forged"] = tokens.sign(claims, stranger)
    texts["unknown_key"] = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "key_id": 999}), stranger)
    texts["unreadable"] = "FK1:HELLO WORLD"
    texts["not_found"] = tokens.sign(tokens.PassClaims(**{**claims.__dict__, "pass_id": 10**6}), current_key()[1])
    return texts


@pytest.fixture(autouse=True)
def _fresh_memos():
    fastpath.forget_all()
    yield
    fastpath.forget_all()


def test_every_verdict_gets_the_same_answer_headers_and_log_line_from_both(city, guard, passes, caplog):
    stacks = Stacks()
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    cp = city.checkpoint_1.code
    for verdict, text in passes.items():
        for cookie in ("", "django_language=en", "django_language=xx; other=1"):
            body = json.dumps({"token": text, "checkpoint": cp, "direction": "in"})
            answer = stacks.compare(body, caplog, HTTP_AUTHORIZATION=auth, cookie=cookie)
            assert answer["status"] == 200 and json.loads(answer["body"])["verdict"] == verdict
    # Without a checkpoint, and unlogged.
    for body in ({"token": passes["valid"]}, {"token": passes["valid"], "log": False, "checkpoint": cp}):
        assert stacks.compare(json.dumps(body), caplog, HTTP_AUTHORIZATION=auth)["status"] == 200
    headers = stacks.compare(json.dumps({"token": passes["valid"], "checkpoint": cp}), caplog,
                             HTTP_AUTHORIZATION=auth)["headers"]
    # What Django's middleware adds, the lean path's answer carries too.
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "no-store" in headers["Cache-Control"] and headers["X-Frame-Options"] == "DENY"


def test_refusals_are_django_s_own_on_both(city, guard, passes, caplog):
    stacks = Stacks()
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    cp = city.checkpoint_1.code
    good = json.dumps({"token": passes["valid"], "checkpoint": cp})
    cases = [
        (good, {"HTTP_HOST": "evil.example.org"}, 400),  # a host outside ALLOWED_HOSTS
        (good, {"HTTP_AUTHORIZATION": None}, 401),  # no credentials
        (good, {"HTTP_AUTHORIZATION": "Bearer fk_unknown_token_of_nobody"}, 401),
        ('{"token": ', {}, 400),  # bad JSON
        (json.dumps({"token": passes["valid"], "checkpoint": cp, "note": "x" * 20_000}), {}, 200),  # over the lean cap: Django
        ("x" * (5 * 1024 * 1024 + 1), {}, 413),  # over the platform's body limit
        (json.dumps({"token": passes["valid"], "checkpoint": "NOPE"}), {}, 404),
        (json.dumps({"token": "FK1:\u0000"}), {}, 422),
    ]
    for body, headers, status in cases:
        headers = {k: v for k, v in {"HTTP_AUTHORIZATION": auth, **headers}.items() if v is not None}
        assert stacks.compare(body, caplog, **headers)["status"] == status, (body[:40], headers)


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
                   SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_with_https_required_both_redirect_plain_http_and_send_hsts(city, guard, passes, caplog):
    stacks = Stacks()
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"
    body = json.dumps({"token": passes["valid"], "checkpoint": city.checkpoint_1.code})
    redirected = stacks.compare(body, caplog, HTTP_AUTHORIZATION=auth)
    assert redirected["status"] == 301 and redirected["headers"]["Location"].startswith("https://")
    over_https = stacks.compare(body, caplog, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="https")
    assert over_https["status"] == 200 and "preload" in over_https["headers"]["Strict-Transport-Security"]
    assert stacks.compare(body, caplog, HTTP_AUTHORIZATION=auth, HTTP_X_FORWARDED_PROTO="https, http")["status"] == 200


def test_a_middleware_the_lean_path_does_not_know_fails_the_system_check():
    from django.conf import settings

    assert fastpath.middleware_check() == []
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "example.RateLimitMiddleware"]):
        errors = fastpath.middleware_check()
    assert [e.id for e in errors] == ["passes.E001"] and "example.RateLimitMiddleware" in errors[0].msg


def test_the_lean_path_answers_what_it_can(city, guard, passes):
    """The comparisons above would also hold if the lean path handed everything to Django."""
    auth = f"Bearer {token_create(user=guard, actor=SYSTEM)}"

    def refuse(environ, start_response):
        raise AssertionError("handed to Django")

    lean = fastpath.VerifyFastPath(refuse)
    cp = city.checkpoint_1.code
    for verdict, text in passes.items():
        environ = RequestFactory().post(fastpath.PATH, data=json.dumps({"token": text, "checkpoint": cp}),
                                        content_type="application/json", HTTP_AUTHORIZATION=auth).environ
        statuses: list[str] = []
        answer = json.loads(b"".join(lean(environ, lambda s, h, e=None, seen=statuses: seen.append(s))))
        assert statuses == ["200 OK"] and answer["verdict"] == verdict
