"""Issuing, withdrawing and checking passes. Every write goes through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.models import AuditEntry
from fangkong.audit.services import audit_change, audit_log, snapshot
from fangkong.core import clock
from fangkong.core.actors import user_of
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import selectors, tokens
from .choices import CheckSource, PassKind, PassStatus, Verdict
from .keys import current_key
from .models import Pass, PassCheck, RevocationList
from .numbering import NumberError, new_number, parse_number
from .plates import validate_plate

if TYPE_CHECKING:
    from fangkong.accounts.models import User
    from fangkong.core.actors import Actor

ZONE_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT)


def day_bounds(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A validity window of whole days in local time: from the first midnight to the one after the last day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(starts_on, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


def _require(actor: Actor, perm: str) -> None:
    # No actor holds no permission: system work (the console) passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _require_unit(actor: Actor, unit_id: int) -> None:
    if not unit_in_scope(actor, unit_id):
        raise PermissionDenied(_("This unit is outside your scope."))


def _check_common(
    *, actor: Actor, unit: Unit, zones: Sequence[Unit], valid_from: dt.datetime, valid_until: dt.datetime
) -> None:
    _require(actor, "passes.change")
    _require_unit(actor, unit.pk)
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


def unused_number(kind: str) -> str:
    """A random pass number (``numbering``) that no pass holds yet. A clash among 32⁸ numbers is
    rare enough that one indexed look-up per pass settles it; the unique index stays the guard."""
    while True:
        number = new_number(kind)
        if not Pass.objects.filter(number=number).exists():
            return number


def _sign(p: Pass, zones: Sequence[Unit], private: Any) -> None:
    # The token names the pass by its id, so it is signed once the row exists.
    p.token = tokens.sign(_claims(p, [z.pk for z in zones]), private)
    Pass.objects.filter(pk=p.pk).update(token=p.token)
    if zones:
        p.zones.set(zones)


@transaction.atomic
def issue_staff_pass(
    *,
    actor: Actor,
    person: Person,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    zones: Sequence[Unit] = (),
    purpose: str = "",
    unit: Unit | None = None,
    audit: bool = True,
) -> Pass:
    """A staff pass (出入证) for a person, signed with the current key. The holder must be in the
    actor's scope as well as the unit the pass is issued for."""
    unit = unit or person.unit
    _check_common(actor=actor, unit=unit, zones=zones, valid_from=valid_from, valid_until=valid_until)
    if not (unit_in_scope(actor, person.unit_id) or unit_in_scope(actor, person.branch_id)):
        raise PermissionDenied(_("This person is outside your scope."))
    key, private = current_key()
    p = Pass(
        number=unused_number(PassKind.STAFF), kind=PassKind.STAFF, person=person, unit=unit, purpose=purpose,
        valid_from=valid_from, valid_until=valid_until, key=key, issued_by=user_of(actor), issued_at=clock.now(),
    )
    p.full_clean(exclude=["number", "token"])  # number: unused_number checked it
    p.save()
    _sign(p, zones, private)
    if audit:
        audit_change(actor=actor, obj=p, before=None)
    return p


