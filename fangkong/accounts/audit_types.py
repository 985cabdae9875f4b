"""How accounts and API tokens read in the audit log (see fangkong.audit.registry)."""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context


def _failures(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("failure no. %(count)s in a row") % {"count": match.group(1)}]


def _user_name(ctx: Context) -> str:
    values: dict[str, Any] = ctx.values
    return ctx.entry.object_repr or str(values.get("username", ""))


register(
    "accounts.user",
    labels={"units": _lazy("scope"), "is_active": _lazy("account enabled")},
    refs={"units": ("orgs.unit", "code")},
    hidden=frozenset({"last_login", "failed_logins", "first_failure_at", "locked_until", "date_joined",
                      "is_superuser", "is_staff", "first_name", "last_name"}),
    name=_user_name,
    details=[(re.compile(r"^(\d+)$"), _failures)],
)
register(
    "accounts.apitoken",
    aliases={"reason": "revoke_reason"},
    hidden=frozenset({"key_hash"}),
)
