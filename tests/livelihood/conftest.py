import datetime as dt

import pytest

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services as deployment
from fangkong.livelihood import services
from fangkong.livelihood.models import Channel
from tests import factories as f


@pytest.fixture
def catalogue(city):
    online = services.channel_create(actor=SYSTEM, code="online", name="网上办", position=1)
    post = services.channel_create(actor=SYSTEM, code="post", name="邮政办", position=2)
    service = services.service_create(actor=SYSTEM, department=city.dept_a, name="社保资格认证", channels=[online, post])
    other = services.service_create(actor=SYSTEM, department=city.dept_b, name="证照打印", channels=[post])
    return service, other, Channel.objects.get(code="online"), Channel.objects.get(code="post")


@pytest.fixture
def cadre(city):
    """alice (dept_a) seconded to comm_1."""
    return deployment.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a, unit=city.comm_1,
                                        starts_on=clock.today() - dt.timedelta(days=3))


@pytest.fixture
def community_staff(city):
    return f.user("community_staff", city.comm_1)


def due_in(hours: float) -> dt.datetime:
    return clock.now() + dt.timedelta(hours=hours)
