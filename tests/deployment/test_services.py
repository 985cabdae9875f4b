"""Secondments and rosters through the services: placing, ending, overlapping periods, the
one-place-at-a-time rule, check-in and check-out, no-shows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
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
        services.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a, starts_on=DAY)
    assert "已" in str(exc.value) or "already" in str(exc.value)


def test_it_refuses_a_person_of_another_department(city):
    with pytest.raises(ValidationError) as exc:
        services.secondment_create(actor=SYSTEM, person=city.bob, department=city.dept_a, starts_on=DAY)
    assert city.dept_a.name in " ".join(exc.value.messages)


def test_it_refuses_placement_outside_the_territory(city):
    with pytest.raises(ValidationError):
        services.secondment_create(
            actor=SYSTEM, person=city.alice, department=city.dept_a, unit=city.dept_b, starts_on=DAY
        )
    with pytest.raises(ValidationError):
        services.secondment_create(actor=SYSTEM, person=city.alice, department=city.street, starts_on=DAY)


def test_ending_a_secondment_takes_later_shifts_off_the_roster(city, seconded):
    a, _ = seconded
    day1 = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    later = DAY + dt.timedelta(days=3)
    day4 = services.shift_create(
        actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(later, 8), ends_at=at(later, 16)
    )
    services.assign(actor=SYSTEM, shift=day1, person=city.alice)
    services.assign(actor=SYSTEM, shift=day4, person=city.alice)
    services.secondment_end(actor=SYSTEM, secondment=a, ends_on=DAY + dt.timedelta(days=1), reason="返岗")
    assert list(Assignment.objects.values_list("shift_id", flat=True)) == [day1.pk]
    assert selectors.active_secondment(city.alice.pk, DAY + dt.timedelta(days=2)) is None


def test_nobody_is_at_two_checkpoints_at_once(city, seconded, checkpoint_2):
    """The roster's bad input: one cadre at two checkpoints in overlapping shifts is refused."""
    _a, b = seconded  # bob is placed at the street: both checkpoints are under it
    s1 = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    s2 = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 12), ends_at=at(DAY, 20))
    services.assign(actor=SYSTEM, shift=s1, person=city.bob)
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=SYSTEM, shift=s2, person=city.bob)
    message = " ".join(exc.value.messages)
    assert "江北路卡点" in message and "2020-02-15 08:00" in message
    assert Assignment.objects.filter(person=city.bob).count() == 1
    # Back to back is fine.
    s3 = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 16), ends_at=at(DAY, 23))
    services.assign(actor=SYSTEM, shift=s3, person=city.bob)


def test_it_refuses_cadres_placed_elsewhere_or_not_seconded(city, seconded, checkpoint_2):
    s2 = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    with pytest.raises(ValidationError):  # alice is placed at comm_1, checkpoint_2 is in comm_2
        services.assign(actor=SYSTEM, shift=s2, person=city.alice)
    with pytest.raises(ValidationError):  # carol is not seconded
        services.assign(actor=SYSTEM, shift=s2, person=city.carol)


def test_a_full_shift_takes_nobody_more(city, seconded):
    s1 = services.shift_create(
        actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16), staff_needed=1
    )
    services.assign(actor=SYSTEM, shift=s1, person=city.alice)
    with pytest.raises(ValidationError):
        services.assign(actor=SYSTEM, shift=s1, person=city.bob)


def test_check_in_and_out_and_no_shows(city, seconded):
    s1 = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    services.assign(actor=SYSTEM, shift=s1, person=city.alice)
    services.assign(actor=SYSTEM, shift=s1, person=city.bob)
    # Before the grace period ends nobody is a no-show.
    assert selectors.no_shows(Assignment.objects.all(), at(DAY, 8, 20)).count() == 0
    # System work (a data repair) may record a past moment; a user's check is now (see below).
    first = services.check_in(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 7, 50))
    again = services.check_in(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 8, 10))
    assert again.checked_in_at == first.checked_in_at == at(DAY, 7, 50) and again.checked_in_by == "office"
    late = selectors.no_shows(Assignment.objects.all(), at(DAY, 8, 31))
    assert [a.person for a in late] == [city.bob]
    out = services.check_out(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 16, 5))
    assert out.checked_out_at == at(DAY, 16, 5) and out.checked_out_by == "office"


def test_check_in_without_a_shift_is_refused(city, seconded, checkpoint_2):
    with pytest.raises(ValidationError):
        services.check_in(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9))
    with pytest.raises(ValidationError):
        services.check_out(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9))


def test_check_in_after_the_secondment_ended_is_refused(city, seconded):
    a, _ = seconded
    s1 = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    services.assign(actor=SYSTEM, shift=s1, person=city.alice)
    services.secondment_end(actor=SYSTEM, secondment=a, ends_on=DAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.check_in(actor=SYSTEM, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 9))


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
        services.check_in(actor=inspector, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 8))


