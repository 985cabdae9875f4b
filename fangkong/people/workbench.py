"""A party organisation's people on the workbench: the party members it answers for (支部抓党员)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import SOON, Desk, Item

from .models import Person


def items(desk: Desk) -> list[Item]:
    if desk.role != Role.BRANCH_SECRETARY or not user_has_perm(desk.user, "people.view"):
        return []
    n = Person.objects.visible_to(desk.user).filter(is_party_member=True).count()  # type: ignore[attr-defined]
    return [Item(
        key="people-party-members", title=_("Party members you answer for"), count=n,
        url=f"{reverse('people:person_list')}?is_party_member=true", urgency=SOON,
        hint=_("Each level answers for the one below: see that every member has done today's duty."),
    )]
