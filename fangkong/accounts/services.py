"""Accounts: login with lock-out, roles and scopes, passwords, API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import Actor, is_system, user_of
from fangkong.core.scoping import forget_scope, unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.models import Unit

from .models import TOKEN_DAYS, ApiToken, LoginThrottle, RevokeReason, User, UserScope
from .roles import ADMIN_ROLES, RANK, Role


class AccountLocked(Exception):
    """The account is locked after too many failed logins."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(str(until))
        self.until = until


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_attempt(*, request: HttpRequest | None, username: str, password: str, ip: str | None) -> User | None:
    """Check a username and password, counting failures and locking the account after too many.

    Returns the user on success, None on a wrong password or unknown user, and raises
    AccountLocked while a lock lasts (even for the right password). A username that names no
    account is counted and locked the same way, and every answer runs the password hasher once,
    so neither the answer nor its time tells whether an account exists.
    """
    with transaction.atomic():
        user, locked_until = _login_attempt(request=request, username=username, password=password, ip=ip)
    # Raised after the commit so the refused attempt stays in the audit log.
    if locked_until is not None:
        raise AccountLocked(locked_until)
    return user


LOGIN_THROTTLE_MAX_ROWS = 10_000
"""At most this many usernames without an account are counted at once; the oldest go first."""


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """A password hash nobody's password matches, made once per process (and hasher) with the
    default hasher: checking against it costs what checking a real password costs."""
    algorithm = str(get_hasher("default").algorithm)
    if algorithm not in _dummy_hashes:
        _dummy_hashes[algorithm] = make_password(secrets.token_urlsafe(24))
    return _dummy_hashes[algorithm]


def _hash_once(password: str, user: User | None) -> None:
    """Run the password hasher once, on the account's hash or the dummy, for an answer that would
    otherwise come without one."""
    encoded = user.password if user is not None and user.has_usable_password() else _dummy_hash()
    check_password(password, encoded)


def _throttle(username: str, now: dt.datetime) -> LoginThrottle:
    """The failure count of a username without an account, locked for this transaction; created
    (and the stale ones deleted, the table kept bounded) on its first failure."""
    row = LoginThrottle.objects.select_for_update().filter(username=username).first()
    if row is not None:
        return row
    stale = now - max(_window(), dt.timedelta(seconds=settings.LOGIN_LOCK_SECONDS))
    LoginThrottle.objects.filter(updated_at__lt=stale).delete()
    excess = LoginThrottle.objects.count() - LOGIN_THROTTLE_MAX_ROWS + 1
    if excess > 0:
        oldest = LoginThrottle.objects.order_by("updated_at").values_list("pk", flat=True)[:excess]
        LoginThrottle.objects.filter(pk__in=list(oldest)).delete()
    row, _created = LoginThrottle.objects.get_or_create(username=username, defaults={"updated_at": now})
    return row


def _login_attempt(
    *, request: HttpRequest | None, username: str, password: str, ip: str | None
) -> tuple[User | None, dt.datetime | None]:
    now = timezone.now()
    user = User.objects.select_for_update().filter(username=username).first()
    counter: User | LoginThrottle | None = user
    if user is None:
        counter = LoginThrottle.objects.select_for_update().filter(username=username).first()
    if counter is not None and counter.locked_until and counter.locked_until > now:
        _hash_once(password, user)
        if user is not None:
            audit_log(actor=user, action=Action.LOGIN_FAILED, obj=user, detail="locked", ip=ip)
        else:
            audit_log(actor=None, action=Action.LOGIN_FAILED, object_repr=username[:150],
                      detail="unknown user, locked", ip=ip)
        return None, counter.locked_until
    # Django's ModelBackend runs the hasher once for an unknown username too.
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is not None and user is not None:
        User.objects.filter(pk=user.pk).update(failed_logins=0, first_failure_at=None, locked_until=None)
        audit_log(actor=user, action=Action.LOGIN, obj=user, ip=ip)
        authenticated.failed_logins = 0
        return authenticated, None
    if user is not None and not user.has_usable_password():
        _hash_once(password, None)  # the backend answered without hashing
    if user is None:
        counter = _throttle(username, now)
        audit_log(actor=None, action=Action.LOGIN_FAILED, object_repr=username[:150], detail="unknown user", ip=ip)
    assert counter is not None
    if counter.first_failure_at is None or now - counter.first_failure_at > _window():
        counter.first_failure_at = now
        counter.failed_logins = 0
    counter.failed_logins += 1
    if user is not None:
        audit_log(actor=user, action=Action.LOGIN_FAILED, obj=user, detail=f"{user.failed_logins}", ip=ip)
    if counter.failed_logins >= settings.LOGIN_FAILURE_LIMIT:
        counter.locked_until = now + dt.timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
        counter.failed_logins = 0
        counter.first_failure_at = None
        audit_log(actor=user, action=Action.LOCKED, obj=user, object_repr="" if user else username[:150],
                  detail=counter.locked_until.isoformat(), ip=ip)
    if isinstance(counter, LoginThrottle):
        counter.updated_at = now
        counter.save(update_fields=["failed_logins", "first_failure_at", "locked_until", "updated_at"])
    else:
        counter.save(update_fields=["failed_logins", "first_failure_at", "locked_until"])
    return None, None


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> None:
    _require(actor, "accounts.grant")
    _require_target(actor, user)
    User.objects.filter(pk=user.pk).update(failed_logins=0, first_failure_at=None, locked_until=None)
    audit_log(actor=actor, action=Action.UNLOCKED, obj=user)


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Delete every stored session of the user (except ``keep``)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user.pk) and session.session_key != keep:
            session.delete()
            ended += 1
    return ended


