import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.deployment.models import Secondment
from fangkong.passes import services

from .. import factories as f

TZ = dt.timezone(dt.timedelta(hours=8))


def seconded(person, department, unit, starts=dt.date(2020, 2, 1), ends=None):
    return Secondment.objects.create(person=person, department=department, unit=unit, starts_on=starts, ends_on=ends)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Ids are reused between tests: the verifier's in-process caches must not carry over."""
    from fangkong.passes.selectors import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture
def office(city):
    return f.user(Role.COMMITTEE_OFFICE, city.root)


@pytest.fixture
def guard(city):
    return f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)


@pytest.fixture
def window():
    now = timezone.now()
    return now - dt.timedelta(days=1), now + dt.timedelta(days=30)


@pytest.fixture
def staff_pass(city, office, window):
    seconded(city.alice, city.dept_a, city.comm_1)
    return services.issue_staff_pass(
        actor=office, person=city.alice, unit=city.dept_a, valid_from=window[0], valid_until=window[1],
        zones=[city.comm_1], purpose="下沉社区",
    )
