"""The one scoping mechanism: every page, API handler, export, admin view and command asks
``Model.objects.visible_to(user)`` and nothing else decides what a user may see.

A user's scope is a set of units; they see everything attached to those units or to any unit
below them. "Below" is answered by the closure table ``orgs.UnitLink`` (ancestor, descendant),
so the whole check is one indexed sub-select, the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from fangkong.accounts.models import User

_M = TypeVar("_M", bound=models.Model)


def user_has_perm(user: User | AnonymousUser, perm: str) -> bool:
    """Whether the user's role grants ``perm`` (e.g. ``"people.view"``)."""
    from fangkong.accounts.roles import role_has_perm

    if not user.is_authenticated or not user.is_active:
        return False
    return role_has_perm(getattr(user, "role", ""), perm)


def scope_unit_ids(user: User) -> models.QuerySet[Any]:
    """A sub-select of the ids of every unit in the user's scope (their units and all below)."""
    from fangkong.accounts.models import UserScope
    from fangkong.orgs.models import UnitLink

    roots = UserScope.objects.filter(user_id=user.pk).values("unit_id")
    return UnitLink.objects.filter(ancestor_id__in=roots).values("descendant_id")


def subtree_ids(unit_id: int) -> models.QuerySet[Any]:
    """A sub-select of the ids of a unit and every unit below it."""
    from fangkong.orgs.models import UnitLink

    return UnitLink.objects.filter(ancestor_id=unit_id).values("descendant_id")


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet for models attached to the organisation tree.

    The model names the foreign keys to ``orgs.Unit`` that place it in the tree with
    ``scope_fields`` (any one of them inside the scope makes the row visible) and the
    permission app label with ``scope_perm_label`` (defaults to the app label).
    """

    def _perm(self, action: str) -> str:
        label = getattr(self.model, "scope_perm_label", self.model._meta.app_label)
        return f"{label}.{action}"

    def visible_to(self, user: User | AnonymousUser) -> ScopedQuerySet[_M]:
        if not user_has_perm(user, self._perm("view")):
            return self.none()
        return self._in_scope(user)  # type: ignore[arg-type]

    def editable_by(self, user: User | AnonymousUser) -> ScopedQuerySet[_M]:
        if not user_has_perm(user, self._perm("change")):
            return self.none()
        return self._in_scope(user)  # type: ignore[arg-type]

    def _in_scope(self, user: User) -> ScopedQuerySet[_M]:
        units = scope_unit_ids(user)
        custom = getattr(self.model, "scope_q", None)
        if custom is not None:
            return self.filter(custom(units))
        query = Q()
        for field in self.model.scope_fields:  # type: ignore[attr-defined]
            query |= Q(**{f"{field}__in": units})
        return self.filter(query)

    def under(self, unit_id: int) -> ScopedQuerySet[_M]:
        """Rows attached to ``unit_id`` or anything below it (by the first scope field)."""
        field = self.model.scope_fields[0]  # type: ignore[attr-defined]
        return self.filter(**{f"{field}__in": subtree_ids(unit_id)})


def unit_in_scope(user: User, unit_id: int | None) -> bool:
    """Whether a unit lies inside the user's scope (used to validate what a user writes)."""
    from fangkong.orgs.models import UnitLink

    if unit_id is None:
        return False
    from fangkong.accounts.models import UserScope

    roots = UserScope.objects.filter(user_id=user.pk).values("unit_id")
    return UnitLink.objects.filter(ancestor_id__in=roots, descendant_id=unit_id).exists()
