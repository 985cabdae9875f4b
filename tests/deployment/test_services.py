"""Secondments and rosters through the services: placing, ending, overlapping periods, the
one-place-at-a-time rule, check-in and check-out, no-shows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEntry
from fangkong.deployment import selectors, services
from fangkong.deployment.models import Assignment
from tests import factories as f

from .conftest import DAY, at


def test_it_seconds_and_places_a_cadre_and_audits_it(city, seconded):
    a, _b = seconded
    assert selectors.active_secondment(city.alice.pk, DAY) == a
    assert selectors.active_secondment(city.alice.pk, dt.date(2020, 1, 31)) is None
    assert list(selectors.seconded_people(city.dept_a.pk, DAY)) == [city.alice]
    assert AuditEntry.objects.filter(object_type="deployment.secondment", action="create").count() == 2


def test_it_refuses_a_second_overlapping_secondment(city, seconded):
    with pytest.raises(ValidationError) as exc:
        services.secondment_create(actor=None, person=city.alice, department=city.dept_a, starts_on=DAY)
    assert "已" in str(exc.value) or "already" in str(exc.value)


def test_it_refuses_a_person_of_another_department(city):
    with pytest.raises(ValidationError) as exc:
        services.secondment_create(actor=None, person=city.bob, department=city.dept_a, starts_on=DAY)
    assert city.dept_a.name in " ".join(exc.value.messages)


def test_it_refuses_placement_outside_the_territory(city):
    with pytest.raises(ValidationError):
        services.secondment_create(
            actor=None, person=city.alice, department=city.dept_a, unit=city.dept_b, starts_on=DAY
        )
    with pytest.raises(ValidationError):
        services.secondment_create(actor=None, person=city.alice, department=city.street, starts_on=DAY)


def test_ending_a_secondment_takes_later_shifts_off_the_roster(city, seconded):
    a, _ = seconded
    day1 = services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    later = DAY + dt.timedelta(days=3)
    day4 = services.shift_create(
        actor=None, checkpoint=city.checkpoint_1, starts_at=at(later, 8), ends_at=at(later, 16)
    )
    services.assign(actor=None, shift=day1, person=city.alice)
    services.assign(actor=None, shift=day4, person=city.alice)
    services.secondment_end(actor=None, secondment=a, ends_on=DAY + dt.timedelta(days=1), reason="返岗")
    assert list(Assignment.objects.values_list("shift_id", flat=True)) == [day1.pk]
    assert selectors.active_secondment(city.alice.pk, DAY + dt.timedelta(days=2)) is None


def test_nobody_is_at_two_checkpoints_at_once(city, seconded, checkpoint_2):
    """The roster's bad input: one cadre at two checkpoints in overlapping shifts is refused."""
    _a, b = seconded  # bob is placed at the street: both checkpoints are under it
    s1 = services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    s2 = services.shift_create(actor=None, checkpoint=checkpoint_2, starts_at=at(DAY, 12), ends_at=at(DAY, 20))
    services.assign(actor=None, shift=s1, person=city.bob)
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=None, shift=s2, person=city.bob)
    message = " ".join(exc.value.messages)
    assert "江北路卡点" in message and "2020-02-15 08:00" in message
    assert Assignment.objects.filter(person=city.bob).count() == 1
    # Back to back is fine.
    s3 = services.shift_create(actor=None, checkpoint=checkpoint_2, starts_at=at(DAY, 16), ends_at=at(DAY, 23))
    services.assign(actor=None, shift=s3, person=city.bob)


def test_it_refuses_cadres_placed_elsewhere_or_not_seconded(city, seconded, checkpoint_2):
    s2 = services.shift_create(actor=None, checkpoint=checkpoint_2, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    with pytest.raises(ValidationError):  # alice is placed at comm_1, checkpoint_2 is in comm_2
        services.assign(actor=None, shift=s2, person=city.alice)
    with pytest.raises(ValidationError):  # carol is not seconded
        services.assign(actor=None, shift=s2, person=city.carol)


def test_a_full_shift_takes_nobody_more(city, seconded):
    s1 = services.shift_create(
        actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16), staff_needed=1
    )
    services.assign(actor=None, shift=s1, person=city.alice)
    with pytest.raises(ValidationError):
        services.assign(actor=None, shift=s1, person=city.bob)


