"""Work each `send_reminders` pass runs besides the reminders: each app registers a job here in
its AppConfig.ready (as it registers its stats block), so the loop imports no app above it.
A job takes the pass's moment (None: now) and returns how many things it did; it must be
idempotent (passes repeat every minute)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

JOBS: dict[str, Callable[[dt.datetime | None], int]] = {}


def run_jobs(at: dt.datetime | None) -> dict[str, int]:
    return {name: job(at) for name, job in JOBS.items()}
