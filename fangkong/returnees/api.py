"""The ledger's API: list/filter/detail/register/update, follow-ups, isolation actions,
dual-report figures, ledger imports and attribution conflicts. Every answer is limited to the
caller's scope."""

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.orgs.models import Unit

from . import imports, selectors, services
from .choices import ConflictStatus
from .filtersets import ReturneeFilterSet
from .models import AttributionConflict, IsolationOrder, LedgerImport, Returnee

router = Router(tags=["returnees"])


class RegistrationOut(Schema):
    side: str
    unit_id: int
    unit_name: str
    registered_at: dt.datetime

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)


class IsolationOut(Schema):
    start_date: dt.date
    period_days: int
    planned_end: dt.date
    released_on: dt.date | None


class ReturneeOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="Masked (220602********1234).")
    phone: str = Field(description="Masked (139****1234).")
    sex: str
    birth_year: int = Field(description="The year only: beside the masked number, a birth date would complete it.")
    unit_id: int | None
    community_id: int | None
    category: str
    origin_code: str
    origin_text: str
    transport: str
    return_date: dt.date | None
    line: str
    coordinating_body_id: int | None
    dual_state: str
    unit_reported_at: dt.datetime | None
    community_reported_at: dt.datetime | None

    @staticmethod
    def resolve_id_number(obj: Returnee) -> str:
        return obj.masked_id_number

    @staticmethod
    def resolve_phone(obj: Returnee) -> str:
        return obj.masked_phone


class ReturneeDetailOut(ReturneeOut):
    id: int | None = Field(  # type: ignore[assignment]
        description="None when the registration met a person held outside your scope (see awaiting_decision)."
    )
    address: str
    notes: str
    registrations: list[RegistrationOut]
    isolation: IsolationOut | None
    awaiting_decision: bool = Field(
        description="The person's attribution is disputed and awaits the committee office (归属争议). In the answer "
        "to a registration that met a person held outside your scope, everything else is what you sent."
    )
    conflict_id: int | None = Field(description="Your claim, when the answer is to such a registration.")

    @staticmethod
    def resolve_registrations(obj: Returnee) -> list[Any]:
        if obj.standin_registrations is not None:
            return obj.standin_registrations
        return list(selectors.standing(obj.registrations.all()).select_related("unit"))

    @staticmethod
    def resolve_isolation(obj: Returnee) -> Any:
        return getattr(obj, "isolation", None) if obj.pk is not None else None

    @staticmethod
    def resolve_awaiting_decision(obj: Returnee) -> bool:
        if obj.pk is None:
            return obj.attribution_conflict is not None and obj.attribution_conflict.is_open
        return selectors.open_conflicts(obj).exists()

    @staticmethod
    def resolve_conflict_id(obj: Returnee) -> int | None:
        return obj.attribution_conflict.pk if obj.attribution_conflict is not None else None


class ReturneePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ReturneeOut]


class ReturneeFilters(Schema):
    q: str | None = Field(None, max_length=50)
    line: str | None = None
    unit: int | None = None
    community: int | None = None
    coordinating_body: int | None = None
    category: str | None = None
    dual: str | None = Field(None, description="both, unit_only, community_only, one_side or suspect")
    isolation: str | None = Field(None, description="none, active, ended or released")
    returned_from: dt.date | None = None
    returned_to: dt.date | None = None
    as_of: dt.datetime | None = Field(None, description="As the ledger stood at this moment (ISO 8601 with offset).")
    ordering: str | None = None


class RegisterIn(Schema):
    side: str = Field(description="unit or community")
    name: str
    id_number: str
    phone: str = ""
    unit_id: int | None = Field(None, description="Employer unit.")
    community_id: int | None = Field(None, description="Residential community.")
    address: str = ""
    category: str = "outside"
    origin_code: str = ""
    origin_text: str = ""
    transport: str = ""
    return_date: dt.date | None = None
    notes: str = ""


