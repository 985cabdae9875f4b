"""The passes API: online verification with logging, the public keys and the revocation list,
and the office's list, issue and revoke. Every list is limited to the caller's scope."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import scope_covers, user_has_perm
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import selectors, services
from .choices import CheckSource, Direction, PassKind, Verdict
from .filtersets import PassCheckFilterSet
from .keys import public_key_document
from .models import Pass, PassCheck
from .tokens import PassClaims

router = Router(tags=["passes"])


class VerifyIn(Schema):
    token: str = Field("", description="The text of the QR code (FK1:...). Either this or number.")
    number: str = Field("", description=(
        "The pass number printed on the card (e.g. S4KX-7M2Q-9T), when the code cannot be scanned. Needs "
        "checkpoint; a mistyped number fails its check character (400); lookups are limited per user and minute "
        "(429) and audited; holder details only when the pass is valid in the checkpoint's zone."
    ))
    checkpoint: str = Field("", description="Code of the checkpoint where the pass is checked (zone check and log).")
    direction: Direction | None = None
    log: bool = Field(True, description="Record the check in the passage log.")


class VerifyOut(Schema):
    verdict: Verdict
    label: str = Field(description="The verdict in the user's language (有效, 已吊销, ...).")
    valid: bool
    pass_id: int | None
    pass_number: str
    kind: str
    holder: str
    unit: str
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    check_id: int | None


def _require(request: HttpRequest, perm: str) -> None:
    if not user_has_perm(request.user, perm):
        raise PermissionDenied(_("Your role may not do this."))


@router.post("/verify", response=VerifyOut, summary="Verify a pass at a checkpoint and log the check")
def verify(request: HttpRequest, payload: VerifyIn) -> dict[str, Any] | HttpResponse:
    _require(request, "passes.verify")
    checkpoint = None
    if payload.checkpoint:
        zone = selectors.checkpoint_zone(payload.checkpoint)
        # The scope rule as the lean path asks it (core.scoping.scope_covers), on the same cached zone.
        scope = selectors.user_scope_units(request.user.pk) if zone else []  # type: ignore[arg-type]
        if zone is None or not scope_covers(scope, zone[1]):
            raise HttpError(404, _("No such checkpoint in your scope."))
        checkpoint = zone[0]
    if not payload.token and payload.number:
        return _verify_number(request, payload, checkpoint)
    token = payload.token
    if not token:
        result = selectors.Verification(verdict=Verdict.NOT_FOUND, claims=None)
    else:
        result = selectors.verify_token(token, checkpoint_code=payload.checkpoint or None)
    claims, p = result.claims, result.pass_obj
    check_id = None
    if payload.log:
        check = services.record_check(
            actor=request.user, checkpoint=Unit(pk=checkpoint) if checkpoint else None,  # type: ignore[arg-type]
            verdict=result.verdict, pass_id=p.pk if p else None, pass_number=p.number if p else payload.number,
            holder=claims.holder if claims else "", direction=payload.direction or "", confirmed=False,
            source=CheckSource.API, scope_checked=True,
        )
        check_id = check.pk
    return _answer(result.verdict, result.label, p, claims, check_id)


def _answer(verdict: str, label: str, p: Pass | None, claims: PassClaims | None, check_id: int | None) -> dict[str, Any]:
    return {
        "verdict": verdict, "label": label, "valid": verdict == Verdict.VALID,
        "pass_id": p.pk if p else None, "pass_number": p.number if p else "",
        "kind": claims.kind if claims else "", "holder": claims.holder if claims else "",
        "unit": claims.unit_name if claims else "",
        "valid_from": claims.valid_from if claims else None, "valid_until": claims.valid_until if claims else None,
        "check_id": check_id,
    }


def _verify_number(request: HttpRequest, payload: VerifyIn, checkpoint: int | None) -> dict[str, Any] | HttpResponse:
    """A typed number: only at a checkpoint, rate-limited, audited, and answered with the pass's
    details only where it is valid (``services.lookup_by_number``). Never the stored token."""
    if checkpoint is None:
        raise HttpError(400, _("A lookup by number needs the checkpoint where the pass is shown."))
    try:
        found = services.lookup_by_number(
            actor=request.user, number=payload.number,  # type: ignore[arg-type]
            checkpoint=Unit(pk=checkpoint, code=payload.checkpoint), direction=payload.direction or "",
            log=payload.log, source=CheckSource.API,
        )
    except services.LookupThrottled as exc:
        response = JsonResponse({"detail": exc.message}, status=429, json_dumps_params={"ensure_ascii": False})
        response["Retry-After"] = str(exc.retry_after)
        return response
    return _answer(found.verdict, found.label, found.pass_obj, found.claims, found.check_id)


class KeyOut(Schema):
    kid: int
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, base64.")
    retired: bool


@router.get("/keys", response=list[KeyOut], summary="Public keys that verify pass tokens")
def keys(request: HttpRequest) -> list[dict[str, object]]:
    _require(request, "passes.verify")
    return public_key_document()


class RevocationOut(Schema):
    kid: int
    payload: str = Field(description='JSON text: {"version", "issued_at", "revoked", "suspended", "ended", "max_age"}.')
    sig: str = Field(description="Ed25519 signature of the payload's UTF-8 bytes, base64.")


@router.get("/revocations", response=RevocationOut, summary="The signed, versioned revocation list")
def revocations(request: HttpRequest) -> dict[str, Any]:
    _require(request, "passes.verify")
    return selectors.revocation_document()


class PassOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    holder: str
    plate: str
    unit_id: int
    purpose: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    token: str
    zone_ids: list[int]

    @staticmethod
    def resolve_holder(obj: Pass) -> str:
        return obj.holder_display

    @staticmethod
    def resolve_zone_ids(obj: Pass) -> list[int]:
        return [z.pk for z in obj.zones.all()]


class PassFilter(Schema):
    kind: PassKind | None = None
    status: str | None = None
    unit: int | None = None
    issued_before: dt.datetime | None = None


class PassPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PassOut]


@router.get("/", response=PassPage, summary="Passes in your scope")
def list_passes(request: HttpRequest, filters: Query[PassFilter], page: Query[PageParams]) -> dict[str, Any]:
    qs = Pass.objects.visible_to(request.user).select_related("person").prefetch_related("zones").order_by("id")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        qs = qs.under(filters.unit)
    if filters.issued_before:
        qs = qs.filter(issued_at__lt=filters.issued_before)
    return paginate(qs, page)


class CheckOut(Schema):
    id: int
    pass_number: str
    holder: str
    checkpoint_id: int | None
    verdict: str
    direction: str
    checked_at: dt.datetime
    source: str


class CheckPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CheckOut]


class CheckFilter(Schema):
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    verdict: str | None = None
    refused: bool | None = None


@router.get("/checks", response=CheckPage, summary="The passage log of the checkpoints in your scope")
def list_checks(request: HttpRequest, filters: Query[CheckFilter], page: Query[PageParams]) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = PassCheckFilterSet(data, queryset=PassCheck.objects.visible_to(request.user))
    qs = filterset.qs if filterset.is_valid() else PassCheck.objects.none()
    return paginate(qs.order_by("-checked_at", "-id"), page)


class IssueIn(Schema):
    kind: PassKind
    person_id: int | None = None
    plate: str = ""
    driver_name: str = ""
    owner_name: str = ""
    unit_id: int | None = None
    zone_ids: list[int] = []
    purpose: str = ""
    valid_from: dt.date
    valid_until: dt.date


@router.post("/", response={201: PassOut}, summary="Issue a staff or vehicle pass")
def issue(request: HttpRequest, payload: IssueIn) -> Status:
    _require(request, "passes.change")
    zones = list(Unit.objects.visible_to(request.user).filter(pk__in=payload.zone_ids))
    if len(zones) != len(set(payload.zone_ids)):
        raise HttpError(404, _("A zone is not in your scope."))
    start, end = services.day_bounds(payload.valid_from, payload.valid_until)
    if payload.kind == PassKind.STAFF:
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
        unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id) if payload.unit_id else None
        p = services.issue_staff_pass(
            actor=request.user, person=person, unit=unit, valid_from=start, valid_until=end,  # type: ignore[arg-type]
            zones=zones, purpose=payload.purpose,
        )
    else:
        unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id)
        p = services.issue_vehicle_pass(
            actor=request.user, plate=payload.plate, unit=unit, valid_from=start, valid_until=end,  # type: ignore[arg-type]
            driver_name=payload.driver_name, owner_name=payload.owner_name, zones=zones, purpose=payload.purpose,
        )
    return Status(201, p)


class RevokeIn(Schema):
    reason: str = ""


@router.post("/{pass_id}/revoke", response=PassOut, summary="Revoke a pass (it goes on the revocation list)")
def revoke(request: HttpRequest, pass_id: int, payload: RevokeIn) -> Pass:
    p = get_object_or_404(Pass.objects.visible_to(request.user), pk=pass_id)
    return services.revoke_pass(actor=request.user, p=p, reason=payload.reason)  # type: ignore[arg-type]


