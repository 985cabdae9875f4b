import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from fangkong.core.pagination import PageParams, paginate

from .filtersets import UnitFilterSet
from .models import Unit

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    level: int
    opened_on: dt.date | None
    closed_on: dt.date | None
    contact_phone: str


class UnitPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[UnitOut]


class UnitFilters(Schema):
    q: str | None = None
    kind: str | None = None
    parent: int | None = None
    under: int | None = None
    open_on: dt.date | None = None


@router.get("", response=UnitPage, summary="List units in your scope")
def list_units(request: HttpRequest, filters: Query[UnitFilters], pages: Query[PageParams]) -> dict[str, object]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = UnitFilterSet(data, queryset=Unit.objects.visible_to(request.user))
    qs = filterset.qs if filterset.is_valid() else Unit.objects.none()
    return paginate(qs.order_by("code"), pages)


@router.get("/{unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_id)