class ReturneePatch(Schema):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    category: str | None = None
    origin_text: str | None = None
    transport: str | None = None
    return_date: dt.date | None = None
    notes: str | None = None


class FollowUpIn(Schema):
    day: dt.date
    temperature: Decimal = Field(max_digits=3, decimal_places=1)
    symptoms: str = ""
    at_home: bool = True


class FollowUpOut(Schema):
    id: int
    day: dt.date
    temperature: Decimal
    symptoms: str
    at_home: bool


class IsolationChangeIn(Schema):
    days: int = Field(description="Positive to extend, negative to shorten.", ge=-60, le=60)
    reason: str
    approver: str


class ReleaseIn(Schema):
    day: dt.date
    note: str = ""


class Figures(Schema):
    returnees: int
    dual_reported: int
    dual_report_rate: float
    unit_only: int
    community_only: int
    concealment_suspects: int


class GroupFigures(Figures):
    key: Any
    label: str | None


class ReturneeFiguresOut(Schema):
    as_of: dt.datetime
    city: Figures
    lines: list[GroupFigures]
    coordinating_bodies: list[GroupFigures]
    units: list[GroupFigures]
    communities: list[GroupFigures]


class ImportColumnOut(Schema):
    letter: str
    header: str
    samples: list[str] = Field(description="The first values, digits of IDs and phones masked.")
    key: str | None = Field(description="The field it fills; null: not imported.")
    how: str = Field(description="matched, mapped, ignored, unknown or duplicate (the last two need a choice).")
    suggestion: str | None = None


class ImportSplitOut(Schema):
    created: int
    updated: int
    unchanged: int
    dual: int = Field(description="People who become dual-reported through this file.")


class ImportOut(Schema):
    id: int
    side: str
    file_name: str
    sha256: str
    status: str = Field(description="queued, running, mapping (choose the columns: POST .../mapping), preview, "
                                    "rejected, committed or failed.")
    progress: int
    message: str
    total_rows: int
    created: int
    updated: int
    unchanged: int
    error_count: int
    errors: list[dict[str, Any]]
    columns: list[ImportColumnOut] = Field(description="Every column of the file and how it is placed.")
    missing: list[str] = Field(description="Required fields no column fills yet.")
    mapping: dict[str, str] = Field(description="The columns as placed by the uploader: header -> field ('' skip).")
    split: ImportSplitOut | None = Field(description="What the valid rows would do (preview) or did (commit).")
    committed_before: bool = Field(description="The same file was committed on this side before.")
    warnings: list[dict[str, Any]] = Field(description="Checked columns (sex, age, birth date, isolation) "
                                                       "that disagree: not problems unless strict.")
    rows: list[dict[str, Any]] = Field(description="The first rows as read, ID numbers and phones masked.")
    per_row: bool
    rejected: int = Field(description="Rows left out by a per-row commit (GET .../rejected for the file).")

    @staticmethod
    def resolve_columns(obj: LedgerImport) -> list[dict[str, Any]]:
        return list(obj.preview.get("columns", []))

    @staticmethod
    def resolve_missing(obj: LedgerImport) -> list[str]:
        return list(obj.preview.get("missing", []))

    @staticmethod
    def resolve_split(obj: LedgerImport) -> dict[str, int] | None:
        split: dict[str, int] | None = obj.preview.get("split")
        return split

    @staticmethod
    def resolve_committed_before(obj: LedgerImport) -> bool:
        return bool(obj.preview.get("committed_before"))

    @staticmethod
    def resolve_warnings(obj: LedgerImport) -> list[dict[str, Any]]:
        return list(obj.preview.get("warnings", []))

    @staticmethod
    def resolve_rows(obj: LedgerImport) -> list[dict[str, Any]]:
        return list(obj.preview.get("rows", []))


