"""The livelihood API: the catalogue, daily volumes per channel, the figures as of a day, and help
requests (register, assign, mark done, close after a call). Every answer is limited to the
caller's scope."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.command.registry import end_of_day
from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.deployment.models import Secondment
from fangkong.orgs.models import Unit

from . import selectors, services
from .filtersets import HelpRequestFilterSet, ServiceFilterSet, VolumeFilterSet
from .models import Channel, ChannelVolume, HelpRequest, WindowService

router = Router(tags=["livelihood"])


class ChannelOut(Schema):
    id: int
    code: str
    name: str
    description: str


class ServiceOut(Schema):
    id: int
    department_id: int
    department_name: str
    name: str
    channel_ids: list[int]

    @staticmethod
    def resolve_department_name(obj: WindowService) -> str:
        return obj.department.name

    @staticmethod
    def resolve_channel_ids(obj: WindowService) -> list[int]:
        return [c.pk for c in obj.channels.all()]


class ServicePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ServiceOut]


class ServiceFilters(Schema):
    department: int | None = None
    channel: int | None = None
    running_on: dt.date | None = Field(None, description="Only services with cases on this day.")


class VolumeOut(Schema):
    id: int
    service_id: int
    channel_id: int
    department_id: int
    day: dt.date
    count: int


class VolumePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[VolumeOut]


class VolumeFilters(Schema):
    day: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    department: int | None = None
    channel: int | None = None
    service: int | None = None


class VolumeIn(Schema):
    day: dt.date
    counts: dict[int, int] = Field(description="Channel id → cases handled that day.")


class ChannelRow(Schema):
    id: int
    code: str
    name: str
    cases: int


class LivelihoodFiguresOut(Schema):
    as_of: dt.date
    window_departments: int
    services: int
    services_running: int
    channels: int
    cases_today: int
    cases_to_date: int
    help_requests: int
    help_closed: int
    help_open: int
    help_overdue: int
    by_channel: list[ChannelRow]


class HelpOut(Schema):
    id: int
    community_id: int
    community_name: str
    household: str
    address: str
    phone_masked: str
    kind: str
    details: str
    assignee_id: int | None = Field(description="The seconded cadre (a secondment), if any.")
    assignee_name: str
    due_at: dt.datetime
    status: str
    light: str = Field(description="green, yellow (overdue), red (overdue more than a day), or empty when done.")
    registered_at: dt.datetime
    done_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str

    @staticmethod
    def resolve_community_name(obj: HelpRequest) -> str:
        return obj.community.name

    @staticmethod
    def resolve_light(obj: HelpRequest) -> str:
        from fangkong.core import clock

        return selectors.light_of(obj, clock.now())


class HelpPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[HelpOut]


class HelpFilters(Schema):
    community: int | None = None
    status: str | None = None
    kind: str | None = None
    light: str | None = None
    open_at: dt.datetime | None = Field(None, description="Registered before and not done by this moment.")
    overdue_at: dt.datetime | None = Field(None, description="Not done by this moment though due before it.")
    closed_before: dt.datetime | None = None
    registered_before: dt.datetime | None = None


class HelpIn(Schema):
    community_id: int
    household: str = Field(max_length=40)
    address: str = Field(max_length=100)
    phone: str = ""
    kind: str
    details: str = Field(max_length=300)
    due_at: dt.datetime | None = Field(None, description="Required: the request is refused without it.")
    assignee_id: int | None = Field(None, description="A secondment placed in the community.")
    volunteer: str = ""


class HelpAssignIn(Schema):
    assignee_id: int | None = None
    volunteer: str = ""
    due_at: dt.datetime | None = None


class NoteIn(Schema):
    note: str = ""


class DoneOut(Schema):
    request: HelpOut
    confirm_token: str = Field(description="The household's one-time confirmation token; shown once.")


def _requests(request: HttpRequest) -> Any:
    return HelpRequest.objects.visible_to(request.user).select_related("community", "assignee__person")


def _filtered(filterset_class: Any, filters: Schema, qs: Any, request: HttpRequest) -> Any:
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.dict().items() if v is not None}
    filterset = filterset_class(data, queryset=qs, request=request)
    return filterset.qs if filterset.is_valid() else qs.none()


def _secondment(assignee_id: int | None) -> Secondment | None:
    return get_object_or_404(Secondment, pk=assignee_id) if assignee_id is not None else None


@router.get("/channels", response=list[ChannelOut], summary="The contactless service channels")
def list_channels(request: HttpRequest) -> Any:
    return list(Channel.objects.visible_to(request.user))  # type: ignore[attr-defined]


@router.get("/services", response=ServicePage, summary="Window services and their channels")
def list_services(request: HttpRequest, filters: Query[ServiceFilters], pages: Query[PageParams]) -> dict[str, Any]:
    qs = (WindowService.objects.visible_to(request.user).filter(is_active=True)  # type: ignore[attr-defined]
          .select_related("department").prefetch_related("channels"))
    return paginate(_filtered(ServiceFilterSet, filters, qs, request).order_by("department_id", "name", "id"), pages)


@router.get("/volumes", response=VolumePage, summary="Daily cases per service and channel in your scope")
def list_volumes(request: HttpRequest, filters: Query[VolumeFilters], pages: Query[PageParams]) -> dict[str, Any]:
    qs = ChannelVolume.objects.visible_to(request.user)
    return paginate(_filtered(VolumeFilterSet, filters, qs, request).order_by("-day", "service_id", "channel_id"), pages)


@router.post("/services/{service_id}/volumes", response={201: list[VolumeOut]},
             summary="Record a day's cases of a service, per channel")
def record_volumes(request: HttpRequest, service_id: int, payload: VolumeIn) -> Status[Any]:
    qs = WindowService.objects.visible_to(request.user)  # type: ignore[attr-defined]
    units = scope_unit_ids(request.user)  # type: ignore[arg-type]
    if units is not None:
        qs = qs.filter(department_id__in=units)
    service = get_object_or_404(qs, pk=service_id)
    services.volumes_record(actor=request.user, service=service, day=payload.day, counts=payload.counts)  # type: ignore[arg-type]
    return Status(201, list(ChannelVolume.objects.filter(service=service, day=payload.day).order_by("channel_id")))


@router.get("/figures", response=LivelihoodFiguresOut, summary="Services kept running and help requests as of a day")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "livelihood.view"):
        raise PermissionDenied(_("Your role may not see the livelihood figures."))
    day = as_of or as_of_default()
    volumes = ChannelVolume.objects.visible_to(request.user)
    result = selectors.services_figures(volumes, WindowService.objects.visible_to(request.user), day)  # type: ignore[attr-defined]
    result.update(selectors.help_figures(HelpRequest.objects.visible_to(request.user), end_of_day(day)))
    result["by_channel"] = selectors.volume_by_channel(volumes, None, day)
    return {"as_of": day, **result}


@router.get("/help-requests", response=HelpPage, summary="Help requests for households at home, in your scope")
def list_help(request: HttpRequest, filters: Query[HelpFilters], pages: Query[PageParams]) -> dict[str, Any]:
    return paginate(_filtered(HelpRequestFilterSet, filters, _requests(request), request)
                    .order_by("due_at", "id"), pages)


@router.post("/help-requests", response={201: HelpOut}, summary="Register a help request")
def create_help(request: HttpRequest, payload: HelpIn) -> Status[HelpRequest]:
    community = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.community_id)
    data = payload.dict(exclude={"community_id", "assignee_id"})
    created = services.help_register(actor=request.user, community=community,  # type: ignore[arg-type]
                                     assignee=_secondment(payload.assignee_id), **data)
    return Status(201, _requests(request).get(pk=created.pk))


@router.get("/help-requests/{request_id}", response=HelpOut, summary="One help request")
def get_help(request: HttpRequest, request_id: int) -> HelpRequest:
    return get_object_or_404(_requests(request), pk=request_id)


@router.post("/help-requests/{request_id}/assign", response=HelpOut, summary="Assign to a cadre or volunteer")
def assign_help(request: HttpRequest, request_id: int, payload: HelpAssignIn) -> HelpRequest:
    obj = get_object_or_404(_requests(request), pk=request_id)
    services.help_assign(actor=request.user, request=obj, assignee=_secondment(payload.assignee_id),  # type: ignore[arg-type]
                         volunteer=payload.volunteer, due_at=payload.due_at)
    return _requests(request).get(pk=request_id)


@router.post("/help-requests/{request_id}/done", response=DoneOut, summary="Mark done; get the household's link token")
def done_help(request: HttpRequest, request_id: int, payload: NoteIn) -> dict[str, Any]:
    obj = get_object_or_404(_requests(request), pk=request_id)
    _obj, token = services.help_mark_done(actor=request.user, request=obj, note=payload.note)  # type: ignore[arg-type]
    return {"request": _requests(request).get(pk=request_id), "confirm_token": token}


@router.post("/help-requests/{request_id}/close", response=HelpOut, summary="Close after the community's call")
def close_help(request: HttpRequest, request_id: int, payload: NoteIn) -> HelpRequest:
    obj = get_object_or_404(_requests(request), pk=request_id)
    services.help_confirm_by_call(actor=request.user, request=obj, note=payload.note)  # type: ignore[arg-type]
    return _requests(request).get(pk=request_id)
