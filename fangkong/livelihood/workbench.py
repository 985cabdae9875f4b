"""The livelihood line's to-do items: help requests not yet done where the user works, and the
overdue ones (yellow and red lights) to chase."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Desk, Item, Row

from .choices import HelpStatus
from .models import ChannelVolume, HelpRequest, WindowService
from .selectors import overdue_at

ROWS = 5


def volumes_item(desk: Desk) -> Item | None:
    """A window department's liaison: today's cases per channel still to record."""
    from fangkong.core.scoping import scope_unit_ids

    user = desk.user
    units = scope_unit_ids(user)
    if units is None:
        return None  # the whole city: the office reads the line on the command picture
    services = WindowService.objects.filter(is_active=True, department_id__in=units)
    total = services.count()
    if not total:
        return None
    done = ChannelVolume.objects.filter(day=desk.today, service__in=services).values("service_id").distinct().count()
    return Item(key="livelihood-volumes", title=_("Today's cases per channel of your window services"),
                url=f"{reverse('livelihood:overview')}?day={desk.today.isoformat()}",
                urgency=NOW if done < total else SOON + 3, state="warn" if done < total else "ok",
                figures=[(_("Services"), total), (_("Recorded today"), done)],
                hint=_("Record each service's cases by channel: online, by phone app, by post, on their behalf …"))


def items(desk: Desk) -> list[Item]:
    user = desk.user
    out_volumes: list[Item] = []
    if user_has_perm(user, "livelihood.report"):
        volumes = volumes_item(desk)
        if volumes is not None:
            out_volumes.append(volumes)
    if not (user_has_perm(user, "livelihood.help") or user_has_perm(user, "livelihood.done")):
        return out_volumes
    visible = HelpRequest.objects.visible_to(user)
    if not visible.exists():
        return out_volumes
    base = reverse("livelihood:help_list")
    out: list[Item] = out_volumes
    open_ = visible.filter(status=HelpStatus.OPEN)
    n_open = open_.count()
    out.append(Item(key="livelihood-help-open", title=_("Help requests for households at home, not yet done"),
                    count=n_open, url=f"{base}?status=open", urgency=NOW if n_open else SOON + 2,
                    state="warn" if n_open else "ok",
                    hint=_("Open one on your phone to mark it done and send the household its link.")))
    moment = timezone.localtime(desk.now).isoformat()
    late = overdue_at(visible, desk.now).select_related("community")
    n_late = late.count()
    if n_late:
        item = Item(key="livelihood-help-overdue", title=_("Help requests overdue"), count=n_late,
                    url=f"{base}?{urlencode({'overdue_at': moment})}", urgency=OVERDUE, state="bad",
                    hint=_("Past their due time: get them done, or call the household and close them."))
        for r in late.order_by("due_at", "id")[:ROWS]:
            item.rows.append(Row(text=f"{r.community.name} · {r.household}", hint=r.get_kind_display(),
                                 url=r.get_absolute_url()))
        item.more = max(n_late - ROWS, 0)
        out.append(item)
    return out
