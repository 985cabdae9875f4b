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