def test_check_in_and_out_and_no_shows(city, seconded):
    s1 = services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    services.assign(actor=None, shift=s1, person=city.alice)
    services.assign(actor=None, shift=s1, person=city.bob)
    # Before the grace period ends nobody is a no-show.
    assert selectors.no_shows(Assignment.objects.all(), at(DAY, 8, 20)).count() == 0
    first = services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 7, 50), by="self")
    again = services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 8, 10), by="leader")
    assert again.checked_in_at == first.checked_in_at == at(DAY, 7, 50) and again.checked_in_by == "self"
    late = selectors.no_shows(Assignment.objects.all(), at(DAY, 8, 31))
    assert [a.person for a in late] == [city.bob]
    out = services.check_out(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 16, 5), by="leader")
    assert out.checked_out_at == at(DAY, 16, 5) and out.checked_out_by == "leader"


def test_check_in_without_a_shift_is_refused(city, seconded, checkpoint_2):
    with pytest.raises(ValidationError):
        services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9), by="self")
    with pytest.raises(ValidationError):
        services.check_out(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9), by="self")


def test_check_in_after_the_secondment_ended_is_refused(city, seconded):
    a, _ = seconded
    s1 = services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    services.assign(actor=None, shift=s1, person=city.alice)
    services.secondment_end(actor=None, secondment=a, ends_on=DAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9), by="self")


def test_roles_and_scope_are_enforced(city, seconded, checkpoint_2):
    liaison_b = f.user("unit_liaison", city.dept_b)
    with pytest.raises(PermissionDenied):  # dept_a is not liaison_b's
        services.secondment_create(
            actor=liaison_b, person=f.person(city.dept_a, "郑甲"), department=city.dept_a, starts_on=DAY
        )
    checkpoint_staff = f.user("checkpoint_staff", city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        services.shift_create(
            actor=checkpoint_staff, checkpoint=checkpoint_2, starts_at=at(DAY, 8), ends_at=at(DAY, 16)
        )
    shift = services.shift_create(
        actor=checkpoint_staff, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16)
    )
    services.assign(actor=checkpoint_staff, shift=shift, person=city.alice)
    inspector = f.user("inspection_group", city.root)
    with pytest.raises(PermissionDenied):
        services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 8), by="office", actor=inspector)


def test_the_day_pattern_makes_three_shifts_once(city):
    made = services.shifts_for_day(actor=None, checkpoint=city.checkpoint_1, day=DAY)
    hours = [(timezone.localtime(s.starts_at).hour, (s.ends_at - s.starts_at).seconds // 3600) for s in made]
    assert hours == [(0, 8), (8, 8), (16, 8)]
    assert services.shifts_for_day(actor=None, checkpoint=city.checkpoint_1, day=DAY) == []


def test_check_in_by_a_user_counts_as_own_or_as_the_leaders(city, seconded):
    """The checkpoint page passes the signed-in user as ``by``."""
    s1 = services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    services.assign(actor=None, shift=s1, person=city.alice)
    services.assign(actor=None, shift=s1, person=city.bob)
    staff = f.user("checkpoint_staff", city.checkpoint_1)
    staff.person = city.alice
    staff.save()
    own = services.check_in(person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 8), by=staff)
    other = services.check_in(person=city.bob, checkpoint=city.checkpoint_1, at=at(DAY, 8), by=staff)
    assert (own.checked_in_by, other.checked_in_by) == ("self", "leader")
    outsider = f.user("checkpoint_staff", city.comm_2)
    with pytest.raises(PermissionDenied):
        services.check_out(person=city.bob, checkpoint=city.checkpoint_1, at=at(DAY, 16), by=outsider)
