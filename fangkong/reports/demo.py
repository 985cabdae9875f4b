"""The demo city's daily reports, 2020-01-27 to 2020-02-25.

In the first days a third of the units miss the deadline or the whole day; by 12 February every
unit reports every day, and by 16 February every report is on time. Zero reports are common.
The figures for new returnees follow the returnee ledger, except for one department that sent a
zero report on a day its own ledger shows a returnee: the concealment check flags it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.orgs.models import Unit

from .choices import Measure, RevisionKind
from .defaults import create_default_templates
from .models import Report, ReportRevision
from .selectors import assigned_units
from .services import concealment_scan, current_version, rollup_rebuild

FIRST_DAY = dt.date(2020, 1, 27)
LAST_DAY = dt.date(2020, 2, 25)
SEED = 2024


def _moment(day: dt.date, minutes_from_deadline: int, deadline: dt.time) -> dt.datetime:
    base = dt.datetime.combine(day, deadline, tzinfo=timezone.get_current_timezone())
    return base + dt.timedelta(minutes=minutes_from_deadline)


def _ledger_counts() -> Counter[tuple[int, dt.date]]:
    """New registrations per registering unit and local day."""
    from fangkong.returnees.models import Registration

    counts: Counter[tuple[int, dt.date]] = Counter()
    for unit_id, at in Registration.objects.values_list("unit_id", "registered_at"):
        counts[(unit_id, timezone.localtime(at).date())] += 1
    return counts


def _values(fields: list[dict[str, Any]], ledger: int, rng: random.Random, unit: Unit) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        measure, key = field["measure"], field["key"]
        if measure == Measure.RETURNEES_NEW:
            values[key] = ledger
        elif measure == Measure.IN_ISOLATION:
            values[key] = rng.randrange(0, 6)
        elif measure == Measure.FEVER:
            values[key] = 1 if rng.random() < 0.02 else 0
        elif measure == Measure.SECONDED:
            values[key] = 8 + unit.pk % 7
        elif measure == Measure.ON_DUTY:
            values[key] = 6 + unit.pk % 7
        elif field["kind"] == "integer":
            values[key] = rng.randrange(50, 400)
    return values


def load_demo_reports(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    templates = create_default_templates(actor=SYSTEM, start_date=FIRST_DAY)
    ledger = _ledger_counts()
    reports: list[Report] = []
    concealed: tuple[int, dt.date] | None = None
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    for template in templates:
        version = current_version(template)
        has_returnees = any(f["measure"] == Measure.RETURNEES_NEW for f in version.fields)
        units = list(
            assigned_units(template).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=FIRST_DAY)).order_by("code")
        )
        for i, day in enumerate(days):
            p_submit = 1.0 if i >= 16 else 0.62 + 0.38 * i / 16
            p_on_time = 1.0 if i >= 20 else 0.55 + 0.45 * i / 20
            for unit in units:
                if (unit.opened_on and unit.opened_on > day) or (unit.closed_on and unit.closed_on <= day):
                    continue
                if rng.random() >= p_submit:
                    continue
                on_time = rng.random() < p_on_time
                minutes = -rng.randrange(10, 420) if on_time else rng.randrange(5, 470)
                at = _moment(day, minutes, template.deadline)
                count = ledger.get((unit.pk, day), 0) if has_returnees else 0
                values = _values(version.fields, count, rng, unit)
                zero = (count == 0 and rng.random() < 0.7) or not values
                if (concealed is None and has_returnees and count > 0 and template.code == "organs-daily"
                        and day >= dt.date(2020, 2, 3)):
                    # The story's concealment: a department reports "nothing new" on a day it registered staff.
                    zero, concealed = True, (unit.pk, day)
                reports.append(Report(
                    template=template, unit=unit, day=day, version=version, is_zero=zero,
                    values={} if zero else values, received_at=at, in_day=True, on_time=on_time, updated_at=at,
                ))
    Report.objects.bulk_create(reports, batch_size=2000)
    for template in templates:
        rollup_rebuild(template=template)
    saved = Report.objects.filter(template__in=templates).values_list(
        "id", "version_id", "is_zero", "values", "received_at"
    )
    ReportRevision.objects.bulk_create(
        [
            ReportRevision(report_id=pk, number=1, kind=RevisionKind.SUBMIT, version_id=version_id, is_zero=zero,
                           values=values, changed_at=at)
            for pk, version_id, zero, values, at in saved
        ],
        batch_size=2000,
    )
    flags = 0
    for template in templates:
        for day in days:
            flags += len(concealment_scan(template=template, day=day, at=_moment(day, 8 * 60, dt.time(0, 0))))
    return {"daily reports": len(reports), "concealment flags": flags}
