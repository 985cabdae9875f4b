import base64
import io
import time
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log, client_ip
from fangkong.core.scoping import user_has_perm
from fangkong.core.views import ScopedDetailView, ScopedMixin

from . import services
from .forms import GrantForm, LoginForm, OtpForm, PasswordChangeForm, UserCreateForm
from .middleware import LOGIN_AT_KEY
from .models import User
from .roles import ADMIN_ROLES


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request, username=form.cleaned_data["username"],
                password=form.cleaned_data["password"], ip=client_ip(request),
            )
        except services.AccountLocked:
            form.add_error(None, _("This account is locked after too many failed logins. Try again in 15 minutes."))
            user = None
            status = 403
        else:
            if user is None:
                form.add_error(None, _("Wrong username or password."))
                status = 401
        if user is not None:
            login(request, user)  # cycles the session key
            request.session[LOGIN_AT_KEY] = time.time()
            target = request.POST.get("next") or request.GET.get("next") or ""
            if user.role in ADMIN_ROLES:
                return redirect("accounts:otp")
            if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
                return redirect(target)
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login.html", {"form": form, "expired": "expired" in request.GET}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_log(actor=request.user, action=Action.LOGOUT, obj=request.user)  # type: ignore[arg-type]
    logout(request)  # flushes the session from the store
    return redirect("accounts:login")


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def otp_view(request: HttpRequest) -> HttpResponse:
    """Second factor for the admin roles: enrol a TOTP device on first use, then verify."""
    user: Any = request.user
    if user.is_verified():
        return redirect(settings.LOGIN_REDIRECT_URL)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="default", confirmed=False
        )
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_log(actor=user, action=Action.OTP_ENROLLED, obj=user)
            otp_login(request, device)
            return redirect(settings.LOGIN_REDIRECT_URL)
        audit_log(actor=user, action=Action.OTP_FAILED, obj=user)
        form.add_error("token", _("The code is wrong or has expired."))
        status = 400
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/otp.html", context, status=status)


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    user: Any = request.user
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["old_password"]):
            form.add_error("old_password", _("The current password is wrong."))
        elif form.cleaned_data["new_password"] == form.cleaned_data["old_password"]:
            form.add_error("new_password", _("The new password must differ from the current one."))
        else:
            try:
                services.password_change(user=user, new_password=form.cleaned_data["new_password"])
            except ValidationError as exc:
                form.add_error("new_password", exc.messages)
            else:
                # Every session ends, this one too: log in again with the new password.
                logout(request)
                messages.success(request, _("Password changed. Please log in again."))
                return redirect("accounts:login")
    context = {"form": form, "first": bool(getattr(user, "must_change_password", False))}
    return render(request, "accounts/password_change.html", context, status=400 if form.errors else 200)


class UserListView(ScopedMixin, TemplateView):
    model = User
    template_name = "accounts/user_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["users"] = self.get_queryset().prefetch_related("scope_units").order_by("username")
        context["can_create"] = user_has_perm(self.request.user, "accounts.change") or user_has_perm(
            self.request.user, "accounts.grant"
        )
        context["can_import"] = user_has_perm(self.request.user, "accounts.grant")
        return context


class UserDetailView(ScopedDetailView):
    model = User
    template_name = "accounts/user_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        target = context["object"]
        user = self.request.user
        can_grant = user_has_perm(user, "accounts.grant") and target.pk != user.pk
        context.update(
            can_grant=can_grant,
            can_activate=user_has_perm(user, "accounts.change") and target.pk != user.pk,
            grant_form=GrantForm(
                initial={"role": target.role, "units": list(target.scope_units.all())}, user=user
            ) if can_grant else None,
        )
        return context


class UserCreateView(ScopedMixin, TemplateView):
    model = User
    template_name = "accounts/user_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": UserCreateForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserCreateForm(request.POST)
        if form.is_valid():
            try:
                user = services.user_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else "password", errors)
            else:
                messages.success(request, _("Account created."))
                return redirect(user)
        return render(request, self.template_name, {"form": form}, status=400)


class UserGrantView(ScopedMixin, View):
    model = User

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = self.get_object()
        form = GrantForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(request, _("Choose a valid role and units inside your scope."))
            return redirect(target)
        try:
            services.user_grant(
                actor=request.user, user=target,  # type: ignore[arg-type]
                role=form.cleaned_data["role"], units=form.cleaned_data["units"],
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect(target)
        messages.success(request, _("Role and scope saved."))
        return redirect(target)


class UserUnlockView(ScopedMixin, View):
    model = User

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        services.user_unlock(actor=request.user, user=self.get_object())  # type: ignore[arg-type]
        messages.success(request, _("Account unlocked."))
        return redirect("accounts:user_detail", pk=pk)


class UserActiveView(ScopedMixin, View):
    model = User

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = self.get_object()
        services.user_set_active(actor=request.user, user=target, active=request.POST.get("active") == "1")  # type: ignore[arg-type]
        return redirect(target)