class ImportMappingIn(Schema):
    columns: dict[str, str] = Field(
        description="Column (its letter, or its header as in the file) -> field key, or '' not to import it.",
        examples=[{"返回时间": "return_date", "联系方式": "phone", "是否有发热咳嗽症状": ""}],
    )


class ConflictOut(Schema):
    id: int
    side: str
    status: str
    resolution: str
    reason: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    claiming_unit_id: int
    claimed: dict[str, Any] = Field(description="What the claimant typed (never the ID number or the phone).")
    returnee_id: int | None = Field(description="Only for the committee office.")
    current_unit_id: int | None = Field(description="Who holds the person: only for the committee office.")


class ConflictPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ConflictOut]


class ResolveIn(Schema):
    resolution: str = Field(description="keep, move or both")
    reason: str = Field(max_length=200)


def _conflict_out(request: HttpRequest, conflict: AttributionConflict) -> dict[str, Any]:
    office = user_has_perm(request.user, "returnees.resolve")
    return {
        "id": conflict.pk, "side": conflict.side, "status": conflict.status, "resolution": conflict.resolution,
        "reason": conflict.reason, "opened_at": conflict.opened_at, "resolved_at": conflict.resolved_at,
        "claiming_unit_id": conflict.claiming_unit_id, "claimed": conflict.claimed,
        "returnee_id": conflict.returnee_id if office else None,
        "current_unit_id": conflict.current_unit_id if office else None,
    }


def _visible(request: HttpRequest, returnee_id: int) -> Returnee:
    return get_object_or_404(Returnee.objects.visible_to(request.user), pk=returnee_id)


def _order(request: HttpRequest, returnee_id: int) -> IsolationOrder:
    returnee = _visible(request, returnee_id)
    return get_object_or_404(IsolationOrder, returnee=returnee)


@router.get("", response=ReturneePage, summary="List returnees in your scope")
def list_returnees(request: HttpRequest, filters: Query[ReturneeFilters], pages: Query[PageParams]) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = ReturneeFilterSet(data, queryset=Returnee.objects.visible_to(request.user), request=request)
    qs = filterset.qs if filterset.is_valid() else Returnee.objects.none()
    if "ordering" not in data:
        qs = qs.order_by("-return_date", "-id")
    return paginate(qs, pages)


@router.get("/figures", response=ReturneeFiguresOut, summary="Dual-report figures as of a date (end of day)")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "returnees.view"):
        raise PermissionDenied(_("Your role may not see the ledger."))
    if as_of is not None and not 1901 <= as_of.year <= 9998:
        # Before 1901 the zone's offset has seconds (local mean time), which no RFC 3339 time carries.
        raise HttpError(422, _("The date is out of range."))
    moment = selectors.end_of_day(as_of or as_of_default())
    qs = Returnee.objects.visible_to(request.user)
    return {
        "as_of": moment,
        "city": selectors.dual_figures(qs, moment),
        "lines": selectors.dual_by(qs, moment, "line"),
        "coordinating_bodies": selectors.dual_by(qs.exclude(coordinating_body=None), moment, "coordinating_body"),
        "units": selectors.dual_by(qs.exclude(unit=None), moment, "unit"),
        "communities": selectors.dual_by(qs.exclude(community=None), moment, "community"),
    }


@router.get("/imports/{import_id}", response=ImportOut, summary="An import's status, counts and problems")
def get_import(request: HttpRequest, import_id: int) -> LedgerImport:
    return get_object_or_404(LedgerImport.objects.visible_to(request.user), pk=import_id)


