"""Columns of the person list, shared by the page and the xlsx export."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Person

Column = tuple[Any, Callable[[Person, bool], Any]]

COLUMNS: list[Column] = [
    (_("Full name"), lambda p, clear: p.name),
    (_("Sex"), lambda p, clear: p.get_sex_display()),
    # The year only: with the masked number, the birth date would give the whole number back.
    (_("Birth year"), lambda p, clear: p.birth_year),
    (_("ID number"), lambda p, clear: p.id_number if clear else p.masked_id_number),
    (_("Mobile phone"), lambda p, clear: p.phone if clear else p.masked_phone),
    (_("Unit"), lambda p, clear: p.unit.name),
    (_("Position"), lambda p, clear: p.get_position_display()),
    (_("Job title"), lambda p, clear: p.title),
    (_("Cadre"), lambda p, clear: "是" if p.is_cadre else "否"),
    (_("Party member"), lambda p, clear: "是" if p.is_party_member else "否"),
    (_("Party branch"), lambda p, clear: p.branch.name if p.branch else ""),
]


def export_rows(people: Any, *, clear: bool) -> tuple[list[str], Any]:
    headers = [str(label) for label, _fn in COLUMNS]
    rows = ([fn(p, clear) for _label, fn in COLUMNS] for p in people.iterator(chunk_size=2000))
    return headers, rows
