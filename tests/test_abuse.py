"""Abuse costs the server nothing (issue 12, findings 3 and 10; issue 20, item 4).

Most requests go over real HTTP to the WSGI application granian serves
(``fangkong.config.wsgi.application``: the body limit, the lean verification path, Django), run
by a threaded wsgiref server on 127.0.0.1. What must not be read is checked with an input stream
that counts what is read from it; what must not be kept, with tracemalloc.
"""

import gc
import io
import itertools
import json
import logging
import socket
import threading
import tracemalloc
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core import signals
from django.db import close_old_connections, connection, connections
from django.test import RequestFactory

from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.audit.models import AuditEntry
from fangkong.config.wsgi import application
from fangkong.core.actors import SYSTEM
from fangkong.passes import fastpath
from fangkong.passes.fastpath import PATH
from fangkong.passes.models import PassCheck

from . import factories as f

MB = 1024 * 1024
LIMIT = 5 * MB


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _Served:
    """The application on a free port of 127.0.0.1, each request in its own thread."""

    def __init__(self) -> None:
        def app(environ, start_response):
            try:
                yield from application(environ, start_response)
            finally:
                connections.close_all()  # the thread's own connections (as at a request's end)

        self.httpd = make_server("127.0.0.1", 0, app, server_class=_Threaded, handler_class=_Quiet)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def request(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None,
                declared: int | None = None, timeout: float = 10) -> tuple[int, dict, bytes]:
        """Send the request (``declared``: a Content-Length larger than the body sent) and read the
        answer; the socket times out when the server waits for a body that never comes."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close",
                 f"Content-Length: {declared if declared is not None else len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            sock.close()
        head, _, content = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        got = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        return int(status_line.split()[1]), got, content

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(transactional_db):
    served = _Served()
    yield served
    served.close()


@pytest.fixture
def guard_token(city):
    return token_create(user=f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1), actor=SYSTEM)


@pytest.fixture(autouse=True)
def _fresh_memos():
    forget = getattr(fastpath, "forget_all", lambda: None)
    forget()
    yield
    forget()


def _json(headers: dict, content: bytes) -> dict:
    assert headers["content-type"].startswith("application/json"), (headers, content[:200])
    return json.loads(content)


class CountingInput(io.RawIOBase):
    """A request body of ``size`` bytes that counts what is read from it."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"x" * n
        self.read_bytes += n
        return n


def call(path: str, stream: CountingInput, *, length: int | None, auth: str | None = None,
         chunked: bool = False, content_type: str = "application/json") -> tuple[int, bytes]:
    """The WSGI application called as a server calls it, the body coming from ``stream``."""
    environ = RequestFactory().post(path, data=b"", content_type=content_type).environ
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = "" if length is None else str(length)
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    if auth:
        environ["HTTP_AUTHORIZATION"] = auth
    got: dict = {}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, lambda status, headers, exc_info=None: got.update(status=status))
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(got["status"].split()[0]), body


# --- bodies over the limit --------------------------------------------------------------------

@pytest.mark.parametrize("path", [PATH, "/api/v1/people", "/api/v1/returnees", "/accounts/login/"])
def test_a_body_over_the_limit_is_refused_unread_with_a_json_413(server, guard_token, path):
    """Over real HTTP: a declared 250 MB body gets its 413 at once, with or without credentials
    (the server never waits for the body it will not read)."""
    for auth in (None, f"Bearer {guard_token}"):
        headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
        status, got, content = server.request("POST", path, body=b"x" * 1000, headers=headers, declared=250 * MB)
        assert status == 413, (path, auth, content[:200])
        assert "5242880" in _json(got, content)["detail"]


def test_a_chunked_body_is_read_no_further_than_the_limit(db):
    stream = CountingInput(50 * MB)
    status, body = call(PATH, stream, length=None, chunked=True)
    assert status == 413 and json.loads(body)["detail"]
    assert stream.read_bytes <= LIMIT + 1


