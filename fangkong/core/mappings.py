"""Remembered column mappings (core.columnmap): looked up by kind of list, unit and header set,
stored when a user places a template's columns. Shared by every import."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

from .models import ColumnMapping


def remembered_for(kind: str, unit_id: int | None) -> Callable[[str], Mapping[str, str] | None]:
    """The lookup a header plan calls with its fingerprint."""

    def lookup(fingerprint: str) -> Mapping[str, str] | None:
        found = ColumnMapping.objects.filter(kind=kind, unit_id=unit_id or 0, fingerprint=fingerprint).first()
        return dict(found.mapping) if found else None

    return lookup


@transaction.atomic
def remember(
    *, kind: str, unit_id: int | None, fingerprint: str, mapping: Mapping[str, str], headers: list[Any],
    actor: Any,
) -> ColumnMapping:
    """Keep the user's placing of a template's columns for the unit (the latest choice wins)."""
    if actor is None:
        raise PermissionError("no actor")
    record, _created = ColumnMapping.objects.update_or_create(
        kind=kind, unit_id=unit_id or 0, fingerprint=fingerprint,
        defaults={"mapping": dict(mapping), "headers": headers[:100],
                  "updated_by": str(getattr(actor, "username", actor))[:150]},
    )
    return record
