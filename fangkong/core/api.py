"""The JSON API under /api/v1/: token auth, JSON errors, and the routers of each app.

Every error answers ``{"detail": ...}`` in the caller's language: the texts are English msgids
translated here (the handlers pass each detail through gettext), with zh_Hans in the catalogue.
"""

import json
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from .middleware import too_large

# Texts django-ninja itself answers with, translated by the handlers below.
N_("Cannot parse request body")
N_("Unauthorized")
N_("Forbidden")
N_("Too many requests.")


class BadInput(Exception):
    """Input that no schema should see: answered 422 with its detail."""


class NotAnObject(ValueError):
    """The JSON body is not an object (every body the API takes is one)."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class JsonParser(Parser):
    """JSON bodies as django-ninja reads them, with three refusals: a body that is not an object
    (an array or a string would otherwise be read as an object with every field at its default),
    text holding NUL (PostgreSQL text cannot: the statement would fail), and nesting too deep to
    parse (400, not a RecursionError)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)  # RecursionError and ValueError: ninja answers 400
        if not isinstance(data, dict):
            raise NotAnObject
        if b"\\u0000" in request.body and _has_nul(data):  # the only way JSON spells NUL
            raise BadInput(N_("Text may not contain the NUL character."))
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        if _has_nul(list(result.values())) or _has_nul(list(result)):
            raise BadInput(N_("Text may not contain the NUL character."))
        return result


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``; tokens come from ``fangkong create_token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from fangkong.accounts.services import token_user

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="fangkong API",
    version="1",
    description="防控 — epidemic-prevention command and dispatch. Every answer is limited to the caller's scope.",
    auth=BearerToken(),
    urls_namespace="api",
    parser=JsonParser(),
)


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    if isinstance(detail, str):
        detail = gettext(detail)  # an English msgid raised as it is (a literal, or ninja's own)
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, N_("Missing or invalid token. Send Authorization: Bearer <token>."))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, N_("Not found."))


@api.exception_handler(PermissionDenied)
def on_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, str(exc) or N_("Your role may not do this."))


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(request, 400, detail)


@api.exception_handler(NinjaValidationError)
def on_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, exc.errors)


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, BadInput):
        return _error(request, 422, str(cause))
    if isinstance(cause, NotAnObject):
        return _error(request, 422, N_("The request body must be a JSON object."))
    if isinstance(cause, RequestDataTooBig):
        return on_too_big(request, cause)
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(BadInput)
def on_bad_input(request: HttpRequest, exc: BadInput) -> HttpResponse:
    return _error(request, 422, str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Reached when a body within the envelope's limit still holds more form data than Django keeps
    # in memory; the envelope refuses larger bodies before this (core.middleware).
    from django.conf import settings

    return _error(request, 413, too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(ProtectedError)
@api.exception_handler(RestrictedError)
def on_protected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A delete refused because other records still refer to this one: the caller's conflict.
    return _error(request, 409, N_("Other records still refer to this one: it cannot be deleted."))


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number (an id, a page) or a text the database cannot hold: the input's fault, not the server's.
    return _error(request, 422, N_("A value is out of the range the database can store."))


@api.exception_handler(TooManyFieldsSent)
def on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 400, N_("The request has too many fields."))


def _register() -> None:
    from fangkong.accounts.api import router as accounts_router
    from fangkong.command.api import router as command_router
    from fangkong.deployment.api import router as deployment_router
    from fangkong.documents.api import router as documents_router
    from fangkong.donations.api import router as donations_router
    from fangkong.livelihood.api import router as livelihood_router
    from fangkong.notify.api import router as notify_router
    from fangkong.orgs.api import router as orgs_router
    from fangkong.passes.api import router as passes_router
    from fangkong.people.api import router as people_router
    from fangkong.publicity.api import router as publicity_router
    from fangkong.reports.api import router as reports_router
    from fangkong.returnees.api import router as returnees_router
    from fangkong.supervision.api import router as supervision_router

    api.add_router("/units", orgs_router)
    api.add_router("/people", people_router)
    api.add_router("/returnees", returnees_router)
    api.add_router("/deployment", deployment_router)
    api.add_router("/documents", documents_router)
    api.add_router("/passes", passes_router)
    api.add_router("/reports", reports_router)
    api.add_router("/notifications", notify_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/command", command_router)
    api.add_router("/supervision", supervision_router)
    api.add_router("/livelihood", livelihood_router)
    api.add_router("/publicity", publicity_router)
    api.add_router("/donations", donations_router)


_register()
