"""Dates of a pass as people read them: ``2020年2月1日–2月29日`` in prose, ISO in table cells.

A pass is valid from a moment up to (not including) another; a pass of whole days runs from one
midnight to the midnight after its last day. Both filters name that last day, not the midnight.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _is_midnight(value: dt.date | dt.datetime) -> bool:
    return not isinstance(value, dt.datetime) or value.time() == dt.time()


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def last_day(until: dt.date | dt.datetime) -> dt.date:
    """The last day a window ending at ``until`` covers: a datetime at midnight ends the day before."""
    local = _local(until)
    if isinstance(local, dt.datetime) and local.time() == dt.time():
        return local.date() - dt.timedelta(days=1)
    return _day(local)


def _zh(day: dt.date, *, year: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"


@register.filter
def date_range_zh(start: dt.date | dt.datetime | None, end: dt.date | dt.datetime | None) -> str:
    """``2020年2月1日–2月29日``; the year again only when it changes; one day alone when start and
    end are the same day; with times (``2020年2月1日 08:00–18:00``) when the window does not run
    from midnight to midnight. A ``date`` end is the last day itself."""
    if start is None or end is None:
        return ""
    first, stop = _local(start), _local(end)
    if _is_midnight(first) and _is_midnight(stop):
        a, b = _day(first), last_day(stop) if isinstance(stop, dt.datetime) else stop
        if b <= a:
            return _zh(a)
        return f"{_zh(a)}–{_zh(b, year=b.year != a.year)}"
    a, b = _day(first), _day(stop)
    start_time = first.strftime("%H:%M") if isinstance(first, dt.datetime) else "00:00"
    end_time = stop.strftime("%H:%M") if isinstance(stop, dt.datetime) else "24:00"
    if a == b:
        return f"{_zh(a)} {start_time}–{end_time}"
    return f"{_zh(a)} {start_time}–{_zh(b, year=b.year != a.year)} {end_time}"


@register.filter(name="last_day")
def last_day_iso(until: dt.date | dt.datetime | None) -> str:
    """The last day covered, as ISO (``2020-02-29``), for table cells."""
    return "" if until is None else last_day(until).isoformat()
