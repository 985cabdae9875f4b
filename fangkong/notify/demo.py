"""Demo step: the reminders of one early story day, when many units still reported late or not
at all (the reminder passes themselves run, so the inboxes show what the platform sends)."""

import datetime as dt
from zoneinfo import ZoneInfo

from .models import Message

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2020, 1, 28)


def load_demo_notifications(*, days: int = 0) -> dict[str, int]:
    """``days``: the story was moved by so many days (``demo --live``); the passes run then."""
    from fangkong.reports.reminders import reminder_pass

    for moment in (dt.datetime(2020, 1, 28, 15, 10, tzinfo=TZ), dt.datetime(2020, 1, 28, 16, 5, tzinfo=TZ),
                   dt.datetime(2020, 1, 29, 9, 30, tzinfo=TZ)):
        reminder_pass(at=moment + dt.timedelta(days=days))
    return {"notifications": Message.objects.count()}
