"""The daily briefing (每日调度简报): written from the lines' panels for the whole city as of a
moment, stored (never rewritten: a correction is a new version of the same number), exported
as xlsx and sent through the notification channels to the units configured for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.actors import SYSTEM, Actor, user_of
from fangkong.core.excel import write_xlsx
from fangkong.core.scoping import scope_unit_ids, user_has_perm

from .models import Briefing
from .selectors import picture

BRIEFING_LANGUAGE = "zh-hans"
_NUMERALS = "零一二三四五六七八九十"


def _check(actor: Actor) -> None:
    if actor is None:
        raise PermissionDenied(_("No actor."))
    if actor is SYSTEM:
        return
    if not user_has_perm(actor, "command.change") or scope_unit_ids(actor) is not None:
        raise PermissionDenied(_("Only the committee office with the whole city in scope writes the briefing."))


@transaction.atomic
def briefing_write(*, actor: Actor, at: dt.datetime) -> Briefing:
    """Write the briefing of ``at``'s day as of ``at``: the day's first gets the next number, a
    later one for the same day is a new version of that number (a correction)."""
    _check(actor)
    with translation.override(BRIEFING_LANGUAGE):
        data = picture(SYSTEM, at, history=False)
        day = data["day"]
        # Serialise numbering: two writers of the same day must not both take version 1.
        existing = list(Briefing.objects.select_for_update().filter(day=day).order_by("-version")[:1])
        if existing:
            number, version = existing[0].number, existing[0].version + 1
        else:
            number = (Briefing.objects.aggregate(n=Max("number"))["n"] or 0) + 1
            version = 1
        lines = []
        paragraphs: list[str] = []
        for line in data["lines"]:
            if not line["enabled"]:
                continue
            lines.append({
                "key": line["key"], "title": line["title"], "text": line["text"],
                "figures": [{"label": f["label"], "value": f["value"], "unit": f["unit"], "is_rate": f["is_rate"]}
                            for f in line["figures"]],
                "alerts": [a["text"] for a in line["alerts"]],
            })
            paragraphs.append(f"{len(paragraphs) + 1}. {line['title']}：{line['text']}")
        overdue = [f"· {line['title']}：{a}" for line in lines for a in line["alerts"]]
        title = _("Daily command briefing no. %(number)d (%(month)d/%(day)d)") % {
            "number": number, "month": day.month, "day": day.day}
        if version > 1:
            title += _(" (correction %(version)d)") % {"version": version}
        text = "\n".join(paragraphs)
        if overdue:
            text += "\n" + _("Overdue and below target:") + "\n" + "\n".join(overdue)
    briefing = Briefing.objects.create(number=number, version=version, day=day, as_of=at, title=title, text=text,
                                       lines=lines, created_by=user_of(actor))
    audit_log(actor=actor, action=Action.CREATE, obj=briefing, object_repr=title[:200])
    return briefing


def recipients() -> list[Any]:
    from fangkong.orgs.models import Unit

    codes = getattr(settings, "FANGKONG_BRIEFING_UNITS", [])
    units = Unit.objects.filter(code__in=codes) if codes else Unit.objects.filter(parent__isnull=True)
    return list(units.order_by("code"))


def briefing_send(*, actor: Actor, briefing: Briefing) -> int:
    """Send the briefing to the configured units (in-app, email, WeCom / DingTalk markdown);
    once per version. Returns the messages stored."""
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import Outgoing, messages_send

    _check(actor)
    body = briefing.text
    items = [Outgoing(unit=unit, kind=MessageKind.BRIEFING, key=f"briefing:{briefing.number}:{briefing.version}:{unit.pk}",
                      subject=f"【{briefing.title}】", body=body) for unit in recipients()]
    sent = messages_send(items, actor=SYSTEM)
    Briefing.objects.filter(pk=briefing.pk, sent_at__isnull=True).update(sent_at=clock.real_now())
    return len(sent)


def briefing_time() -> dt.time:
    value = getattr(settings, "FANGKONG_BRIEFING_TIME", "20:00") or "20:00"
    return dt.time.fromisoformat(value)


def briefing_due(at: dt.datetime | None = None) -> int:
    """The scheduled job: once the business day reaches the briefing time, write and send its
    briefing, unless the day has one already. Returns 1 when it wrote one."""
    moment = at or clock.now()
    local = timezone.localtime(moment)
    if local.time() < briefing_time() or Briefing.objects.filter(day=local.date()).exists():
        return 0
    briefing = briefing_write(actor=SYSTEM, at=moment.replace(microsecond=0))
    briefing_send(actor=SYSTEM, briefing=briefing)
    return 1


def briefing_xlsx(briefing: Briefing) -> bytes:
    """The briefing's table: one row per figure, then the overdue items."""
    with translation.override(BRIEFING_LANGUAGE):
        headers = [_("Dispatch line"), _("Figure"), _("Figure value"), _("Note")]
        rows: list[list[Any]] = []
        for line in briefing.lines:
            for figure in line["figures"]:
                value = round(figure["value"] * 100, 1) if figure["is_rate"] else figure["value"]
                rows.append([line["title"], figure["label"], value, "%" if figure["is_rate"] else figure["unit"]])
        for line in briefing.lines:
            for alert in line["alerts"]:
                rows.append([line["title"], _("Overdue"), None, alert])
        data, _count = write_xlsx(headers, rows, sheet=briefing.title[:31])
    return data


def snapshots_due(at: dt.datetime | None = None) -> int:
    """The scheduled job: once a business day has closed, compute its snapshots (and those of
    the trend's days before it still missing) for every reader in the background, once a day.
    Returns 1 when it queued the work."""
    from django.core.cache import cache

    from .selectors import TREND_DAYS
    from .tasks import keep_snapshots

    closed = timezone.localtime(at or clock.now()).date() - dt.timedelta(days=1)
    if not cache.add(f"command:snapshots:{closed.isoformat()}", True, 36 * 3600):
        return 0
    keep_snapshots.enqueue([(closed - dt.timedelta(days=i)).isoformat() for i in range(TREND_DAYS)])
    return 1
