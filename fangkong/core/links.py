"""Which links a user is shown: a link renders only where it leads somewhere the user may go.

Nothing here keeps its own list of who may open what. A page's view says it
(``PermissionMixin.allows``: the role permission it checks, and the unit its URL names, which must
lie in the user's scope); the menu, the buttons and the links of every page ask the view through
``may_open`` before they offer it. A view that declares nothing is open to every signed-in user.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from .scoping import scope_unit_ids


def may_open(user: Any, url: str) -> bool:
    """Whether the view behind ``url`` (a path on this site) lets the user in."""
    if user is None or not user.is_authenticated:
        return False
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None)
    allows = getattr(view_class, "allows", None)
    return True if allows is None else bool(allows(user, **match.kwargs))


def allowed_url(user: Any, name: str, *args: Any, **kwargs: Any) -> str:
    """The URL of the named view when the user may open it, else ``""``."""
    try:
        url = reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""
    return url if may_open(user, url) else ""


def may_open_unit(user: Any, unit: Any) -> bool:
    """Whether a unit (or its id) lies in the user's scope, so that pages about it open.

    Reads the user's scope once (kept on the user object for the request), so a page of fifty
    linked units asks the database once, not fifty times."""
    unit_id = getattr(unit, "pk", unit)
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return False
    if user is None or not user.is_authenticated:
        return False
    ids = scope_unit_ids(user)
    if ids is None:
        return True
    return unit_id in _as_set(user, ids)


def _as_set(user: Any, ids: list[int]) -> set[int]:
    cached = getattr(user, "_fangkong_scope_set", None)
    if cached is None or cached[0] is not ids:
        cached = (ids, set(ids))
        user._fangkong_scope_set = cached
    return cached[1]
