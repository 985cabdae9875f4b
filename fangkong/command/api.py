"""The command picture's API: every line's figures as of a moment, each naming the list it
counts, and the unit lists behind the figures that count units."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from fangkong.core.pagination import PageParams
from fangkong.core.scoping import user_has_perm

from . import selectors
from .registry import LINES, AsOf

router = Router(tags=["command"])


class FigureOut(Schema):
    key: str
    label: str
    value: int | float
    unit: str
    list_url: str
    api_url: str = Field(description="A list whose count is the figure (a rate: the numerator's list).")
    denominator_api_url: str | None = Field(None, description="A rate's denominator list.")
    denominator_list_url: str | None = None
    change: int | float | None = Field(None, description="Since the end of the day before.")


class AlertOut(Schema):
    text: str
    url: str
    level: str


class TrendOut(Schema):
    days: list[str]
    values: list[int | float]


class RowOut(Schema):
    label: str
    text: str
    url: str


class LineOut(Schema):
    key: str
    title: str
    enabled: bool
    figures: list[FigureOut]
    alerts: list[AlertOut]
    text: str
    trend: TrendOut | None
    breakdown: list[RowOut] = Field(description="The industry line by coordinating body, say.")


class PictureOut(Schema):
    as_of: dt.datetime
    lines: list[LineOut]


class UnitRow(Schema):
    id: int
    code: str
    name: str
    kind: str
    group: str


class UnitListOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[UnitRow]


def _require(request: HttpRequest) -> None:
    if not user_has_perm(request.user, "command.view"):
        raise PermissionDenied(_("Your role may not see the command picture."))


def _moment(value: str | None) -> dt.datetime:
    try:
        moment = selectors.parse_as_of(value)
    except ValueError:
        raise HttpError(422, _("as_of must be an ISO date or date and time.")) from None
    if not 1901 <= moment.year <= 9998:
        raise HttpError(422, _("The date is out of range."))
    return moment


@router.get("", response=PictureOut, summary="Every dispatch line's figures as of a moment, in your scope")
def picture(request: HttpRequest, as_of: str | None = None, trend: bool = True) -> dict[str, Any]:
    """``as_of``: an ISO date and time (default: now); a date alone means its end (24:00)."""
    _require(request)
    return selectors.picture(request.user, _moment(as_of), history=trend)


def unit_page(request: HttpRequest, line_key: str, figure: str, as_of: str | None, pages: PageParams) -> dict[str, Any]:
    _require(request)
    line = LINES.get(line_key)
    if line is None or line not in selectors.visible_lines(request.user) or figure not in line.unit_lists:
        raise Http404
    groups = selectors.unit_lists(line, figure, AsOf(request.user, _moment(as_of)))
    counts = [qs.count() for _label, qs in groups]
    start = (pages.page - 1) * pages.page_size
    rows: list[dict[str, Any]] = []
    offset = 0
    for (label, qs), n in zip(groups, counts, strict=True):
        if len(rows) < pages.page_size and start < offset + n:
            lo = max(start - offset, 0)
            for unit in qs.only("id", "code", "name", "kind")[lo: lo + pages.page_size - len(rows)]:
                rows.append({"id": unit.pk, "code": unit.code, "name": unit.name, "kind": unit.kind, "group": label})
        offset += n
    return {"count": sum(counts), "page": pages.page, "page_size": pages.page_size, "results": rows}


@router.get("/units/{line_key}/{figure}", response=UnitListOut, summary="The units a figure counts")
def units(request: HttpRequest, line_key: str, figure: str, pages: Query[PageParams],
          as_of: str | None = None) -> dict[str, Any]:
    return unit_page(request, line_key, figure, as_of, pages)
