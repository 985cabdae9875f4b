from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.scoping import ScopedQuerySet

from .roles import Role


class UserQuerySet(ScopedQuerySet["User"]):
    pass


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A login. Its role says what it may do; its scope units say where."""

    role = models.CharField(_("role"), max_length=24, choices=Role.choices, blank=True)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="accounts",
    )
    scope_units = models.ManyToManyField(  # type: ignore[var-annotated]
        "orgs.Unit", verbose_name=_("scope"), through="UserScope", related_name="+", blank=True
    )
    failed_logins = models.PositiveSmallIntegerField(_("failed logins"), default=0)
    first_failure_at = models.DateTimeField(_("first failure at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Set on an account made with a one-time password (``fangkong init``, accounts in bulk): its
    # first login leads to the password change and nowhere else until that is done.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    objects = ScopedUserManager()  # type: ignore[misc]
    scope_perm_label = "accounts"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ("username",)

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    @staticmethod
    def scope_q(units: Any) -> Q:
        # A user is visible to an administrator when any of its scope units lies in theirs.
        return Q(id__in=UserScope.objects.filter(unit_id__in=units).values("user_id")) | ~Q(
            id__in=UserScope.objects.values("user_id")
        )


class UserScope(models.Model):
    """One unit of a user's scope; the user sees it and everything below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scopes")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="user_scopes")

    class Meta:
        verbose_name = _("scope unit")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="userscope_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.unit_id}"


TOKEN_DAYS = 90
"""How long an API token lives unless its creator says otherwise."""


def token_expiry() -> dt.datetime:
    """The default end of a new token's life (also what tokens made before expiry existed got)."""
    return timezone.now() + dt.timedelta(days=TOKEN_DAYS)


class RevokeReason(models.TextChoices):
    BY_USER = "user", _("Revoked by its user")
    BY_ADMIN = "admin", _("Revoked by the security administrator")
    CONSOLE = "console", _("Revoked from the server console")
    PASSWORD = "password", _("Password changed")
    DEACTIVATED = "deactivated", _("Account deactivated")


class ApiTokenQuerySet(ScopedQuerySet["ApiToken"]):
    def live(self, now: dt.datetime) -> ApiTokenQuerySet:
        """Tokens that act for their user at ``now``: not revoked, not expired, the user active.
        ``LIVE_SQL`` says the same for the lean verification path; tests hold the two together."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored; the token itself is shown once, at creation.

    It acts as its user until it expires (90 days by default) or is revoked: by its user on the
    tokens page, by the security administrator (anyone's within their scope), from the console,
    and always when the user's password changes or the account is deactivated. ``prefix`` (the
    token's first characters) names it on the page, in the audit log and to ``revoke_token``."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), default=token_expiry)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("revoked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(_("why revoked"), max_length=12, choices=RevokeReason.choices, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    scope_perm_label = "accounts"

    # last_used_at is written at most this often per token: a busy script must not turn every
    # API call into a write. The lean path (passes/fastpath.py) uses the same interval.
    TOUCH_EVERY = dt.timedelta(minutes=1)
    LIVE_SQL = "{t}.revoked_at IS NULL AND {t}.expires_at > {now}"
    """``live()`` as SQL on table alias ``t`` at the moment ``now`` (the user's is_active is joined apart)."""

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def scope_q(units: Any) -> Q:
        # A token is in an administrator's scope when its user is (the rule of User.scope_q).
        return Q(user_id__in=User.objects.filter(User.scope_q(units)).values("id"))

    def state(self, now: dt.datetime) -> str:
        """``active``, ``expired`` or ``revoked`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > now else "expired"

class LoginThrottle(models.Model):
    """Failed logins under a username that names no account, counted as an account's are, so the
    lock-out answers the same for both and does not tell who has an account. Rows whose window and
    lock have passed are deleted as new ones come (``accounts.services``), and there are never
    more than ``LOGIN_THROTTLE_MAX_ROWS``."""

    username = models.CharField(max_length=150, unique=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    first_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.username
