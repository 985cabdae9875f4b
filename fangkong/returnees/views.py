"""Pages of the returnee ledger: the list and its export, a person's timeline, registration from
both sides, today's follow-ups, reconciliation of the two sides, attribution conflicts and ledger
imports."""

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.forms import add_service_errors
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.templatetags.cn_dates import chinese_date
from fangkong.core.views import (
    XLSX,
    ScopedDetailView,
    ScopedExportView,
    ScopedListView,
    ScopedMixin,
    ScopedRevealView,
    is_htmx,
    page_size_from,
    xlsx_export,
)
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from . import imports, selectors, services
from .choices import ChangeKind, ConflictStatus, ImportStatus, Line, Side
from .divisions import choices_for, match_origin
from .filtersets import ReturneeFilterSet
from .forms import (
    EMPLOYER_FORM_KINDS,
    ConflictResolveForm,
    FollowUpForm,
    ImportForm,
    IsolationChangeForm,
    MergeForm,
    RegistrationForm,
    ReleaseForm,
    ReturneeEditForm,
)
from .models import AttributionConflict, FollowUp, IsolationOrder, LedgerImport, Registration, Returnee
from .tables import export_rows

RECONCILIATION_ROWS = 200
FEVER = Decimal("37.3")


def origin_options() -> list[str]:
    """Provinces and cities for the "where from" suggestions (counties are typed)."""
    options = []
    for province in choices_for(None):
        options.append(province.full_name)
        options += [city.full_name for city in choices_for(province.code) if not city.is_placeholder]
    return options


def parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


# ---- the ledger --------------------------------------------------------------------------


class ReturneeListView(ScopedListView):
    model = Returnee
    filterset_class = ReturneeFilterSet
    template_name = "returnees/returnee_list.html"
    partial_template = "returnees/_returnee_table.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "community", "isolation")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_change"] = user_has_perm(user, "returnees.change")
        context["can_export"] = user_has_perm(user, "returnees.export")
        if not is_htmx(self.request):
            visible = Unit.objects.visible_to(user).only("id", "name", "kind").order_by("code")
            context["unit_options"] = visible.filter(kind__in=[*EMPLOYER_FORM_KINDS, UnitKind.COORDINATING_BODY])
            context["community_options"] = visible.filter(kind=UnitKind.COMMUNITY)
        return context


class ReturneeExportView(ScopedExportView):
    model = Returnee
    required_perm = "returnees.export"
    filterset_class = ReturneeFilterSet
    rows = staticmethod(export_rows)
    sheet = _lazy("Returnee ledger")
    file_prefix = "returnees"