def _require(actor: Actor, perm: str) -> None:
    # No actor holds no permission (``user_has_perm`` refuses None).
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _require_target(actor: Actor, user: User) -> None:
    """The account acted on must be one the actor's scope covers (``User.scope_q``)."""
    if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("This account is outside your scope."))


def _check_grant(*, actor: Actor, target: User | None, role: str, units: Iterable[Unit]) -> list[Unit]:
    _require(actor, "accounts.grant")
    if target is not None and not is_system(actor) and target.pk == actor.pk:
        raise PermissionDenied(_("Nobody may change their own role or scope."))
    if target is not None:
        _require_target(actor, target)
    if role and role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role and not is_system(actor) and RANK.get(role, 0) > RANK.get(actor.role, 0):
        raise PermissionDenied(_("You may not grant a role above your own."))
    unit_list = list(units)
    for unit in unit_list:
        if not unit_in_scope(actor, unit.pk):
            raise PermissionDenied(_("You may not grant a scope outside your own."))
    return unit_list


@transaction.atomic
def user_create(
    *, actor: Actor, username: str, full_name: str, password: str, role: str = "", units: Iterable[Unit] = (),
    email: str = "", one_time: bool = False,
) -> User:
    """Create an account. ``one_time``: the password was made by the platform and handed over on
    paper or once on the console; the first login must change it."""
    if not (user_has_perm(actor, "accounts.change") or user_has_perm(actor, "accounts.grant")):
        raise PermissionDenied(_("Your role may not do this."))
    username = clean_text(username, max_length=150)
    full_name = clean_text(full_name, max_length=60)
    unit_list = _check_grant(actor=actor, target=None, role=role, units=units) if (role or units) else []
    user = User(username=username, full_name=full_name, email=email, role=role)
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    if one_time:
        # A password the platform made (about 69 random bits): see accounts/hashers.py.
        user.password = make_password(password, hasher="pbkdf2_onetime")
    else:
        user.set_password(password)
    user.is_staff = role == Role.SYSTEM_ADMIN
    user.must_change_password = one_time
    user.save()
    UserScope.objects.bulk_create([UserScope(user=user, unit=u) for u in unit_list])
    audit_log(actor=actor, action=Action.CREATE, obj=user, after={"username": username, "role": role})
    if role:
        audit_log(actor=actor, action=Action.ROLE_CHANGED, obj=user, before={"role": ""}, after={"role": role})
    if unit_list:
        audit_log(
            actor=actor, action=Action.SCOPE_CHANGED, obj=user, before={"units": []},
            after={"units": sorted(u.code for u in unit_list)},
        )
    return user


@transaction.atomic
def user_grant(*, actor: User, user: User, role: str, units: Iterable[Unit]) -> User:
    """Set a user's role and scope (security admin only, never on themself, never above their own)."""
    unit_list = _check_grant(actor=actor, target=user, role=role, units=units)
    before_role = user.role
    before_units = sorted(UserScope.objects.filter(user=user).values_list("unit__code", flat=True))
    after_units = sorted(u.code for u in unit_list)
    if role != before_role:
        user.role = role
        user.is_staff = role == Role.SYSTEM_ADMIN
        user.save(update_fields=["role", "is_staff"])
        audit_log(actor=actor, action=Action.ROLE_CHANGED, obj=user, before={"role": before_role}, after={"role": role})
        end_sessions(user)
    if after_units != before_units:
        forget_scope(user)
        UserScope.objects.filter(user=user).delete()
        UserScope.objects.bulk_create([UserScope(user=user, unit=u) for u in unit_list])
        audit_log(
            actor=actor, action=Action.SCOPE_CHANGED, obj=user,
            before={"units": before_units}, after={"units": after_units},
        )
        end_sessions(user)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    _require(actor, "accounts.change")
    if user.pk == actor.pk:
        raise PermissionDenied(_("You may not deactivate your own account."))
    _require_target(actor, user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_log(actor=actor, action=Action.UPDATE, obj=user, after={"is_active": active})
    if not active:
        end_sessions(user)
        # Revoked, not only refused while inactive: reactivating the account must not wake them.
        revoke_user_tokens(actor=actor, user=user, reason=RevokeReason.DEACTIVATED)
    return user


@transaction.atomic
def password_change(*, user: User, new_password: str, keep_session: str | None = None) -> None:
    """The user's own change: every other session ends and every API token is revoked (a token
    made by whoever knew the old password must not outlive it)."""
    validate_password(new_password, user)
    # Revoked here, so the audit names who acted; the save's own safety net for every other path
    # (validators.RevokeTokensOnPasswordChange) then finds none left.
    revoke_user_tokens(actor=user, user=user, reason=RevokeReason.PASSWORD)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_log(actor=user, action=Action.PASSWORD_CHANGED, obj=user)
    end_sessions(user, keep=keep_session)


# Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/l/I).
_SLIP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """A password to hand over once (console, account slip): 12 characters in three groups, with
    lower and upper case and a digit, so that it passes the password rules."""
    while True:
        text = "".join(secrets.choice(_SLIP_ALPHABET) for _ in range(12))
        if any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text):
            return f"{text[:4]}-{text[4:8]}-{text[8:]}"


