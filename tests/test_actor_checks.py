"""Every service checks its actor itself: no actor holds no permission, a role without the app's
permission is refused, and a unit, person, pass or account outside the actor's scope is refused,
whatever the caller checked before. System work passes ``core.actors.SYSTEM``."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts import services as accounts
from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import Role
from fangkong.core.actors import SYSTEM
from fangkong.core.idcard import id_digest
from fangkong.orgs import services as orgs
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Pairing, Unit
from fangkong.passes import services as passes
from fangkong.passes.choices import CheckSource, PassStatus, Verdict
from fangkong.passes.models import PassCheck
from fangkong.passes.numbering import new_number
from fangkong.people import services as people
from fangkong.people.models import Person

from . import factories as f


@pytest.fixture
def window():
    now = timezone.now()
    return now - dt.timedelta(days=1), now + dt.timedelta(days=30)


# ---- the organisation tree ------------------------------------------------------------------


def test_it_refuses_tree_changes_without_an_actor(city):
    with pytest.raises(PermissionDenied):
        orgs.unit_create(actor=None, code="X1", name="无人新建", kind=K.COMMUNITY, parent=city.street)
    with pytest.raises(PermissionDenied):
        orgs.unit_update(actor=None, unit=city.comm_1, name="无人改名")
    with pytest.raises(PermissionDenied):
        orgs.unit_update(actor=None, unit=city.comm_1, parent=city.street)
    with pytest.raises(PermissionDenied):
        orgs.unit_delete(actor=None, unit=city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        orgs.pairing_create(actor=None, department=city.dept_a, community=city.comm_1)
    assert not Unit.objects.filter(code="X1").exists()
    city.comm_1.refresh_from_db()
    assert city.comm_1.name == "红旗社区"
    assert Unit.objects.filter(pk=city.checkpoint_1.pk).exists() and not Pairing.objects.exists()


def test_it_refuses_tree_changes_to_roles_without_the_permission(city):
    liaison = f.user(Role.UNIT_LIAISON, city.root)
    with pytest.raises(PermissionDenied):
        orgs.unit_create(actor=liaison, code="X2", name="联络员新建", kind=K.COMMUNITY, parent=city.street)
    with pytest.raises(PermissionDenied):
        orgs.unit_update(actor=liaison, unit=city.comm_1, name="联络员改名")
    with pytest.raises(PermissionDenied):
        orgs.pairing_create(actor=liaison, department=city.dept_a, community=city.comm_1)
    assert not Unit.objects.filter(code="X2").exists() and not Pairing.objects.exists()


def test_it_keeps_tree_changes_inside_the_scope(city):
    street_office = f.user(Role.COMMITTEE_OFFICE, city.street)
    other_street = orgs.unit_create(actor=SYSTEM, code="S9", name="西城街道", kind=K.STREET, parent=city.root)
    # Inside: a community under its own street, renamed, moved between its streets' communities.
    made = orgs.unit_create(actor=street_office, code="X3", name="新社区", kind=K.COMMUNITY, parent=city.street)
    orgs.unit_update(actor=street_office, unit=made, name="新社区二")
    # Outside: under another street, a unit of another street, a move out of the scope, a delete.
    with pytest.raises(PermissionDenied):
        orgs.unit_create(actor=street_office, code="X4", name="越界社区", kind=K.COMMUNITY, parent=other_street)
    with pytest.raises(PermissionDenied):
        orgs.unit_update(actor=street_office, unit=other_street, name="改别人的街道")
    with pytest.raises(PermissionDenied):
        orgs.unit_update(actor=street_office, unit=made, parent=other_street)
    with pytest.raises(PermissionDenied):
        orgs.unit_delete(actor=street_office, unit=other_street)
    with pytest.raises(PermissionDenied):
        orgs.pairing_create(actor=street_office, department=city.dept_a, community=city.comm_1)
    other_street.refresh_from_db()
    made.refresh_from_db()
    assert other_street.name == "西城街道" and made.parent_id == city.street.pk
    assert not Unit.objects.filter(code="X4").exists() and not Pairing.objects.exists()


def test_it_lets_only_the_system_administrator_add_a_top_unit(city):
    with pytest.raises(PermissionDenied):
        orgs.unit_create(actor=f.user(Role.COMMITTEE_OFFICE, city.root), code="C9", name="另一市", kind=K.CITY,
                         parent=None)
    admin = f.user(Role.SYSTEM_ADMIN, city.root)
    assert orgs.unit_create(actor=admin, code="C8", name="新市", kind=K.CITY, parent=None).level == 0
    assert orgs.unit_create(actor=SYSTEM, code="C7", name="系统市", kind=K.CITY, parent=None).level == 0


# ---- people ---------------------------------------------------------------------------------


def test_it_refuses_people_changes_without_an_actor(city):
    number = f.id_number()
    with pytest.raises(PermissionDenied):
        people.person_create(actor=None, name="无人", id_number=number, unit=city.dept_a)
    with pytest.raises(PermissionDenied):
        people.person_update(actor=None, person=city.alice, title="无人改")
    with pytest.raises(PermissionDenied):
        people.person_delete(actor=None, person=city.bob)
    assert not Person.objects.filter(id_digest=id_digest(number)).exists()
    city.alice.refresh_from_db()
    assert city.alice.title == "" and Person.objects.filter(pk=city.bob.pk).exists()


def test_it_refuses_to_change_a_person_outside_the_scope(city):
    liaison = f.user(Role.UNIT_LIAISON, city.dept_a)
    with pytest.raises(PermissionDenied):
        people.person_update(actor=liaison, person=city.bob, title="越界改")
    with pytest.raises(PermissionDenied):
        people.person_delete(actor=liaison, person=city.bob)
    city.bob.refresh_from_db()
    assert city.bob.title == ""
    people.person_update(actor=liaison, person=city.alice, title="科员")


def test_it_refuses_a_party_branch_outside_the_scope(city):
    """A branch puts the person on its secretary's pages: a liaison may not place their people
    in another department's branch."""
    other_branch = f.unit(K.BRANCH, f.unit(K.GENERAL_BRANCH, f.unit(K.PARTY_COMMITTEE, city.dept_b)), "教育局支部")
    liaison = f.user(Role.UNIT_LIAISON, city.dept_a)
    secretary = f.user(Role.BRANCH_SECRETARY, other_branch)
    with pytest.raises(ValidationError) as exc:
        people.person_update(actor=liaison, person=city.alice, branch=other_branch)
    assert "branch" in exc.value.message_dict
    with pytest.raises(ValidationError):
        people.person_create(actor=liaison, name="新党员", id_number=f.id_number(), unit=city.dept_a,
                             branch=other_branch)
    assert not Person.objects.visible_to(secretary).exists()


