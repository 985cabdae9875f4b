from typing import Any

from django import template

register = template.Library()


@register.filter
def figure_value(figure: dict[str, Any]) -> str:
    """A figure as shown: a rate in per cent, a count as it is."""
    value = figure["value"]
    if figure.get("is_rate"):
        return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
    return f"{value:,}"


@register.filter
def figure_change(figure: dict[str, Any]) -> str:
    change = figure.get("change")
    if not change:
        return ""
    arrow = "▲" if change > 0 else "▼"
    if figure.get("is_rate"):
        return f"{arrow}{abs(change) * 100:.1f}%"
    return f"{arrow}{abs(change):,}"


@register.filter
def moment(value: Any) -> str:
    """A moment as the office writes it: the end of a day is that day's 24:00, not the next 00:00."""
    import datetime as dt

    from django.utils import timezone

    if not isinstance(value, dt.datetime):
        return ""
    local = timezone.localtime(value)
    if local.time() == dt.time():
        return f"{(local - dt.timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"
