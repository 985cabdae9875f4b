"""Reads of people reused by the list page, the API and exports."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from fangkong.core.idcard import id_digest, normalize_id_number, phone_digest
from fangkong.core.scoping import user_has_perm

from .models import Person

if TYPE_CHECKING:
    from fangkong.accounts.models import User

ORDERINGS = {
    "name": ("name_initials", "id"),
    "-name": ("-name_initials", "-id"),
    "unit": ("unit__code", "name_initials", "id"),
    "-unit": ("-unit__code", "-name_initials", "-id"),
    "birth_year": ("birth_year", "id"),
    "-birth_year": ("-birth_year", "-id"),
}


def person_list(user: User) -> QuerySet[Person]:
    return Person.objects.visible_to(user).select_related("unit", "branch")


def may_match_numbers(user: User | None) -> bool:
    """Whether a search may match a full ID number or phone: only for a role that may see them in
    full. For any other, a hit would be an oracle (the mask leaves a few thousand candidates for
    an ID number, ten thousand for a phone, each one search away)."""
    return user is not None and user_has_perm(user, "people.reveal")


def search_q(text: str, *, full_numbers: bool = False) -> Q:
    """Name, pinyin initials (zs for 张三), phone tail (last 4 digits) and, when ``full_numbers``
    (see may_match_numbers), a full ID number or phone, matched by their keyed digests."""
    text = text.strip()
    if not text:
        return Q()
    query = Q(name__icontains=text)
    if re.fullmatch(r"[A-Za-z]+", text):
        query |= Q(name_initials__startswith=text.lower())
    if re.fullmatch(r"\d{4}", text):
        query |= Q(phone_tail=text)
    elif re.fullmatch(r"\d{11}", text) and full_numbers:
        query |= Q(phone_digest=phone_digest(text))
    normalized = normalize_id_number(text)
    if re.fullmatch(r"\d{17}[\dX]", normalized) and full_numbers:
        query |= Q(id_digest=id_digest(normalized))
    return query


def order_people(qs: QuerySet[Person], ordering: str | None) -> QuerySet[Person]:
    # Unknown keys (e.g. ?ordering=password) fall back to the default instead of reaching the ORM.
    return qs.order_by(*ORDERINGS.get(ordering or "", ORDERINGS["name"]))