class ReturneeDetailView(ScopedDetailView):
    """A person's timeline: details, both sides' registrations, isolation, follow-ups, release."""

    model = Returnee
    template_name = "returnees/returnee_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related(
            "unit", "community", "coordinating_body", "isolation", "isolation__released_by"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        returnee: Returnee = context["object"]
        user = self.request.user
        registrations = list(selectors.standing(returnee.registrations.all()).select_related(
            "unit", "registered_by", "stated_employer", "source_import"))
        may_resolve = user_has_perm(user, "returnees.resolve")
        disputes = list(selectors.open_conflicts(returnee).only("id"))
        order: IsolationOrder | None = getattr(returnee, "isolation", None)
        changes = list(order.changes.select_related("changed_by")) if order else []
        follow_ups = list(order.follow_ups.select_related("checked_by")) if order else []
        today = clock.today()
        open_order = order is not None and order.released_on is None
        context.update(
            registrations=registrations, order=order, changes=changes, follow_ups=follow_ups,
            timeline=self.timeline(returnee, registrations, order, changes, follow_ups),
            can_change=user_has_perm(user, "returnees.change"),
            can_reveal=user_has_perm(user, "returnees.reveal"),
            # The holder learns that the attribution is disputed, not by whom; the office gets the links.
            disputed=bool(disputes), disputes=disputes if may_resolve else [],
            can_isolation=open_order and user_has_perm(user, "returnees.isolation"),
            can_followup=open_order and user_has_perm(user, "returnees.followup"),
            change_form=IsolationChangeForm(),
            release_form=ReleaseForm(initial={"day": today}),
            followup_form=FollowUpForm(initial={"day": today if order and order.is_due(today) else None}),
        )
        return context

    @staticmethod
    def timeline(
        returnee: Returnee, registrations: list[Registration], order: IsolationOrder | None, changes: list[Any],
        follow_ups: list[Any],
    ) -> list[dict[str, Any]]:
        """Everything that happened to the person, oldest first."""

        def day_start(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())

        events: list[dict[str, Any]] = []
        if returnee.return_date:
            events.append({"at": day_start(returnee.return_date), "date_only": True, "kind": "return",
                           "text": _("Returned from %(origin)s") % {"origin": returnee.origin_text or "—"}})
        for r in registrations:
            if r.side == Side.UNIT:
                text = _("Reported by the unit %(unit)s") % {"unit": r.unit.name}
            else:
                text = _("Registered with the community %(unit)s") % {"unit": r.unit.name}
            events.append({"at": r.registered_at, "kind": r.side, "text": text, "who": r.registered_by})
        if order is not None:
            events.append({"at": day_start(order.start_date), "date_only": True, "kind": "isolation",
                           "text": _("Home isolation starts, %(days)d days planned") % {"days": order.period_days}})
            for c in changes:
                template = _("Extended by %(days)d days to %(end)s") if c.kind == ChangeKind.EXTEND else _(
                    "Shortened by %(days)d days to %(end)s")
                text = template % {"days": abs(c.days), "end": c.new_end.isoformat()}
                events.append({"at": c.changed_at, "kind": "change", "who": c.changed_by,
                               "text": f"{text} · {c.reason} · {_('approved by')} {c.approver}"})
            # Only the follow-ups that call for attention; the table below lists them all.
            for fu in follow_ups:
                if fu.temperature < FEVER and not fu.symptoms and fu.at_home:
                    continue
                text = _("Follow-up for %(day)s: %(temperature)s °C") % {
                    "day": fu.day.isoformat(), "temperature": fu.temperature}
                extra = [fu.symptoms] if fu.symptoms else []
                if not fu.at_home:
                    extra.append(_("not at home"))
                events.append({"at": fu.checked_at, "kind": "alert", "who": fu.checked_by,
                               "text": " · ".join([text, *extra])})
            if order.released_on:
                events.append({"at": day_start(order.released_on), "date_only": True, "kind": "release",
                               "who": order.released_by, "text": _("Released from home isolation")})
        events.sort(key=lambda e: e["at"])
        return events


class ReturneeRevealView(ScopedRevealView):
    model = Returnee


class ReturneeEditView(ScopedMixin, TemplateView):
    model = Returnee
    template_name = "returnees/returnee_form.html"

    def instance(self) -> Returnee:
        # Outside scope answers 404 before a missing change permission answers 403.
        returnee: Returnee = self.get_object()
        self.require("change")
        return returnee

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        returnee = self.instance()
        initial = {name: getattr(returnee, name) for name in ReturneeEditForm.base_fields if name != "phone"}
        return self.show(ReturneeEditForm(initial=initial, returnee=returnee), returnee)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        returnee = self.instance()
        form = ReturneeEditForm(request.POST, returnee=returnee)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["phone"]:
                del data["phone"]  # keeps the number on record
            origin = match_origin(data["origin_text"]) if data["origin_text"] else None
            data["origin_code"] = origin.code if origin else ""
            try:
                returnee = services.returnee_update(actor=request.user, returnee=returnee, **data)  # type: ignore[arg-type]
                messages.success(request, _("Changes saved."))
                return redirect(returnee)
            except ValidationError as exc:
                add_service_errors(form, exc)
        return self.show(form, returnee, status=400)

    def show(self, form: ReturneeEditForm, returnee: Returnee, status: int = 200) -> HttpResponse:
        context = {"form": form, "object": returnee, "origin_options": origin_options()}
        return render(self.request, self.template_name, context, status=status)


