"""The business clock: the one "today" and "now" of every business date and moment.

Every business date and timestamp (a report's day and deadline, a registration's time, a
follow-up's due day, a pass's validity, a shift, a reminder, the day a page opens on) reads
``today()`` or ``now()`` here. Security time (sessions, TOTP, token expiry, lockout, the audit
log's timestamps) stays real and reads ``real_now()`` or Django's own clock.

An installation may run on a **frozen business day**: the demo city is a story that ends on
2020-02-25, so ``fangkong demo`` freezes the business day there. Production has no frozen day.
Frozen without a starting time, the time of day stays real (a report sent at 09:12 is sent at
09:12 of the story day). The demo freezes it **from the story's evening** (``STORY_EVENING``,
after its last recorded event): the business clock reads 22:00 at the moment of freezing and runs
on from there at the real pace, slowing as it nears midnight so that it never leaves the day
(``H·(1 − e^(−t/H))``, H the time left in the day). Whatever the real hour, the story's records
are then all in the past, and the clock still moves forward for every new record.

It also holds the one rule for a moment a client sends.

A phone may send a check a little late (a weak signal, a queue flushed when the network comes
back), and its own clock may run fast or slow. The platform never takes a client's word for
*when* beyond that: ``client_moment`` is the only place that turns a moment a client sent into
one that is recorded.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

BUSINESS_DAY_KEY = "business_day"
# The frozen day is read from the database once per process: a page costs the same queries every
# time. freeze() and unfreeze() clear it in the process that calls them; a server started before
# `fangkong demo` changed it sees the change when it restarts (`make run` loads the demo first).
_cache: tuple[dt.date | None, dt.time | None, dt.datetime | None] | None = None
# The time of day the demo's story day is frozen from: after its last event (checks until 21:41).
STORY_EVENING = dt.time(22, 0)


def real_now() -> dt.datetime:
    """The real clock (aware, UTC): security time, never a business date."""
    return timezone.now()


def _frozen() -> tuple[dt.date | None, dt.time | None, dt.datetime | None]:
    """(frozen day, the time of day it was frozen from, the real moment then); Nones when not frozen.
    The setting reads ``2020-02-25`` (the real time of day) or ``2020-02-25T22:00|<real ISO moment>``."""
    global _cache
    if _cache is not None:
        return _cache
    from .models import SiteSetting

    value = SiteSetting.objects.filter(key=BUSINESS_DAY_KEY).values_list("value", flat=True).first()
    found: tuple[dt.date | None, dt.time | None, dt.datetime | None] = (None, None, None)
    if value:
        text, _sep, since = value.partition("|")
        try:
            if since:
                start = dt.datetime.fromisoformat(text)
                real = dt.datetime.fromisoformat(since)
                if timezone.is_naive(real):
                    raise ValueError(since)
                found = (start.date(), start.time(), real)
            else:
                found = (dt.date.fromisoformat(text), None, None)
        except ValueError:
            found = (None, None, None)
    _cache = found
    return found


def frozen_day() -> dt.date | None:
    """The frozen business day, or None (production)."""
    return _frozen()[0]


def clear_cache() -> None:
    global _cache
    _cache = None


def freeze(day: dt.date, since: dt.time | None = None) -> None:
    """Run this installation on ``day`` (the demo's story day): at the real time of day, or, given
    ``since``, from that time of day now on (see the module's text)."""
    from .models import SiteSetting

    value = day.isoformat()
    if since is not None:
        value = f"{dt.datetime.combine(day, since).isoformat(timespec='seconds')}|{real_now().isoformat()}"
    SiteSetting.objects.update_or_create(key=BUSINESS_DAY_KEY, defaults={"value": value})
    clear_cache()


def unfreeze() -> None:
    """Back to the real calendar."""
    from .models import SiteSetting

    SiteSetting.objects.filter(key=BUSINESS_DAY_KEY).delete()
    clear_cache()


def now() -> dt.datetime:
    """The business moment (aware): the real moment, moved to the frozen day when there is one."""
    real = timezone.now()
    day, since, frozen_at = _frozen()
    if day is None:
        return real
    if since is None or frozen_at is None:
        local = timezone.localtime(real)
        return local.replace(year=day.year, month=day.month, day=day.day)
    start = dt.datetime.combine(day, since, tzinfo=timezone.get_current_timezone())
    left = (start.replace(hour=0, minute=0, second=0) + dt.timedelta(days=1) - start).total_seconds()
    elapsed = max((real - frozen_at).total_seconds(), 0.0)
    # At the real pace at first, slower near midnight, never past it (the day stays frozen).
    run = left * -math.expm1(-elapsed / left) if left > 0 else 0.0
    return start + dt.timedelta(seconds=min(run, left - 1e-6))


def today() -> dt.date:
    """The business day in the platform's time zone (Asia/Shanghai)."""
    day = frozen_day()
    return day if day is not None else timezone.localdate(timezone.now())


def end_of_today() -> dt.datetime:
    """The first moment of the business day after today (aware), for "as of today" figures."""
    return dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def client_delay() -> dt.timedelta:
    """How late a phone may send what happened: ``FANGKONG_CLIENT_DELAY_MINUTES`` (10 by default)."""
    return dt.timedelta(minutes=int(getattr(settings, "FANGKONG_CLIENT_DELAY_MINUTES", 10)))


def client_moment(
    claimed: dt.datetime | None, *, window: dt.timedelta | None, at: dt.datetime | None = None,
) -> dt.datetime:
    """The moment to record for something a client says happened at ``claimed``.

    - nothing sent: the server's clock;
    - a moment after the server's clock (a phone running fast): the server's clock;
    - a moment more than ``window`` before the server's clock: refused, unless ``window`` is
      None, which only the checkpoint page's offline passage log uses: a check made offline is
      logged at the moment the phone saw it, marked as offline;
    - a moment without a time zone: refused.
    ``at`` stands for the server's clock (tests); it defaults to ``now()``.
    """
    current = at or now()
    if claimed is None:
        return current
    if timezone.is_naive(claimed):
        raise ValidationError(_("The time sent has no time zone."))
    if claimed > current:
        return current
    if window is not None and claimed < current - window:
        raise ValidationError(
            _("The time sent is more than %(minutes)d minutes in the past: record it now, "
              "or ask the committee office to correct it.")
            % {"minutes": int(window.total_seconds() // 60)}
        )
    return claimed
