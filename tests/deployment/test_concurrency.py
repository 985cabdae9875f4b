"""Nobody in two places at once, under concurrency: two requests putting one cadre on overlapping
shifts at two checkpoints at the same moment; exactly one wins. PostgreSQL only (SQLite
serialises every writer, so the race cannot happen there)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.deployment.models import Assignment
from fangkong.orgs.choices import UnitKind as K
from tests import factories as f

from .conftest import DAY, at


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_assignments_to_overlapping_shifts_cannot_both_win():
    if connection.vendor != "postgresql":
        pytest.skip("the race needs concurrent writers (PostgreSQL)")
    root = f.unit(K.CITY, None, "白岭市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "工委")
    dept = f.unit(K.DEPARTMENT, committee, "市民政局")
    street = f.unit(K.STREET, root, "东兴街道")
    community = f.unit(K.COMMUNITY, street, "红旗社区")
    k1 = f.unit(K.CHECKPOINT, community, "一号卡点")
    k2 = f.unit(K.CHECKPOINT, community, "二号卡点")
    cadre = f.person(dept, "赵下沉", is_cadre=True)
    services.secondment_create(actor=SYSTEM, person=cadre, department=dept, unit=community, starts_on=dt.date(2020, 2, 1))
    shifts = [
        services.shift_create(actor=SYSTEM, checkpoint=k1, starts_at=at(DAY, 8), ends_at=at(DAY, 16)),
        services.shift_create(actor=SYSTEM, checkpoint=k2, starts_at=at(DAY, 12), ends_at=at(DAY, 20)),
    ]
    for _round in range(5):
        Assignment.objects.all().delete()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def worker(shift, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                services.assign(actor=SYSTEM, shift=shift, person=cadre)
                outcomes.append("ok")
            except ValidationError as exc:
                outcomes.append("refused: " + " ".join(exc.messages))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(s,)) for s in shifts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(o[:2] for o in outcomes) == ["ok", "re"], outcomes
        assert Assignment.objects.filter(person=cadre).count() == 1
