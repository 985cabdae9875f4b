import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.orgs.choices import UnitKind as K
from fangkong.reports.choices import FieldKind, Measure, ReportLine
from fangkong.reports.services import template_create
from tests import factories as f

TZ = timezone.get_current_timezone()
START = dt.date(2020, 2, 1)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


FIELDS = [
    {"key": "returnees_new", "label": "今日新增返程人员", "kind": FieldKind.INTEGER, "measure": Measure.RETURNEES_NEW,
     "max_value": 500},
    {"key": "in_isolation", "label": "居家隔离人数", "kind": FieldKind.INTEGER, "measure": Measure.IN_ISOLATION},
    {"key": "fever_found", "label": "是否发现发热人员", "kind": FieldKind.BOOLEAN, "required": False},
    {"key": "anomalies", "label": "异常情况", "kind": FieldKind.TEXT, "required": False},
]


@pytest.fixture
def tmpl(city):
    """Departments and industry units report daily from 1 Feb 2020, deadline 16:00."""
    return template_create(
        actor=SYSTEM, code="organs", name="机关日报", line=ReportLine.ORGANS,
        unit_kinds=[K.DEPARTMENT, K.INDUSTRY_UNIT], start_date=START, deadline=dt.time(16, 0),
        fields=[dict(x) for x in FIELDS],
    )


@pytest.fixture
def today_tmpl(city):
    """The same template, active from today (pages and the API submit for today)."""
    return template_create(
        actor=SYSTEM, code="today", name="今日日报", line=ReportLine.ORGANS,
        unit_kinds=[K.DEPARTMENT, K.INDUSTRY_UNIT], start_date=timezone.localdate() - dt.timedelta(days=10),
        deadline=dt.time(23, 59), fields=[dict(x) for x in FIELDS],
    )


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a)


@pytest.fixture
def office(city):
    return f.user("committee_office", city.root)
