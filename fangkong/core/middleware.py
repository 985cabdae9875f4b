"""The request envelope: language, the body limit, and no caching of what a logged-in user sees.

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
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
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
    """The language the switch stored in the cookie, or the default."""
    name = settings.LANGUAGE_COOKIE_NAME + "="
    for part in cookie.split(";"):
        part = part.strip()
        if part.startswith(name):
            value = part[len(name):]
            if value in {code for code, _name in settings.LANGUAGES}:
                return value
    return settings.LANGUAGE_CODE


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
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
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
