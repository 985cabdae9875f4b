"""The ``daily_reports`` block of ``fangkong stats``."""

import datetime as dt
from typing import Any

from .choices import FlagStatus
from .models import ConcealmentFlag
from .selectors import all_figures


def daily_reports_block(as_of: dt.date, since: dt.date | None = None) -> dict[str, Any]:
    start = since or as_of
    block = all_figures(start, as_of)
    flags = ConcealmentFlag.objects.filter(day__gte=start, day__lte=as_of).exclude(
        status__in=[FlagStatus.DISMISSED, FlagStatus.RESOLVED]
    )
    block["concealment_flags"] = flags.count()
    return block
