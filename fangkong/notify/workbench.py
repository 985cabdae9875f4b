"""Notifications on the workbench: what was sent to the user and not read yet (for the office,
the escalations of units that did not report)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import ADMIN_ROLES, Role
from fangkong.core.workbench import NOW, SOON, Desk, Item, Row

from . import selectors

ROWS = 3


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if desk.role in ADMIN_ROLES:
        return []
    inbox = reverse("notify:inbox")
    unread = selectors.inbox(user).filter(read_at__isnull=True)
    if desk.role == Role.COMMITTEE_OFFICE:
        unread = unread.filter(message__kind__in=selectors.ESCALATION_KINDS)
        key, title, url = "notify-escalations", _("Unread escalations"), f"{inbox}?unread=1&kind=escalation"
        hint = _("Units that did not report, sent up the line.")
    else:
        key, title, url = "notify-unread", _("Unread notifications"), f"{inbox}?unread=1"
        hint = _("Reminders and notices sent to you.")
    n = unread.count()
    if not n:
        return []
    item = Item(key=key, title=title, count=n, url=url, urgency=NOW if desk.role == Role.COMMITTEE_OFFICE else SOON,
                state="warn", hint=hint, more=max(n - ROWS, 0))
    for delivery in unread[:ROWS]:
        item.rows.append(Row(text=delivery.message.subject, url=url))
    return [item]