def test_a_chunked_body_within_the_limit_reaches_django_whole(city, guard_token):
    environ_body = json.dumps({"token": "FK1:NOT-A-PASS", "log": False}).encode()
    stream = io.BytesIO(environ_body)
    environ = RequestFactory().post(PATH, data=b"", content_type="application/json").environ
    environ.update({"wsgi.input": stream, "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked",
                    "HTTP_AUTHORIZATION": f"Bearer {guard_token}"})
    got: dict = {}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, lambda s, h, e=None: got.update(status=s)))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert got["status"].startswith("200") and json.loads(body)["verdict"] == "unreadable"


def test_the_django_stack_answers_a_json_413_too(city, guard_token, client):
    """Under /api/, a body over the limit is a JSON 413 (it used to be Django's HTML 400)."""
    response = client.post("/api/v1/people", b"{" + b" " * (6 * MB) + b"}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {guard_token}")
    assert response.status_code == 413 and response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


# --- credentials before work ------------------------------------------------------------------

@pytest.mark.parametrize("size", [600, 64 * 1024, 4 * MB])
@pytest.mark.parametrize("auth", [None, "Bearer fk_not-a-token", "Basic abc", "Bearer " + "x" * 5000])
def test_no_body_is_read_before_the_credentials_are_checked(db, auth, size):
    stream = CountingInput(size)
    status, body = call(PATH, stream, length=size, auth=auth)
    assert status == 401 and json.loads(body)["detail"]
    assert stream.read_bytes == 0


def _retained_after(send) -> int:
    """Bytes still allocated (Python objects) after ``send`` ran (a second time: the first warms
    up what any request loads once) and the garbage was collected."""
    logging.disable(logging.WARNING)  # the 401 warnings would be kept by pytest's log capture
    try:
        send()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        send()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)


def test_requests_with_bad_credentials_leave_nothing_behind(city, server):
    """300 requests with distinct bearer tokens and distinct 100 kB pass tokens: nothing of them
    stays in the worker (the token-read memo used to keep every one)."""
    cp = city.checkpoint_1.code
    seq = itertools.count()

    def send():
        for i in itertools.islice(seq, 300):
            body = json.dumps({"token": f"FK1:{i:06d}" + "A" * 100_000, "checkpoint": cp}).encode()
            status, _h, _c = server.request("POST", PATH, body=body, headers={
                "Authorization": f"Bearer fk_{i:06d}" + "b" * 200, "Content-Type": "application/json"})
            assert status == 401

    assert _retained_after(send) < 2 * MB


def test_distinct_tokens_from_a_valid_caller_keep_the_memos_bounded(city, server, guard_token):
    cp = city.checkpoint_1.code
    headers = {"Authorization": f"Bearer {guard_token}", "Content-Type": "application/json"}
    seq = itertools.count()

    def send():
        for i in itertools.islice(seq, 60):
            body = json.dumps({"token": f"FK1:{i:06d}" + "A" * 100_000, "checkpoint": cp, "log": False}).encode()
            status, got, content = server.request("POST", PATH, body=body, headers=headers)
            assert status == 200 and _json(got, content)["verdict"] == "unreadable"

    assert _retained_after(send) < 2 * MB
    assert fastpath._READS.nbytes <= fastpath._READS.max_bytes


def test_a_bounded_memo_keeps_to_its_entries_and_bytes():
    from fangkong.core.memo import MISSING, BoundedMemo

    memo: BoundedMemo[str, str] = BoundedMemo(max_entries=3, max_bytes=100, max_item_bytes=60,
                                              size=lambda k, v: len(k) + len(v))
    memo.put("a", "x" * 10)
    memo.put("b", "x" * 10)
    memo.put("big", "x" * 70)  # over the item bound: not kept
    assert memo.get("big") is MISSING and len(memo) == 2
    memo.get("a")  # a is used: b is now the oldest
    memo.put("c", "x" * 50)
    memo.put("d", "x" * 30)  # four entries: the least recently used (b) goes
    assert memo.get("b") is MISSING and [memo.get(k) for k in "acd"] == ["x" * 10, "x" * 50, "x" * 30]
    memo.put("e", "x" * 40)  # four entries, then 51 + 31 + 41 bytes: a goes, then c
    assert memo.get("a") is MISSING and memo.get("c") is MISSING and memo.get("e") == "x" * 40
    assert len(memo) == 2 and memo.nbytes == 31 + 41


# --- malformed input is a 400/422, never a 500 -------------------------------------------------

