"""The campaign's to-do items: the pledge the user has not signed yet, and, for the committee
office, the model deeds nominated and waiting for review."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.core import clock
from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import INFO, NOW, Desk, Item

from .choices import DeedStatus
from .models import ModelDeed, Pledge, PledgeSignature


def items(desk: Desk) -> list[Item]:
    user = desk.user
    out: list[Item] = []
    person = getattr(user, "person", None)
    if person is not None and person.is_party_member and user_has_perm(user, "publicity.sign"):
        pledge = Pledge.objects.filter(is_active=True, opens_on__lte=clock.today()).order_by("-opens_on").first()
        if pledge is not None and not PledgeSignature.objects.filter(pledge=pledge, person=person).exists():
            out.append(Item(key="publicity-pledge", title=_("Sign the pledge: %(title)s") % {"title": pledge.title},
                            url=reverse("publicity:pledge_detail", args=[pledge.pk]), urgency=NOW, state="warn",
                            hint=_("Then forward your own link: every open of it is counted.")))
    if user_has_perm(user, "publicity.review"):
        waiting = ModelDeed.objects.visible_to(user).filter(status=DeedStatus.NOMINATED).count()
        if waiting:
            out.append(Item(key="publicity-deeds", title=_("Model deeds waiting for review"), count=waiting,
                            url=f"{reverse('publicity:deed_list')}?status=nominated", urgency=INFO, state="warn"))
    return out
