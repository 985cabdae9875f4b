"""The command picture as of a moment: each line's panel, its change since the day before and
its trend. Closed days' figures are cached (records of a day that is over do not change); the
moment asked for, and today, are always computed."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import scope_unit_ids, user_has_perm

from .registry import CONTRIBUTIONS, AsOf, Line, Panel, end_of_day, lines

TREND_DAYS = 7
CACHE_SECONDS = 6 * 3600


def parse_as_of(value: str | None) -> dt.datetime:
    """A moment from a query string: an ISO date and time (local when it has no offset), or a
    date (its end, 24:00); nothing or a date from today on is the business clock's now."""
    now = clock.now()
    if not value:
        return now
    value = value.strip().replace(" ", "+") if "T" in value else value.strip()
    # A date alone is a day (its end); parse_datetime would read it as that day's midnight.
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        return end_of_day(day) if day < clock.today() else now
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.replace(microsecond=0)


def visible_lines(user: Any) -> list[Line]:
    """The lines the user sees: those whose app the role may read, and every placeholder."""
    return [line for line in lines() if not line.enabled or user is SYSTEM or user_has_perm(user, line.perm)]


def scope_key(user: Any) -> str:
    if user is SYSTEM:
        return "city"
    ids = scope_unit_ids(user)
    digest = hashlib.sha256(repr(sorted(ids) if ids is not None else "all").encode()).hexdigest()[:16]
    return f"{user.role}:{digest}"


def compute(line: Line, as_of: AsOf) -> Panel:
    """The line's panel with what other apps contribute to it."""
    assert line.panel is not None
    panel = line.panel(as_of)
    for contribution in CONTRIBUTIONS.get(line.key, []):
        figures, alerts = contribution(as_of)
        panel.figures.extend(figures)
        panel.alerts.extend(alerts)
    return panel


def values_on(line: Line, user: Any, day: dt.date, today: dt.date) -> dict[str, int | float]:
    """The line's figures at the end of ``day``, from the cache when the day is closed (before
    ``today``, read once per picture: the business clock may read the database)."""
    assert line.panel is not None
    closed = day < today
    key = f"command:{line.key}:{scope_key(user)}:{day.isoformat()}"
    if closed:
        hit = cache.get(key)
        if hit is not None:
            return hit
    panel = compute(line, AsOf(user, end_of_day(day)))
    values = {f.key: f.value for f in panel.figures}
    if closed:
        cache.set(key, values, CACHE_SECONDS)
    return values


def line_picture(line: Line, as_of: AsOf, *, history: bool = True, today: dt.date | None = None) -> dict[str, Any]:
    if line.panel is None:
        return {"key": line.key, "title": str(line.title), "enabled": False, "figures": [], "alerts": [],
                "text": "", "headline": "", "trend": None, "breakdown": []}
    panel: Panel = compute(line, as_of)
    previous: dict[str, int | float] = {}
    trend = None
    if history:
        days = [as_of.day - dt.timedelta(days=i) for i in range(TREND_DAYS - 1, 0, -1)]
        today = today or clock.today()
        past = {day: values_on(line, as_of.user, day, today) for day in days}
        previous = past[days[-1]]
        current = {f.key: f.value for f in panel.figures}
        trend = {
            "days": [d.strftime("%m-%d") for d in days]
            + [str(_("today")) if as_of.at < end_of_day(as_of.day) else as_of.day.strftime("%m-%d")],
            "values": [past[d].get(panel.headline, 0) for d in days] + [current.get(panel.headline, 0)],
        }
    figures = []
    for f in panel.figures:
        before = previous.get(f.key)
        change = None if before is None else (round(f.value - before, 4) if f.is_rate else int(f.value - before))
        figures.append({
            "key": f.key, "label": f.label, "value": f.value, "unit": f.unit, "is_rate": f.is_rate,
            "list_url": f.list_url, "api_url": f.api_url, "denominator_api_url": f.denominator_api_url,
            "denominator_list_url": f.denominator_list_url, "change": change,
        })
    return {
        "key": line.key, "title": str(line.title), "enabled": True, "figures": figures,
        "alerts": [{"text": a.text, "url": a.url, "level": a.level} for a in panel.alerts],
        "text": panel.text, "headline": panel.headline, "trend": trend,
        "breakdown": [{"label": label, "text": text, "url": link} for label, text, link in panel.breakdown],
    }


def picture(user: Any, at: dt.datetime, *, history: bool = True) -> dict[str, Any]:
    """Every visible line as of ``at`` for ``user`` (``SYSTEM``: the whole city)."""
    as_of = AsOf(user, at)
    today = clock.today()
    return {"as_of": as_of.at, "day": as_of.day,
            "lines": [line_picture(line, as_of, history=history, today=today) for line in visible_lines(user)]}


def unit_lists(line: Line, figure: str, as_of: AsOf) -> list[tuple[str, QuerySet[Any]]]:
    if figure not in line.unit_lists:
        raise KeyError(figure)
    return line.unit_lists[figure](as_of)
