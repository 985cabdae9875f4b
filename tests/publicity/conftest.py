import datetime as dt

import pytest

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.publicity import services
from fangkong.publicity.models import Outlet
from tests import factories as f


@pytest.fixture
def pledge(city):
    return services.pledge_create(actor=SYSTEM, slug="relay", title="接力承诺", text="我承诺……",
                                  items=["带头遵守规定"], opens_on=clock.today() - dt.timedelta(days=1))


@pytest.fixture
def outlet(db):
    return Outlet.objects.create(name="白山发布")


@pytest.fixture
def member_user(city):
    """alice's own account: a party member of branch_a."""
    user = f.user("branch_secretary", city.branch_a)
    user.person = city.alice
    user.save()
    return user
