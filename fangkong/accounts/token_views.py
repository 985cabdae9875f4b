"""API token pages: a user's own tokens (see, create, revoke) and the security administrator's
view of every token within their scope. The rules are in ``services``; these pages only ask."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.scoping import user_has_perm

from . import services
from .models import TOKEN_DAYS, ApiToken, User
from .roles import ADMIN_ROLES


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=60, required=False,
        help_text=gettext_lazy("What uses the token, e.g. the checkpoint scanner of 江北路."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Days until it expires"), min_value=1, max_value=services.TOKEN_MAX_DAYS, initial=TOKEN_DAYS,
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"), widget=forms.PasswordInput, max_length=256,
        help_text=gettext_lazy("A token acts as you until it expires: confirm it is you."),
    )


def _may_create(user: Any) -> bool:
    return user.role not in ADMIN_ROLES


def _state_rows(tokens: Any) -> list[tuple[ApiToken, str]]:
    now = timezone.now()
    return [(t, t.state(now)) for t in tokens]


@method_decorator(never_cache, name="dispatch")
class TokenListView(LoginRequiredMixin, View):
    """``/accounts/tokens/``: the user's own tokens, and a new one (shown once, never stored)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(TokenCreateForm())

    def render(self, form: TokenCreateForm, status: int = 200) -> HttpResponse:
        user: Any = self.request.user
        tokens = ApiToken.objects.filter(user=user).select_related("revoked_by")
        return render(self.request, "accounts/token_list.html", {
            "rows": _state_rows(tokens), "form": form if _may_create(user) else None,
            "can_admin": user_has_perm(user, "accounts.grant"),
        }, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if not _may_create(user):
            raise PermissionDenied(_("Administrator accounts get API tokens only from the server console."))
        form = TokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        if not user.check_password(form.cleaned_data["password"]):
            audit_log(actor=user, action=Action.LOGIN_FAILED, obj=user, detail="token page: wrong password")
            form.add_error("password", _("The password is wrong."))
            return self.render(form, status=400)
        try:
            key = services.token_create(
                user=user, actor=user, name=form.cleaned_data["name"], days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.render(form, status=400)
        token = ApiToken.objects.get(prefix=key[: services.PREFIX_LENGTH])
        # Rendered, not redirected: the token travels in this one answer (no-store) and nowhere else.
        return render(request, "accounts/token_created.html", {"key": key, "token": token}, status=201)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


class TokenRevokeView(LoginRequiredMixin, View):
    """POST ``/accounts/tokens/<pk>/revoke/``: one's own token, or (security administrator) anyone's
    within scope. A token the user may not see is a 404, not a 403."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user: Any = request.user
        visible = ApiToken.objects.filter(user=user)
        if user_has_perm(user, "accounts.grant"):
            visible = visible | ApiToken.objects.visible_to(user)
        token = get_object_or_404(visible.select_related("user"), pk=pk)
        if services.token_revoke(actor=user, token=token):
            messages.success(request, _("Token %(prefix)s revoked.") % {"prefix": token.prefix})
        return _back(request, "accounts:token_list")


class _AdminMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not user_has_perm(request.user, "accounts.grant"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class TokenAdminListView(_AdminMixin, View):
    """``/accounts/tokens/all/``: the security administrator's list of every token within scope,
    newest first, optionally of one user (``?user=USERNAME``) or only the live ones (``?live=1``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        tokens: Any = ApiToken.objects.visible_to(request.user).select_related("user", "revoked_by")
        username = request.GET.get("user", "").strip()[:150]
        owner = None
        if username:
            owner = User.objects.visible_to(request.user).filter(username=username).first()
            if owner is None:
                raise Http404
            tokens = tokens.filter(user=owner)
        live = request.GET.get("live") == "1"
        if live:
            tokens = tokens.live(timezone.now())
        page = Paginator(tokens, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "accounts/token_admin.html", {
            "rows": _state_rows(page.object_list), "page_obj": page, "querystring": query.urlencode(),
            "owner": owner, "username": username, "live": live,
        })


class UserTokensRevokeView(_AdminMixin, View):
    """POST ``/accounts/users/<pk>/tokens/revoke/``: every live token of a user within scope."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        owner = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
        n = services.tokens_revoke_all(actor=request.user, user=owner)  # type: ignore[arg-type]
        messages.success(request, _("%(n)d tokens of %(user)s revoked.") % {"n": n, "user": owner.username})
        return _back(request, "accounts:token_admin")
