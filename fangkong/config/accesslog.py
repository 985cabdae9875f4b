"""The request log: one structured line per request, and the formatter that keeps tracebacks
out of the console.

``AccessLog`` is the outermost WSGI layer (``config.wsgi``), so every request gets its line,
the lean verification path included, timed until its body has been handed to the server. Each
line is JSON: time, method, path, status, duration in milliseconds, user id. No personal data:
the query string is never logged (searches carry ID numbers, names, phones), and a long run of
digits in a path (an ID or phone number) is replaced by ``*``. ``RequestUserMiddleware`` leaves
the signed-in user's id in the WSGI environ (Django's ``request.META``) for the line.

Errors go to the error log with their tracebacks (``LOGGING`` in settings); the console gets
one line per error (``OneLineFormatter``), and a refused request (403, 404) only its access line.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("fangkong.access")
USER_KEY = "fangkong.user_id"
# 11 digits and more: mobile numbers, 15- and 18-character ID numbers (with their X).
_NUMBERS = re.compile(r"\d{11,}[0-9Xx]?")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def clean_path(path: str) -> str:
    """The path as logged: long digit runs masked (the query string is never passed here)."""
    return _NUMBERS.sub("*", path)[:300]


def access_line(*, method: str, path: str, status: int, ms: float, user: int | None) -> str:
    """One JSON object on one line. Written out by hand (the verification path answers
    thousands of requests a second): only the method and the path need escaping."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    who = "null" if user is None else str(int(user))
    return (f'{{"time":"{stamp}","method":{json.dumps(method[:16])},'
            f'"path":{json.dumps(clean_path(path), ensure_ascii=False)},"status":{int(status)},'
            f'"ms":{ms:.1f},"user":{who}}}')


class _Logged:
    """The response body, passed through; the line is written when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self.body, self.done = body, done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done()


class AccessLog:
    """WSGI layer that writes one access line per request to the ``fangkong.access`` logger."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not logger.isEnabledFor(logging.INFO):
            return self.app(environ, start_response)
        started = time.perf_counter()
        seen: list[int] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        def done() -> None:
            logger.info(access_line(
                method=str(environ.get("REQUEST_METHOD", "")), path=str(environ.get("PATH_INFO", "")),
                status=seen[-1] if seen else 500, ms=(time.perf_counter() - started) * 1000,
                user=environ.get(USER_KEY),
            ))

        try:
            body = self.app(environ, start)
        except BaseException:
            done()
            raise
        return _Logged(body, done)


class RequestUserMiddleware:
    """Leaves the id of the user the request ran as (session or API token) in the WSGI environ."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            request.META[USER_KEY] = user.pk
        return response


class OneLineFormatter(logging.Formatter):
    """A record on one line, without its traceback (that goes to the error log)."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record).replace("\n", " ")
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return line + (" [traceback in the error log]" if saved[0] else "")