@router.post("/imports", response={201: ImportOut}, summary="Upload a ledger: preview, or commit when clean")
def upload_import(
    request: HttpRequest, side: Form[str], file: File[UploadedFile], commit: Form[bool] = False,
    mapping: Form[str] = "", strict: Form[bool] = False,
) -> Status[LedgerImport]:
    """``mapping``: JSON, header -> field key ('' not to import), for columns the synonyms do not
    place; a file that still needs a choice stops at status ``mapping`` with every column listed."""
    if not user_has_perm(request.user, "returnees.change"):
        raise PermissionDenied(_("Your role may not import ledgers."))
    if side not in {"unit", "community"}:
        raise HttpError(400, _("side must be unit or community"))
    if file.size and file.size > settings.FANGKONG_IMPORT_MAX_BYTES:
        raise HttpError(413, _("The file is larger than the import limit."))
    placed = _mapping_from_form(mapping, side)
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        for chunk in file.chunks():
            tmp.write(chunk)
        tmp.flush()
        ledger_import = imports.import_create(
            actor=request.user, side=side, source=Path(tmp.name), file_name=file.name or "ledger",  # type: ignore[arg-type]
            mapping=placed, strict=strict,
        )
    ledger_import = imports.import_start(ledger_import, commit=commit)
    imports.remember_mapping(ledger_import, actor=request.user)  # type: ignore[arg-type]
    return Status(201, ledger_import)


def _mapping_from_form(text: str, side: str) -> dict[str, str]:
    import json

    from fangkong.core.columnmap import normalize_header

    from .ledger.columns import check_mapping
    from .ledger.sniff import LedgerFileError

    if not text.strip():
        return {}
    try:
        given = json.loads(text)
    except ValueError:
        raise HttpError(400, _("mapping must be a JSON object of header to field.")) from None
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise HttpError(400, _("mapping must be a JSON object of header to field."))
    placed = {normalize_header(k): v for k, v in given.items()}
    try:
        check_mapping(placed, side)
    except LedgerFileError as exc:
        raise HttpError(400, exc.message) from None
    return placed


@router.post("/imports/{import_id}/mapping", response=ImportOut,
             summary="Place the columns of an import (remembered for your unit and this header set)")
def map_import(request: HttpRequest, import_id: int, payload: ImportMappingIn) -> LedgerImport:
    ledger_import = get_object_or_404(LedgerImport.objects.visible_to(request.user), pk=import_id)
    if not user_has_perm(request.user, "returnees.change"):
        raise PermissionDenied(_("Your role may not import ledgers."))
    try:
        return imports.import_map(ledger_import, actor=request.user, choices=payload.columns)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None


@router.post("/imports/{import_id}/commit", response=ImportOut, summary="Commit a previewed import")
def commit_import(request: HttpRequest, import_id: int, per_row: bool = False) -> LedgerImport:
    """``per_row``: commit the valid rows and leave out those with problems (GET .../rejected gives
    them back with the reasons); otherwise all-or-nothing."""
    ledger_import = get_object_or_404(LedgerImport.objects.visible_to(request.user), pk=import_id)
    imports.check_committer(ledger_import, request.user)  # type: ignore[arg-type]
    if ledger_import.status == "committed":
        return ledger_import
    if ledger_import.per_row != per_row:
        ledger_import.per_row = per_row
        ledger_import.save(update_fields=["per_row"])
    return imports.import_start(ledger_import, commit=True, actor=request.user)  # type: ignore[arg-type]


@router.get("/imports/{import_id}/rejected", summary="The rows a per-row commit left out, with reasons (xlsx)",
            response={200: bytes})
def rejected_rows(request: HttpRequest, import_id: int) -> HttpResponse:
    ledger_import = get_object_or_404(LedgerImport.objects.visible_to(request.user), pk=import_id)
    if not ledger_import.errors or ledger_import.purged_at or ledger_import.uploaded_by_id != request.user.pk:
        raise HttpError(404, _("No rows were left out of this import."))
    content = imports.rejected_rows_xlsx(ledger_import, actor=request.user)  # type: ignore[arg-type]
    return HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/conflicts", response=ConflictPage, summary="Attribution conflicts: all for the office, your claims else")
