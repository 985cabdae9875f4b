"""The JSON API under /api/v1/: token auth, JSON errors, and the routers of each app."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer


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
)


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, "Missing or invalid token. Send Authorization: Bearer <token>.")


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def on_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, str(exc) or "Your role may not do this.")


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(request, 400, detail)


@api.exception_handler(NinjaValidationError)
def on_schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, exc.errors)


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


def _register() -> None:
    from fangkong.deployment.api import router as deployment_router
    from fangkong.notify.api import router as notify_router
    from fangkong.orgs.api import router as orgs_router
    from fangkong.passes.api import router as passes_router
    from fangkong.people.api import router as people_router
    from fangkong.reports.api import router as reports_router
    from fangkong.returnees.api import router as returnees_router

    api.add_router("/units", orgs_router)
    api.add_router("/people", people_router)
    api.add_router("/returnees", returnees_router)
    api.add_router("/deployment", deployment_router)
    api.add_router("/passes", passes_router)
    api.add_router("/reports", reports_router)
    api.add_router("/notifications", notify_router)


_register()