NESTED = [b"[" * 1000 + b"]" * 1000, b"[" * 100_000 + b"]" * 100_000,
          b'{"a":' * 1000 + b"1" + b"}" * 1000, b'{"token": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"]


@pytest.mark.parametrize("path", [PATH, "/api/v1/people", "/api/v1/returnees"])
def test_deeply_nested_json_is_a_400(server, guard_token, path):
    headers = {"Authorization": f"Bearer {guard_token}", "Content-Type": "application/json"}
    for body in NESTED:
        status, got, content = server.request("POST", path, body=body, headers=headers)
        assert status == 400, (path, body[:20], content[:200])
        assert _json(got, content)["detail"]


@pytest.mark.parametrize("body", [b"[]", b'"FK1:ABC"', b"[1, 2]", b"12", b"null", b"true"])
def test_a_body_that_is_not_a_json_object_is_a_422(server, guard_token, body):
    headers = {"Authorization": f"Bearer {guard_token}", "Content-Type": "application/json"}
    for path in (PATH, "/api/v1/people"):
        status, got, content = server.request("POST", path, body=body, headers=headers)
        assert status == 422, (path, body, content[:200])
        assert _json(got, content)["detail"]
    assert not PassCheck.objects.exists()


def test_nul_in_any_text_is_a_422_before_the_database(city, server, guard_token, staff_pass):
    headers = {"Authorization": f"Bearer {guard_token}", "Content-Type": "application/json"}
    cp = city.checkpoint_1.code
    for data in [{"token": "FK1:A\u0000B", "checkpoint": cp}, {"number": "S\u00001", "checkpoint": cp},
                 {"token": staff_pass.token, "checkpoint": cp + "\u0000"}, {"token": staff_pass.token, "x\u0000": 1}]:
        status, got, content = server.request("POST", PATH, body=json.dumps(data).encode(), headers=headers)
        assert status == 422, (data, content[:300])
        assert "NUL" in _json(got, content)["detail"] or "空字符" in _json(got, content)["detail"]
    status, got, content = server.request("GET", "/api/v1/people?q=%00", headers=headers)
    assert status == 422, content[:300]
    # Nothing was logged, and the next check is answered as usual.
    assert not PassCheck.objects.exists()
    status, got, content = server.request(
        "POST", PATH, body=json.dumps({"token": staff_pass.token, "checkpoint": cp}).encode(), headers=headers)
    assert status == 200 and _json(got, content)["verdict"] == "valid"


# --- API error texts in the caller's language --------------------------------------------------

def test_api_errors_speak_the_callers_language(city, server, guard_token):
    liaison = token_create(user=f.user(Role.UNIT_LIAISON, city.dept_a), actor=SYSTEM)
    cases = [
        ("GET", "/api/v1/people", {}, None),  # 401
        ("POST", PATH, {"Authorization": f"Bearer {liaison}"}, b'{"token": "x"}'),  # 403 (role)
        ("POST", PATH, {"Authorization": f"Bearer {guard_token}"}, b'{"token": "x", "checkpoint": "NOPE"}'),  # 404
        ("POST", PATH, {"Authorization": f"Bearer {guard_token}"}, b'{"token": '),  # 400 (ninja's own text)
    ]
    for method, path, headers, body in cases:
        texts = {}
        for language in ("zh-hans", "en"):
            status, got, content = server.request(method, path, body=body or b"", headers={
                "Content-Type": "application/json", "Cookie": f"django_language={language}", **headers})
            assert status in {400, 401, 403, 404}, content
            texts[language] = _json(got, content)["detail"]
        assert texts["zh-hans"] != texts["en"], (path, texts)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh-hans"]), texts  # Chinese by default
        assert texts["en"].isascii(), texts


# --- no-store on what a logged-in user sees ----------------------------------------------------

def test_every_authenticated_response_says_no_store(city, as_user, client, guard_token):
    user = f.user(Role.COMMITTEE_OFFICE, city.root)
    logged_in = as_user(user)
    for path in ["/", "/people/", f"/people/{city.alice.pk}/", "/returnees/", "/passes/"]:
        response = logged_in.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    api = client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {guard_token}")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]
    # A static asset may be cached.
    static = logged_in.get("/static/css/fangkong.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_the_lean_path_answer_says_no_store(city, server, guard_token, staff_pass):
    status, got, content = server.request("POST", PATH, headers={
        "Authorization": f"Bearer {guard_token}", "Content-Type": "application/json"},
        body=json.dumps({"token": staff_pass.token, "checkpoint": city.checkpoint_1.code}).encode())
    assert status == 200 and "no-store" in got["cache-control"]


# --- no empty audit entries ----------------------------------------------------------------------

def test_a_patch_that_changes_nothing_writes_no_audit_entry(city, client):
    office = token_create(user=f.user(Role.COMMITTEE_OFFICE, city.root), actor=SYSTEM)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {office}"}
    url = f"/api/v1/people/{city.alice.pk}"
    before = AuditEntry.objects.filter(action="update").count()
    same = {"name": city.alice.name, "title": city.alice.title, "is_cadre": city.alice.is_cadre}
    response = client.patch(url, json.dumps(same), content_type="application/json", **auth)
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="update").count() == before
    response = client.patch(url, json.dumps({"title": "科长"}), content_type="application/json", **auth)
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="update").latest("id")
    assert entry.after == {"title": "科长"}


