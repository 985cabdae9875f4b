"""Reminders that climb the party line (三级联动).

For every active template and day, three stages:

1. ``before``: from ``REMINDER_LEAD_MINUTES`` before the deadline until the deadline, each unit
   that has not reported is reminded (a message to the unit itself).
2. ``deadline``: from the deadline to the end of the day, the unit one level up in the tree
   (branch → general branch → party committee; industry unit → coordinating body; community →
   street; checkpoint → community) receives the list of its units still missing.
3. ``next_day``: from ``REMINDER_NEXT_DAY_AT`` the next day, the unit two levels up receives the
   units that never reported that day (漏报), grouped by the unit in between.

A message "to a unit" reaches its responsible people (``notify.selectors.responsible_users``: the
accounts of its designated liaison and the accounts whose scope is set on that very unit) in
their in-app inbox, and every channel configured for the unit (email, WeCom, DingTalk robots).

Every message is keyed by (template, day, stage, recipient unit): a pass run twice, or by two
processes at once, sends nothing twice. The wording is in ``fangkong.notify.texts``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fangkong.audit.services import audit_change
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import user_has_perm
from fangkong.notify import texts
from fangkong.notify.choices import MessageKind
from fangkong.notify.services import Outgoing, messages_send
from fangkong.orgs.models import Unit

from .models import ReportTemplate
from .selectors import end_of_day, missing_units

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

BEFORE, DEADLINE, NEXT_DAY, MANUAL = "before", "deadline", "next_day", "manual"
# A second click on "remind" within this many seconds sends nothing again.
MANUAL_DEDUP_SECONDS = 600


def escalation_parent(unit: Unit) -> Unit | None:
    """The unit one level up that answers for ``unit``: its parent in the tree, which follows the
    party line (branch → general branch → party committee), the industry line (industry unit →
    coordinating body) and the territory (checkpoint → community → street)."""
    return unit.parent


def _key(template: ReportTemplate, day: dt.date, stage: str, unit: Unit, suffix: str = "") -> str:
    return f"reports:{template.pk}:{day.isoformat()}:{stage}:{unit.pk}{suffix}"


def _next_day_time() -> dt.time:
    return dt.time.fromisoformat(settings.REMINDER_NEXT_DAY_AT)


def remind_before(template: ReportTemplate, day: dt.date, at: dt.datetime) -> int:
    """Stage 1: remind each unit that has not reported yet. Returns the messages sent."""
    outgoing = []
    for unit in missing_units(template=template, day=day, at=at):
        subject, body = texts.before_deadline(
            template=template.name, day=day, deadline=template.deadline, unit=unit.name
        )
        outgoing.append(Outgoing(unit=unit, kind=MessageKind.REMINDER, key=_key(template, day, BEFORE, unit),
                                 subject=subject, body=body, about_units=(unit,), at=at))
    return len(messages_send(outgoing, actor=SYSTEM))


def escalate_at_deadline(template: ReportTemplate, day: dt.date, at: dt.datetime) -> int:
    """Stage 2: each unit one level up receives the list of its units still missing."""
    by_parent: dict[Unit, list[Unit]] = defaultdict(list)
    for unit in missing_units(template=template, day=day, at=at).select_related("parent"):
        parent = escalation_parent(unit)
        if parent is not None:
            by_parent[parent].append(unit)
    outgoing = []
    for parent, units in sorted(by_parent.items(), key=lambda item: item[0].code):
        subject, body = texts.at_deadline(
            template=template.name, day=day, deadline=template.deadline, units=[u.name for u in units]
        )
        outgoing.append(Outgoing(unit=parent, kind=MessageKind.ESCALATION, key=_key(template, day, DEADLINE, parent),
                                 subject=subject, body=body, about_units=tuple(units), at=at))
    return len(messages_send(outgoing, actor=SYSTEM))


def escalate_next_day(template: ReportTemplate, day: dt.date, at: dt.datetime | None = None) -> int:
    """Stage 3: the unit two levels up receives the units that never reported on ``day``."""
    groups: dict[Unit, dict[Unit, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    missing = missing_units(template=template, day=day, at=end_of_day(day)).select_related("parent__parent")
    for unit in missing:
        parent = escalation_parent(unit)
        grandparent = escalation_parent(parent) if parent is not None else None
        if parent is not None and grandparent is not None:
            groups[grandparent][parent].append(unit)
    outgoing = []
    for top, by_parent in sorted(groups.items(), key=lambda item: item[0].code):
        ordered = sorted(by_parent.items(), key=lambda item: item[0].code)
        subject, body = texts.next_day(
            template=template.name, day=day, groups=[(p.name, [u.name for u in us]) for p, us in ordered]
        )
        outgoing.append(Outgoing(
            unit=top, kind=MessageKind.ESCALATION_NEXT_DAY, key=_key(template, day, NEXT_DAY, top),
            subject=subject, body=body, about_units=tuple(u for _p, us in ordered for u in us), at=at,
        ))
    return len(messages_send(outgoing, actor=SYSTEM))


def reminder_pass(*, at: dt.datetime | None = None) -> Counter[str]:
    """Run whichever stages are due at moment ``at`` for every active template. Safe to run as
    often as one likes (every minute from ``fangkong send_reminders --loop``)."""
    at = at or clock.now()
    local = timezone.localtime(at)
    today = local.date()
    yesterday = today - dt.timedelta(days=1)
    lead = dt.timedelta(minutes=settings.REMINDER_LEAD_MINUTES)
    sent: Counter[str] = Counter()
    for template in ReportTemplate.objects.filter(is_active=True).order_by("id"):
        if template.active_on(today):
            deadline = template.deadline_at(today)
            if deadline - lead <= at < deadline:
                sent[BEFORE] += remind_before(template, today, at)
            elif at >= deadline:
                sent[DEADLINE] += escalate_at_deadline(template, today, at)
        if template.active_on(yesterday) and local.time() >= _next_day_time():
            sent[NEXT_DAY] += escalate_next_day(template, yesterday, at)
    return sent


@transaction.atomic
def remind_units(*, actor: Actor, template_id: int, day: dt.date, unit_ids: list[int]) -> int:
    """"One click to remind" from the board: a message now to each chosen unit that has still not
    reported. Every unit must lie in the actor's scope, else nothing is sent. A second click
    within ten minutes sends nothing again. Returns the messages sent."""
    if not user_has_perm(actor, "reports.remind"):
        raise PermissionDenied(texts.NO_PERMISSION)
    template = ReportTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise ValidationError(texts.NO_TEMPLATE)
    if day > clock.today():
        raise ValidationError(texts.FUTURE_DAY)
    wanted = set(unit_ids)
    if not wanted:
        raise ValidationError(texts.NO_UNITS)
    units = list(Unit.objects.visible_to(actor).filter(pk__in=wanted))
    if len(units) != len(wanted):
        raise ValidationError(texts.OUTSIDE_SCOPE)
    now = clock.now()
    still_missing = set(
        missing_units(template=template, day=day, at=now).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    bucket = f":{int(now.timestamp()) // MANUAL_DEDUP_SECONDS}"
    outgoing = []
    for unit in sorted(units, key=lambda u: u.code):
        if unit.pk not in still_missing:
            continue
        subject, body = texts.manual(
            template=template.name, day=day, deadline=template.deadline, unit=unit.name, sender=str(actor)
        )
        outgoing.append(Outgoing(unit=unit, kind=MessageKind.MANUAL, key=_key(template, day, MANUAL, unit, bucket),
                                 subject=subject, body=body, about_units=(unit,), at=now))
    messages = messages_send(outgoing, actor=actor)
    for message in messages:
        audit_change(actor=actor, obj=message, before=None)
    return len(messages)
