"""Deployment hygiene: the request log (one JSON line per request, no personal data), errors
with tracebacks in the error log and one line on the console, a 403 as one line, and production
refusing to start without its two secrets."""

import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.conf import settings as django_settings

from fangkong.accounts.services import token_create
from fangkong.config.accesslog import OneLineFormatter
from fangkong.core.actors import SYSTEM
from tests import factories as f
from tests.conftest import login_client


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # wsgiref's own stderr line: the platform's log is under test
        pass


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def server(transactional_db, settings):
    """The WSGI application of ``config.wsgi`` (request log, lean path, Django) on 127.0.0.1."""
    settings.ROOT_URLCONF = "tests.request_log_urls"
    from fangkong.config.wsgi import application

    httpd = make_server("127.0.0.1", 0, application, handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    access = Lines()
    logging.getLogger("fangkong.access").addHandler(access)
    # The console handler, as configured, writing where the test can read it.
    console = next(h for h in logging.getLogger("django.request").handlers
                   if isinstance(h.formatter, OneLineFormatter))
    stream = io.StringIO()
    old_stream = console.setStream(stream)
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", access.lines, stream
    finally:
        console.setStream(old_stream)
        logging.getLogger("fangkong.access").removeHandler(access)
        httpd.shutdown()
        httpd.server_close()


def get(url, headers=None, data=None):
    request = urllib.request.Request(url, headers=headers or {}, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def settled(lines, n):
    """The lines once ``n`` are written: a server writes a request's line after sending the
    answer (the duration includes the sending), so the client can be a moment ahead."""
    deadline = time.monotonic() + 5
    while len(lines) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # and no more than n
    return lines


def error_log():
    path = Path(django_settings.ERROR_LOG)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_each_request_writes_one_line_without_personal_data(server, city):
    url, lines, console = server
    office = f.user("committee_office", city.root)
    assert get(f"{url}/accounts/login/?q=220602198503140012&phone=13900001111") == 200
    cookie = login_client(office).cookies["sessionid"].value
    assert get(f"{url}/people/?q=%E6%9D%8E", {"Cookie": f"sessionid={cookie}"}) == 200
    token = token_create(user=office, actor=SYSTEM)
    assert get(f"{url}/api/v1/people", {"Authorization": f"Bearer {token}"}) == 200
    assert get(f"{url}/people/by-number/220602198503140012/") == 404
    assert get(f"{url}/api/v1/passes/verify", {"Content-Type": "application/json"}, b"{}") in (401, 422)
    assert [(x["method"], x["path"], x["status"], x["user"]) for x in settled(lines, 5)] == [
        ("GET", "/accounts/login/", 200, None),
        ("GET", "/people/", 200, office.pk),
        ("GET", "/api/v1/people", 200, office.pk),
        ("GET", "/people/by-number/*/", 404, None),
        ("POST", "/api/v1/passes/verify", lines[-1]["status"], None),
    ]
    assert all(set(x) == {"time", "method", "path", "status", "ms", "user"} and x["ms"] >= 0 for x in lines)
    text = json.dumps(lines, ensure_ascii=False)
    assert "220602" not in text and "13900001111" not in text and "李" not in text and "q=" not in text
    assert console.getvalue() == ""


def test_a_refused_request_is_one_line_and_no_traceback(server, city):
    url, lines, console = server
    before = error_log()
    cookie = login_client(f.user("unit_liaison", city.dept_a)).cookies["sessionid"].value
    assert get(f"{url}/audit/", {"Cookie": f"sessionid={cookie}"}) == 403
    assert [(x["path"], x["status"]) for x in settled(lines, 1)] == [("/audit/", 403)]
    assert console.getvalue() == "" and error_log() == before


def test_an_error_goes_with_its_traceback_to_the_error_log_and_one_line_to_the_console(server, city):
    url, lines, console = server
    before = error_log()
    assert get(f"{url}/boom/") == 500
    assert [(x["path"], x["status"]) for x in settled(lines, 1)] == [("/boom/", 500)]
    added = error_log()[len(before):]
    assert "Internal Server Error: /boom/" in added and "Traceback (most recent call last)" in added
    assert "RuntimeError: boom: an error for the error log" in added
    printed = console.getvalue().splitlines()
    assert len(printed) == 1 and "Internal Server Error: /boom/" in printed[0]
    assert "[traceback in the error log]" in printed[0] and "Traceback" not in console.getvalue()


def run_with(env_changes, *args):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "PASSES_KEY_SECRET", "FANGKONG_FIELD_KEY", "FANGKONG_SECURE"}}
    env.update(env_changes)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("entry", ["command", "server"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, entry):
    """Every command (``fangkong …``) and the server (the WSGI module granian loads) stop at
    once with FANGKONG_SECURE=1, naming each secret that is missing."""
    args = (["-m", "fangkong", "check"] if entry == "command"
            else ["-c", "import fangkong.config.wsgi"])
    base = {"FANGKONG_SECURE": "1", "FANGKONG_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "fangkong.config.settings"}
    secrets = {"SECRET_KEY": "k" * 60, "PASSES_KEY_SECRET": "p" * 60, "FANGKONG_FIELD_KEY": "f" * 48}
    none = run_with(base, *args)
    assert none.returncode != 0
    assert ("needs these secrets set explicitly in the environment: SECRET_KEY, PASSES_KEY_SECRET, "
            "FANGKONG_FIELD_KEY") in none.stderr
    for missing in secrets:
        given = {name: value for name, value in secrets.items() if name != missing}
        short = run_with({**base, **given}, *args)
        assert short.returncode != 0 and f"environment: {missing} (" in short.stderr, missing
    every = run_with({**base, **secrets}, *args)
    assert every.returncode == 0, every.stderr


def test_a_refused_csrf_token_is_one_console_line_and_its_reason_in_the_error_log(server, city):
    url, lines, console = server
    before = error_log()
    cookie = login_client(f.user("unit_liaison", city.dept_a)).cookies["sessionid"].value
    assert get(f"{url}/notify/remind/", {"Cookie": f"sessionid={cookie}"}, data=b"units=1") == 403
    assert [(x["path"], x["status"]) for x in settled(lines, 1)] == [("/notify/remind/", 403)]
    assert console.getvalue() == ""
    added = error_log()[len(before):]
    assert "CSRF" in added and "Traceback" not in added and added.count("\n") == 1


def test_a_403_reaches_no_handler_with_a_traceback(city, caplog):
    """Django logs a refused request with its exception; the configured loggers keep it out of
    every handler (the access line says it), so no 403 writes a traceback anywhere."""
    watched = [logging.getLogger(name) for name in ("django.request", "django.security", "django.security.csrf")]
    for logger in watched:
        logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG):
            client = login_client(f.user("unit_liaison", city.dept_a))
            assert client.get("/audit/").status_code == 403  # the role may not
            assert client.get("/passes/checkpoint/").status_code == 403
            client.handler.enforce_csrf_checks = True
            assert client.post("/notify/remind/", {"units": "1"}).status_code == 403  # no CSRF token
    finally:
        for logger in watched:
            logger.removeHandler(caplog.handler)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert [r.name for r in caplog.records if r.levelno >= logging.WARNING] == ["django.security.csrf"]