# ---- passes ---------------------------------------------------------------------------------


def test_it_refuses_pass_writes_without_an_actor(city, window):
    with pytest.raises(PermissionDenied):
        passes.issue_vehicle_pass(actor=None, plate="吉F12345", unit=city.dept_a, valid_from=window[0],
                                  valid_until=window[1])
    with pytest.raises(PermissionDenied):
        passes.issue_staff_pass(actor=None, person=city.alice, valid_from=window[0], valid_until=window[1])
    p = passes.issue_vehicle_pass(actor=SYSTEM, plate="吉F12345", unit=city.dept_a, valid_from=window[0],
                                  valid_until=window[1])
    assert p.issued_by is None
    with pytest.raises(PermissionDenied):
        passes.revoke_pass(actor=None, p=p, reason="无人")
    p.refresh_from_db()
    assert p.status == PassStatus.ISSUED


def test_it_refuses_to_log_a_check_without_an_actor_or_the_permission(city):
    for actor in (None, f.user(Role.UNIT_LIAISON, city.root)):
        with pytest.raises(PermissionDenied):
            passes.record_check(actor=actor, checkpoint=city.checkpoint_1, verdict=Verdict.NOT_FOUND, pass_id=None)
        with pytest.raises(PermissionDenied):
            passes.record_check(actor=actor, checkpoint=None, verdict=Verdict.NOT_FOUND, pass_id=None)
        with pytest.raises(PermissionDenied):
            passes.lookup_by_number(actor=actor, number=new_number("staff"), checkpoint=city.checkpoint_1)
    assert not PassCheck.objects.exists()
    guard = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    check = passes.record_check(actor=guard, checkpoint=city.checkpoint_1, verdict=Verdict.NOT_FOUND, pass_id=None,
                                client_id="c1")
    assert check.checked_by == guard
    console = passes.record_check(actor=SYSTEM, checkpoint=city.checkpoint_1, verdict=Verdict.NOT_FOUND,
                                  pass_id=None, source=CheckSource.CLI, client_id="c1")
    assert console.checked_by is None and console.pk != check.pk


def test_it_refuses_passes_for_people_and_passes_outside_the_scope(city, window):
    office_a = f.user(Role.COMMITTEE_OFFICE, city.dept_a)
    # Bob is in department B: a pass issued "for department A" must not name him.
    with pytest.raises(PermissionDenied):
        passes.issue_staff_pass(actor=office_a, person=city.bob, unit=city.dept_a, valid_from=window[0],
                                valid_until=window[1])
    theirs = passes.issue_vehicle_pass(actor=SYSTEM, plate="吉F54321", unit=city.dept_b, valid_from=window[0],
                                       valid_until=window[1])
    for change in (passes.revoke_pass, passes.suspend_pass):
        with pytest.raises(PermissionDenied):
            change(actor=office_a, p=theirs, reason="越界")
    theirs.refresh_from_db()
    assert theirs.status == PassStatus.ISSUED
    with pytest.raises(PermissionDenied):
        passes.issue_department_passes(actor=office_a, department=city.dept_b, on=timezone.localdate(),
                                       valid_from=window[0], valid_until=window[1])


