"""The one date form of prose and headings: 2020年2月1日, and a span 2020年2月1日–2月29日.

Table cells keep ISO (2020-02-01, ``|date:"Y-m-d"``), so a column sorts and reads alike in an
export. The library is a template builtin: every page may use it without ``{% load %}``.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone, translation

register = template.Library()


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def chinese_date(day: dt.date, *, year: bool = True) -> str:
    """2020年2月1日 (2月1日 without the year); in another language than Chinese, ISO."""
    if not (translation.get_language() or "zh").startswith("zh"):
        return day.isoformat()
    text = f"{day.month}月{day.day}日"
    return f"{day.year}年{text}" if year else text


@register.filter
def cn_date(value: object) -> str:
    """2020年2月25日 (a datetime in local time); "" for no date."""
    day = _as_date(value)
    return chinese_date(day) if day else ""


@register.filter
def cn_range(start: object, end: object) -> str:
    """2020年2月1日–2月29日; one day once; the year again only when the span crosses one."""
    first, last = _as_date(start), _as_date(end)
    if first is None or last is None:
        return chinese_date(first or last) if (first or last) else ""  # type: ignore[arg-type]
    if first == last:
        return chinese_date(first)
    if not (translation.get_language() or "zh").startswith("zh"):
        return f"{first.isoformat()} – {last.isoformat()}"
    return f"{chinese_date(first)}–{chinese_date(last, year=last.year != first.year)}"
