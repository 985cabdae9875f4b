"""Writing secondments and checkpoint rosters. Pages, the API, the import, the demo and the
``passes`` app (check-in when a staff pass is scanned) all come through here.

Nobody is in two places at once: every write that gives a person a shift locks that person's row
first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway), so two concurrent
requests putting one cadre on overlapping shifts cannot both pass the overlap check.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core.actors import is_system, user_of
from fangkong.core.clock import client_delay, client_moment
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.models import Person

from .choices import CheckBy, SecondmentRole
from .models import Assignment, Secondment, Shift
from .selectors import active_on

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

SENDING_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, UnitKind.WORKING_COMMITTEE)
PLACEMENT_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT)
# How early before a shift a cadre may check in.
EARLY_CHECK_IN = dt.timedelta(minutes=60)


def no_show_grace() -> dt.timedelta:
    """How long after a shift starts an assigned cadre without a check-in counts as a no-show."""
    return dt.timedelta(minutes=int(getattr(settings, "FANGKONG_NO_SHOW_GRACE_MINUTES", 30)))


def _require(actor: Actor, perm: str) -> None:
    # No actor holds no permission: system work passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _in_scope(actor: Actor, *unit_ids: int | None) -> bool:
    """Whether any of the units is in the actor's scope (``SYSTEM``: every unit)."""
    return any(unit_in_scope(actor, uid) for uid in unit_ids if uid is not None)


