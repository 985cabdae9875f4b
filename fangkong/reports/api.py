"""The daily reports' API: templates, submit and zero report (idempotent per unit and day),
one report with its revisions, board and range figures, concealment flags. Scoped like the pages."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from fangkong.core import clock
from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.orgs.models import Unit

from . import selectors, services
from .filtersets import ConcealmentFlagFilterSet
from .models import ConcealmentFlag, Report, ReportTemplate

router = Router(tags=["reports"])


class FieldOut(Schema):
    key: str
    label: str
    help: str = ""
    kind: str
    required: bool
    measure: str = ""
    max: int = 10000


class TemplateOut(Schema):
    id: int
    code: str
    name: str
    line: str
    unit_kinds: list[str]
    root_id: int | None
    # A wall-clock time in Asia/Shanghai without an offset: RFC 3339's partial-time, not JSON
    # Schema's "time" (which requires the offset).
    deadline: dt.time = Field(json_schema_extra={"format": "partial-time"})
    start_date: dt.date
    end_date: dt.date | None
    version: int
    fields: list[FieldOut]

    @staticmethod
    def resolve_fields(obj: ReportTemplate) -> list[dict[str, Any]]:
        return list(services.current_version(obj).fields)


class RevisionOut(Schema):
    number: int
    kind: str
    version: int
    is_zero: bool
    values: dict[str, Any]
    changed_by: str | None
    changed_at: dt.datetime
    reason: str

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)

    @staticmethod
    def resolve_changed_by(obj: Any) -> str | None:
        return obj.changed_by.get_username() if obj.changed_by else None


class ReportOut(Schema):
    id: int
    template_id: int
    unit_id: int
    day: dt.date
    version: int
    is_zero: bool
    values: dict[str, Any]
    received_at: dt.datetime
    on_time: bool
    in_day: bool
    updated_at: dt.datetime
    revision_count: int

    @staticmethod
    def resolve_version(obj: Report) -> int:
        return int(obj.version.number)


class ReportDetailOut(ReportOut):
    fields: list[FieldOut] = Field(description="The field definitions of the version this report answered.")
    revisions: list[RevisionOut]

    @staticmethod
    def resolve_fields(obj: Report) -> list[dict[str, Any]]:
        return list(obj.version.fields)

    @staticmethod
    def resolve_revisions(obj: Report) -> list[Any]:
        return list(obj.revisions.select_related("version", "changed_by").order_by("number"))


class SubmitIn(Schema):
    template: int | str = Field(description="Template id or code.")
    unit: int
    day: dt.date | None = Field(None, description="Default: today (Asia/Shanghai).")
    values: dict[str, Any] = Field(default_factory=dict)


class ZeroIn(Schema):
    template: int | str
    unit: int
    day: dt.date | None = None


class FiguresOut(Schema):
    expected: int
    submitted: int
    zero: int
    on_time: int
    late: int
    missing: int
    completeness: float
    timeliness: float


class ChildFiguresOut(FiguresOut):
    unit_id: int
    unit_name: str


class UnitStateOut(Schema):
    unit_id: int
    unit_name: str
    state: str
    report_id: int | None


class BoardOut(Schema):
    template_id: int
    day: dt.date
    unit_id: int
    at: dt.datetime
    figures: FiguresOut
    children: list[ChildFiguresOut]
    children_total: int
    units: list[UnitStateOut]
    units_total: int


class FlagOut(Schema):
    id: int
    template_id: int
    unit_id: int
    day: dt.date
    report_id: int | None
    kind: str
    reported: int | None
    ledger: int
    evidence: list[dict[str, Any]]
    status: str
    review_reason: str


class FlagPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[FlagOut]


class FlagFilters(Schema):
    status: str | None = None
    kind: str | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    unit: int | None = None
    raised_before: dt.datetime | None = None


def _template(request: HttpRequest, key: int | str) -> ReportTemplate:
    # Every template is visible to whoever may read reports (ReportTemplate.scope_q); no scope query.
    _require(request, "reports.view", _("Your role may not see daily reports."))
    qs = ReportTemplate.objects.all()
    if isinstance(key, int) or str(key).isdigit():
        return get_object_or_404(qs, pk=int(key))
    return get_object_or_404(qs, code=key)


def _require(request: HttpRequest, perm: str, message: str) -> None:
    if not user_has_perm(request.user, perm):
        raise PermissionDenied(message)


@router.get("/templates", response=list[TemplateOut], summary="The report templates and their current fields")
def list_templates(request: HttpRequest) -> list[ReportTemplate]:
    _require(request, "reports.view", _("Your role may not see daily reports."))
    return list(ReportTemplate.objects.visible_to(request.user).filter(is_active=True))


def _submit(request: HttpRequest, template_key: int | str, unit_id: int, day: dt.date | None,
            values: dict[str, Any], zero: bool) -> Report:
    _require(request, "reports.submit", _("Your role may not send daily reports."))
    template = _template(request, template_key)
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=unit_id)  # outside the scope: 404
    return services.report_submit(
        actor=request.user, template=template, unit=unit, day=day or clock.today(),  # type: ignore[arg-type]
        values=values, zero=zero,
    )


@router.post("/submit", response=ReportOut, summary="Send (or update) a unit's report for a day")
def submit(request: HttpRequest, payload: SubmitIn) -> Report:
    """One report per template, unit and day: sending again updates it and keeps the earlier
    values as a revision; sending the same values again changes nothing."""
    return _submit(request, payload.template, payload.unit, payload.day, payload.values, zero=False)


@router.post("/zero", response=ReportOut, summary="Send the zero report (今日无新增情况) for a unit and day")
def zero_report(request: HttpRequest, payload: ZeroIn) -> Report:
    return _submit(request, payload.template, payload.unit, payload.day, {}, zero=True)


UNITS_PAGE = 200


@router.get("/board", response=BoardOut, summary="The board of one template and day for a subtree")
def board(request: HttpRequest, template: str, day: dt.date | None = None, unit: int | None = None,
          children_page: int = 1, units_page: int = 1) -> dict[str, Any]:
    """Figures of the subtree, one page of its children's figures (100 a page) and one page of
    its units' states (200 a page); ``children_total`` and ``units_total`` count them all."""
    _require(request, "reports.view", _("Your role may not see daily reports."))
    tmpl = _template(request, template)
    day = day or as_of_default()
    visible = Unit.objects.visible_to(request.user)
    node = get_object_or_404(visible, pk=unit) if unit else (
        tmpl.root if tmpl.root_id and visible.filter(pk=tmpl.root_id).exists()
        else visible.order_by("level", "code").first()
    )
    if node is None:
        raise PermissionDenied(_("Your scope holds no unit."))
    at = min(clock.now(), selectors.end_of_day(day))
    figures = selectors.figures(tmpl, day, day, under=node.pk)
    rows, children_total = selectors.child_page(
        tmpl, day, day, node, offset=(max(1, children_page) - 1) * selectors.CHILDREN_PAGE
    )
    children = [
        {**{k: v for k, v in row.items() if k != "unit"}, "unit_id": row["unit"].pk, "unit_name": row["unit"].name}
        for row in rows
    ]
    units = [
        {"unit_id": row["unit"].pk, "unit_name": row["unit"].name, "state": row["state"],
         "report_id": row["report"]["pk"] if row["report"] else None}
        for row in selectors.unit_states(tmpl, day, node.pk, at, limit=UNITS_PAGE,
                                         offset=(max(1, units_page) - 1) * UNITS_PAGE)
    ]
    return {"template_id": tmpl.pk, "day": day, "unit_id": node.pk, "at": at, "figures": figures,
            "children": children, "children_total": children_total, "units": units,
            "units_total": figures["expected"]}


