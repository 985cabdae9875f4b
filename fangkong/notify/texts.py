"""The wording of the daily-report reminders (fangkong.reports.reminders decides who gets what).

Reminders are always written in the platform's language (Chinese), whoever triggered them: they
go to group chats and mailboxes, not to the screen of the person who clicked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OUTSIDE_SCOPE = gettext_lazy("Some of these units are outside your scope; no reminder was sent.")
NO_UNITS = gettext_lazy("Choose at least one unit to remind.")
NO_TEMPLATE = gettext_lazy("This daily report does not exist or is outside your scope.")
NO_PERMISSION = gettext_lazy("Your role may not send reminders.")
FUTURE_DAY = gettext_lazy("A reminder cannot be sent for a future day.")


def _day(day: dt.date) -> str:
    return _("%(month)d/%(day)d") % {"month": day.month, "day": day.day}


def _list(names: Iterable[str]) -> str:
    return "\n".join(f"- {name}" for name in names)


def before_deadline(*, template: str, day: dt.date, deadline: dt.time, unit: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"template": template, "day": _day(day), "deadline": deadline.strftime("%H:%M"), "unit": unit}
        subject = _("[Daily report reminder] Please send %(template)s for %(day)s by %(deadline)s") % values
        body = _(
            "%(unit)s: your %(template)s for %(day)s has not been received. The deadline is %(deadline)s. "
            "If there is nothing new, send the zero report (今日无新增情况)."
        ) % values
    return subject, body


def at_deadline(*, template: str, day: dt.date, deadline: dt.time, units: Sequence[str]) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"template": template, "day": _day(day), "deadline": deadline.strftime("%H:%M"),
                  "count": len(units)}
        subject = _("[Daily report overdue] %(count)d units have not sent %(template)s for %(day)s") % values
        body = "\n".join([
            _("As of %(day)s %(deadline)s these units under your responsibility have not sent %(template)s:") % values,
            _list(units),
            _("Please make sure they report at once."),
        ])
    return subject, body


def next_day(*, template: str, day: dt.date, groups: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, str]:
    """``groups``: (responsible unit one level below the recipient, its units that never reported)."""
    with translation.override(settings.LANGUAGE_CODE):
        count = sum(len(units) for _parent, units in groups)
        values = {"template": template, "day": _day(day), "count": count}
        subject = _("[Missing reports] %(count)d units never sent %(template)s for %(day)s") % values
        lines = [_("These units sent no %(template)s on %(day)s (missing report, 漏报):") % values]
        lines += [f"- {parent}：{'、'.join(units)}" for parent, units in groups]
        lines.append(_("Please see that the organisations below you keep the daily and zero report system."))
    return subject, "\n".join(lines)


def manual(*, template: str, day: dt.date, deadline: dt.time, unit: str, sender: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"template": template, "day": _day(day), "deadline": deadline.strftime("%H:%M"), "unit": unit,
                  "sender": sender}
        subject = _("[Daily report reminder] Please send %(template)s for %(day)s at once") % values
        body = _(
            "%(unit)s: your %(template)s for %(day)s has not been received (deadline %(deadline)s). "
            "Reminder sent by %(sender)s."
        ) % values
    return subject, body


def channel_test(*, unit: str, sender: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Test] Notification channel check")
        body = _("This test message shows that the channel of %(unit)s works. Sent by %(sender)s.") % {
            "unit": unit, "sender": sender,
        }
    return subject, body
