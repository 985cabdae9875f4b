import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.orgs.choices import UnitKind as K
from tests import factories as f

DAY = dt.date(2020, 2, 15)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def checkpoint_2(city):
    return f.unit(K.CHECKPOINT, city.comm_2, "光明路卡点")


@pytest.fixture
def seconded(city, checkpoint_2):
    """alice (dept_a) placed at comm_1 (covers checkpoint_1); bob (dept_b) placed at the street."""
    a = services.secondment_create(
        actor=SYSTEM, person=city.alice, department=city.dept_a, unit=city.comm_1, starts_on=dt.date(2020, 2, 1)
    )
    b = services.secondment_create(
        actor=SYSTEM, person=city.bob, department=city.dept_b, unit=city.street, role="team_leader",
        starts_on=dt.date(2020, 2, 1),
    )
    return a, b
