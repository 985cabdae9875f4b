from typing import Any

from django import template

from fangkong.core.scoping import user_has_perm

register = template.Library()


@register.inclusion_tag("reports/_tabs.html", takes_context=True)
def report_tabs(context: Any, tab: str) -> dict[str, Any]:
    user = context["request"].user
    return {"tab": tab, "can_submit": user_has_perm(user, "reports.submit")}


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
