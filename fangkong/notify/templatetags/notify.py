from typing import Any

from django import template

from fangkong.notify.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notify_unread(context: Any) -> int:
    """Unread in-app notices of the signed-in user (one COUNT on the inbox index)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return unread_count(user) if user is not None else 0
