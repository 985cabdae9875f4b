"""Uploads that were not committed are deleted after a retention period.

Each app that keeps what was uploaded (the ledger's stored files, the secondment lists' rows)
registers a purge here in its AppConfig.ready, as apps register their stats blocks; `fangkong
purge_uploads`, which every `send_reminders` pass runs, calls them all. A purge deletes the
content and keeps the row (the audit needs it), marking when the content went.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings

# name -> purge(now=..., cutoff=...) returning how many uploads it purged
PURGES: dict[str, Callable[..., int]] = {}


def retention_days() -> int:
    return int(getattr(settings, "FANGKONG_REJECTED_UPLOAD_DAYS", 30))


def purge_uploads(*, now: dt.datetime) -> dict[str, int]:
    """Delete what every app kept of the uploads not committed and uploaded before now minus the
    retention period; how many each app purged."""
    cutoff = now - dt.timedelta(days=retention_days())
    return {name: purge(now=now, cutoff=cutoff) for name, purge in PURGES.items()}
