"""The deployment list pages and API lists run the same number of queries for 2 rows as for 8:
no N+1 in a template or a schema resolver."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.orgs.choices import UnitKind as K
from tests import factories as f
from tests.conftest import login_client

from .conftest import DAY, at

PAGES = [
    "/deployment/?on=2020-02-15",
    "/deployment/report/?on=2020-02-15",
    "/deployment/secondments/",
    "/deployment/secondments/?placed=false",
    "/deployment/rosters/?day=2020-02-15",
    "/deployment/rosters/no-shows/",
    "/deployment/departments/{dept}/?on=2020-02-15",
    "/deployment/places/{street}/?on=2020-02-15",
    "/deployment/rosters/{shift}/",
    "/api/v1/deployment/secondments",
    "/api/v1/deployment/shifts?day=2020-02-15",
    "/api/v1/deployment/shifts/{shift}/assignments",
    "/api/v1/deployment/no-shows",
]


def add_cadres(city, checkpoints, shift, n, start):
    for i in range(start, start + n):
        person = f.person(city.dept_a, f"干部{i}", is_cadre=True)
        checkpoint = checkpoints[i % len(checkpoints)]
        services.secondment_create(actor=SYSTEM, person=person, department=city.dept_a, unit=city.comm_1,
                                   starts_on=dt.date(2020, 2, 1))
        other = services.shift_create(actor=SYSTEM, checkpoint=checkpoint, starts_at=at(DAY, 8 + i % 8),
                                      ends_at=at(DAY, 9 + i % 8), staff_needed=1)
        services.assign(actor=SYSTEM, shift=other, person=person)
        if i % 2:
            services.secondment_create(actor=SYSTEM, person=f.person(city.dept_a, f"待分{i}", is_cadre=True),
                                       department=city.dept_a, starts_on=dt.date(2020, 2, 1))
        # The same cadre also on the evening shift whose page is counted.
        shift.staff_needed += 1
        shift.save()
        services.assign(actor=SYSTEM, shift=shift, person=person)


@pytest.mark.parametrize("url", PAGES)
def test_it_runs_a_fixed_number_of_queries(city, url):
    checkpoints = [city.checkpoint_1, f.unit(K.CHECKPOINT, city.comm_1, "二号卡点")]
    shift = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 20),
                                  ends_at=at(DAY, 23), staff_needed=1)
    office = f.user("committee_office", city.root)
    client = login_client(office)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"} if url.startswith("/api/") else {}
    url = url.format(dept=city.dept_a.pk, street=city.street.pk, shift=shift.pk)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, **headers)
        assert response.status_code == 200, url
        return len(ctx.captured_queries)

    add_cadres(city, checkpoints, shift, 2, 0)
    count()  # the first API call with a token records its use
    few = count()
    add_cadres(city, checkpoints, shift, 6, 2)
    assert count() == few