@transaction.atomic
def issue_vehicle_pass(
    *,
    actor: Actor,
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
    now = clock.now()
    # A pass past its end is no longer live: mark it so before looking for a live one.
    Pass.objects.filter(kind=PassKind.VEHICLE, plate=plate, status=PassStatus.ISSUED, valid_until__lte=now).update(
        status=PassStatus.EXPIRED, status_changed_at=now
    )
    live = Pass.objects.filter(kind=PassKind.VEHICLE, plate=plate, status__in=[PassStatus.ISSUED, PassStatus.SUSPENDED])
    existing = live.first()
    if existing is not None:
        # The live pass's number only for an actor who may see that pass: a plate is no way to
        # read another scope's passes.
        if Pass.objects.visible_to(actor).filter(pk=existing.pk).exists():
            raise ValidationError(
                {"plate": _("%(plate)s already has a live pass (%(number)s); revoke it first.")
                 % {"plate": plate, "number": existing.number}}
            )
        raise ValidationError({"plate": _("%(plate)s already has a live pass; revoke it first.") % {"plate": plate}})
    key, private = current_key()
    p = Pass(
        number=unused_number(PassKind.VEHICLE), kind=PassKind.VEHICLE, plate=plate, driver_name=driver_name.strip(),
        owner_name=owner_name.strip(), unit=unit, purpose=purpose, valid_from=valid_from,
        valid_until=valid_until, key=key, issued_by=user_of(actor), issued_at=clock.now(),
    )
    p.full_clean(exclude=["number", "token"], validate_constraints=False)
    try:
        with transaction.atomic():
            p.save()
    except IntegrityError:  # a concurrent issue for the same plate won the race
        raise ValidationError({"plate": _("%(plate)s already has a live pass; revoke it first.") % {"plate": plate}}) from None
    _sign(p, zones, private)
    if audit:
        audit_change(actor=actor, obj=p, before=None)
    return p


@transaction.atomic
def issue_department_passes(
    *,
    actor: Actor,
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

    _require(actor, "passes.change")
    _require_unit(actor, department.pk)
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
    now = clock.now()
    withdrawn = Pass.objects.filter(valid_until__gt=now)
    revoked = sorted(withdrawn.filter(status=PassStatus.REVOKED).values_list("id", flat=True))
    suspended = sorted(withdrawn.filter(status=PassStatus.SUSPENDED).values_list("id", flat=True))
    version = (RevocationList.objects.select_for_update().aggregate(m=Max("version"))["m"] or 0) + 1
    return RevocationList.objects.create(version=version, revoked=revoked, suspended=suspended)


def _set_status(*, actor: Actor, p: Pass, status: str, reason: str, allowed_from: set[str]) -> Pass:
    _require(actor, "passes.change")
    p = Pass.objects.select_for_update().get(pk=p.pk)
    _require_unit(actor, p.unit_id)
    if p.status not in allowed_from:
        raise ValidationError(
            _("This pass is %(status)s and cannot be changed that way.") % {"status": p.get_status_display()}
        )
    before = snapshot(p)
    p.status = status
    p.status_reason = reason.strip()[:200]
    p.status_changed_at = clock.now()
    p.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_change(actor=actor, obj=p, before=before)
    _publish_revocations()
    return p


@transaction.atomic
def revoke_pass(*, actor: Actor, p: Pass, reason: str = "") -> Pass:
    """Withdraw a pass for good; it goes on the next revocation list."""
    return _set_status(
        actor=actor, p=p, status=PassStatus.REVOKED, reason=reason,
        allowed_from={PassStatus.ISSUED, PassStatus.SUSPENDED},
    )


@transaction.atomic
def suspend_pass(*, actor: Actor, p: Pass, reason: str = "") -> Pass:
    return _set_status(
        actor=actor, p=p, status=PassStatus.SUSPENDED, reason=reason, allowed_from={PassStatus.ISSUED}
    )


@transaction.atomic
def reinstate_pass(*, actor: Actor, p: Pass, reason: str = "") -> Pass:
    return _set_status(
        actor=actor, p=p, status=PassStatus.ISSUED, reason=reason, allowed_from={PassStatus.SUSPENDED}
    )


def expire_passes(*, now: dt.datetime | None = None) -> int:
    """Mark passes past their end as expired (kept for the record; no longer live)."""
    now = now or clock.now()
    return Pass.objects.filter(status__in=[PassStatus.ISSUED, PassStatus.SUSPENDED], valid_until__lte=now).update(
        status=PassStatus.EXPIRED, status_changed_at=now
    )


def record_check(
    *,
    actor: Actor,
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
    The actor must be allowed to verify passes; ``scope_checked``: the caller has already checked
    the checkpoint against the actor's scope."""
    _require(actor, "passes.verify")
    if checkpoint is not None and not scope_checked and not unit_in_scope(actor, checkpoint.pk):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    if pass_id is not None and not pass_number:
        pass_number = Pass.objects.filter(pk=pass_id).values_list("number", flat=True).first() or ""
        if not pass_number:
            pass_id = None
    check = PassCheck(
        pass_obj_id=pass_id, pass_number=pass_number[:16], holder=holder[:100], checkpoint=checkpoint,
        verdict=verdict, direction=direction, confirmed=confirmed, checked_at=checked_at or clock.now(),
        checked_by=user_of(actor), source=source, client_id=client_id[:40], list_version=list_version,
    )
    if client_id and user_of(actor) is not None:
        existing = PassCheck.objects.filter(checked_by=user_of(actor), client_id=client_id[:40]).first()
        if existing is not None:
            return existing
    # Committed with the database's ordinary durability: once the answer carries the check's id,
    # the passage is on disk.
    check.save()
    return check


# ---- looking a pass up by its number -----------------------------------------------------------

LOOKUPS_PER_MINUTE = 20
"""Lookups by number one user may make in a minute (setting ``PASS_LOOKUPS_PER_MINUTE``): plenty
for an officer typing numbers from cards, nothing for walking through numbers."""

def number_or_error(text: str) -> str:
    """The stored form of a typed pass number, or a ValidationError on ``number`` that says what
    is wrong with it (asked before anything is looked up, counted or logged)."""
    try:
        return parse_number(text)
    except NumberError as exc:
        if exc.code == "empty":
            message = _("Type the pass number.")
        elif exc.code == "legacy":
            message = _("This is an old pass number, no longer in use: scan the QR code, or use the new number "
                        "shown on the pass's page.")
        elif exc.code == "characters":
            message = _("A pass number has no %(chars)s: it never uses 0, 1, I or O.") % {"chars": exc.detail}
        elif exc.code == "length":
            message = _("A pass number is S or V and 9 more letters or digits, e.g. S4KX-7M2Q-9T.")
        else:
            message = _("The check character does not match: a character was probably mistyped. Compare the "
                        "number with the card.")
        raise ValidationError({"number": message}) from None


class LookupThrottled(Exception):
    """The user has made too many lookups by number in the last minute."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"{limit} per minute")
        self.limit, self.retry_after = limit, retry_after

    @property
    def message(self) -> str:
        return _("Too many lookups by pass number: at most %(n)d a minute. Try again in a minute.") % {"n": self.limit}


@dataclass
class NumberLookup:
    """What a lookup by number may tell its caller: the pass and its claims only when the pass is
    valid in the checkpoint's zone; otherwise the verdict alone (``wrong_zone`` or ``not_found``)."""

    verdict: str
    number: str
    pass_obj: Pass | None = None
    claims: tokens.PassClaims | None = None
    check_id: int | None = None

    @property
    def label(self) -> str:
        return str(Verdict(self.verdict).label)


def lookup_limit() -> int:
    return int(getattr(settings, "PASS_LOOKUPS_PER_MINUTE", LOOKUPS_PER_MINUTE))


def _within_limit(actor: User, now: dt.datetime) -> bool:
    """Count the actor's lookups of the last minute in the audit log (each lookup writes one
    entry there anyway, and every web worker sees the same count). The actor's row is locked so
    two lookups at once do not both take the last one; refusals are audited once a minute."""
    from fangkong.accounts.models import User

    User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
    since = now - dt.timedelta(minutes=1)
    recent = AuditEntry.objects.filter(action=Action.PASS_LOOKUP, actor=actor, at__gte=since)
    if recent.count() < lookup_limit():
        return True
    if not AuditEntry.objects.filter(action=Action.RATE_LIMITED, actor=actor, at__gte=since).exists():
        audit_log(actor=actor, action=Action.RATE_LIMITED, object_type="passes.pass",
                  detail=f"pass lookups by number: {lookup_limit()} a minute")
    return False


def lookup_by_number(
    *,
    actor: Actor,
    number: str,
    checkpoint: Unit,
    direction: str = "",
    log: bool = True,
    source: str = CheckSource.API,
    now: dt.datetime | None = None,
) -> NumberLookup:
    """Verify a pass by its typed number at ``checkpoint``: the one way to look a pass up by
    number (API, checkpoint page, ``verify_pass``). The stored token is never handed out.

    - The number is checked first (check character): a typo is a ValidationError on ``number``.
    - The checkpoint must be in the actor's scope (PermissionDenied); ``actor`` ``SYSTEM`` is the console.
    - At most ``PASS_LOOKUPS_PER_MINUTE`` a minute per actor (``LookupThrottled``).
    - A pass not valid in the checkpoint's zone answers ``wrong_zone`` and nothing about its
      holder; the check logged for it (``log``) carries the typed number only, not the pass: a
      lookup from outside the zone reads nothing and writes nothing onto the pass's record.
    - Every lookup is audited (the number, the checkpoint and the verdict).
    """
    canonical = number_or_error(number)
    _require(actor, "passes.verify")
    if not unit_in_scope(actor, checkpoint.pk):
        raise PermissionDenied(_("This checkpoint is outside your scope."))
    # The limit counts audit entries, whose times are the real clock's (security time); the check
    # itself happens at the business moment.
    limit_at = now or clock.real_now()
    now = now or clock.now()
    user = user_of(actor)
    with transaction.atomic():
        # The console (``SYSTEM``) is not rate-limited: it has no account to count against.
        if user is not None and not _within_limit(user, limit_at):
            allowed = False
        else:
            allowed = True
            result = _lookup(actor=actor, number=canonical, checkpoint=checkpoint, direction=direction, log=log,
                             source=source, now=now)
    if not allowed:
        raise LookupThrottled(lookup_limit(), 60)
    return result


def _lookup(*, actor: Actor, number: str, checkpoint: Unit, direction: str, log: bool, source: str,
            now: dt.datetime) -> NumberLookup:
    zone = selectors.checkpoint_zone(checkpoint.code)
    zone_ids = zone[1] if zone is not None else frozenset({checkpoint.pk})
    p = selectors.find_by_number(number)
    if p is None:
        result = NumberLookup(verdict=Verdict.NOT_FOUND, number=number)
    elif not selectors.valid_in_zone(p, zone_ids):
        result = NumberLookup(verdict=Verdict.WRONG_ZONE, number=number)
    else:
        found = selectors.verify_token(p.token, checkpoint_code=checkpoint.code, now=now)
        result = NumberLookup(verdict=found.verdict, number=p.number, pass_obj=p, claims=found.claims)
    audit_log(
        actor=actor, action=Action.PASS_LOOKUP, object_type="passes.pass", object_id=str(p.pk) if p else "",
        object_repr=number, detail=f"{checkpoint.code} {result.verdict}",
    )
    if log:
        check = record_check(
            actor=actor, checkpoint=checkpoint, verdict=result.verdict,
            pass_id=result.pass_obj.pk if result.pass_obj else None, pass_number=number,
            holder=result.claims.holder if result.claims else "", direction=direction, checked_at=now,
            source=source, scope_checked=True,
        )
        result.check_id = check.pk
    return result
