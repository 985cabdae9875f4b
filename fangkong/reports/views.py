"""Pages of the daily reports: the board, the liaison's phone form and zero report, a report with
its revisions, a unit's calendar, trend charts, the concealment review, templates and their fields."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fangkong.core import clock
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.views import PermissionMixin, xlsx_export
from fangkong.orgs.models import Unit
from fangkong.orgs.selectors import unit_ancestors, visible_roots

from . import selectors, services
from .choices import DayState, FlagKind, FlagStatus
from .filtersets import ConcealmentFlagFilterSet
from .forms import CorrectionForm, FieldAddForm, FlagAnswerForm, FlagReviewForm, ReportForm
from .models import ConcealmentFlag, Report, ReportField, ReportTemplate, TemplateVersion


def parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _require(request: HttpRequest, perm: str) -> None:
    if not user_has_perm(request.user, perm):
        raise PermissionDenied


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "reports/denied.html", {"message": message}, status=403)


def _template_from(request: HttpRequest, templates: list[ReportTemplate]) -> ReportTemplate | None:
    wanted = request.GET.get("template") or request.POST.get("template")
    if wanted:
        for template in templates:
            if str(template.pk) == wanted or template.code == wanted:
                return template
        raise Http404
    return templates[0] if templates else None


def _offered(request: HttpRequest, templates: list[ReportTemplate]) -> tuple[list[ReportTemplate], ReportTemplate | None]:
    """The templates a board or trends page offers, those that apply to the user's units first,
    and the one it shows: ?template=, else the first that applies (``selectors.templates_for``).
    The choice lists only the templates that apply (all of them when none does), and the one
    asked for."""
    ordered, applying = selectors.templates_for(request.user, templates)
    template = _template_from(request, ordered)
    offered = ordered[:applying] or ordered
    if template is not None and template not in offered:
        offered = [*offered, template]
    return offered, template


def _node(request: HttpRequest, template: ReportTemplate | None) -> Unit:
    """The unit whose subtree a page shows: ?unit=, else the user's topmost visible unit."""
    visible = Unit.objects.visible_to(request.user)  # type: ignore[attr-defined]
    if request.GET.get("unit"):
        return get_object_or_404(visible, pk=request.GET["unit"])
    if template is not None and template.root_id and visible.filter(pk=template.root_id).exists():
        return _narrowed(template.root, template)  # type: ignore[arg-type]
    roots = visible_roots(request.user)  # type: ignore[arg-type]
    root = roots[0] if roots else visible.filter(parent__isnull=True).order_by("code").first()
    if root is None:
        raise Http404
    return _narrowed(root, template) if template is not None else root


def _children_are_the_units(node: Unit, template: ReportTemplate) -> bool:
    """Whether the units that send the report under ``node`` are exactly its children."""
    from fangkong.orgs.models import UnitLink

    kinds = template.unit_kinds
    return not (
        UnitLink.objects.filter(ancestor=node, depth__gte=2, descendant__kind__in=kinds).exists()
        or node.children.exclude(kind__in=kinds).filter(descendant_links__descendant__kind__in=kinds).exists()
    )


def _narrowed(node: Unit, template: ReportTemplate) -> Unit:
    """Down from ``node`` while a single child holds every unit that sends the report: the office
    opens the departments' board on the working committee, not on the city with one row."""
    for _level in range(8):
        if node.kind in template.unit_kinds:
            return node
        children = list(
            Unit.objects.filter(parent=node, descendant_links__descendant__kind__in=template.unit_kinds)
            .distinct().order_by("code")[:2]
        )
        if len(children) != 1:
            return node
        node = children[0]
    return node


def remind_url() -> str | None:
    """The reminder endpoint of the notifications app, when it is installed."""
    try:
        return reverse("notify:remind_units")
    except NoReverseMatch:
        return None


def moment_label(day: dt.date, at: dt.datetime) -> str:
    """A board's moment in words: 2020年2月25日 14:05, and the end of a past day as 24:00 of that
    day (not 00:00 of the next)."""
    from fangkong.core.templatetags.cn_dates import chinese_date

    if at >= selectors.end_of_day(day):
        return f"{chinese_date(day)} 24:00"
    local = timezone.localtime(at)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def _moment_for(day: dt.date) -> dt.datetime:
    """States of today are shown as of now (the business clock); past days as of their end."""
    now = clock.now()
    return min(now, selectors.end_of_day(day))


