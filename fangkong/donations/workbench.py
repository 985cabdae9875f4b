"""The donations line's to-do items on the workbench: for the materials group the open needs to
allocate and the distributions not yet signed for; for a receiving unit what is on its way to it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, SOON, Desk, Item

from .models import Distribution, Need
from .selectors import open_needs, unsigned


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "donations.view"):
        return []
    out: list[Item] = []
    if user_has_perm(user, "donations.approve"):
        needs = open_needs(Need.objects.visible_to(user), desk.today).count()  # type: ignore[attr-defined]
        out.append(Item(key="donations-needs", title=_("Needs waiting for an allocation"), count=needs,
                        url=reverse("donations:need_list") + f"?status=open&until={desk.today.isoformat()}",
                        urgency=NOW,
                        state="warn" if needs else "ok"))
    if user_has_perm(user, "donations.change") or user_has_perm(user, "donations.sign"):
        waiting = unsigned(Distribution.objects.visible_to(user), desk.today).count()  # type: ignore[attr-defined]
        out.append(Item(key="donations-unsigned", title=_("Distributions not yet signed for"), count=waiting,
                        url=reverse("donations:distribution_list") + f"?unsigned_on={desk.today.isoformat()}",
                        urgency=SOON,
                        state="warn" if waiting else "ok"))
    return out
