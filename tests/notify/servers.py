"""Real servers on 127.0.0.1 for the notification tests: a small SMTP server and an HTTP endpoint
standing in for the WeCom and DingTalk group robots. Both record exactly what arrived."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import socketserver
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

PORTS = range(18300, 18400)


def free_port() -> int:
    """A port of our range (18300-18399) that nothing listens on right now."""
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18300-18399")


def _bind(factory: Any) -> Any:
    for port in PORTS:
        try:
            return factory(("127.0.0.1", port))
        except OSError:
            continue
    raise RuntimeError("no free port in 18300-18399")


@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()  # a folded header unfolds with a leading space

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    disable_nagle_algorithm = True  # line-by-line replies would otherwise wait on delayed ACKs

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SMTPServer = self.server.owner  # type: ignore[attr-defined]
        self.reply("220 fangkong-test ESMTP")
        mail_from, rcpt = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250-fangkong-test")
                self.reply("250-8BITMIME")
                self.reply("250 SMTPUTF8")
            elif verb == "HELO":
                self.reply("250 fangkong-test")
            elif verb == "MAIL":
                mail_from, rcpt = line.split(":", 1)[1].strip().split()[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b".\n", b""):
                        break
                    chunks.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
                server.mails.append(Mail(mail_from, rcpt, message))  # type: ignore[arg-type]
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPServer:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.server = _bind(lambda addr: _TCP(addr, _SMTPHandler))
        self.server.owner = self
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> SMTPServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Post:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class RobotServer:
    """An HTTP endpoint that answers like a group robot. ``status``/``answer`` set the reply, so
    the same server can play a robot that is down (HTTP 500) or refuses (errcode ≠ 0)."""

    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                robot.posts.append(Post(
                    path=url.path, query=dict(urllib.parse.parse_qsl(url.query)),
                    headers={k.lower(): v for k, v in self.headers.items()}, payload=json.loads(body),
                ))
                data = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _bind(lambda addr: ThreadingHTTPServer(addr, Handler))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RobotServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- pytest fixtures (imported by the test modules that need them) ----------------------------


@pytest.fixture(name="smtp")
def smtp_server(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.DEFAULT_FROM_EMAIL = "fangkong@baishan.example"
        settings.NOTIFY_EMAIL_TIMEOUT = 5
        settings.NOTIFY_WEBHOOK_TIMEOUT = 5
        yield server


@pytest.fixture(name="wecom")
def wecom_server():  # type: ignore[no-untyped-def]
    with RobotServer() as server:
        yield server


@pytest.fixture(name="dingtalk")
def dingtalk_server():  # type: ignore[no-untyped-def]
    with RobotServer() as server:
        yield server