def test_the_day_pattern_makes_three_shifts_once(city):
    made = services.shifts_for_day(actor=SYSTEM, checkpoint=city.checkpoint_1, day=DAY)
    hours = [(timezone.localtime(s.starts_at).hour, (s.ends_at - s.starts_at).seconds // 3600) for s in made]
    assert hours == [(0, 8), (8, 8), (16, 8)]
    assert services.shifts_for_day(actor=SYSTEM, checkpoint=city.checkpoint_1, day=DAY) == []


@pytest.fixture
def shift_now(city, seconded):
    """A shift at checkpoint 1 that began an hour ago, with alice and bob on it."""
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    shift = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=start,
                                  ends_at=start + dt.timedelta(hours=8))
    services.assign(actor=SYSTEM, shift=shift, person=city.alice)
    services.assign(actor=SYSTEM, shift=shift, person=city.bob)
    return shift


def test_who_checked_in_follows_from_the_signed_in_user(city, shift_now):
    """The cadre themself, the shift's leader, or anyone else (the office): never what the
    client says."""
    staff = f.user("checkpoint_staff", city.checkpoint_1)
    staff.person = city.alice
    staff.save()
    own = services.check_in(actor=staff, person=city.alice, checkpoint=city.checkpoint_1)
    other = services.check_in(actor=staff, person=city.bob, checkpoint=city.checkpoint_1)
    assert (own.checked_in_by, other.checked_in_by) == ("self", "office")
    # The shift's leader checking someone out is the leader.
    shift_now.leader = city.alice
    shift_now.save()
    out = services.check_out(actor=staff, person=city.bob, checkpoint=city.checkpoint_1)
    assert out.checked_out_by == "leader"
    outsider = f.user("checkpoint_staff", city.comm_2)
    with pytest.raises(PermissionDenied):
        services.check_out(actor=outsider, person=city.alice, checkpoint=city.checkpoint_1)


def test_a_team_leader_placed_over_the_checkpoint_checks_in_as_leader(city, shift_now):
    # bob is seconded as a team leader to the street above the checkpoint.
    staff = f.user("community_staff", city.street)
    staff.person = city.bob
    staff.save()
    assert services.check_in(actor=staff, person=city.alice, checkpoint=city.checkpoint_1).checked_in_by == "leader"


def test_a_users_check_in_takes_the_servers_clock(city, shift_now):
    """A phone may send a check a few minutes late; an earlier moment is refused, a later one
    is the server's clock (core.clock.client_moment)."""
    staff = f.user("checkpoint_staff", city.checkpoint_1)
    before = timezone.now()
    ahead = services.check_in(actor=staff, person=city.alice, checkpoint=city.checkpoint_1,
                              at=before + dt.timedelta(hours=2))
    assert before <= ahead.checked_in_at <= timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.check_in(actor=staff, person=city.bob, checkpoint=city.checkpoint_1,
                          at=timezone.now() - services.check_window() - dt.timedelta(minutes=1))
    assert "10" in " ".join(exc.value.messages)
    assert Assignment.objects.get(person=city.bob).checked_in_at is None
    late = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=4)
    assert services.check_in(actor=staff, person=city.bob, checkpoint=city.checkpoint_1,
                             at=late).checked_in_at == late
    # A check-in for a shift days ago, typed in now, is refused: the no-show stays.
    old = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8),
                                ends_at=at(DAY, 16))
    services.assign(actor=SYSTEM, shift=old, person=city.alice)
    with pytest.raises(ValidationError):
        services.check_in(actor=staff, person=city.alice, checkpoint=city.checkpoint_1, at=at(DAY, 7, 55))
    assert selectors.no_shows(Assignment.objects.filter(shift=old), at(DAY, 9)).count() == 1


def test_no_actor_is_no_permission(city, seconded, shift_now):
    """A caller that forgets the actor is refused; system work names SYSTEM."""
    with pytest.raises(PermissionDenied):
        services.secondment_create(actor=None, person=f.person(city.dept_a, "郑乙"), department=city.dept_a,
                                   starts_on=DAY)
    with pytest.raises(PermissionDenied):
        services.shift_create(actor=None, checkpoint=city.checkpoint_1, starts_at=at(DAY, 8), ends_at=at(DAY, 16))
    with pytest.raises(PermissionDenied):
        services.assign(actor=None, shift=shift_now, person=city.alice)
    with pytest.raises(PermissionDenied):
        services.check_in(actor=None, person=city.alice, checkpoint=city.checkpoint_1)
    with pytest.raises(PermissionDenied):
        services.secondment_end(actor=None, secondment=seconded[0], ends_on=DAY)
    assert Assignment.objects.filter(checked_in_at__isnull=False).count() == 0