class RegisterView(ScopedMixin, TemplateView):
    """Registration from one side. The unit's liaison reports an employee; community staff
    register a resident. Both go through services.register and meet on the ID number."""

    model = Returnee
    required_perm = "returnees.change"
    side = Side.UNIT

    def get_template_names(self) -> list[str]:
        return ["returnees/register_form.html"]

    def make_form(self, data: Any = None) -> RegistrationForm:
        form = RegistrationForm(data, user=self.request.user, side=self.side)
        if data is None and self.side == Side.COMMUNITY:
            communities = list(form.fields["community"].queryset[:2])  # type: ignore[attr-defined]
            if len(communities) == 1:
                form.initial["community"] = communities[0].pk
        if data is None and self.side == Side.UNIT:
            units = list(form.fields["unit"].queryset[:2])  # type: ignore[attr-defined]
            if len(units) == 1:
                form.initial["unit"] = units[0].pk
        return form

    def show(self, form: RegistrationForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "side": self.side, "origin_options": origin_options()}
        return render(self.request, "returnees/register_form.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.show(self.make_form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            origin = match_origin(data["origin_text"]) if data["origin_text"] else None
            data["origin_code"] = origin.code if origin else ""
            try:
                returnee = services.register(actor=request.user, side=self.side, **data)  # type: ignore[arg-type]
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if returnee.pk is None:
                    return self.claimed(returnee)
                returnee.refresh_from_db()
                if returnee.dual_state == "both":
                    messages.success(request, _("%(name)s is registered and now reported on both sides.") % {
                        "name": returnee.name})
                else:
                    messages.success(request, _("%(name)s is registered.") % {"name": returnee.name})
                if "another" in request.POST:
                    return redirect(request.path)
                return redirect(returnee)
        return self.show(form, status=400)

    def claimed(self, shown: Returnee) -> HttpResponse:
        """The person met is held outside the registrant's scope: say only that the registration
        is kept and awaits the committee office, and show the registrant its own claim."""
        conflict = shown.attribution_conflict
        if conflict is not None and conflict.is_open:
            messages.warning(self.request, _(
                "%(name)s is registered. Where this person belongs awaits the committee office's decision "
                "(attribution conflict); your registration is kept meanwhile.") % {"name": shown.name})
            return redirect(conflict)
        messages.success(self.request, _("%(name)s is registered.") % {"name": shown.name})
        return redirect(conflict or self.request.path)


class CommunityRegisterView(RegisterView):
    side = Side.COMMUNITY


# ---- isolation and follow-ups ------------------------------------------------------------


class OrderActionView(ScopedMixin, View):
    """Base of the POST actions on a returnee's isolation order (404 outside scope or without one)."""

    model = Returnee
    action = ""

    def order(self) -> IsolationOrder:
        returnee: Returnee = self.get_object()
        self.require(self.action)
        order = IsolationOrder.objects.filter(returnee=returnee).select_related("returnee").first()
        if order is None:
            raise Http404
        return order

    def done(self, request: HttpRequest, order: IsolationOrder) -> HttpResponse:
        return redirect(order.returnee)


def report_errors(request: HttpRequest, errors: Any) -> None:
    for field_errors in errors.values():
        for error in field_errors:
            messages.error(request, error)


class IsolationChangeView(OrderActionView):
    action = "isolation"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order()
        form = IsolationChangeForm(request.POST)
        if not form.is_valid():
            report_errors(request, form.errors)
            return self.done(request, order)
        try:
            order = services.isolation_change(
                actor=request.user, order=order, days=form.signed_days(),  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"], approver=form.cleaned_data["approver"],
            )
        except ValidationError as exc:
            report_errors(request, {"": exc.messages})
        else:
            messages.success(request, _("The isolation now ends on %(day)s.") % {
                "day": order.last_day().isoformat()})
        return self.done(request, order)


class IsolationReleaseView(OrderActionView):
    action = "isolation"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order()
        form = ReleaseForm(request.POST)
        if not form.is_valid():
            report_errors(request, form.errors)
            return self.done(request, order)
        try:
            services.isolation_release(actor=request.user, order=order,  # type: ignore[arg-type]
                                       day=form.cleaned_data["day"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            report_errors(request, {"": exc.messages})
        else:
            messages.success(request, _("Released from home isolation."))
        return self.done(request, order)


class FollowUpRecordView(OrderActionView):
    """Records one day's follow-up: a plain POST from the timeline, or an HTMX row swap from
    today's list."""

    action = "followup"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order()
        form = FollowUpForm(request.POST)
        error = ""
        if form.is_valid():
            try:
                services.follow_up_record(actor=request.user, order=order, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if not is_htmx(request):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("Follow-up recorded."))
            return self.done(request, order)
        day = form.cleaned_data.get("day") or clock.today()
        row = followup_list(IsolationOrder.objects.filter(pk=order.pk), day).first()
        if row is None:
            return HttpResponse(format_html('<tr><td colspan="6" class="errorlist">{}</td></tr>', error) if error else "")
        context = {"row": followup_row(row, day), "day": day, "can_followup": True, "error": error}
        return render(request, "returnees/_followup_row.html", context)


def followup_list(orders: QuerySet[IsolationOrder], day: dt.date) -> QuerySet[IsolationOrder]:
    """Today's list, with the temperature already recorded for the day (same single query)."""
    recorded = FollowUp.objects.filter(order=OuterRef("pk"), day=day).values("temperature")[:1]
    return selectors.follow_up_list(orders, day).annotate(temperature=Subquery(recorded))


def followup_row(order: Any, day: dt.date) -> dict[str, Any]:
    return {"order": order, "done": order.done, "overdue": selectors.overdue_days(order, order.recorded, day)}


class FollowUpTodayView(ScopedMixin, TemplateView):
    """Today's follow-ups for community staff: who is due, who is done, who is overdue."""

    model = IsolationOrder
    template_name = "returnees/followup_today.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day = parse_day(self.request.GET.get("day"), as_of_default())
        orders = followup_list(self.get_queryset(), day)
        if self.request.GET.get("done") == "no":
            orders = orders.filter(done=False)  # type: ignore[misc]  # the workbench's "still to do today"
        paginator = Paginator(orders, page_size_from(self.request, self.paginate_by))
        page = paginator.get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            day=day, page_obj=page, rows=[followup_row(o, day) for o in page.object_list],
            querystring=query.urlencode(), can_followup=user_has_perm(self.request.user, "returnees.followup"),
            can_export=user_has_perm(self.request.user, "returnees.export"),
        )
        return context

    def get_template_names(self) -> list[str]:
        return ["returnees/_followup_table.html"] if is_htmx(self.request) else [self.template_name]


class FollowUpExportView(FollowUpTodayView):
    """The day's follow-up list, every page of it, as xlsx (audited; phones masked as on the page)."""

    required_perm = "returnees.export"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day = parse_day(request.GET.get("day"), as_of_default())
        headers = [_("Full name"), _("Phone"), _("State"), _("Temperature (°C)"), _("Days overdue"), _("Community"),
                   _("Isolation from"), _("Last follow-up day")]
        rows = []
        for order in followup_list(self.get_queryset(), day):
            row = followup_row(order, day)
            rows.append([
                order.returnee.name, order.returnee.masked_phone, _("done") if row["done"] else _("due"),
                order.temperature, row["overdue"] or 0,  # type: ignore[attr-defined]
                order.returnee.community.name if order.returnee.community else "",
                order.start_date, order.last_day(),
            ])
        name = _("Follow-ups %(day)s") % {"day": day.isoformat()}
        return xlsx_export(request, headers=headers, rows=rows, sheet=day.isoformat(), filename=name,
                           object_type="returnees.followups", what=name)


# ---- reconciliation ----------------------------------------------------------------------


class ReconciliationView(ScopedMixin, TemplateView):
    """Who still has to act: the dual-report rate as of a moment, and the people behind it."""

    model = Returnee
    template_name = "returnees/reconciliation.html"

    def moment(self) -> tuple[dt.date, str, dt.datetime]:
        day = parse_day(self.request.GET.get("date"), as_of_default())
        text = (self.request.GET.get("time") or "").strip()
        try:
            at = dt.time.fromisoformat(text) if text else None
        except ValueError:
            at, text = None, ""
        if at is None:
            return day, "", selectors.end_of_day(day)
        return day, text, dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs: QuerySet[Returnee] = self.get_queryset()
        day, time_text, moment = self.moment()
        lines = dict(Line.choices)
        by_line = selectors.dual_by(qs, moment, "line")
        for row in by_line:
            row["label"] = lines.get(row["key"], _("No line"))
        missing_rows = missing_side_rows(qs, moment, RECONCILIATION_ROWS)
        community_regs = Prefetch(
            "registrations", to_attr="community_registrations",
            queryset=selectors.standing(Registration.objects.filter(side=Side.COMMUNITY, registered_at__lt=moment))
            .select_related("unit", "registered_by", "stated_employer"),
        )
        suspects = (
            selectors.missing_side(qs, moment).filter(community_reported_at__lt=moment, unit__isnull=False)
            .prefetch_related(community_regs)[:RECONCILIATION_ROWS]
        )
        unit_regs = Prefetch(
            "registrations", to_attr="unit_registrations",
            queryset=selectors.standing(Registration.objects.filter(side=Side.UNIT)).select_related(
                "unit", "registered_by"),
        )
        several = (
            selectors.reported_by_several_units(qs).select_related("community")
            .prefetch_related(unit_regs).order_by("name", "id")[:RECONCILIATION_ROWS]
        )
        context.update(
            day=day, time_text=time_text, moment=moment, figures=selectors.dual_figures(qs, moment),
            moment_label=f"{chinese_date(day)} {time_text[:5] or '24:00'}",
            can_export=user_has_perm(self.request.user, "returnees.export"),
            by_line=by_line,
            by_body=[r for r in selectors.dual_by(qs, moment, "coordinating_body") if r["key"] is not None],
            by_unit=[r for r in selectors.dual_by(qs, moment, "unit") if r["key"] is not None],
            by_community=[r for r in selectors.dual_by(qs, moment, "community") if r["key"] is not None],
            missing_rows=missing_rows, suspects=list(suspects), several=list(several),
            duplicates=selectors.possible_duplicates(qs), limit=RECONCILIATION_ROWS,
            can_merge=user_has_perm(self.request.user, "returnees.merge"),
        )
        return context


def missing_side_rows(qs: QuerySet[Returnee], moment: dt.datetime, limit: int | None = None) -> list[dict[str, Any]]:
    """The people registered on one side only at ``moment``, longest waiting first, with the
    side still missing."""
    missing = selectors.missing_side(qs, moment)
    return [
        {"returnee": r, "missing": Side.COMMUNITY if r.unit_reported_at and r.unit_reported_at < moment
         else Side.UNIT, "since": selectors.waiting_since(r)}
        for r in (missing[:limit] if limit is not None else missing)
    ]


class ReconciliationExportView(ReconciliationView):
    """The people still missing one side, all of them (the page shows the first 200), as xlsx."""

    required_perm = "returnees.export"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day, time_text, moment = self.moment()
        headers = [_("Full name"), _("ID number"), _("Missing"), _("Employer unit"), _("Community"),
                   _("Registered since"), _("Days waiting")]
        rows = []
        for row in missing_side_rows(self.get_queryset(), moment):
            r = row["returnee"]
            since = row["since"]
            rows.append([
                r.name, r.masked_id_number,
                _("community registration") if row["missing"] == Side.COMMUNITY else _("unit report"),
                r.unit.name if r.unit else "", r.community.name if r.community else "",
                timezone.localtime(since).strftime("%Y-%m-%d %H:%M") if since else None,
                (moment - since).days if since else None,
            ])
        name = _("Still missing one side as of %(moment)s") % {"moment": f"{day.isoformat()} {time_text[:5] or '24:00'}"}
        return xlsx_export(request, headers=headers, rows=rows, sheet=day.isoformat(),
                           filename=name.replace(":", ""), object_type="returnees.reconciliation", what=name)


class ReturneeMergeView(ScopedMixin, View):
    """Merges another record into this one (committee office, from the possible duplicates)."""

    model = Returnee
    required_perm = "returnees.merge"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        keep: Returnee = self.get_object()
        form = MergeForm(request.POST)
        if not form.is_valid():
            raise Http404
        remove = get_object_or_404(self.get_queryset(), pk=form.cleaned_data["other"])
        try:
            keep = services.returnee_merge(actor=request.user, keep=keep, remove=remove)  # type: ignore[arg-type]
        except ValidationError as exc:
            report_errors(request, {"": exc.messages})
            return redirect("returnees:reconciliation")
        messages.success(request, _("The two records are merged into this one."))
        return redirect(keep)


# ---- imports -----------------------------------------------------------------------------


class ImportListView(ScopedMixin, TemplateView):
    """The upload form, the template downloads and earlier imports."""

    model = LedgerImport
    template_name = "returnees/import_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = self.get_queryset().select_related("uploaded_by").defer("errors")
        page = Paginator(qs, page_size_from(self.request, 20)).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page, object_list=page.object_list, querystring="",
            form=kwargs.get("form") or ImportForm(initial={"side": self.default_side()}),
            can_change=user_has_perm(self.request.user, "returnees.change"),
        )
        return context

    def default_side(self) -> str:
        return Side.COMMUNITY if getattr(self.request.user, "role", "") == "community_staff" else Side.UNIT


class ImportCreateView(ImportListView):
    required_perm = "returnees.change"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("returnees:import_list")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "upload"
            with source.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            ledger_import = imports.import_create(
                actor=request.user, side=form.cleaned_data["side"], source=source,  # type: ignore[arg-type]
                file_name=upload.name or "ledger", strict=form.cleaned_data.get("strict", False),
            )
        imports.import_start(ledger_import, commit=False)
        return redirect(ledger_import)


class ImportDetailView(ScopedDetailView):
    model = LedgerImport
    template_name = "returnees/import_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("uploaded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        li: LedgerImport = context["object"]
        context["can_commit"] = (
            li.status == ImportStatus.PREVIEW and li.error_count == 0 and li.total_rows > 0
            and user_has_perm(self.request.user, "returnees.change") and li.uploaded_by_id == self.request.user.pk
        )
        context["running"] = li.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        context["more_errors"] = li.error_count - len(li.errors)
        context["show_hash"] = user_has_perm(self.request.user, "audit.view")
        mine = user_has_perm(self.request.user, "returnees.change") and li.uploaded_by_id == self.request.user.pk
        # Valid rows alone may be committed when some rows have problems (all of them listed).
        context["can_commit_valid"] = (
            mine and li.status == ImportStatus.PREVIEW and 0 < li.error_count == len(li.errors)
            and len({e["row"] for e in li.errors}) < li.total_rows
        )
        context["can_map"] = mine and li.status in (ImportStatus.MAPPING, ImportStatus.PREVIEW) and not li.purged_at
        context["columns"] = mapping_rows(li)
        context["targets"] = mapping_targets(li.side)
        context["skipped"] = [c for c in li.preview.get("columns", []) if not c.get("key")]
        context["preview_rows"] = li.preview.get("rows", [])
        context["split"] = li.preview.get("split")
        context["committed_before"] = li.preview.get("committed_before")
        context["warnings"] = li.preview.get("warnings", [])
        return context


def mapping_targets(side: str) -> list[tuple[str, str]]:
    """The fields a column can fill, as the mapping step offers them (不导入 first)."""
    from .ledger.columns import TARGET_LABELS

    return [("", _("Do not import")), *TARGET_LABELS.items()]


def mapping_rows(li: LedgerImport) -> list[dict[str, Any]]:
    """Every column of the file with its first values and the field it now fills (or its suggestion)."""
    from .ledger.columns import TARGET_LABELS

    rows = []
    for column in li.preview.get("columns", []):
        chosen = column.get("key") or ("" if column.get("how") in ("mapped", "ignored") else column.get("suggestion"))
        rows.append({**column, "chosen": chosen or "", "label": TARGET_LABELS.get(column.get("key") or "", ""),
                     "needs": column.get("how") in ("unknown", "duplicate")})
    return rows


class ImportMapView(ScopedMixin, View):
    """The mapping step: the uploader chooses, for each column, the field it fills or 不导入; the
    choice is remembered for the unit and the file's headers, and the preview made again."""

    model = LedgerImport
    required_perm = "returnees.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        li: LedgerImport = self.get_object()
        choices = {c["letter"]: request.POST.get(f"col_{c['letter']}", "")
                   for c in li.preview.get("columns", []) if f"col_{c['letter']}" in request.POST}
        try:
            li = imports.import_map(li, actor=request.user, choices=choices)  # type: ignore[arg-type]
        except ValidationError as exc:
            report_errors(request, {"": exc.messages})
            return redirect(li)
        if li.status != ImportStatus.MAPPING:
            messages.success(request, _("The columns are mapped; this unit's files with the same headers will be "
                                        "read the same way."))
        return redirect(li)


class ImportRejectedView(ScopedMixin, View):
    """The rows a per-row commit left out, as an xlsx with the reason in an added column: to be
    corrected and uploaded again."""

    model = LedgerImport

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        li: LedgerImport = self.get_object()
        if not li.errors or li.purged_at or li.uploaded_by_id != request.user.pk:
            raise Http404
        content = imports.rejected_rows_xlsx(li, actor=request.user)  # type: ignore[arg-type]
        response = HttpResponse(content, content_type=XLSX)
        stem = Path(li.file_name).stem or "ledger"
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}_未导入的行.xlsx") or "attachment"
        return response


