"""Pages of the thousand-cadres-down line: the overview and the report sent up, secondments and
their import, a department's team, what is placed at a street/community/checkpoint, rosters."""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core import clock
from fangkong.core.excel import write_xlsx
from fangkong.core.forms import add_service_errors as _service_error
from fangkong.core.forms import apply_write as _apply
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.templatetags.cn_dates import chinese_date
from fangkong.core.views import (
    XLSX,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
    page_size_from,
    xlsx_export,
)
from fangkong.orgs.models import Unit

from . import imports, selectors, services
from .choices import ImportStatus
from .filtersets import SecondmentFilterSet, ShiftFilterSet
from .forms import AssignForm, DayShiftsForm, EndForm, ImportForm, PlaceForm, SecondmentForm
from .models import Assignment, Secondment, SecondmentImport, Shift

REPORT_TITLE = "关于千名干部下社区的情况报告"


def _day(request: HttpRequest, key: str = "on") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return as_of_default()






class OverviewView(ScopedMixin, TemplateView):
    """The figures by street, community, checkpoint and department as of a day (the report sent up)."""

    model = Secondment
    template_name = "deployment/overview.html"
    report = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day = _day(self.request)
        context.update(
            day=day, figures=selectors.deployment_figures(self.get_queryset(), day), report=self.report,
            title=REPORT_TITLE, can_export=user_has_perm(self.request.user, "deployment.export"),
            can_change=user_has_perm(self.request.user, "deployment.change"),
        )
        return context


def report_rows(figures: dict[str, Any]) -> list[list[Any]]:
    sections = [("by_street", _("Street")), ("by_community", _("Community")), ("by_checkpoint", _("Checkpoint")),
                ("by_department", _("Sending department"))]
    rows: list[list[Any]] = [[_("Total"), _("All"), figures["cadres_seconded"], ""]]
    for key, label in sections:
        rows += [[label, row["name"], row["cadres"], row["team_leaders"]] for row in figures[key]]
    rows.append([_("Not yet placed"), "", figures["unplaced"], ""])
    return rows


class ReportExportView(ScopedMixin, View):
    model = Secondment
    required_perm = "deployment.export"

    def get(self, request: HttpRequest) -> HttpResponse:
        day = _day(request)
        figures = selectors.deployment_figures(self.get_queryset(), day)
        headers = [_("Grouping"), _("Name"), _("Cadres seconded"), _("Team leaders")]
        content, count = write_xlsx(headers, report_rows(figures), sheet=f"截至{chinese_date(day)}")
        audit_log(actor=request.user, action=Action.EXPORT, object_type="deployment.report",  # type: ignore[arg-type]
                  detail=f"{REPORT_TITLE} as_of={day.isoformat()} rows={count}")
        response = HttpResponse(content, content_type=XLSX)
        name = f"{REPORT_TITLE}（截至{day.isoformat()}）.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response


class SecondmentListView(ScopedListView):
    model = Secondment
    template_name = "deployment/secondment_list.html"
    partial_template = "deployment/_secondment_table.html"
    filterset_class = SecondmentFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "department", "unit")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = user_has_perm(self.request.user, "deployment.change")
        context["day"] = as_of_default()
        return context


class SecondmentDetailView(ScopedDetailView):
    model = Secondment
    template_name = "deployment/secondment_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "department", "unit")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj: Secondment = context["object"]
        user = self.request.user
        context.update(
            assignments=Assignment.objects.filter(person_id=obj.person_id).select_related("checkpoint")
            .order_by("-starts_at")[:30],
            can_place=user_has_perm(user, "deployment.change") or user_has_perm(user, "deployment.roster"),
            can_end=user_has_perm(user, "deployment.change") and obj.ends_on is None,
            place_form=kwargs.get("place_form") or PlaceForm(initial={"unit": obj.unit_id, "role": obj.role}),
            end_form=kwargs.get("end_form") or EndForm(initial={"ends_on": as_of_default()}),
        )
        return context


