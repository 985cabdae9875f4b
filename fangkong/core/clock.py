"""Moments the platform records: the server's clock, and the one rule for a moment a client sends.

A phone may send a check a little late (a weak signal, a queue flushed when the network comes
back), and its own clock may run fast or slow. The platform never takes a client's word for
*when* beyond that: ``client_moment`` is the only place that turns a moment a client sent into
one that is recorded.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def now() -> dt.datetime:
    """The server's clock (aware, UTC)."""
    return timezone.now()


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