class RangeParams(Schema):
    template: str | None = Field(None, description="Template id or code; all templates when empty.")
    start: dt.date | None = Field(None, alias="from", description="Default: the end date.")
    end: dt.date | None = Field(None, alias="to", description="Default: the site's as-of date.")
    unit: int | None = Field(None, description="Only this unit and those below it.")


@router.get("/figures", response=FiguresOut, summary="Completeness and timeliness over a date range and subtree")
def range_figures(request: HttpRequest, params: Query[RangeParams]) -> dict[str, Any]:
    _require(request, "reports.view", _("Your role may not see daily reports."))
    end = params.end or as_of_default()
    start = params.start or end
    unit = params.unit
    if unit is not None:
        get_object_or_404(Unit.objects.visible_to(request.user), pk=unit)
    elif Unit.objects.visible_to(request.user).filter(parent__isnull=True).exists() is False:
        # Outside the office, figures are those of the user's topmost unit.
        first = Unit.objects.visible_to(request.user).order_by("level", "code").first()
        if first is None:
            raise PermissionDenied(_("Your scope holds no unit."))
        unit = first.pk
    if params.template:
        return selectors.figures(_template(request, params.template), start, end, unit)
    return selectors.all_figures(start, end, unit)


@router.get("/flags", response=FlagPage, summary="Concealment flags in your scope")
def list_flags(request: HttpRequest, filters: Query[FlagFilters], pages: Query[PageParams]) -> dict[str, Any]:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = ConcealmentFlagFilterSet(data, queryset=ConcealmentFlag.objects.visible_to(request.user))
    qs = filterset.qs if filterset.is_valid() else ConcealmentFlag.objects.none()
    return paginate(qs.order_by("-day", "id"), pages)


@router.get("/{report_id}", response=ReportDetailOut, summary="One report with the fields it answered and its revisions")
def get_report(request: HttpRequest, report_id: int) -> Report:
    return get_object_or_404(Report.objects.visible_to(request.user).select_related("version"), pk=report_id)