class ImportProgressView(ScopedMixin, View):
    """The progress bar, polled every second while the import runs; when it has finished the
    page reloads to show the outcome."""

    model = LedgerImport

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        li: LedgerImport = get_object_or_404(self.get_queryset().defer("errors"), pk=pk)
        if li.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return render(request, "returnees/_import_progress.html", {"object": li, "running": True})
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response


class ImportCommitView(ScopedMixin, View):
    model = LedgerImport
    required_perm = "returnees.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        li: LedgerImport = self.get_object()
        imports.check_committer(li, request.user)  # type: ignore[arg-type]
        per_row = request.POST.get("mode") == "valid"
        if li.status != ImportStatus.PREVIEW or (li.error_count and not per_row):
            messages.error(request, _("Only a clean preview can be committed."))
            return redirect(li)
        if li.per_row != per_row:
            li.per_row = per_row
            li.save(update_fields=["per_row"])
        li = imports.import_start(li, commit=True, actor=request.user)  # type: ignore[arg-type]
        if li.status == ImportStatus.COMMITTED:
            messages.success(request, _("The ledger is committed: %(created)d new, %(updated)d updated, "
                                        "%(unchanged)d unchanged.") % {
                "created": li.created, "updated": li.updated, "unchanged": li.unchanged})
        return redirect(li)