TOKEN_PREFIX = "fk_"
PREFIX_LENGTH = 12  # "fk_" and 9 characters of the secret: enough to name a token, far from guessing it
TOKEN_MAX_DAYS = 365


@transaction.atomic
def token_create(*, user: User, actor: Actor, name: str = "", days: int = TOKEN_DAYS) -> str:
    """Create an API token for ``user`` and return it; only its hash is kept, so this is the one
    time it is seen. ``actor`` ``SYSTEM`` is the server console (``create_token``); on the web a
    user makes tokens for themself only, and the administrator roles not at all (their pages need
    a second factor, a token would not)."""
    if actor is None:
        raise PermissionDenied(_("Your role may not do this."))
    if not is_system(actor):
        if actor.pk != user.pk:
            raise PermissionDenied(_("A token can only be created for yourself."))
        if user.role in ADMIN_ROLES:
            raise PermissionDenied(_("Administrator accounts get API tokens only from the server console."))
    if not user.is_active:
        raise ValidationError(_("The account is deactivated."))
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError({"days": _("A token lives 1 to %(max)d days.") % {"max": TOKEN_MAX_DAYS}})
    while True:
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        if not ApiToken.objects.filter(prefix=key[:PREFIX_LENGTH]).exists():
            break
    token = ApiToken.objects.create(
        user=user, name=clean_text(name, max_length=60), key_hash=ApiToken.hash_key(key), prefix=key[:PREFIX_LENGTH],
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit_log(
        actor=actor, action=Action.TOKEN_CREATED, obj=token,
        after={"user": user.username, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        detail="console" if is_system(actor) else "",
    )
    return key


def token_user(key: str) -> User | None:
    """The user a token acts for now, or None (unknown, revoked, expired, user deactivated)."""
    now = timezone.now()
    token = ApiToken.objects.live(now).select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > ApiToken.TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _may_revoke_for(actor: Actor, user_id: int) -> bool:
    if actor is None:
        return False
    if is_system(actor):
        return True
    if actor.pk == user_id:
        return True
    # The security administrator revokes anyone's tokens within their scope.
    return user_has_perm(actor, "accounts.grant") and User.objects.visible_to(actor).filter(pk=user_id).exists()


def _reason(actor: Actor, user_id: int) -> str:
    if is_system(actor):
        return RevokeReason.CONSOLE
    return RevokeReason.BY_USER if actor.pk == user_id else RevokeReason.BY_ADMIN


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> bool:
    """Revoke one token at once (the next request with it is refused, the lean path included).
    ``actor`` ``SYSTEM`` is the server console. Returns False when it was revoked already."""
    if not _may_revoke_for(actor, token.user_id):
        raise PermissionDenied(_("You may not revoke this token."))
    return _revoke(actor=actor, tokens=[token], reason=_reason(actor, token.user_id)) == 1


@transaction.atomic
def tokens_revoke_all(*, actor: Actor, user: User) -> int:
    """Revoke every live token of ``user`` (``revoke_token --user USERNAME --all``, the tokens
    page); returns how many."""
    if not _may_revoke_for(actor, user.pk):
        raise PermissionDenied(_("You may not revoke this token."))
    return revoke_user_tokens(actor=actor, user=user, reason=_reason(actor, user.pk))


def revoke_user_tokens(*, actor: Actor, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` for ``reason``. For the account services and the
    password hook (``SYSTEM``), whose callers have checked the actor already."""
    if actor is None:
        raise PermissionDenied(_("Your role may not do this."))
    alive = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()))
    return _revoke(actor=actor, tokens=alive, reason=reason)


def _revoke(*, actor: Actor, tokens: list[ApiToken], reason: str) -> int:
    now = timezone.now()
    revoked = 0
    for token in tokens:
        # A conditional update: two revocations at once write (and audit) one.
        if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=user_of(actor), revoke_reason=reason
        ):
            continue
        token.revoked_at, token.revoke_reason = now, reason
        audit_log(
            actor=actor, action=Action.TOKEN_REVOKED, obj=token, after={"prefix": token.prefix, "reason": reason},
            detail="console" if is_system(actor) else "",
        )
        revoked += 1
    return revoked
