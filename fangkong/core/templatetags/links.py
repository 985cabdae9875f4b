"""Template tags for links that render only where they lead somewhere the user may go.

    {% load links %}
    {% allowed_url 'passes:checkpoint_choose' as check_url %}
    {% if check_url %}<a href="{{ check_url }}">…</a>{% endif %}
    {% if unit|may_open_unit:request.user %}<a …>{{ unit.name }}</a>{% else %}{{ unit.name }}{% endif %}
"""

from typing import Any

from django import template

from fangkong.core import links

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed_url(context: dict[str, Any], name: str, *args: Any) -> str:
    """The URL of the named view when the signed-in user may open it, else an empty string."""
    request = context.get("request")
    return links.allowed_url(getattr(request, "user", None), name, *args)


@register.filter
def may_open_unit(unit: Any, user: Any) -> bool:
    """Whether the unit (or unit id) lies in the user's scope."""
    return links.may_open_unit(user, unit)
