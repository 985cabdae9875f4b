import hashlib
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
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


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


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
