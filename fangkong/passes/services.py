"""Issuing, withdrawing and checking passes. Every write goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import tokens
from .choices import CheckSource, PassKind, PassStatus
from .keys import current_key
from .models import Pass, PassCheck, RevocationList
from .plates import validate_plate

if TYPE_CHECKING:
    from fangkong.accounts.models import User

ZONE_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT)
NUMBER_PREFIX = {PassKind.STAFF: "S", PassKind.VEHICLE: "V"}


def day_bounds(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A validity window of whole days in local time: from the first midnight to the one after the last day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(starts_on, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


def _require(actor: User | None, perm: str) -> None:
    if actor is not None and not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _check_common(
    *, actor: User | None, unit: Unit, zones: Sequence[Unit], valid_from: dt.datetime, valid_until: dt.datetime
) -> None:
    _require(actor, "passes.change")
    if actor is not None and not unit_in_scope(actor, unit.pk):
        raise PermissionDenied(_("This unit is outside your scope."))
    if valid_until <= valid_from:
        raise ValidationError({"valid_until": _("A pass must end after it starts.")})
    if valid_from < tokens.EARLIEST or valid_until > tokens.LATEST:
        # The token carries its dates as unsigned 32-bit seconds.
        raise ValidationError({"valid_from": _("A pass is valid between 1970 and 2106.")})
    wrong = [z.name for z in zones if z.kind not in ZONE_KINDS]
    if wrong:
        raise ValidationError(
            {"zones": _("Zones are streets, communities or checkpoints, not: %(names)s") % {"names": "、".join(wrong)}}
        )
    if len(zones) > tokens.MAX_ZONES:
        raise ValidationError({"zones": _("A pass names at most %(n)d zones.") % {"n": tokens.MAX_ZONES}})


def _claims(p: Pass, zone_ids: Iterable[int]) -> tokens.PassClaims:
    return tokens.PassClaims(
        key_id=p.key.key_id, pass_id=p.pk, kind=p.kind, holder=p.holder_display, unit_id=p.unit_id,
        unit_name=p.unit.display_name, valid_from=p.valid_from, valid_until=p.valid_until,
        zones=tuple(sorted(zone_ids)),
    )


def _sign_and_number(p: Pass, zones: Sequence[Unit], private: Any) -> None:
    p.number = f"{NUMBER_PREFIX[PassKind(p.kind)]}{p.pk:06d}"
    p.token = tokens.sign(_claims(p, [z.pk for z in zones]), private)
    Pass.objects.filter(pk=p.pk).update(number=p.number, token=p.token)
    if zones:
        p.zones.set(zones)


@transaction.atomic
def issue_staff_pass(
    *,
    actor: User | None,
    person: Person,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    zones: Sequence[Unit] = (),
    purpose: str = "",
    unit: Unit | None = None,
    audit: bool = True,
) -> Pass:
    """A staff pass (出入证) for a person, signed with the current key."""
    unit = unit or person.unit
    _check_common(actor=actor, unit=unit, zones=zones, valid_from=valid_from, valid_until=valid_until)
    key, private = current_key()
    p = Pass(
        number=f"tmp-{person.pk}", kind=PassKind.STAFF, person=person, unit=unit, purpose=purpose,
        valid_from=valid_from, valid_until=valid_until, key=key, issued_by=actor,
    )
    p.full_clean(exclude=["number", "token"])
    p.save()
    _sign_and_number(p, zones, private)
    if audit:
        audit_change(actor=actor, obj=p, before=None)
    return p


@transaction.atomic
def issue_vehicle_pass(
    *,
    actor: User | None,
    plate: str,
    unit: Unit,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    driver_name: str = "",
    owner_name: str = "",
    zones: Sequence[Unit] = (),
    purpose: str = "",
    audit: bool = True,
) -> Pass:
    """A vehicle pass (车辆通行证) for a number plate. A plate has at most one live pass."""
    plate = validate_plate(plate)
    _check_common(actor=actor, unit=unit, zones=zones, valid_from=valid_from, valid_until=valid_until)
    now = timezone.now()
    # A pass past its end is no longer live: mark it so before looking for a live one.
    Pass.objects.filter(kind=PassKind.VEHICLE, plate=plate, status=PassStatus.ISSUED, valid_until__lte=now).update(
        status=PassStatus.EXPIRED, status_changed_at=now
    )
    live = Pass.objects.filter(kind=PassKind.VEHICLE, plate=plate, status__in=[PassStatus.ISSUED, PassStatus.SUSPENDED])
    existing = live.values_list("number", flat=True).first()
    if existing:
        raise ValidationError(
            {"plate": _("%(plate)s already has a live pass (%(number)s); revoke it first.")
             % {"plate": plate, "number": existing}}
        )
    key, private = current_key()
    p = Pass(
        number=f"tmp-{plate}", kind=PassKind.VEHICLE, plate=plate, driver_name=driver_name.strip(),
        owner_name=owner_name.strip(), unit=unit, purpose=purpose, valid_from=valid_from,
        valid_until=valid_until, key=key, issued_by=actor,
    )
    p.full_clean(exclude=["number", "token"], validate_constraints=False)
    try:
        with transaction.atomic():
            p.save()
    except IntegrityError:  # a concurrent issue for the same plate won the race
        raise ValidationError({"plate": _("%(plate)s already has a live pass; revoke it first.") % {"plate": plate}}) from None
    _sign_and_number(p, zones, private)
    if audit:
        audit_change(actor=actor, obj=p, before=None)
    return p


@transaction.atomic
def issue_department_passes(
    *,
    actor: User | None,
    department: Unit,
    on: dt.date,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    purpose: str = "",
    zones_from_placement: bool = True,
    audit: bool = True,
) -> list[Pass]:
    """A staff pass for every cadre of the department seconded on ``on`` who has no live one.
    Each pass is valid where the cadre is placed (their street, community or checkpoint), or
    everywhere for a cadre not yet placed."""
    from fangkong.deployment.selectors import active_secondment, seconded_people

    have = set(
        Pass.objects.filter(
            kind=PassKind.STAFF, status__in=[PassStatus.ISSUED, PassStatus.SUSPENDED], valid_until__gt=valid_from
        ).values_list("person_id", flat=True)
    )
    issued = []
    for person in seconded_people(department.pk, on).select_related("unit").order_by("id"):
        if person.pk in have:
            continue
        zones: list[Unit] = []
        if zones_from_placement:
            secondment = active_secondment(person.pk, on)
            if secondment is not None and secondment.unit is not None:
                zones = [secondment.unit]
        issued.append(
            issue_staff_pass(
                actor=actor, person=person, unit=department, valid_from=valid_from, valid_until=valid_until,
                zones=zones, purpose=purpose, audit=audit,
            )
        )
    return issued


def _publish_revocations() -> RevocationList:
    """Write the next version of the revocation list from the passes' current states."""
    now = timezone.now()
    withdrawn = Pass.objects.filter(valid_until__gt=now)
    revoked = sorted(withdrawn.filter(status=PassStatus.REVOKED).values_list("id", flat=True))
    suspended = sorted(withdrawn.filter(status=PassStatus.SUSPENDED).values_list("id", flat=True))
    version = (RevocationList.objects.select_for_update().aggregate(m=Max("version"))["m"] or 0) + 1
    return RevocationList.objects.create(version=version, revoked=revoked, suspended=suspended)