def list_conflicts(request: HttpRequest, pages: Query[PageParams], status: str | None = None) -> dict[str, Any]:
    qs = selectors.conflicts_visible_to(request.user)
    if status is not None:
        if status not in ConflictStatus.values:
            raise HttpError(400, _("status must be open or resolved"))
        qs = qs.filter(status=status)
    page = paginate(qs, pages)
    page["results"] = [_conflict_out(request, c) for c in page["results"]]
    return page


@router.get("/conflicts/{conflict_id}", response=ConflictOut, summary="One attribution conflict")
def get_conflict(request: HttpRequest, conflict_id: int) -> dict[str, Any]:
    conflict = get_object_or_404(selectors.conflicts_visible_to(request.user), pk=conflict_id)
    return _conflict_out(request, conflict)


@router.post("/conflicts/{conflict_id}/resolve", response=ConflictOut, summary="Decide an attribution conflict")
def resolve_conflict(request: HttpRequest, conflict_id: int, payload: ResolveIn) -> dict[str, Any]:
    if not user_has_perm(request.user, "returnees.resolve"):
        raise PermissionDenied(_("Your role may not decide attribution conflicts."))
    conflict = get_object_or_404(selectors.conflicts_visible_to(request.user), pk=conflict_id)
    conflict = services.conflict_resolve(actor=request.user, conflict=conflict, **payload.dict())  # type: ignore[arg-type]
    return _conflict_out(request, conflict)


@router.get("/{returnee_id}", response=ReturneeDetailOut, summary="One returnee with registrations and isolation")
def get_returnee(request: HttpRequest, returnee_id: int) -> Returnee:
    return _visible(request, returnee_id)


@router.post("", response={201: ReturneeDetailOut}, summary="Register a returnee from one side")
def register(request: HttpRequest, payload: RegisterIn) -> Status[Returnee]:
    data = payload.dict()
    # Either side may name a unit outside its scope (the employer, the community); the service
    # refuses a registering unit outside it.
    units = Unit.objects.all()
    unit_id, community_id = data.pop("unit_id"), data.pop("community_id")
    data["unit"] = get_object_or_404(units, pk=unit_id) if unit_id else None
    data["community"] = get_object_or_404(units, pk=community_id) if community_id else None
    side = data.pop("side")
    if side not in {"unit", "community"}:
        raise HttpError(400, _("side must be unit or community"))
    returnee = services.register(actor=request.user, side=side, **data)  # type: ignore[arg-type]
    return Status(201, returnee)


@router.patch("/{returnee_id}", response=ReturneeDetailOut, summary="Correct a returnee's details")
def update_returnee(request: HttpRequest, returnee_id: int, payload: ReturneePatch) -> Returnee:
    returnee = _visible(request, returnee_id)
    return services.returnee_update(actor=request.user, returnee=returnee, **payload.dict(exclude_unset=True))  # type: ignore[arg-type]


@router.post("/{returnee_id}/follow-ups", response={201: FollowUpOut}, summary="Record a day's follow-up")
def add_follow_up(request: HttpRequest, returnee_id: int, payload: FollowUpIn) -> Status[Any]:
    order = _order(request, returnee_id)
    follow_up = services.follow_up_record(actor=request.user, order=order, **payload.dict())  # type: ignore[arg-type]
    return Status(201, follow_up)


@router.post("/{returnee_id}/isolation/change", response=IsolationOut, summary="Extend or shorten the isolation")
def change_isolation(request: HttpRequest, returnee_id: int, payload: IsolationChangeIn) -> IsolationOrder:
    order = _order(request, returnee_id)
    return services.isolation_change(actor=request.user, order=order, **payload.dict())  # type: ignore[arg-type]


@router.post("/{returnee_id}/isolation/release", response=IsolationOut, summary="Release from isolation")
def release_isolation(request: HttpRequest, returnee_id: int, payload: ReleaseIn) -> IsolationOrder:
    order = _order(request, returnee_id)
    return services.isolation_release(actor=request.user, order=order, **payload.dict())  # type: ignore[arg-type]