class TemplateDownloadView(ScopedMixin, View):
    """The empty ledger of one side, with Chinese headers, hints and drop-down lists."""

    model = Returnee

    def get(self, request: HttpRequest, side: str) -> HttpResponse:
        if side not in Side.values:
            raise Http404
        from .ledger import build_template

        response = HttpResponse(build_template(side), content_type=XLSX)
        name = "输入人员台账（单位报送）.xlsx" if side == Side.UNIT else "输入人员台账（社区登记）.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
        return response


# ---- attribution conflicts ---------------------------------------------------------------


class ConflictMixin(ScopedMixin):
    """The office sees every conflict in its scope; anyone else who registers sees its own claims
    (selectors.conflicts_visible_to)."""

    model = AttributionConflict

    def get_queryset(self) -> QuerySet[AttributionConflict]:
        return selectors.conflicts_visible_to(self.request.user).select_related(
            "claiming_unit", "current_unit", "opened_by", "resolved_by", "claiming_registration")

    def may_resolve(self) -> bool:
        return user_has_perm(self.request.user, "returnees.resolve")


class ConflictListView(ConflictMixin, TemplateView):
    """归属争议: the office's list to decide (open first), or a registrant's own claims."""

    template_name = "returnees/conflict_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = self.get_queryset()
        status = self.request.GET.get("status", ConflictStatus.OPEN)
        if status in ConflictStatus.values:
            qs = qs.filter(status=status)
        office = self.may_resolve()
        if office:
            qs = qs.select_related("returnee", "returnee__unit", "returnee__community")
        page = Paginator(qs, page_size_from(self.request, 50)).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, object_list=page.object_list, office=office, status=status,
                       statuses=ConflictStatus.choices, querystring=f"status={status}")
        return context