def _local(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


# -- secondments ---------------------------------------------------------------------------


def _check_secondment(
    *, actor: Actor, person: Person, department: Unit, unit: Unit | None, role: str, starts_on: dt.date,
    ends_on: dt.date | None, exclude_id: int | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    if department.kind not in SENDING_KINDS:
        errors["department"] = [_("The sending unit must be a department or an industry unit.")]
    if unit is not None and unit.kind not in PLACEMENT_KINDS:
        errors["unit"] = [_("A cadre is placed at a street, a community or a checkpoint.")]
    if role not in SecondmentRole.values:
        errors["role"] = [_("Choose team member or team leader.")]
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The end date is before the start date.")]
    if not person.is_active:
        errors["person"] = [_("This person is no longer active.")]
    elif not UnitLink.objects.filter(ancestor_id=department.pk, descendant_id=person.unit_id).exists():
        errors["person"] = [
            _("%(name)s does not work in %(department)s.") % {"name": person.name, "department": department}
        ]
    overlapping = Secondment.objects.filter(person=person, starts_on__lte=ends_on or dt.date.max).exclude(
        ends_on__lt=starts_on
    )
    if exclude_id is not None:
        overlapping = overlapping.exclude(pk=exclude_id)
    other = overlapping.select_related("unit").first()
    if other is not None and not Secondment.objects.visible_to(actor).filter(pk=other.pk).exists():
        # Another scope's secondment: its dates and place are not the actor's to read.
        errors.setdefault("person", []).append(
            _("%(name)s is already seconded at that time by another unit; that secondment must end first.")
            % {"name": person.name}
        )
    elif other is not None:
        errors.setdefault("person", []).append(
            _("%(name)s is already seconded from %(start)s (to %(place)s); end that secondment first.")
            % {"name": person.name, "start": other.starts_on.isoformat(), "place": other.unit or _("not yet placed")}
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def secondment_create(
    *, actor: Actor, person: Person, department: Unit, unit: Unit | None = None,
    role: str = SecondmentRole.MEMBER, starts_on: dt.date, ends_on: dt.date | None = None, duties: str = "",
) -> Secondment:
    """Second a cadre from their department, optionally placing them at once."""
    _require(actor, "deployment.change")
    if not _in_scope(actor, department.pk):
        raise PermissionDenied(_("The sending department is outside your scope."))
    Person.objects.select_for_update().filter(pk=person.pk).first()
    _check_secondment(actor=actor, person=person, department=department, unit=unit, role=role, starts_on=starts_on,
                      ends_on=ends_on)
    secondment = Secondment(
        person=person, department=department, unit=unit, role=role, starts_on=starts_on, ends_on=ends_on,
        duties=clean_text(duties or "", max_length=200),
    )
    secondment.full_clean(exclude=["source_import"])
    secondment.save()
    audit_change(actor=actor, obj=secondment, before=None)
    return secondment


@transaction.atomic
def secondment_place(*, actor: Actor, secondment: Secondment, unit: Unit, role: str | None = None) -> Secondment:
    """Place (or move) a seconded cadre at a street, community or checkpoint."""
    if not (user_has_perm(actor, "deployment.change") or user_has_perm(actor, "deployment.roster")):
        raise PermissionDenied(_("Your role may not do this."))
    secondment = Secondment.objects.select_for_update().get(pk=secondment.pk)
    # The sending department places its cadres anywhere; a street or community moves only the
    # cadres placed with it, and only within its own area.
    if not (_in_scope(actor, secondment.department_id)
            or (_in_scope(actor, secondment.unit_id) and _in_scope(actor, unit.pk))):
        raise PermissionDenied(_("This placement is outside your scope."))
    if unit.kind not in PLACEMENT_KINDS:
        raise ValidationError({"unit": [_("A cadre is placed at a street, a community or a checkpoint.")]})
    before = snapshot(secondment)
    secondment.unit = unit
    if role is not None:
        if role not in SecondmentRole.values:
            raise ValidationError({"role": [_("Choose team member or team leader.")]})
        secondment.role = role
    secondment.save()
    audit_change(actor=actor, obj=secondment, before=before)
    return secondment


@transaction.atomic
def secondment_end(*, actor: Actor, secondment: Secondment, ends_on: dt.date, reason: str = "") -> Secondment:
    """End a secondment on ``ends_on`` (the last day away); later shifts are taken off the roster."""
    _require(actor, "deployment.change")
    secondment = Secondment.objects.select_for_update().get(pk=secondment.pk)
    if not _in_scope(actor, secondment.department_id):
        raise PermissionDenied(_("The sending department is outside your scope."))
    if ends_on < secondment.starts_on:
        raise ValidationError({"ends_on": [_("The end date is before the start date.")]})
    before = snapshot(secondment)
    secondment.ends_on = ends_on
    secondment.end_reason = clean_text(reason or "", max_length=200)
    secondment.save()
    after = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())
    Assignment.objects.filter(person_id=secondment.person_id, starts_at__gte=after, checked_in_at__isnull=True).delete()
    audit_change(actor=actor, obj=secondment, before=before)
    return secondment


# -- rosters -------------------------------------------------------------------------------


@transaction.atomic
def shift_create(
    *, actor: Actor, checkpoint: Unit, starts_at: dt.datetime, ends_at: dt.datetime, staff_needed: int = 2,
    leader: Person | None = None, note: str = "",
) -> Shift:
    _require(actor, "deployment.roster")
    if not _in_scope(actor, checkpoint.pk):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    if checkpoint.kind != UnitKind.CHECKPOINT:
        raise ValidationError({"checkpoint": [_("Shifts are planned at checkpoints.")]})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The shift must end after it starts.")]})
    if ends_at - starts_at > dt.timedelta(hours=24):
        raise ValidationError({"ends_at": [_("A shift lasts at most 24 hours.")]})
    if not 1 <= staff_needed <= 50:
        raise ValidationError({"staff_needed": [_("Staff needed must be between 1 and 50.")]})
    shift = Shift(
        checkpoint=checkpoint, starts_at=starts_at, ends_at=ends_at, staff_needed=staff_needed, leader=leader,
        note=clean_text(note or "", max_length=200),
    )
    shift.full_clean()
    shift.save()
    audit_change(actor=actor, obj=shift, before=None)
    return shift


DAY_PATTERN = ((dt.time(0), 8), (dt.time(8), 8), (dt.time(16), 8))


@transaction.atomic
def shifts_for_day(*, actor: Actor, checkpoint: Unit, day: dt.date, staff_needed: int = 2) -> list[Shift]:
    """The usual three eight-hour shifts (0–8, 8–16, 16–24) at a checkpoint, skipping those that exist."""
    tz = timezone.get_current_timezone()
    existing = set(Shift.objects.filter(checkpoint=checkpoint).values_list("starts_at", flat=True))
    shifts = []
    for start, hours in DAY_PATTERN:
        starts_at = dt.datetime.combine(day, start, tzinfo=tz)
        if starts_at in existing:
            continue
        shifts.append(
            shift_create(
                actor=actor, checkpoint=checkpoint, starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=hours), staff_needed=staff_needed,
            )
        )
    return shifts


def placed_under(unit_id: int | None, checkpoint_id: int) -> bool:
    """Whether a cadre placed at ``unit_id`` may serve at the checkpoint: placed at it or at the
    community or street above it."""
    if unit_id is None:
        return False
    return UnitLink.objects.filter(ancestor_id=unit_id, descendant_id=checkpoint_id).exists()


@transaction.atomic
def assign(*, actor: Actor, shift: Shift, person: Person) -> Assignment:
    """Put a seconded cadre on a shift. Refused when the cadre is not seconded there that day, the
    shift is full, or the cadre already has a shift at the same time anywhere."""
    _require(actor, "deployment.roster")
    if not _in_scope(actor, shift.checkpoint_id):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    # The lock that makes the overlap check safe under concurrency: one roster write per person at a time.
    locked = Person.objects.select_for_update().filter(pk=person.pk).first()
    if locked is None:
        raise ValidationError({"person": [_("Unknown person.")]})
    shift = Shift.objects.select_for_update().select_related("checkpoint").get(pk=shift.pk)
    day = timezone.localtime(shift.starts_at).date()
    secondment = Secondment.objects.filter(active_on(day), person=person).first()
    if secondment is None:
        raise ValidationError({"person": [
            _("%(name)s is not seconded on %(day)s and cannot be put on a shift.")
            % {"name": person.name, "day": day.isoformat()}
        ]})
    if not placed_under(secondment.unit_id, shift.checkpoint_id):
        raise ValidationError({"person": [
            _("%(name)s is placed at %(place)s, not at %(checkpoint)s or the community above it.")
            % {"name": person.name, "place": secondment.unit or _("no unit yet"), "checkpoint": shift.checkpoint}
        ]})
    clash = (
        Assignment.objects.filter(person=person, starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at)
        .select_related("checkpoint")
        .first()
    )
    if clash is not None:
        if clash.shift_id == shift.pk:
            raise ValidationError({"person": [_("%(name)s is already on this shift.") % {"name": person.name}]})
        raise ValidationError({"person": [
            _("%(name)s is already on duty at %(checkpoint)s from %(start)s to %(end)s: "
              "nobody can be at two places at once.")
            % {"name": person.name, "checkpoint": clash.checkpoint, "start": _local(clash.starts_at),
               "end": _local(clash.ends_at)}
        ]})
    if shift.assignments.count() >= shift.staff_needed:
        raise ValidationError({"shift": [
            _("This shift already has the %(n)d cadres it needs.") % {"n": shift.staff_needed}
        ]})
    assignment = Assignment(
        shift=shift, person=person, checkpoint_id=shift.checkpoint_id, starts_at=shift.starts_at,
        ends_at=shift.ends_at, assigned_by=user_of(actor),
    )
    assignment.save()
    audit_change(actor=actor, obj=assignment, before=None)
    return assignment


@transaction.atomic
def unassign(*, actor: Actor, assignment: Assignment) -> None:
    _require(actor, "deployment.roster")
    if not _in_scope(actor, assignment.checkpoint_id):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    if assignment.checked_in_at is not None:
        raise ValidationError(_("The cadre has already checked in for this shift."))
    audit_change(actor=actor, obj=assignment, before=snapshot(assignment), deleted=True)
    assignment.delete()


def check_window() -> dt.timedelta:
    """How late a phone may send a check-in or check-out (``core.clock.client_delay``)."""
    return client_delay()


def _moment(actor: Actor, at: dt.datetime | None) -> dt.datetime:
    """When the check happened: the server's clock, or the moment a phone sent within the
    window (``core.clock.client_moment``). Only system work (the demo, a data repair) records
    an earlier moment, and never a future one."""
    return client_moment(at, window=None if is_system(actor) else check_window())


def _check_by(actor: Actor, person: Person, assignment: Assignment) -> str:
    """Who did the check, from who is signed in, never from what the client says: the cadre
    themself, the shift's leader (or a team leader placed over the checkpoint), or anyone else
    on the platform (the office)."""
    own = getattr(actor, "person_id", None)
    if own is None:
        return CheckBy.OFFICE
    if own == person.pk:
        return CheckBy.SELF
    if own == assignment.shift.leader_id:
        return CheckBy.LEADER
    day = timezone.localtime(assignment.starts_at).date()
    leads = Secondment.objects.filter(active_on(day), person_id=own, role=SecondmentRole.TEAM_LEADER).first()
    if leads is not None and placed_under(leads.unit_id, assignment.checkpoint_id):
        return CheckBy.LEADER
    return CheckBy.OFFICE


def _check_allowed(actor: Actor, checkpoint: Unit) -> None:
    _require(actor, "deployment.checkin")
    if not _in_scope(actor, checkpoint.pk):
        raise PermissionDenied(_("This checkpoint is outside your scope."))


@transaction.atomic
def check_in(*, actor: Actor, person: Person, checkpoint: Unit, at: dt.datetime | None = None) -> Assignment:
    """Record that ``person`` arrived at ``checkpoint`` for the shift they are rostered on (from
    an hour before it starts until it ends). The time is the server's clock, or a phone's moment
    within ``check_window()``; who did it follows from ``actor`` (``_check_by``).
    Checking in twice keeps the first time."""
    _check_allowed(actor, checkpoint)
    at = _moment(actor, at)
    assignment = (
        Assignment.objects.select_for_update().select_related("shift")
        .filter(person=person, checkpoint=checkpoint, starts_at__lte=at + EARLY_CHECK_IN, ends_at__gt=at)
        .order_by("starts_at")
        .first()
    )
    if assignment is None:
        raise ValidationError(
            _("%(name)s has no shift at %(checkpoint)s at %(time)s.")
            % {"name": person.name, "checkpoint": checkpoint, "time": _local(at)}
        )
    if not Secondment.objects.filter(active_on(timezone.localtime(at).date()), person=person).exists():
        raise ValidationError(_("%(name)s's secondment has ended.") % {"name": person.name})
    if assignment.checked_in_at is None:
        before = snapshot(assignment)
        assignment.checked_in_at = at
        assignment.checked_in_by = _check_by(actor, person, assignment)
        assignment.save(update_fields=["checked_in_at", "checked_in_by"])
        audit_change(actor=actor, obj=assignment, before=before)
    return assignment


@transaction.atomic
def check_out(*, actor: Actor, person: Person, checkpoint: Unit, at: dt.datetime | None = None) -> Assignment:
    """Record that ``person`` left ``checkpoint``: closes their latest checked-in shift there.
    The time and who did it follow the rules of ``check_in``."""
    _check_allowed(actor, checkpoint)
    at = _moment(actor, at)
    assignment = (
        Assignment.objects.select_for_update().select_related("shift")
        .filter(person=person, checkpoint=checkpoint, checked_in_at__isnull=False, checked_in_at__lte=at,
                checked_out_at__isnull=True)
        .order_by("-starts_at")
        .first()
    )
    if assignment is None:
        raise ValidationError(
            _("%(name)s has not checked in at %(checkpoint)s.") % {"name": person.name, "checkpoint": checkpoint}
        )
    before = snapshot(assignment)
    assignment.checked_out_at = at
    assignment.checked_out_by = _check_by(actor, person, assignment)
    assignment.save(update_fields=["checked_out_at", "checked_out_by"])
    audit_change(actor=actor, obj=assignment, before=before)
    return assignment
