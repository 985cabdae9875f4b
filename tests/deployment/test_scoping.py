"""Role × scope matrix for the deployment line: departments see their own cadres, streets,
communities and checkpoints see who is placed with them; outside answers 404; who may place."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from tests import factories as f
from tests.conftest import login_client

MATRIX = [
    ("committee_office", "root", {"alice", "bob"}),
    ("unit_liaison", "dept_a", {"alice"}),
    ("unit_liaison", "dept_b", {"bob"}),
    ("branch_secretary", "branch_a", set()),
    ("community_staff", "street", {"alice", "bob"}),
    ("community_staff", "comm_1", {"alice"}),
    ("community_staff", "comm_2", {"bob"}),
    ("checkpoint_staff", "checkpoint_1", {"alice"}),
    ("inspection_group", "root", {"alice", "bob"}),
    ("discipline_office", "root", {"alice", "bob"}),
    ("system_admin", "root", None),
    ("security_admin", "root", None),
    ("auditor", "root", None),
]


@pytest.fixture
def placed(city):
    return {
        "alice": services.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a,
                                            unit=city.checkpoint_1, starts_on=dt.date(2020, 2, 1)),
        "bob": services.secondment_create(actor=SYSTEM, person=city.bob, department=city.dept_b,
                                          unit=city.comm_2, starts_on=dt.date(2020, 2, 1)),
    }


@pytest.mark.parametrize(("role", "scope", "visible"), MATRIX, ids=[f"{r}@{s}" for r, s, _ in MATRIX])
def test_each_role_sees_only_its_scope(city, placed, client, role, scope, visible):
    user = f.user(role, getattr(city, scope))
    api = client.get("/api/v1/deployment/secondments",
                     HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, actor=SYSTEM)}").json()
    shown = {name for name, s in placed.items() if s.pk in {r["id"] for r in api["results"]}}
    assert shown == (visible or set())
    pages = login_client(user)
    for name, s in placed.items():
        status = pages.get(f"/deployment/secondments/{s.pk}/").status_code
        assert status == (403 if visible is None else 200 if name in visible else 404)
    figures = pages.get("/deployment/?on=2020-02-15")
    assert figures.status_code == (403 if visible is None else 200)


def test_placing_needs_the_department_or_the_place(city, placed, checkpoint_2):
    alice = placed["alice"]
    # comm_2 staff cannot take dept_a's cadre from comm_1 into their own community …
    with pytest.raises(PermissionDenied):
        services.secondment_place(actor=f.user("community_staff", city.comm_2), secondment=alice, unit=checkpoint_2)
    # … nor can comm_1 staff send her outside their community.
    with pytest.raises(PermissionDenied):
        services.secondment_place(actor=f.user("community_staff", city.comm_1), secondment=alice, unit=checkpoint_2)
    # The street moves her within its area; the department places her anywhere.
    services.secondment_place(actor=f.user("community_staff", city.street), secondment=alice, unit=city.comm_1)
    services.secondment_place(actor=f.user("unit_liaison", city.dept_a), secondment=alice, unit=checkpoint_2)
    alice.refresh_from_db()
    assert alice.unit == checkpoint_2
    with pytest.raises(PermissionDenied):  # an inspector only looks
        services.secondment_place(actor=f.user("inspection_group", city.root), secondment=alice, unit=city.comm_1)