STATE_LABELS = {
    "submitted": DayState.SUBMITTED.label, "zero": DayState.ZERO.label, "late": DayState.LATE.label,
    "missing": DayState.MISSING.label, "pending": DayState.PENDING.label, "late_pending": gettext_lazy("Past the deadline"),
}
STATE_BADGES = {"submitted": "ok", "zero": "ok", "late": "warn", "missing": "bad", "pending": "", "late_pending": "bad"}


UNITS_PAGE = 200


def _page_number(raw: str | None, count: int, size: int) -> int:
    last = max(1, -(-count // size))
    try:
        return min(max(1, int(raw or 1)), last)
    except ValueError:
        return 1


def _pages(number: int, count: int, size: int) -> dict[str, Any] | None:
    """Previous/next page numbers of a board list, or None when it fits on one page."""
    pages = -(-count // size)
    if pages <= 1:
        return None
    return {"number": number, "pages": pages, "count": count,
            "previous": number - 1 if number > 1 else None, "next": number + 1 if number < pages else None}


def _board_setup(request: HttpRequest) -> tuple[list[ReportTemplate], ReportTemplate | None, dt.date]:
    templates, template = _offered(
        request, list(ReportTemplate.objects.visible_to(request.user).filter(is_active=True)))  # type: ignore[attr-defined]
    return templates, template, parse_day(request.GET.get("day"), as_of_default())


def _labelled_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in states:
        row["label"] = STATE_LABELS[row["state"]]
        row["badge"] = STATE_BADGES[row["state"]]
    return states


@method_decorator(login_required, name="dispatch")
class BoardView(PermissionMixin, View):
    """Today's board: figures for the subtree, a row per child for drill-down, every unit's state."""

    required_perm = "reports.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.view")
        templates, template, day = _board_setup(request)
        context: dict[str, Any] = {"templates": templates, "template": template, "day": day}
        if template is None:
            return render(request, "reports/board.html", context)
        node = _node(request, template)
        at = _moment_for(day)
        figures = selectors.figures(template, day, day, under=node.pk)
        # ?state=waiting lists only the units whose report has not arrived (the workbench's count).
        waiting_only = request.GET.get("state") == "waiting"
        listed = selectors.waiting_units(template, day, node.pk, at).count() if waiting_only else figures["expected"]
        # Both lists are paged: a coordinating body has 600 units below it, a street 750.
        upage = _page_number(request.GET.get("upage"), listed, UNITS_PAGE)
        states = _labelled_states(
            selectors.unit_states(template, day, node.pk, at, limit=UNITS_PAGE, offset=(upage - 1) * UNITS_PAGE,
                                  waiting_only=waiting_only))
        cpage_asked = _page_number(request.GET.get("cpage"), 10**9, selectors.CHILDREN_PAGE)
        children, n_children = selectors.child_page(
            template, day, day, node, offset=(cpage_asked - 1) * selectors.CHILDREN_PAGE
        )
        if not children and cpage_asked > 1 and n_children:
            cpage_asked = -(-n_children // selectors.CHILDREN_PAGE)  # past the end: the last page
            children, n_children = selectors.child_page(
                template, day, day, node, offset=(cpage_asked - 1) * selectors.CHILDREN_PAGE
            )
        if children and _children_are_the_units(node, template):
            # Every child reports itself: the units list below says it all; no drill-down twice over.
            children, n_children = [], 0
        waiting = [row["unit"].pk for row in states if row["state"] in {"missing", "pending", "late_pending"}]
        context.update(
            node=node, breadcrumb=unit_ancestors(node), at=at, at_label=moment_label(day, at),
            figures=figures, children=children, states=states, waiting=waiting,
            cpages=_pages(cpage_asked, n_children, selectors.CHILDREN_PAGE),
            upages=_pages(upage, listed, UNITS_PAGE), waiting_only=waiting_only, listed=listed,
            remind_url=remind_url() if user_has_perm(request.user, "reports.remind") else None,
            can_submit=user_has_perm(request.user, "reports.submit"),
            can_export=user_has_perm(request.user, "reports.export"),
        )
        if request.headers.get("HX-Request") == "true":
            return render(request, "reports/_board_body.html", context)
        return render(request, "reports/board.html", context)


@method_decorator(login_required, name="dispatch")
class BoardExportView(View):
    """The board's units with their state, every page of them, as xlsx (audited)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.export")
        _templates, template, day = _board_setup(request)
        if template is None:
            raise Http404
        node = _node(request, template)
        at = _moment_for(day)
        expected = selectors.figures(template, day, day, under=node.pk)["expected"]
        states = _labelled_states(selectors.unit_states(template, day, node.pk, at, limit=max(expected, 1)))
        headers = [_("Unit"), _("State"), _("Zero report"), _("Received at")]
        rows = [
            [row["unit"].display_name, str(row["label"]), bool(row["report"] and row["report"]["is_zero"]),
             timezone.localtime(row["report"]["received_at"]).strftime("%Y-%m-%d %H:%M") if row["report"] else None]
            for row in states
        ]
        name = f"{template.name} {node.display_name} {day.isoformat()}"
        return xlsx_export(request, headers=headers, rows=rows, sheet=day.isoformat(), filename=name,
                           object_type="reports.board", what=name)


def _own_units(request: HttpRequest, day: dt.date) -> list[tuple[Unit, list[ReportTemplate]]]:
    """The units in the user's scope that must report on ``day``, with their templates."""
    ids = scope_unit_ids(request.user)  # type: ignore[arg-type]
    if ids is None:
        # The office (whole tree) picks a unit explicitly with ?unit=.
        return []
    out: dict[int, tuple[Unit, list[ReportTemplate]]] = {}
    for template in ReportTemplate.objects.visible_to(request.user).filter(is_active=True):  # type: ignore[attr-defined]
        if not template.active_on(day):
            continue
        for unit in selectors.expected_units(template=template, day=day).filter(id__in=ids).order_by("code")[:50]:
            out.setdefault(unit.pk, (unit, []))[1].append(template)
    return list(out.values())


@method_decorator(login_required, name="dispatch")
class SubmitView(View):
    """The liaison's phone page: the day's figures, or one tap for "今日无新增情况"."""

    def _setup(self, request: HttpRequest) -> Any:
        _require(request, "reports.submit")
        source = request.POST if request.method == "POST" else request.GET
        day = parse_day(source.get("day"), clock.today())
        unit_id = source.get("unit")
        if unit_id:
            unit = Unit.objects.filter(pk=unit_id).first() if str(unit_id).isdigit() else None
            if unit is None:
                raise Http404
            if not Unit.objects.visible_to(request.user).filter(pk=unit.pk).exists():  # type: ignore[attr-defined]
                # Said plainly, without the unit's name: an id is no way to read another scope's units.
                return _denied(request, _("You can only report for your own units, and this unit is not one of them."))
            templates = [t for t in ReportTemplate.objects.visible_to(request.user).filter(is_active=True)  # type: ignore[attr-defined]
                         if selectors.is_expected(t, unit, day)]
        else:
            own = _own_units(request, day)
            if not own:
                return render(request, "reports/submit.html", {"day": day, "nothing": True})
            unit, templates = own[0]
        if not templates:
            return render(request, "reports/submit.html", {"day": day, "unit": unit, "nothing": True})
        wanted = source.get("template")
        template = next((t for t in templates if str(t.pk) == wanted), templates[0]) if wanted else templates[0]
        return unit, template, templates, day

    def _context(self, unit: Unit, template: ReportTemplate, templates: list[ReportTemplate], day: dt.date,
                 form: ReportForm | None = None) -> dict[str, Any]:
        version = services.current_version(template)
        report = Report.objects.filter(template=template, unit=unit, day=day).first()
        if form is None:
            initial = dict(report.values) if report and not report.is_zero else {}
            form = ReportForm(fields=version.fields, initial={k: ("1" if v is True else "0" if v is False else v)
                                                               for k, v in initial.items()})
        return {
            "unit": unit, "template": template, "templates": templates, "day": day, "form": form,
            "report": report, "deadline": template.deadline_at(day), "locked": services.is_locked(day),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        setup = self._setup(request)
        if isinstance(setup, HttpResponse):
            return setup
        unit, template, templates, day = setup
        return render(request, "reports/submit.html", self._context(unit, template, templates, day))

    def post(self, request: HttpRequest) -> HttpResponse:
        setup = self._setup(request)
        if isinstance(setup, HttpResponse):
            return setup
        unit, template, templates, day = setup
        version = services.current_version(template)
        form = ReportForm(request.POST, fields=version.fields)
        form.is_valid()
        zero = "zero" in request.POST
        raw = {key: request.POST.get(key, "") for key in form.fields}
        try:
            services.report_submit(actor=request.user, template=template, unit=unit, day=day,  # type: ignore[arg-type]
                                   values=raw, zero=zero)
        except PermissionDenied as exc:
            return _denied(request, str(exc))
        except ValidationError as exc:
            for key, errors in (exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}).items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
            return render(request, "reports/submit.html", self._context(unit, template, templates, day, form),
                          status=400)
        messages.success(request, _("Zero report sent: nothing new today.") if zero else _("Report sent."))
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
            return redirect(back)  # the workbench's one-tap zero report returns to the workbench
        return redirect(f"{reverse('reports:submit')}?unit={unit.pk}&template={template.pk}&day={day.isoformat()}")


def _labelled(fields: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Values with the labels of the version they answered (fields removed later included)."""
    rows = [{"label": f["label"], "value": values.get(f["key"]), "kind": f["kind"]} for f in fields]
    known = {f["key"] for f in fields}
    rows += [{"label": key, "value": value, "kind": "text"} for key, value in values.items() if key not in known]
    return rows


@method_decorator(login_required, name="dispatch")
class ReportDetailView(View):
    def _report(self, request: HttpRequest, pk: int) -> Report:
        _require(request, "reports.view")
        qs = Report.objects.visible_to(request.user).select_related("template", "unit", "version", "submitted_by")  # type: ignore[attr-defined]
        report: Report = get_object_or_404(qs, pk=pk)
        return report

    def _context(self, report: Report, form: CorrectionForm | None = None) -> dict[str, Any]:
        revisions = []
        for rev in report.revisions.select_related("version", "changed_by").order_by("-number"):
            revisions.append({"rev": rev, "rows": _labelled(rev.version.fields, rev.values)})
        version = services.current_version(report.template)
        return {
            "report": report, "rows": _labelled(report.version.fields, report.values), "revisions": revisions,
            "locked": services.is_locked(report.day), "correction": form or CorrectionForm(),
            "value_form": ReportForm(fields=version.fields, initial=report.values),
            "flags": report.flags.all(),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._report(request, pk)
        return render(request, "reports/report_detail.html", {
            **self._context(report), "can_correct": user_has_perm(request.user, "reports.correct"),
        })

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._report(request, pk)
        _require(request, "reports.correct")
        form = CorrectionForm(request.POST)
        version = services.current_version(report.template)
        raw = {f["key"]: request.POST.get(f["key"], "") for f in version.fields}
        try:
            services.report_correct(actor=request.user, report=report, values=raw,  # type: ignore[arg-type]
                                    zero="zero" in request.POST, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            for key, errors in (exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}).items():
                for error in errors:
                    form.add_error("reason" if key == "reason" else None, f"{error}")
            return render(request, "reports/report_detail.html", {**self._context(report, form), "can_correct": True},
                          status=400)
        messages.success(request, _("The report was corrected; the earlier values are kept below."))
        return redirect(report.get_absolute_url())


CALENDAR_VALUES = {"submitted": 3, "zero": 2, "late": 1, "missing": 0}


@method_decorator(login_required, name="dispatch")
class UnitCalendarView(View):
    """A unit's calendar: each day coloured by what it sent (heat map)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        _require(request, "reports.view")
        unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=pk)  # type: ignore[attr-defined]
        templates = [t for t in ReportTemplate.objects.visible_to(request.user).filter(is_active=True)  # type: ignore[attr-defined]
                     if unit.kind in t.unit_kinds]
        template = _template_from(request, templates)
        end = parse_day(request.GET.get("to"), as_of_default())
        # Sixty days, but none before the report began: empty weeks only push the days off the screen.
        earliest = end - dt.timedelta(days=59)
        if template is not None and template.start_date > earliest:
            earliest = min(template.start_date, end)
        start = parse_day(request.GET.get("from"), earliest)
        days: list[dict[str, Any]] = []
        if template is not None:
            reports = {r.day: r for r in Report.objects.filter(template=template, unit=unit, day__gte=start,
                                                                  day__lte=end)}
            day = start
            while day <= end:
                if selectors.is_expected(template, unit, day):
                    report = reports.get(day)
                    if report is None or not report.in_day:
                        state = "missing" if day < clock.today() else "pending"
                    else:
                        state = "late" if not report.on_time else ("zero" if report.is_zero else "submitted")
                    days.append({"day": day, "state": state, "label": STATE_LABELS[state], "report": report})
                day += dt.timedelta(days=1)
        data = [[d["day"].isoformat(), CALENDAR_VALUES.get(d["state"], 0)] for d in days]
        return render(request, "reports/unit_calendar.html", {
            "unit": unit, "template": template, "templates": templates, "days": days, "start": start, "end": end,
            "chart": json.dumps({"data": data, "range": [start.isoformat(), end.isoformat()]}),
        })


def _trends(request: HttpRequest) -> dict[str, Any]:
    """The trends of the template and subtree asked for: the page's context and the export's rows."""
    templates, template = _offered(request, list(ReportTemplate.objects.visible_to(request.user)))  # type: ignore[attr-defined]
    end = parse_day(request.GET.get("to"), as_of_default())
    start = parse_day(request.GET.get("from"), template.start_date if template else end - dt.timedelta(days=29))
    if start > end:
        start = end
    context: dict[str, Any] = {"templates": templates, "template": template, "start": start, "end": end}
    if template is not None:
        node = _node(request, template)
        series = selectors.day_series(template, start, end, node.pk)
        values = selectors.value_series(template, start, end, node.pk)
        for i, row in enumerate(series):
            row["values"] = [s["data"][i] for s in values["series"]]
        context.update(node=node, totals=selectors.figures(template, start, end, node.pk), series=series,
                       value_labels=[s["label"] for s in values["series"]])
        context["chart"] = json.dumps({
            "days": [r["day"].isoformat() for r in series],
            "completeness": [r["completeness"] for r in series],
            "timeliness": [r["timeliness"] for r in series],
            "expected": [r["expected"] for r in series],
            "missing": [r["missing"] for r in series],
            "values": chart_values(values),
        }, ensure_ascii=False)
    return context


def chart_values(values: dict[str, Any]) -> dict[str, Any]:
    """The reported figures for the chart, each series given an axis: figures of a larger scale
    (people checked at a checkpoint: hundreds) go on a right-hand axis of their own, so that the
    small ones (fever cases: 0 or 1) are not flattened against the bottom of the chart."""
    series = [dict(s) for s in values["series"]]
    peaks = [max(s["data"], default=0) for s in series]
    positive = [p for p in peaks if p > 0]
    split = None
    if positive and max(positive) >= 10 * min(positive):
        split = (max(positive) * min(positive)) ** 0.5  # the geometric middle of the two scales
    for s, peak in zip(series, peaks, strict=True):
        s["axis"] = 1 if split is not None and peak > split else 0
        if s["axis"]:
            s["label"] = _("%(label)s (right axis)") % {"label": s["label"]}
    return {"days": values["days"], "series": series, "axes": 2 if split is not None else 1}


@method_decorator(login_required, name="dispatch")
class TrendsView(View):
    """Completeness and timeliness per day, and the reported figures, for a subtree (ECharts)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.view")
        context = _trends(request)
        context["can_export"] = user_has_perm(request.user, "reports.export")
        return render(request, "reports/trends.html", context)


@method_decorator(login_required, name="dispatch")
class TrendsExportView(View):
    """The trends' table by day as xlsx (audited)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.export")
        context = _trends(request)
        template = context["template"]
        if template is None:
            raise Http404
        headers = [_("Day"), _("Expected"), _("Submitted"), _("Zero reports"), _("On time"), _("Late"),
                   _("Not received"), _("Completeness"), _("Timeliness"), *context["value_labels"]]
        rows = [
            [r["day"], r["expected"], r["submitted"], r["zero"], r["on_time"], r["late"], r["missing"],
             r["completeness"], r["timeliness"], *r["values"]]
            for r in context["series"]
        ]
        name = f"{template.name} {context['node'].display_name} {context['start'].isoformat()}_{context['end'].isoformat()}"
        return xlsx_export(request, headers=headers, rows=rows, sheet=str(_("Trends")), filename=name,
                           object_type="reports.trends", what=name)


@method_decorator(login_required, name="dispatch")
class FlagListView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.view")
        qs = ConcealmentFlag.objects.visible_to(request.user).select_related("unit", "template", "report")  # type: ignore[attr-defined]
        data = request.GET.copy()
        data.setdefault("status", FlagStatus.OPEN)
        filterset = ConcealmentFlagFilterSet(data, queryset=qs)
        page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
        return render(request, "reports/flag_list.html", {
            "filterset": filterset, "page_obj": page, "object_list": page.object_list, "kinds": FlagKind,
        })


@method_decorator(login_required, name="dispatch")
class FlagDetailView(View):
    def _flag(self, request: HttpRequest, pk: int) -> ConcealmentFlag:
        _require(request, "reports.view")
        qs = ConcealmentFlag.objects.visible_to(request.user).select_related("unit", "template", "report", "reviewed_by")  # type: ignore[attr-defined]
        flag: ConcealmentFlag = get_object_or_404(qs, pk=pk)
        return flag

    def _context(self, request: HttpRequest, flag: ConcealmentFlag, **forms: Any) -> dict[str, Any]:
        # The unit answers; the office, which decides, does not answer for it.
        may_answer = (flag.status == FlagStatus.OPEN and user_has_perm(request.user, "reports.submit")
                      and not user_has_perm(request.user, "reports.review")
                      and flag.unit_id in (scope_unit_ids(request.user) or [flag.unit_id]))  # type: ignore[arg-type]
        correct_url = ""
        if may_answer and not services.is_locked(flag.day):
            # The correction path: the report of that day can still be sent again with the true figure.
            correct_url = (f"{reverse('reports:submit')}?unit={flag.unit_id}&template={flag.template_id}"
                           f"&day={flag.day.isoformat()}")
        return {
            "flag": flag, "form": forms.get("form") or FlagReviewForm(),
            "can_review": user_has_perm(request.user, "reports.review"),
            "may_answer": may_answer, "answer_form": forms.get("answer_form") or FlagAnswerForm(
                initial={"answer": flag.answer}),
            "correct_url": correct_url, "locked": services.is_locked(flag.day),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        flag = self._flag(request, pk)
        return render(request, "reports/flag_detail.html", self._context(request, flag))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        flag = self._flag(request, pk)
        if "answer" in request.POST:
            return self._answer(request, flag)
        _require(request, "reports.review")
        form = FlagReviewForm(request.POST)
        if form.is_valid():
            try:
                services.flag_review(actor=request.user, flag=flag,  # type: ignore[arg-type]
                                     confirm=form.cleaned_data["decision"] == "confirm",
                                     reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The review was recorded."))
                return redirect(flag.get_absolute_url())
        return render(request, "reports/flag_detail.html", self._context(request, flag, form=form), status=400)

    def _answer(self, request: HttpRequest, flag: ConcealmentFlag) -> HttpResponse:
        _require(request, "reports.submit")
        form = FlagAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.flag_answer(actor=request.user, flag=flag, answer=form.cleaned_data["answer"])  # type: ignore[arg-type]
            except PermissionDenied:
                raise
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The unit's answer was recorded; the committee office will review it."))
                return redirect(flag.get_absolute_url())
        return render(request, "reports/flag_detail.html", self._context(request, flag, answer_form=form), status=400)


@method_decorator(login_required, name="dispatch")
class TemplateListView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        _require(request, "reports.view")
        templates = ReportTemplate.objects.visible_to(request.user).prefetch_related("fields")  # type: ignore[attr-defined]
        return render(request, "reports/template_list.html", {"templates": templates})


@method_decorator(login_required, name="dispatch")
class TemplateDetailView(View):
    """A template, its current questions and earlier versions; the office adds or retires questions."""

    def _context(self, request: HttpRequest, template: ReportTemplate, form: FieldAddForm | None = None) -> dict[str, Any]:
        return {
            "template": template,
            "fields": template.fields.filter(removed_at__isnull=True).order_by("position", "id"),
            "removed": template.fields.filter(removed_at__isnull=False).order_by("removed_at"),
            "versions": TemplateVersion.objects.filter(template=template).order_by("-number"),
            "form": form or FieldAddForm(), "can_change": user_has_perm(request.user, "reports.change"),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        _require(request, "reports.view")
        template = get_object_or_404(ReportTemplate.objects.visible_to(request.user), pk=pk)  # type: ignore[attr-defined]
        return render(request, "reports/template_detail.html", self._context(request, template))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        _require(request, "reports.change")
        template = get_object_or_404(ReportTemplate.objects.editable_by(request.user), pk=pk)  # type: ignore[attr-defined]
        if "remove" in request.POST:
            field = get_object_or_404(ReportField, template=template, pk=request.POST["remove"], removed_at__isnull=True)
            services.field_remove(actor=request.user, field=field)  # type: ignore[arg-type]
            messages.success(request, _("The question was retired; reports that answered it still show it."))
            return redirect(reverse("reports:template_detail", args=[template.pk]))
        form = FieldAddForm(request.POST)
        if form.is_valid():
            try:
                services.field_add(actor=request.user, template=template, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The question was added; it is asked from now on."))
                return redirect(reverse("reports:template_detail", args=[template.pk]))
        return render(request, "reports/template_detail.html", self._context(request, template, form), status=400)
