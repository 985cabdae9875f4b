"""The request envelope: language, the body limit, no caching of what a logged-in user sees, and
``ApiEnvelope``, Django's stack around an API answer for the WSGI layer that answers pass
verifications itself (``passes.fastpath``).

Language: Simplified Chinese unless the user picked another language with the switch. Django's
LocaleMiddleware would follow the browser's Accept-Language; staff on English-language systems
would then get an English platform they never asked for.

Body limit: a request body larger than ``body_limit`` is refused with a JSON 413 before any of it
is read. ``RequestEnvelope`` (the WSGI layer in front of everything, the lean verification path
included) and ``BodyLimitMiddleware`` (Django's stack, for any other entry such as the test client)
apply the same rule: a declared Content-Length over the limit is refused unread, and a chunked
body (no length) is read only up to the limit.
"""

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.cookie import parse_cookie
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _

MULTIPART_SLACK = 1024 * 1024  # the form around an uploaded file: boundaries, headers, other fields


def body_limit(content_type: str) -> int:
    """The largest body the platform reads: a multipart upload up to the ledger import limit (its
    files go to disk as they arrive), any other body up to DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)."""
    if content_type.startswith("multipart/"):
        return int(settings.FANGKONG_IMPORT_MAX_BYTES) + MULTIPART_SLACK
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def body_refusal(meta: dict[str, Any]) -> tuple[int, str] | None:
    """(status, detail) when the declared body must be refused unread, else None."""
    declared = meta.get("CONTENT_LENGTH") or ""
    if not declared:
        return None
    try:
        length = int(declared)
    except ValueError:
        length = -1
    if length < 0:
        return 400, _("The Content-Length header is not a valid length.")
    limit = body_limit(meta.get("CONTENT_TYPE") or "")
    if length > limit:
        return 413, too_large(limit)
    return None


def too_large(limit: int) -> str:
    return _("The request body is larger than the limit of %(limit)s bytes.") % {"limit": limit}


def cookie_language(cookie: str) -> str:
    """The language the switch stored in the cookie (the ``Cookie`` header's text), or the default."""
    return language_of(parse_cookie(cookie))


def language_of(cookies: dict[str, str]) -> str:
    """The language the switch stored among the request's cookies, or the default: the one rule
    of ``LanguageMiddleware``, ``RequestEnvelope`` and the lean verification path."""
    language = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return language if language in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


class RequestEnvelope:
    """WSGI layer in front of the whole platform: refuses bodies over the limit before they are
    read, and turns a chunked body into a counted one read no further than the limit (Django reads
    only counted bodies)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        refused = body_refusal(environ) is not None
        if not refused and not environ.get("CONTENT_LENGTH") and "chunked" in (
            environ.get("HTTP_TRANSFER_ENCODING") or ""
        ).lower():
            body = _read_at_most(environ["wsgi.input"], body_limit(environ.get("CONTENT_TYPE") or "") + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            refused = body_refusal(environ) is not None
        if not refused:
            return self.app(environ, start_response)
        # Refused (rarely): the detail in the client's language.
        with translation.override(cookie_language(environ.get("HTTP_COOKIE") or "")):
            status, detail = body_refusal(environ) or (400, "")
        data = json.dumps({"detail": detail}).encode()
        start_response(f"{status} {'Payload Too Large' if status == 413 else 'Bad Request'}", [
            ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data))),
        ])
        return [data]


def _read_at_most(stream: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < limit:
        part = stream.read(min(65536, limit - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class BodyLimitMiddleware:
    """Django's side of the body limit (the test client and any server that skips the WSGI layer)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = body_refusal(request.META)
        if refusal is not None:
            return JsonResponse({"detail": refusal[1]}, status=refusal[0])
        return self.get_response(request)


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_of(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreMiddleware:
    """Nothing a logged-in user (session or API token) is shown is kept by a browser or a proxy:
    every such response says ``Cache-Control: no-store``. Static files never get here (whitenoise
    answers them earlier in the stack)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # the API's token auth sets it during the view
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


JSON = "application/json; charset=utf-8"


class ApiEnvelope:
    """What Django's middleware does around a JSON API answer, for a WSGI layer in front of Django
    that answers some requests itself (``passes.fastpath``). Each step is the Django middleware's
    own code, not a copy of it:

    - on the way in (``admits``): the host must be one of ``ALLOWED_HOSTS``
      (``HttpRequest.get_host``, which ``CommonMiddleware`` calls) and ``SecurityMiddleware`` must
      not redirect the request to HTTPS; a request that fails either is handed to Django, which
      answers it (400, 301);
    - on the way out (``headers``): the headers ``SecurityMiddleware`` (nosniff, referrer and
      opener policies, HSTS over HTTPS), django-csp's ``CSPMiddleware``,
      ``XFrameOptionsMiddleware``, ``NoStoreMiddleware`` (``add_never_cache_headers``: the answer
      is for a signed-in user), ``LanguageMiddleware`` (Content-Language) and
      ``SessionMiddleware`` (Vary: Cookie) give the same answer from Django.

    The body limit (``RequestEnvelope``) and the request log (``config.accesslog.AccessLog``) are
    WSGI layers in front of both. ``passes.fastpath.MIDDLEWARE`` says how each entry of
    ``settings.MIDDLEWARE`` applies, and ``fangkong check`` fails on one it does not know.
    """

    def __init__(self) -> None:
        def unused(request: HttpRequest) -> HttpResponse:
            raise AssertionError("only the middleware's request and response hooks are called")

        self.security = SecurityMiddleware(unused)
        self.csp = CSPMiddleware(unused)
        self.frame = XFrameOptionsMiddleware(unused)
        self._static: dict[tuple[bool, str], list[tuple[str, str]]] = {}
        self._expires: tuple[int, str] = (0, "")

    @staticmethod
    def request(environ: dict[str, Any]) -> HttpRequest:
        """The request as Django's middleware sees it before a view runs, without reading the body
        (``WSGIRequest``'s own constructor would wrap the input stream and parse the path again)."""
        request = WSGIRequest.__new__(WSGIRequest)
        request.environ = request.META = environ  # type: ignore[attr-defined]
        request.path = request.path_info = environ.get("PATH_INFO", "/")
        request.method = environ.get("REQUEST_METHOD", "")
        return request

    def admits(self, request: HttpRequest) -> bool:
        """Whether Django's stack would let the request reach its view unchanged (host, HTTPS)."""
        try:
            request.get_host()
        except DisallowedHost:
            return False
        return self.security.process_request(request) is None

    def headers(self, request: HttpRequest, *, language: str) -> list[tuple[str, str]]:
        """The headers of a JSON answer to a signed-in user, besides Content-Type and Content-Length.
        Worked out once per (HTTPS or not, language) by the middleware themselves; only Expires
        (the moment of the answer, from ``add_never_cache_headers``) changes with each second."""
        key = (request.is_secure(), language)
        static = self._static.get(key)
        if static is None:
            response = HttpResponse(content_type=JSON)
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Cookie",))
            response.headers["Content-Language"] = language
            self.csp.process_response(request, response)
            self.security.process_response(request, response)
            self.frame.process_response(request, response)
            static = [(k, v) for k, v in response.items() if k not in ("Content-Type", "Expires")]
            self._static[key] = static
        second = int(time.time())
        if self._expires[0] != second:
            self._expires = (second, http_date(second))  # add_never_cache_headers: Expires is now
        return [*static, ("Expires", self._expires[1])]
