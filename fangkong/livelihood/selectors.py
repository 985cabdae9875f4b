"""Reads of the livelihood line: the lights of help requests, and the services kept running and
by which channel, as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Sum, Value, When

from .choices import HelpStatus, Light
from .models import Channel, ChannelVolume, HelpRequest, WindowService

# Past due by more than this, an open request turns from yellow to red.
RED_AFTER = dt.timedelta(hours=24)


def light_of(request: HelpRequest, now: dt.datetime) -> str:
    """Green while an open request is not past due; yellow once past due; red a day after. Done
    and closed requests carry no light (the cadre did their part)."""
    if request.status != HelpStatus.OPEN:
        return ""
    if now <= request.due_at:
        return Light.GREEN
    return Light.RED if now - request.due_at > RED_AFTER else Light.YELLOW


def light_q(light: str, now: dt.datetime) -> Q:
    """The requests of one light at ``now`` (the same rule as ``light_of``, as a filter)."""
    open_ = Q(status=HelpStatus.OPEN)
    if light == Light.GREEN:
        return open_ & Q(due_at__gte=now)
    if light == Light.YELLOW:
        return open_ & Q(due_at__lt=now, due_at__gte=now - RED_AFTER)
    if light == Light.RED:
        return open_ & Q(due_at__lt=now - RED_AFTER)
    if light == "overdue":
        return open_ & Q(due_at__lt=now)
    return Q()


def with_light(qs: QuerySet[HelpRequest], now: dt.datetime) -> QuerySet[HelpRequest]:
    return qs.annotate(light=Case(
        When(light_q(Light.RED, now), then=Value(Light.RED.value)),
        When(light_q(Light.YELLOW, now), then=Value(Light.YELLOW.value)),
        When(light_q(Light.GREEN, now), then=Value(Light.GREEN.value)),
        default=Value(""), output_field=CharField(),
    ))


def registered_by(qs: QuerySet[HelpRequest], at: dt.datetime) -> QuerySet[HelpRequest]:
    return qs.filter(registered_at__lt=at)


def open_at(qs: QuerySet[HelpRequest], at: dt.datetime) -> QuerySet[HelpRequest]:
    """Registered before ``at`` and not yet done by then."""
    return registered_by(qs, at).filter(Q(done_at__isnull=True) | Q(done_at__gte=at))


def overdue_at(qs: QuerySet[HelpRequest], at: dt.datetime) -> QuerySet[HelpRequest]:
    """Not done by ``at`` though due before it (a yellow or red light then)."""
    return open_at(qs, at).filter(due_at__lt=at)


def closed_by(qs: QuerySet[HelpRequest], at: dt.datetime) -> QuerySet[HelpRequest]:
    return qs.filter(closed_at__lt=at)


def help_figures(qs: QuerySet[HelpRequest], at: dt.datetime) -> dict[str, int]:
    """Requests registered before ``at``: all of them, closed by then, not done then, overdue then."""
    return {
        "help_requests": registered_by(qs, at).count(),
        "help_closed": closed_by(qs, at).count(),
        "help_open": open_at(qs, at).count(),
        "help_overdue": overdue_at(qs, at).count(),
    }


def volumes_on(qs: QuerySet[ChannelVolume], day: dt.date) -> QuerySet[ChannelVolume]:
    return qs.filter(day=day)


def volume_by_channel(qs: QuerySet[ChannelVolume], since: dt.date | None, until: dt.date) -> list[dict[str, Any]]:
    """Cases handled per channel over [since, until] (every channel, zero where none)."""
    rows = qs.filter(day__lte=until)
    if since is not None:
        rows = rows.filter(day__gte=since)
    totals = dict(rows.values("channel_id").annotate(n=Sum("count")).values_list("channel_id", "n"))
    return [{"id": c.pk, "code": c.code, "name": c.name, "cases": totals.get(c.pk, 0) or 0}
            for c in Channel.objects.all()]


def services_figures(volumes: QuerySet[ChannelVolume], services: QuerySet[WindowService],
                     day: dt.date) -> dict[str, Any]:
    """The ``services`` block: what the window departments kept running on ``day`` and over the
    campaign up to it, by channel."""
    today = volumes_on(volumes, day)
    return {
        "window_departments": services.filter(is_active=True).values("department_id").distinct().count(),
        "services": services.filter(is_active=True).count(),
        "services_running": today.filter(count__gt=0).values("service_id").distinct().count(),
        "channels": Channel.objects.count(),
        "cases_today": today.aggregate(n=Sum("count"))["n"] or 0,
        "cases_to_date": volumes.filter(day__lte=day).aggregate(n=Sum("count"))["n"] or 0,
        "by_channel": {row["code"]: row["cases"] for row in volume_by_channel(volumes, None, day)},
    }
