"""The deployment API: secondments (list, create, place, end), the figures as of a date, rosters
(shifts, assignments) and check-in/check-out. Every answer is limited to the caller's scope."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core import clock
from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import selectors, services
from .filtersets import SecondmentFilterSet, ShiftFilterSet
from .models import Assignment, Secondment, Shift

router = Router(tags=["deployment"])


class SecondmentOut(Schema):
    id: int
    person_id: int
    person_name: str
    department_id: int
    department_name: str
    unit_id: int | None = Field(description="Where the cadre is placed; null when not yet placed.")
    unit_name: str | None
    role: str = Field(description="member or team_leader")
    starts_on: dt.date
    ends_on: dt.date | None
    duties: str

    @staticmethod
    def resolve_person_name(obj: Secondment) -> str:
        return obj.person.name

    @staticmethod
    def resolve_department_name(obj: Secondment) -> str:
        return obj.department.name

    @staticmethod
    def resolve_unit_name(obj: Secondment) -> str | None:
        return obj.unit.name if obj.unit else None


class SecondmentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[SecondmentOut]


class SecondmentFilters(Schema):
    q: str | None = Field(None, max_length=50)
    department: int | None = None
    place: int | None = Field(None, description="A street, community or checkpoint; units below it count.")
    placed: bool | None = None
    role: str | None = None
    on: dt.date | None = Field(None, description="Only secondments running on this day.")


class SecondmentIn(Schema):
    person_id: int
    department_id: int
    unit_id: int | None = None
    role: str = "member"
    starts_on: dt.date
    ends_on: dt.date | None = None
    duties: str = ""


class PlaceIn(Schema):
    unit_id: int
    role: str | None = None


class EndIn(Schema):
    ends_on: dt.date
    reason: str = ""


class GroupRow(Schema):
    id: int
    name: str
    cadres: int
    team_leaders: int


class DeploymentFiguresOut(Schema):
    as_of: dt.date
    cadres_seconded: int
    departments_sending: int
    streets: int
    communities: int
    checkpoints: int
    unplaced: int
    by_street: list[GroupRow]
    by_community: list[GroupRow]
    by_checkpoint: list[GroupRow]
    by_department: list[GroupRow]


class AssignmentOut(Schema):
    id: int
    shift_id: int
    person_id: int
    person_name: str
    checkpoint_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_in_by: str
    checked_out_at: dt.datetime | None
    checked_out_by: str

    @staticmethod
    def resolve_person_name(obj: Assignment) -> str:
        return obj.person.name


class ShiftOut(Schema):
    id: int
    checkpoint_id: int
    checkpoint_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    staff_needed: int
    assigned: int
    gap: int = Field(description="Staff still missing (negative never happens: a full shift takes nobody).")
    leader_id: int | None

    @staticmethod
    def resolve_checkpoint_name(obj: Shift) -> str:
        return obj.checkpoint.name


class ShiftPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ShiftOut]


class ShiftFilters(Schema):
    checkpoint: int | None = Field(None, description="A checkpoint, or a community/street above checkpoints.")
    day: dt.date | None = None
    gaps: bool | None = Field(None, description="Only shifts short of staff.")


class ShiftIn(Schema):
    checkpoint_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    staff_needed: int = Field(2, ge=1, le=50)


class AssignIn(Schema):
    person_id: int


class CheckIn(Schema):
    person_id: int
    checkpoint_id: int
    at: dt.datetime | None = Field(
        None,
        description="When it happened, for a phone that sends late: at most FANGKONG_CLIENT_DELAY_MINUTES "
        "(10) before the server's clock, never after it (a later time counts as now). Defaults to now. "
        "Who did it follows from the signed-in user: the cadre themself, the shift leader, or the office.",
    )


def _secondments(request: HttpRequest) -> Any:
    return Secondment.objects.visible_to(request.user).select_related("person", "department", "unit")


def _unit(unit_id: int | None) -> Unit | None:
    # Services check the scope of the units written; here they only have to exist.
    return get_object_or_404(Unit, pk=unit_id) if unit_id is not None else None


@router.get("/secondments", response=SecondmentPage, summary="List secondments in your scope")
def list_secondments(
    request: HttpRequest, filters: Query[SecondmentFilters], pages: Query[PageParams]
) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = SecondmentFilterSet(data, queryset=_secondments(request))
    qs = filterset.qs if filterset.is_valid() else Secondment.objects.none()
    return paginate(qs.order_by("department_id", "person__name_initials", "id"), pages)


@router.post("/secondments", response={201: SecondmentOut}, summary="Second a cadre")
def create_secondment(request: HttpRequest, payload: SecondmentIn) -> Status[Secondment]:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=payload.person_id)
    department = _unit(payload.department_id)
    secondment = services.secondment_create(
        actor=request.user, person=person, department=department, unit=_unit(payload.unit_id),  # type: ignore[arg-type]
        role=payload.role, starts_on=payload.starts_on, ends_on=payload.ends_on, duties=payload.duties,
    )
    return Status(201, _secondments(request).get(pk=secondment.pk))


@router.get("/secondments/{secondment_id}", response=SecondmentOut, summary="One secondment")
def get_secondment(request: HttpRequest, secondment_id: int) -> Secondment:
    return get_object_or_404(_secondments(request), pk=secondment_id)


@router.post("/secondments/{secondment_id}/place", response=SecondmentOut, summary="Place or move a cadre")
def place_secondment(request: HttpRequest, secondment_id: int, payload: PlaceIn) -> Secondment:
    secondment = get_object_or_404(_secondments(request), pk=secondment_id)
    services.secondment_place(actor=request.user, secondment=secondment, unit=_unit(payload.unit_id),  # type: ignore[arg-type]
                              role=payload.role)
    return _secondments(request).get(pk=secondment_id)


@router.post("/secondments/{secondment_id}/end", response=SecondmentOut, summary="End a secondment")
def end_secondment(request: HttpRequest, secondment_id: int, payload: EndIn) -> Secondment:
    secondment = get_object_or_404(_secondments(request), pk=secondment_id)
    services.secondment_end(actor=request.user, secondment=secondment, ends_on=payload.ends_on,  # type: ignore[arg-type]
                            reason=payload.reason)
    return _secondments(request).get(pk=secondment_id)


@router.get("/figures", response=DeploymentFiguresOut, summary="Cadres seconded by street, community, checkpoint, department")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "deployment.view"):
        raise PermissionDenied(_("Your role may not see the deployment figures."))
    day = as_of or as_of_default()
    return {"as_of": day, **selectors.deployment_figures(Secondment.objects.visible_to(request.user), day)}


@router.get("/shifts", response=ShiftPage, summary="Checkpoint shifts in your scope, with their gaps")
def list_shifts(request: HttpRequest, filters: Query[ShiftFilters], pages: Query[PageParams]) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    qs = selectors.shifts_with_staffing(Shift.objects.visible_to(request.user).select_related("checkpoint"))
    filterset = ShiftFilterSet(data, queryset=qs)
    return paginate(filterset.qs if filterset.is_valid() else Shift.objects.none(), pages)


@router.post("/shifts", response={201: ShiftOut}, summary="Plan a shift at a checkpoint")
def create_shift(request: HttpRequest, payload: ShiftIn) -> Status[Shift]:
    shift = services.shift_create(
        actor=request.user, checkpoint=_unit(payload.checkpoint_id), starts_at=payload.starts_at,  # type: ignore[arg-type]
        ends_at=payload.ends_at, staff_needed=payload.staff_needed,
    )
    return Status(201, selectors.shifts_with_staffing(Shift.objects.select_related("checkpoint")).get(pk=shift.pk))


@router.get("/shifts/{shift_id}/assignments", response=list[AssignmentOut], summary="Who is on a shift")
def shift_assignments(request: HttpRequest, shift_id: int) -> Any:
    shift = get_object_or_404(Shift.objects.visible_to(request.user), pk=shift_id)
    return list(shift.assignments.select_related("person").order_by("id"))


@router.post("/shifts/{shift_id}/assignments", response={201: AssignmentOut},
             summary="Put a cadre on a shift (refused when they are elsewhere at that time)")
def assign(request: HttpRequest, shift_id: int, payload: AssignIn) -> Status[Assignment]:
    shift = get_object_or_404(Shift.objects.visible_to(request.user), pk=shift_id)
    person = get_object_or_404(selectors.people_in_reach(request.user), pk=payload.person_id)
    return Status(201, services.assign(actor=request.user, shift=shift, person=person))  # type: ignore[arg-type]


@router.get("/no-shows", response=list[AssignmentOut], summary="Assigned cadres who did not check in")
def no_shows(request: HttpRequest, at: dt.datetime | None = None, day: dt.date | None = None) -> Any:
    """Every missed shift up to ``at`` (500 at most); with ``day``, that day's shifts only, as
    they stood at ``at`` (the command picture's figure)."""
    visible = Assignment.objects.visible_to(request.user)
    if day is not None:
        qs = selectors.no_shows_on(visible, day, at or clock.now())
    else:
        qs = selectors.no_shows(visible, at or clock.now())
    return list(qs.order_by("-starts_at", "id")[:500])


def _check(request: HttpRequest, payload: CheckIn, fn: Any) -> Assignment:
    checkpoint = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.checkpoint_id)
    person = get_object_or_404(selectors.people_in_reach(request.user), pk=payload.person_id)
    assignment: Assignment = fn(actor=request.user, person=person, checkpoint=checkpoint, at=payload.at)
    return assignment


@router.post("/check-in", response=AssignmentOut, summary="Check a cadre in for their shift at a checkpoint")
def check_in(request: HttpRequest, payload: CheckIn) -> Assignment:
    return _check(request, payload, services.check_in)


@router.post("/check-out", response=AssignmentOut, summary="Check a cadre out at a checkpoint")
def check_out(request: HttpRequest, payload: CheckIn) -> Assignment:
    return _check(request, payload, services.check_out)
