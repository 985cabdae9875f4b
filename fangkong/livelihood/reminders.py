"""Overdue help requests remind: when an open request passes its due time (yellow) and again a
day later (red), its community gets a message (``fangkong.notify``), and so does the unit where
the assigned cadre is placed. Each occasion is keyed by request and light, so the pass that runs
every minute sends each reminder once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.notify.choices import MessageKind
from fangkong.notify.services import Outgoing, messages_send

from .choices import Light
from .models import HelpRequest
from .selectors import light_q

BATCH = 500


def remind_overdue(at: dt.datetime | None = None) -> int:
    now = at or clock.now()
    out: list[Outgoing] = []
    for light in (Light.YELLOW, Light.RED):
        qs = (HelpRequest.objects.filter(light_q(light, now)).select_related("community", "place", "assignee__person")
              .order_by("due_at", "id")[:BATCH])
        for request in qs:
            due = timezone.localtime(request.due_at).strftime("%m-%d %H:%M")
            subject = (_("Help request overdue: %(household)s") if light == Light.YELLOW
                       else _("Help request overdue more than a day: %(household)s")) % {"household": request.household}
            body = _("%(kind)s for %(household)s (%(address)s) was due at %(due)s; assigned to %(who)s. "
                     "Get it done, or close it after calling the household.") % {
                "kind": request.get_kind_display(), "household": request.household, "address": request.address,
                "due": due, "who": request.assignee_name or _("nobody yet")}
            for unit in filter(None, (request.community, request.place)):
                out.append(Outgoing(unit=unit, kind=MessageKind.REMINDER,
                                    key=f"livelihood:help:{request.pk}:{light}:{unit.pk}", subject=subject, body=body,
                                    at=now))
    return len(messages_send(out, actor=SYSTEM)) if out else 0
