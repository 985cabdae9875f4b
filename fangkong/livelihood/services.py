"""Writing the livelihood line: the catalogue, the daily volumes per channel, and help requests
from registration to the household's confirmation. Pages, the API and the demo come through here.

A household confirms with a one-time link: a random token (``secrets.token_urlsafe``), of which
only its SHA-256 is stored; using it clears the digest, so a link works once, and a forged or
used link answers exactly like one that never existed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.audit.services import audit_change, snapshot
from fangkong.core import clock
from fangkong.core.actors import user_of
from fangkong.core.fieldcrypt import seal_one
from fangkong.core.idcard import mask_phone, normalize_phone
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from .choices import ClosedBy, HelpKind, HelpStatus
from .models import Channel, ChannelVolume, HelpRequest, WindowService

if TYPE_CHECKING:
    from fangkong.core.actors import Actor
    from fangkong.deployment.models import Secondment

WINDOW_KINDS = (UnitKind.DEPARTMENT,)


def _require(actor: Actor, perm: str) -> None:
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- the catalogue ----------------------------------------------------------------------------


@transaction.atomic
def channel_create(*, actor: Actor, code: str, name: str, description: str = "", position: int = 0) -> Channel:
    _require(actor, "livelihood.change")
    channel = Channel(code=code, name=clean_text(name, max_length=30),
                      description=clean_text(description, max_length=200), position=position)
    channel.full_clean()
    channel.save()
    audit_change(actor=actor, obj=channel, before=None)
    return channel


@transaction.atomic
def service_create(*, actor: Actor, department: Unit, name: str, channels: list[Channel]) -> WindowService:
    _require(actor, "livelihood.change")
    if department.kind not in WINDOW_KINDS:
        raise ValidationError({"department": [_("A window service belongs to a department.")]})
    if not channels:
        raise ValidationError({"channels": [_("Name at least one channel.")]})
    service = WindowService(department=department, name=clean_text(name, max_length=100))
    service.full_clean()
    service.save()
    service.channels.set(channels)
    audit_change(actor=actor, obj=service, before=None)
    return service


@transaction.atomic
def volumes_record(*, actor: Actor, service: WindowService, day: dt.date, counts: dict[int, int]) -> int:
    """Record one day's cases per channel of a service (channel id → count). Only the channels the
    service offers; a channel left out keeps what it had. Returns the rows written."""
    _require(actor, "livelihood.report")
    if not unit_in_scope(actor, service.department_id):
        raise PermissionDenied(_("You can only report for departments in your scope."))
    if day > clock.today():
        raise ValidationError({"day": [_("A day in the future cannot be reported.")]})
    offered = set(service.channels.values_list("id", flat=True))
    unknown = set(counts) - offered
    if unknown:
        raise ValidationError({"counts": [_("The service is not offered through that channel.")]})
    if any(n < 0 for n in counts.values()):
        raise ValidationError({"counts": [_("A count cannot be negative.")]})
    now = clock.now()
    written = 0
    for channel_id, n in sorted(counts.items()):
        row = ChannelVolume.objects.filter(service=service, channel_id=channel_id, day=day).first()
        before = snapshot(row) if row else None
        if row is None:
            row = ChannelVolume(service=service, channel_id=channel_id, department_id=service.department_id, day=day,
                                count=n, recorded_by=user_of(actor), recorded_at=now)
        elif row.count == n:
            continue
        else:
            row.count, row.recorded_by, row.recorded_at = n, user_of(actor), now
        row.save()
        audit_change(actor=actor, obj=row, before=before)
        written += 1
    return written


# -- help requests ----------------------------------------------------------------------------


def _may_handle(actor: Actor, request: HelpRequest) -> bool:
    return HelpRequest.objects.visible_to(actor).filter(pk=request.pk).exists()


def _assignee_place(assignee: Secondment | None, community: Unit) -> int | None:
    if assignee is None:
        return None
    if assignee.unit_id is None or not UnitLink.objects.filter(
            ancestor_id=community.pk, descendant_id=assignee.unit_id).exists():
        raise ValidationError({"assignee": [_("The cadre is not placed in this community.")]})
    return assignee.unit_id


@transaction.atomic
def help_register(
    *, actor: Actor, community: Unit, household: str, address: str, kind: str, details: str,
    due_at: dt.datetime | None, phone: str = "", assignee: Secondment | None = None, volunteer: str = "",
) -> HelpRequest:
    """A community registers what a household in isolation needs, with a due time."""
    _require(actor, "livelihood.help")
    if community.kind != UnitKind.COMMUNITY or not unit_in_scope(actor, community.pk):
        raise ValidationError({"community": [_("Choose a community in your scope.")]})
    errors: dict[str, list[str]] = {}
    if due_at is None:
        errors["due_at"] = [_("Give the time by which it must be done.")]
    if kind not in HelpKind.values:
        errors["kind"] = [_("Choose what kind of help it is.")]
    if errors:
        raise ValidationError(errors)
    request = HelpRequest(
        community=community, household=clean_text(household, max_length=40),
        address=clean_text(address, max_length=100), kind=kind, details=clean_text(details, max_length=300),
        due_at=due_at, registered_at=clock.now(), registered_by=user_of(actor),  # type: ignore[misc]
        volunteer=clean_text(volunteer, max_length=40),
    )
    if phone:
        number = normalize_phone(phone)
        request.phone_cipher, request.phone_masked = seal_one(number, "phone"), mask_phone(number)
    if assignee is not None:
        request.assignee, request.place_id = assignee, _assignee_place(assignee, community)
    request.full_clean()
    request.save()
    audit_change(actor=actor, obj=request, before=None)
    return request


@transaction.atomic
def help_assign(*, actor: Actor, request: HelpRequest, assignee: Secondment | None = None,
                volunteer: str = "", due_at: dt.datetime | None = None) -> HelpRequest:
    _require(actor, "livelihood.help")
    if not _may_handle(actor, request):
        raise PermissionDenied(_("This request is not in your scope."))
    if request.status == HelpStatus.CLOSED:
        raise ValidationError(_("The request is closed."))
    if assignee is None and not volunteer.strip():
        raise ValidationError({"assignee": [_("Choose a seconded cadre or name a volunteer.")]})
    before = snapshot(request)
    request.assignee = assignee
    request.place_id = _assignee_place(assignee, request.community)
    request.volunteer = "" if assignee is not None else clean_text(volunteer, max_length=40)
    if due_at is not None:
        request.due_at = due_at
    request.save()
    audit_change(actor=actor, obj=request, before=before)
    return request


@transaction.atomic
def help_mark_done(*, actor: Actor, request: HelpRequest, note: str = "") -> tuple[HelpRequest, str]:
    """The cadre marks the errand done (on a phone). Returns the household's one-time
    confirmation token: shown once, only its digest is kept."""
    _require(actor, "livelihood.done")
    if not _may_handle(actor, request):
        raise PermissionDenied(_("This request is not in your scope."))
    if request.status != HelpStatus.OPEN:
        raise ValidationError(_("Only an open request can be marked done."))
    before = snapshot(request)
    token = secrets.token_urlsafe(24)
    request.status, request.done_at = HelpStatus.DONE, clock.now()
    request.done_note = clean_text(note, max_length=200)
    request.confirm_digest = token_digest(token)
    request.save()
    audit_change(actor=actor, obj=request, before=before)
    return request, token


@transaction.atomic
def help_new_link(*, actor: Actor, request: HelpRequest) -> str:
    """A new confirmation link (the old one stops working)."""
    _require(actor, "livelihood.done")
    if not _may_handle(actor, request) or request.status != HelpStatus.DONE:
        raise ValidationError(_("Only a done request awaiting confirmation has a link."))
    token = secrets.token_urlsafe(24)
    HelpRequest.objects.filter(pk=request.pk).update(confirm_digest=token_digest(token))
    request.confirm_digest = token_digest(token)
    return token


def help_by_token(token: str) -> HelpRequest | None:
    """The request a confirmation token opens, or None (forged, used or replaced: one answer)."""
    if not token or len(token) > 100:
        return None
    return HelpRequest.objects.filter(confirm_digest=token_digest(token), status=HelpStatus.DONE).first()


@transaction.atomic
def help_confirm_by_household(*, token: str) -> HelpRequest | None:
    """The household's confirmation through its link: closes the request and uses up the link."""
    from fangkong.core.actors import SYSTEM

    digest = token_digest(token) if token and len(token) <= 100 else ""
    request = (HelpRequest.objects.select_for_update().filter(confirm_digest=digest, status=HelpStatus.DONE).first()
               if digest else None)
    if request is None:
        return None
    before = snapshot(request)
    request.status, request.closed_at, request.closed_by = HelpStatus.CLOSED, clock.now(), ClosedBy.HOUSEHOLD
    request.confirm_digest = ""
    request.save()
    audit_change(actor=SYSTEM, obj=request, before=before)
    return request


@transaction.atomic
def help_confirm_by_call(*, actor: Actor, request: HelpRequest, note: str = "") -> HelpRequest:
    """The community called the household and closes the request (done or not by the cadre)."""
    _require(actor, "livelihood.help")
    if not _may_handle(actor, request):
        raise PermissionDenied(_("This request is not in your scope."))
    if request.status == HelpStatus.CLOSED:
        raise ValidationError(_("The request is closed."))
    before = snapshot(request)
    now = clock.now()
    request.done_at = request.done_at or now
    request.status, request.closed_at, request.closed_by = HelpStatus.CLOSED, now, ClosedBy.CALL
    request.confirm_digest = ""
    if note:
        request.done_note = clean_text(note, max_length=200)
    request.save()
    audit_change(actor=actor, obj=request, before=before)
    return request


def help_phone(request: HelpRequest) -> str:
    from fangkong.core.fieldcrypt import unseal_one

    return unseal_one(request.phone_cipher, "phone") if request.phone_cipher else ""
