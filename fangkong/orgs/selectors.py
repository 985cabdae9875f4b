"""Reads of the organisation tree that several pages and the API reuse."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from .choices import UnitKind
from .models import Unit, UnitLink

if TYPE_CHECKING:
    from fangkong.accounts.models import User


def units_open_on(day: dt.date) -> QuerySet[Unit]:
    return Unit.objects.filter(Q(opened_on__isnull=True) | Q(opened_on__lte=day)).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=day)
    )


def unit_counts_by_kind(day: dt.date) -> dict[str, int]:
    rows = units_open_on(day).values("kind").annotate(n=Count("id"))
    counts = {kind.value: 0 for kind in UnitKind}
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def unit_ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down (the breadcrumb), excluding the unit."""
    ids = UnitLink.objects.filter(descendant=unit, depth__gt=0).values("ancestor_id")
    return list(Unit.objects.filter(id__in=ids).order_by("level"))


def visible_roots(user: User) -> list[Unit]:
    """The topmost units a user can see: their scope units, without ones nested in another."""
    units = list(Unit.objects.visible_to(user).filter(user_scopes__user=user).order_by("level", "code"))
    ids = {u.pk for u in units}
    nested = set(
        UnitLink.objects.filter(ancestor_id__in=ids, descendant_id__in=ids, depth__gt=0).values_list(
            "descendant_id", flat=True
        )
    )
    return [u for u in units if u.pk not in nested]


def children_with_counts(user: User, parent: Unit) -> list[Unit]:
    visible = Unit.objects.visible_to(user)
    return list(
        visible.filter(parent=parent).annotate(child_count=Count("children")).order_by("kind", "code")
    )