class SecondmentCreateView(ScopedMixin, TemplateView):
    model = Secondment
    required_perm = "deployment.change"
    template_name = "deployment/secondment_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or SecondmentForm(user=self.request.user,
                                                               initial={"starts_on": as_of_default()})
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SecondmentForm(request.POST, user=request.user)
        secondment = _apply(request, form, lambda: services.secondment_create(
            actor=request.user, **form.cleaned_data), _("The secondment is recorded."))  # type: ignore[arg-type]
        if secondment is not None:
            return redirect(secondment)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SecondmentPlaceView(SecondmentDetailView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        secondment = self.get_object()
        form = PlaceForm(request.POST)
        if _apply(request, form, lambda: services.secondment_place(
            actor=request.user, secondment=secondment,  # type: ignore[arg-type]
            unit=form.cleaned_data["unit"], role=form.cleaned_data["role"],
        ), _("The cadre is placed.")) is not None:
            return redirect(secondment)
        return self.render_to_response(self.get_context_data(place_form=form), status=400)


class SecondmentEndView(SecondmentDetailView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        secondment = self.get_object()
        form = EndForm(request.POST)
        if _apply(request, form, lambda: services.secondment_end(
            actor=request.user, secondment=secondment,  # type: ignore[arg-type]
            ends_on=form.cleaned_data["ends_on"], reason=form.cleaned_data["reason"],
        ), _("The secondment has ended; the cadre returns to the department.")) is not None:
            return redirect(secondment)
        return self.render_to_response(self.get_context_data(end_form=form), status=400)


class DepartmentTeamView(ScopedMixin, TemplateView):
    """A sending department's team: who is responsible, who leads, who is away and where."""

    model = Secondment
    template_name = "deployment/department_team.html"
    unit_kwarg = "pk"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        department = get_object_or_404(Unit.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        day = _day(self.request)
        context.update(department=department, day=day,
                       team=selectors.department_team(department, day, self.get_queryset()))
        return context


class PlaceView(ScopedMixin, TemplateView):
    """Cadres placed at a street, community or checkpoint (and below it), and who is paired with it."""

    model = Secondment
    template_name = "deployment/place.html"
    unit_kwarg = "pk"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from fangkong.orgs.models import Pairing

        context = super().get_context_data(**kwargs)
        unit = get_object_or_404(
            Unit.objects.visible_to(self.request.user).filter(kind__in=services.PLACEMENT_KINDS), pk=self.kwargs["pk"]
        )
        day = _day(self.request)
        placed = selectors.placed_under(self.get_queryset(), unit.pk, day).select_related("person", "department", "unit")
        context.update(
            unit=unit, day=day, placed=placed.order_by("unit__code", "-role", "person__name_initials"),
            paired=Unit.objects.filter(id__in=Pairing.objects.filter(community=unit).values("department_id")),
        )
        return context


class ShiftListView(ScopedListView):
    model = Shift
    template_name = "deployment/shift_list.html"
    partial_template = "deployment/_shift_table.html"
    filterset_class = ShiftFilterSet

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("checkpoint", "leader")
        return selectors.shifts_with_staffing(qs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        can_roster = user_has_perm(self.request.user, "deployment.roster")
        context.update(can_roster=can_roster,
                       day_form=kwargs.get("day_form") or (DayShiftsForm(user=self.request.user,
                                                                        initial={"day": as_of_default()})
                                                           if can_roster else None))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("roster")
        form = DayShiftsForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                made = services.shifts_for_day(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "messages", None) or str(exc))
            else:
                messages.success(request, _("%(n)d shifts planned.") % {"n": len(made)})
                return redirect(f"{request.path}?checkpoint={form.cleaned_data['checkpoint'].pk}"
                                f"&day={form.cleaned_data['day'].isoformat()}")
        return self.render_to_response(self.get_context_data(day_form=form), status=400)


class ShiftDetailView(ScopedDetailView):
    """One shift: who is on it, who checked in and out, who did not come; assign and check in here."""

    model = Shift
    template_name = "deployment/shift_detail.html"

    def get_queryset(self) -> Any:
        return selectors.shifts_with_staffing(super().get_queryset().select_related("checkpoint", "leader"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shift: Shift = context["object"]
        user = self.request.user
        now = clock.now()
        late = set(selectors.no_shows(shift.assignments.all(), now).values_list("id", flat=True))
        can_roster = user_has_perm(user, "deployment.roster")
        context.update(
            assignments=shift.assignments.select_related("person", "person__unit").order_by("person__name_initials"),
            late=late, can_roster=can_roster, can_check=user_has_perm(user, "deployment.checkin"),
            assign_form=kwargs.get("assign_form") or (
                AssignForm(people=selectors.eligible_for(shift)) if can_roster else None),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shift = self.get_object()
        action = request.POST.get("action", "assign")
        form = AssignForm(request.POST, people=selectors.eligible_for(shift))
        try:
            if action == "assign":
                self.require("roster")
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(assign_form=form), status=400)
                services.assign(actor=request.user, shift=shift, person=form.cleaned_data["person"])  # type: ignore[arg-type]
                messages.success(request, _("The cadre is on the shift."))
            else:
                assignment = get_object_or_404(shift.assignments.select_related("person"),
                                               pk=request.POST.get("assignment"))
                if action == "unassign":
                    services.unassign(actor=request.user, assignment=assignment)  # type: ignore[arg-type]
                elif action in ("check_in", "check_out"):
                    # The time is the server's and who did it follows from the signed-in user.
                    fn = services.check_in if action == "check_in" else services.check_out
                    fn(actor=request.user, person=assignment.person, checkpoint=shift.checkpoint)  # type: ignore[arg-type]
                    messages.success(request, _("Recorded."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            if action == "assign":
                _service_error(form, exc)
                return self.render_to_response(self.get_context_data(assign_form=form), status=400)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Your role may not do this."))
        return redirect("deployment:shift_detail", pk=shift.pk)


class NoShowListView(ScopedMixin, TemplateView):
    """Cadres on a shift that began more than the grace period ago who have not checked in."""

    model = Assignment
    template_name = "deployment/no_shows.html"

    def day(self) -> dt.date | None:
        return parse_date(self.request.GET.get("day") or "")

    def no_shows(self) -> tuple[dt.datetime, Any]:
        """Every missed shift so far; with ``day``, that day's as they stood at ``at`` (the business
        moment by default): the workbench's and the command picture's figures link here."""
        now = clock.now()
        day = self.day()
        if day is not None:
            at = parse_datetime(self.request.GET.get("at") or "")
            moment = at if at is not None and timezone.is_aware(at) else now
            qs = selectors.no_shows_on(self.get_queryset(), day, moment)
        else:
            qs = selectors.no_shows(self.get_queryset(), now)
        return now, qs.select_related("person__unit").order_by("-starts_at", "id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now, qs = self.no_shows()
        day = self.day()
        page = Paginator(qs, page_size_from(self.request, 50)).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(page_obj=page, object_list=page.object_list, now=now, day=day,
                       querystring=query.urlencode(),
                       grace=int(services.no_show_grace().total_seconds() // 60),
                       can_export=user_has_perm(self.request.user, "deployment.export"))
        return context


class NoShowExportView(NoShowListView):
    """The no-shows, every page of them, as xlsx (audited)."""

    required_perm = "deployment.export"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now, qs = self.no_shows()
        headers = [_("Cadre"), _("Unit"), _("Checkpoint"), _("Shift starts"), _("Shift ends")]
        rows = [
            [a.person.name, a.person.unit.display_name if a.person.unit else "", a.checkpoint.name,
             timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M"),
             timezone.localtime(a.ends_at).strftime("%Y-%m-%d %H:%M")]
            for a in qs
        ]
        name = _("No-shows %(day)s") % {"day": timezone.localtime(now).date().isoformat()}
        return xlsx_export(request, headers=headers, rows=rows, sheet=str(_("No-shows")), filename=name,
                           object_type="deployment.no_shows", what=name)


class ImportListView(ScopedMixin, TemplateView):
    model = SecondmentImport
    template_name = "deployment/import_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = self.get_queryset().select_related("uploaded_by").defer("errors", "rows")
        page = Paginator(qs, 20).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, object_list=page.object_list, querystring="",
                       form=kwargs.get("form") or ImportForm(),
                       can_change=user_has_perm(self.request.user, "deployment.change"))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("change")
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "upload"
            with source.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            record = imports.import_preview(actor=request.user, source=source,  # type: ignore[arg-type]
                                            file_name=upload.name or "list",
                                            mapping=form.cleaned_data.get("mapping") or None)
        return redirect(record)


class ImportDetailView(ScopedDetailView):
    model = SecondmentImport
    template_name = "deployment/import_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record: SecondmentImport = context["object"]
        context["can_commit"] = (record.status == ImportStatus.PREVIEW and not record.error_count
                                 and record.total_rows > 0 and user_has_perm(self.request.user, "deployment.change"))
        context["more_errors"] = record.error_count - len(record.errors)
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("change")
        record = imports.import_commit(actor=request.user, record=self.get_object())  # type: ignore[arg-type]
        if record.status == ImportStatus.COMMITTED:
            messages.success(request, _("%(n)d secondments written.") % {"n": record.created})
        else:
            messages.error(request, _("Nothing was written: the list has problems now."))
        return redirect(record)


class TemplateDownloadView(ScopedMixin, View):
    model = Secondment

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(imports.build_template(), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, "下沉干部名单（模板）.xlsx") or "attachment"
        return response