@pytest.fixture
def staff_pass(city):
    import datetime as dt

    from django.utils import timezone

    from fangkong.deployment.models import Secondment
    from fangkong.passes import services

    office = f.user(Role.COMMITTEE_OFFICE, city.root)
    Secondment.objects.create(person=city.alice, department=city.dept_a, unit=city.comm_1,
                              starts_on=dt.date(2020, 2, 1))
    now = timezone.now()
    return services.issue_staff_pass(actor=office, person=city.alice, unit=city.dept_a,
                                     valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30),
                                     zones=[city.comm_1], purpose="下沉社区")


def test_the_server_connection_is_usable(server):
    """The served application and this test share the database (a sanity check of the fixture)."""
    assert connection.vendor in {"sqlite", "postgresql"}
    status, _got, _content = server.request("GET", "/accounts/login/")
    assert status == 200


# --- what the schemathesis pass found -------------------------------------------------------------

def test_the_cases_the_fuzzing_found_are_refused_not_500s(city, client):
    """Each answered 500 (or off its schema) before: an id of 0 taken for "none", an id past
    64 bits, a pass dated where its token cannot carry it, a date before the zone's offsets are
    whole minutes, and deleting a person other records refer to."""
    office = token_create(user=f.user(Role.COMMITTEE_OFFICE, city.root), actor=SYSTEM)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {office}"}

    def post(path, data):
        return client.post(path, json.dumps(data), content_type="application/json", **auth)

    assert post("/api/v1/deployment/shifts", {"checkpoint_id": 0, "starts_at": "2020-02-10T08:00:00Z",
                                              "ends_at": "2020-02-10T16:00:00Z", "staff_needed": 2}).status_code == 404
    assert post("/api/v1/deployment/secondments", {"person_id": city.alice.pk, "department_id": False,
                                                   "starts_on": "2020-02-01"}).status_code == 404
    huge = client.get("/api/v1/deployment/shifts?checkpoint=-30051527552289272504902483968", **auth)
    assert huge.status_code in {200, 422}  # PostgreSQL compares it as a numeric; SQLite cannot bind it
    assert client.get(f"/api/v1/people/{2**70}", **auth).status_code in {404, 422}
    issued = post("/api/v1/passes/", {"kind": "vehicle", "plate": "吉F12345", "unit_id": city.dept_a.pk,
                                       "valid_from": "1960-01-01", "valid_until": "2020-03-01"})
    assert issued.status_code == 400 and "valid_from" in issued.json()["detail"]
    assert client.get("/api/v1/returnees/figures?as_of=0508-08-27", **auth).status_code == 422
    # A person who holds a pass (protected reference) cannot be deleted: a 409 that says why.
    assert post("/api/v1/passes/", {"kind": "staff", "person_id": city.alice.pk, "valid_from": "2020-02-01",
                                     "valid_until": "2020-03-01"}).status_code == 201
    deleted = client.delete(f"/api/v1/people/{city.alice.pk}", **auth)
    assert deleted.status_code == 409 and deleted.json()["detail"]