class ConflictDetailView(ConflictMixin, TemplateView):
    """One conflict. The office sees the person as held and the claim side by side and decides;
    the claimant sees only its claim, its status and, once decided, the decision and reason."""

    template_name = "returnees/conflict_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        conflict: AttributionConflict = self.get_object()
        office = self.may_resolve()
        context.update(object=conflict, office=office, claimed=claimed_rows(conflict),
                       form=kwargs.get("form") or ConflictResolveForm())
        if office:
            context["person"] = Returnee.objects.select_related("unit", "community").get(pk=conflict.returnee_id)
        return context


class ConflictResolveView(ConflictDetailView):
    required_perm = "returnees.resolve"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("returnees:conflict_detail", pk=kwargs["pk"])

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        conflict: AttributionConflict = self.get_object()
        form = ConflictResolveForm(request.POST)
        if form.is_valid():
            try:
                services.conflict_resolve(actor=request.user, conflict=conflict, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The decision is recorded."))
                return redirect(conflict)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def claimed_rows(conflict: AttributionConflict) -> list[tuple[str, Any]]:
    """What the claimant typed, as (label, value) rows with unit names."""
    claimed = conflict.claimed
    units = {u.pk: u.name for u in Unit.objects.filter(pk__in=[claimed.get("unit_id"), claimed.get("community_id")])}
    categories = dict(Returnee._meta.get_field("category").choices or [])  # type: ignore[arg-type]
    rows = [
        (_("Full name"), claimed.get("name")),
        (_("Employer unit"), units.get(claimed.get("unit_id"))),
        (_("Residential community"), units.get(claimed.get("community_id"))),
        (_("Address"), claimed.get("address")),
        (_("Category"), categories.get(claimed.get("category"), claimed.get("category"))),
        (_("Where from"), claimed.get("origin_text")),
        (_("Transport"), claimed.get("transport")),
        (_("Return date"), claimed.get("return_date")),
        (_("Notes"), claimed.get("notes")),
    ]
    return [(label, value) for label, value in rows if value]
