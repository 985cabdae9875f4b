"""The deadline light every supervision list shows: red past the deadline, yellow within three days."""

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from fangkong.core import clock

from ..selectors import light

register = template.Library()


@register.filter
def deadline(day: dt.date | None) -> SafeString | str:
    if day is None:
        return "—"
    colour = light(day, clock.today())
    if colour == "red":
        return format_html('<span class="badge bad light-red" title="{}">{}</span>', _("Overdue"), day.isoformat())
    if colour == "yellow":
        return format_html('<span class="badge warn light-yellow" title="{}">{}</span>', _("Due within 3 days"),
                           day.isoformat())
    return day.isoformat()