# ---- accounts -------------------------------------------------------------------------------


def test_it_refuses_token_writes_without_an_actor(city):
    guard = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        accounts.token_create(user=guard, actor=None)
    assert not ApiToken.objects.exists()
    accounts.token_create(user=guard, actor=SYSTEM)
    token = ApiToken.objects.get()
    with pytest.raises(PermissionDenied):
        accounts.token_revoke(actor=None, token=token)
    with pytest.raises(PermissionDenied):
        accounts.tokens_revoke_all(actor=None, user=guard)
    with pytest.raises(PermissionDenied):
        accounts.revoke_user_tokens(actor=None, user=guard, reason="by_admin")
    token.refresh_from_db()
    assert token.revoked_at is None
    assert accounts.token_revoke(actor=SYSTEM, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by is None and token.revoke_reason == "console"


def test_it_refuses_account_changes_outside_the_scope(city):
    admin = f.user(Role.SYSTEM_ADMIN, city.street)
    security = f.user(Role.SECURITY_ADMIN, city.street)
    outsider = f.user(Role.UNIT_LIAISON, city.dept_a)
    outsider.locked_until = timezone.now() + dt.timedelta(minutes=10)
    outsider.save()
    with pytest.raises(PermissionDenied):
        accounts.user_set_active(actor=admin, user=outsider, active=False)
    with pytest.raises(PermissionDenied):
        accounts.user_unlock(actor=security, user=outsider)
    with pytest.raises(PermissionDenied):
        accounts.user_grant(actor=security, user=outsider, role=Role.COMMUNITY_STAFF, units=[city.comm_1])
    outsider.refresh_from_db()
    assert outsider.is_active and outsider.locked_until is not None and outsider.role == Role.UNIT_LIAISON
    assert list(outsider.scopes.values_list("unit_id", flat=True)) == [city.dept_a.pk]
    insider = f.user(Role.COMMUNITY_STAFF, city.comm_1)
    accounts.user_set_active(actor=admin, user=insider, active=False)
    accounts.user_grant(actor=security, user=insider, role=Role.COMMUNITY_STAFF, units=[city.comm_2])


# ---- the returnee ledger ------------------------------------------------------------------


@pytest.fixture
def isolated(city):
    """A person of unit A in isolation (registered by the platform itself)."""
    from fangkong.returnees import services as returnees

    return returnees.register(actor=SYSTEM, side="unit", name="隔离人", id_number=f.id_number(), unit=city.dept_a,
                              category="outside", return_date=dt.date(2020, 2, 3))


def test_it_refuses_ledger_writes_without_an_actor(city, isolated):
    from fangkong.returnees import services as returnees

    order = isolated.isolation
    calls = [
        lambda: returnees.register(actor=None, side="unit", name="无人", id_number=f.id_number(), unit=city.dept_a),
        lambda: returnees.returnee_update(actor=None, returnee=isolated, name="无人改"),
        lambda: returnees.isolation_change(actor=None, order=order, days=3, reason="无人", approver="无人"),
        lambda: returnees.isolation_release(actor=None, order=order, day=order.start_date),
        lambda: returnees.follow_up_record(actor=None, order=order, day=order.start_date, temperature=Decimal("36.5")),
        lambda: returnees.returnee_merge(actor=None, keep=isolated, remove=isolated),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    isolated.refresh_from_db()
    order.refresh_from_db()
    assert isolated.name == "隔离人" and order.released_on is None and not order.follow_ups.exists()


def test_it_refuses_ledger_writes_on_a_person_outside_the_actors_scope(city, isolated):
    """A role that may write the ledger, scoped at unit B, reaching unit A's person by its id."""
    from fangkong.returnees import services as returnees

    order = isolated.isolation
    other = f.user("committee_office", city.dept_b)
    other_person = returnees.register(actor=SYSTEM, side="unit", name="乙方人", id_number=f.id_number(),
                                      unit=city.dept_b)
    calls = [
        lambda: returnees.returnee_update(actor=other, returnee=isolated, name="越权改"),
        lambda: returnees.isolation_change(actor=other, order=order, days=3, reason="越权", approver="越权"),
        lambda: returnees.isolation_release(actor=other, order=order, day=order.start_date),
        lambda: returnees.follow_up_record(actor=other, order=order, day=order.start_date, temperature=Decimal("36.5")),
        lambda: returnees.returnee_merge(actor=other, keep=other_person, remove=isolated),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    isolated.refresh_from_db()
    order.refresh_from_db()
    assert isolated.name == "隔离人" and order.released_on is None and not order.follow_ups.exists()
    # The same writes on the actor's own person pass, and the platform itself reaches both.
    returnees.returnee_update(actor=other, returnee=other_person, name="乙方改")
    returnees.returnee_update(actor=SYSTEM, returnee=isolated, name="系统改")
    assert {r.name for r in type(isolated).objects.filter(pk__in=[isolated.pk, other_person.pk])} == {"乙方改", "系统改"}
