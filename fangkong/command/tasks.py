"""Background work of the command picture (django-tasks, database backend: `fangkong db_worker`)."""

import datetime as dt

from django_tasks import task


@task()
def keep_snapshots(days: list[str]) -> int:
    """Compute the closed days' snapshots ahead for every reader of the picture."""
    from .selectors import precompute

    return precompute([dt.date.fromisoformat(day) for day in days])
