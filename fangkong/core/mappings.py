"""Remembered column mappings (core.columnmap): looked up by kind of list, unit and header set,
stored when a user places a template's columns. Shared by every import."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


def place_columns(
    head: Sequence[Sequence[Any]], vocabulary: Any, *, kind: str, labels: Mapping[str, str], actor: Any,
    mapping: Mapping[str, str] | None = None, unit_id: int | None = None, not_found: str,
    search_rows: int = 10,
) -> Any:
    """The header plan of a list whose first rows are ``head`` (cells per row), the way every
    import places its columns: a template placed once (now, by ``mapping``, or remembered for the
    unit and header set) goes straight through; an unknown column holding data, or a required field
    without a column, raises MappingNeeded with a Chinese refusal naming each column; no header row
    at all raises LedgerFileError(``not_found``). A mapping given now is remembered."""
    from fangkong.returnees.ledger.sniff import LedgerFileError

    from .columnmap import MappingNeeded, plan_header, refusal

    unknown = sorted({key for key in (mapping or {}).values() if key and key not in labels})
    if unknown:
        raise LedgerFileError("未知的字段：" + "、".join(unknown) + "。可用的字段："
                              + "、".join(f"{k}（{v}）" for k, v in labels.items()))
    header = plan_header(head, vocabulary, mapping=mapping, remembered=remembered_for(kind, unit_id),
                         search_rows=search_rows)
    if header is None:
        raise LedgerFileError(not_found)
    if header.needs_mapping:
        raise MappingNeeded(header, refusal(header, labels))
    if mapping:
        remember(kind=kind, unit_id=unit_id, fingerprint=header.fingerprint, mapping=mapping,
                 headers=[c.header for c in header.columns], actor=actor)
    return header


def add_map_argument(parser: Any, labels: Mapping[str, str]) -> None:
    """The ``--map HEADER=FIELD`` option every import command takes."""
    parser.add_argument("--map", action="append", default=[], dest="maps", metavar="HEADER=FIELD",
                        help="Place a column: --map '表头=field' (FIELD empty or 'skip': not imported). "
                             "Fields: " + ", ".join(labels))


def mapping_option(options: Mapping[str, Any]) -> dict[str, str] | None:
    """The ``--map`` options as a mapping (None when none was given); CommandError when malformed."""
    from django.core.management.base import CommandError

    from .columnmap import parse_map_options

    try:
        return parse_map_options(options.get("maps") or []) or None
    except ValueError as exc:
        raise CommandError(f"--map {exc}: write HEADER=FIELD") from exc


def mapping_refused(needed: Any, labels: Mapping[str, str]) -> Exception:
    """The CommandError for a file whose columns must be placed first, naming the fields."""
    from django.core.management.base import CommandError

    return CommandError(needed.message + " 例如：--map '表头=字段'，字段可用："
                        + "、".join(f"{k}（{v}）" for k, v in labels.items()))


def mapping_field(text: str) -> dict[str, str] | None:
    """An API's ``mapping`` form field (a JSON object header → field, "" for not imported) as a
    mapping by normalised header; HttpError 400 when it is not such an object."""
    import json

    from django.utils.translation import gettext as _
    from ninja.errors import HttpError

    from .columnmap import normalize_header

    try:
        given = json.loads(text) if text else {}
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise ValueError
    except ValueError as exc:
        raise HttpError(400, _("mapping must be a JSON object of header to field")) from exc
    return {normalize_header(k): v for k, v in given.items()} or None
