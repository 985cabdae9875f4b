"""Session policy: absolute lifetime, second factor for the admin roles, client address for audit."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from fangkong.audit.services import client_ip, set_request_ip

from .roles import ADMIN_ROLES

LOGIN_AT_KEY = "fangkong_login_at"
# Paths an admin may reach before passing the second factor.
OTP_EXEMPT = ("/accounts/login/", "/accounts/logout/", "/accounts/otp/", "/static/", "/i18n/", "/api/")
# Paths an account with a one-time password may reach before changing it.
PASSWORD_EXEMPT = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_request_ip(client_ip(request))
        user = request.user
        if user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            if login_at is None or time.time() - float(login_at) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(reverse("accounts:login") + "?expired=1")
            if getattr(user, "must_change_password", False) and not request.path.startswith(PASSWORD_EXEMPT):
                return redirect(reverse("accounts:password_change") + "?first=1")
            if (
                getattr(user, "role", "") in ADMIN_ROLES
                and not user.is_verified()  # type: ignore[union-attr,attr-defined]
                and not request.path.startswith(OTP_EXEMPT)
                and not (getattr(user, "must_change_password", False) and request.path.startswith(PASSWORD_EXEMPT))
            ):
                return redirect("accounts:otp")
        return self.get_response(request)
