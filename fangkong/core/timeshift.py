"""Move a loaded story in time: every business date and moment by the same number of days.

``fangkong demo --live`` loads the demo city's story (which ends on 2020-02-25) and then moves it
so that its last day is today. Every date and moment column of the platform's own models moves,
except:

- security time, which is never business time: accounts (logins, lockout, API tokens), the audit
  log and the pass signing keys;
- upload retention (``uploaded_at``, ``purged_at``): the real clock decides when a file goes;
- values at or after ``before`` (the real moment the load began): record metadata the load
  stamped with the real clock (``created_at`` of units and people, say), already of today.

Whole days in UTC are whole days in Asia/Shanghai (no daylight saving), so times of day, weekdays
modulo seven aside, deadlines and every "before"/"after" between two values stay as they were.
Dates written as text inside JSON (what a claimant typed, a flag's evidence) move too
(``JSON_FIELDS``). A date inside a signature (a pass's token) is its app's business: the passes
are signed again after the shift.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.db.models import Case, Expression, ExpressionWrapper, F, Func, Q, Value, When
from django.db.models.functions import Concat, Substr
from django.utils import timezone

# Never moved: security time.
SECURITY_APPS = {"accounts", "audit"}
SECURITY_MODELS = {"passes.signingkey"}
# The real clock's: upload retention.
REAL_FIELDS = {"uploaded_at", "purged_at"}
# JSON that holds story dates as text ("2020-02-24" or "2020-02-24 10:30").
JSON_FIELDS = {"returnees.attributionconflict": "claimed", "reports.concealmentflag": "evidence"}
ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?=$|[ T])")


def _shifted(field: models.DateField, days: int) -> Expression:
    column = F(field.name)
    if connection.vendor == "postgresql":
        # date + interval is a timestamp, which PostgreSQL assigns back to a date column as its date.
        return ExpressionWrapper(column + dt.timedelta(days=days), output_field=field)
    # SQLite stores 'YYYY-MM-DD' and 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC): move the date part and
    # keep the rest as it is, to the microsecond.
    step = Value(f"{days:+d} days")
    if isinstance(field, models.DateTimeField):
        day = Func(Substr(column, 1, 10), step, function="date", output_field=models.CharField())
        return Concat(day, Substr(column, 11), output_field=field)
    return Func(column, step, function="date", output_field=field)


def story_fields() -> dict[type[models.Model], list[models.DateField]]:
    """Every date and moment column that belongs to the story, by model (see the docstring)."""
    found: dict[type[models.Model], list[models.DateField]] = {}
    for model in apps.get_models():
        meta = model._meta
        if not model.__module__.startswith("fangkong.") or meta.proxy or not meta.managed:
            continue
        if meta.app_label in SECURITY_APPS or meta.label_lower in SECURITY_MODELS:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, models.DateField) and f.name not in REAL_FIELDS]
        if fields:
            found[model] = fields
    return found


def shift_story(*, days: int, before: dt.datetime) -> int:
    """Move every story value (earlier than ``before``) by ``days`` days; returns the rows changed.

    Run it inside the transaction that loaded the story. One UPDATE per table moves all its
    columns at once, so a check between two of them (an isolation ends after it starts) holds on
    every row. A unique key that holds a date (one report per unit and day) is safe as long as
    ``days`` is longer than the story: no moved value meets one not yet moved."""
    moved = 0
    for model, fields in story_fields().items():
        changes: dict[str, Expression] = {}
        story = Q()
        for field in fields:
            limit: dt.date | dt.datetime = before
            if not isinstance(field, models.DateTimeField):
                limit = timezone.localdate(before)
            older = Q(**{f"{field.name}__lt": limit})
            story |= older
            changes[field.name] = Case(When(older, then=_shifted(field, days)), default=F(field.name),
                                       output_field=field)
        moved += model._base_manager.filter(story).update(**changes)
    return moved


def _shift_text(value: Any, days: int) -> Any:
    if isinstance(value, dict):
        return {k: _shift_text(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_text(v, days) for v in value]
    if isinstance(value, str) and (match := ISO_DAY.match(value)):
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            return value
        return (day + dt.timedelta(days=days)).isoformat() + value[10:]
    return value


def shift_json(*, days: int) -> int:
    """Move the story dates written inside JSON (``JSON_FIELDS``); returns the rows changed."""
    changed = 0
    for label, name in JSON_FIELDS.items():
        model = apps.get_model(label)
        rows = []
        for row in model._base_manager.only("pk", name).iterator():
            value = getattr(row, name)
            moved = _shift_text(value, days)
            if moved != value:
                setattr(row, name, moved)
                rows.append(row)
        model._base_manager.bulk_update(rows, [name], batch_size=500)
        changed += len(rows)
    return changed
