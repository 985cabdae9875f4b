"""Who writes: a user, or the platform itself (``SYSTEM``).

Every service takes ``actor`` and checks it itself (role permission and scope, through
``core.scoping``); a missing actor is refused, never read as "allowed". Work the platform does
on its own (the demo loader, the reminder loop, the concealment rescan, commands run without
``--user``) passes ``actor=SYSTEM`` explicitly, so skipping the checks is always a visible
choice in the caller's code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from fangkong.accounts.models import User


class SystemActor:
    """The platform acting on its own. It holds every permission, its scope is the whole tree,
    and the audit log records it by name ("system") with no user account behind it."""

    pk = None
    id = None
    person_id = None
    role = ""
    username = "system"
    is_active = True
    is_authenticated = True
    is_anonymous = False
    is_system = True

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()

Actor: TypeAlias = "User | SystemActor"


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def user_of(actor: Actor | None) -> User | None:
    """The user account behind an actor, for a "who" column (None for the system)."""
    if actor is None or isinstance(actor, SystemActor):
        return None
    return actor
