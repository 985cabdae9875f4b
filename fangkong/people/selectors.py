"""Reads of people reused by the list page, the API and exports."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from fangkong.core.idcard import normalize_id_number

from .models import Person

if TYPE_CHECKING:
    from fangkong.accounts.models import User

ORDERINGS = {
    "name": ("name_initials", "id"),
    "-name": ("-name_initials", "-id"),
    "unit": ("unit__code", "name_initials", "id"),
    "-unit": ("-unit__code", "-name_initials", "-id"),
    "birth_date": ("birth_date", "id"),
    "-birth_date": ("-birth_date", "-id"),
}


def person_list(user: User) -> QuerySet[Person]:
    return Person.objects.visible_to(user).select_related("unit", "branch")


def search_q(text: str) -> Q:
    """Name, pinyin initials (zs for 张三), phone tail (last 4 digits) or a full ID number."""
    text = text.strip()
    if not text:
        return Q()
    query = Q(name__icontains=text)
    if re.fullmatch(r"[A-Za-z]+", text):
        query |= Q(name_initials__startswith=text.lower())
    if re.fullmatch(r"\d{4}", text):
        query |= Q(phone_tail=text)
    elif re.fullmatch(r"\d{11}", text):
        query |= Q(phone=text)
    normalized = normalize_id_number(text)
    if re.fullmatch(r"\d{17}[\dX]", normalized):
        query |= Q(id_number=normalized)
    return query


def order_people(qs: QuerySet[Person], ordering: str | None) -> QuerySet[Person]:
    # Unknown keys (e.g. ?ordering=password) fall back to the default instead of reaching the ORM.
    return qs.order_by(*ORDERINGS.get(ordering or "", ORDERINGS["name"]))