def _set_status(*, actor: User | None, p: Pass, status: str, reason: str, allowed_from: set[str]) -> Pass:
    _require(actor, "passes.change")
    p = Pass.objects.select_for_update().get(pk=p.pk)
    if p.status not in allowed_from:
        raise ValidationError(
            _("This pass is %(status)s and cannot be changed that way.") % {"status": p.get_status_display()}
        )
    before = snapshot(p)
    p.status = status
    p.status_reason = reason.strip()[:200]
    p.status_changed_at = timezone.now()
    p.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_change(actor=actor, obj=p, before=before)
    _publish_revocations()
    return p


@transaction.atomic
def revoke_pass(*, actor: User | None, p: Pass, reason: str = "") -> Pass:
    """Withdraw a pass for good; it goes on the next revocation list."""
    return _set_status(
        actor=actor, p=p, status=PassStatus.REVOKED, reason=reason,
        allowed_from={PassStatus.ISSUED, PassStatus.SUSPENDED},
    )


@transaction.atomic
def suspend_pass(*, actor: User | None, p: Pass, reason: str = "") -> Pass:
    return _set_status(
        actor=actor, p=p, status=PassStatus.SUSPENDED, reason=reason, allowed_from={PassStatus.ISSUED}
    )


@transaction.atomic
def reinstate_pass(*, actor: User | None, p: Pass, reason: str = "") -> Pass:
    return _set_status(
        actor=actor, p=p, status=PassStatus.ISSUED, reason=reason, allowed_from={PassStatus.SUSPENDED}
    )


def expire_passes(*, now: dt.datetime | None = None) -> int:
    """Mark passes past their end as expired (kept for the record; no longer live)."""
    now = now or timezone.now()
    return Pass.objects.filter(status__in=[PassStatus.ISSUED, PassStatus.SUSPENDED], valid_until__lte=now).update(
        status=PassStatus.EXPIRED, status_changed_at=now
    )


def record_check(
    *,
    actor: User | None,
    checkpoint: Unit | None,
    verdict: str,
    pass_id: int | None,
    pass_number: str = "",
    holder: str = "",
    direction: str = "",
    confirmed: bool = False,
    checked_at: dt.datetime | None = None,
    source: str = CheckSource.API,
    client_id: str = "",
    list_version: int | None = None,
    scope_checked: bool = False,
) -> PassCheck:
    """Log one check. A check synced again from the page (same user and client id) is stored once.
    ``scope_checked``: the caller has already checked the checkpoint against the actor's scope."""
    if checkpoint is not None and actor is not None and not scope_checked and not unit_in_scope(actor, checkpoint.pk):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    if pass_id is not None and not pass_number:
        pass_number = Pass.objects.filter(pk=pass_id).values_list("number", flat=True).first() or ""
        if not pass_number:
            pass_id = None
    check = PassCheck(
        pass_obj_id=pass_id, pass_number=pass_number[:16], holder=holder[:100], checkpoint=checkpoint,
        verdict=verdict, direction=direction, confirmed=confirmed, checked_at=checked_at or timezone.now(),
        checked_by=actor, source=source, client_id=client_id[:40], list_version=list_version,
    )
    if client_id and actor is not None:
        existing = PassCheck.objects.filter(checked_by=actor, client_id=client_id[:40]).first()
        if existing is not None:
            return existing
    # Committed with the database's ordinary durability: once the answer carries the check's id,
    # the passage is on disk.
    check.save()
    return check
