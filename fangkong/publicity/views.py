"""Pages of the publicity line and the campaign (三看四比五带头): the overview, materials, media
pushes, official forwards, pledges (sign, one's own share link and QR), model deeds (nominate,
review, publish), the branches' checklists, and the comparison with its formula and records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.forms import apply_write as _apply
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.views import ScopedDetailView, ScopedListView, ScopedMixin, xlsx_export
from fangkong.orgs.choices import PARTY_KINDS
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import comparison, selectors, services
from .choices import CHECKLIST_ITEMS, ChecklistKind
from .filtersets import (
    DeedFilterSet,
    ForwardFilterSet,
    MaterialFilterSet,
    MediaPushFilterSet,
    SignatureFilterSet,
)
from .forms import DeedForm, FormulaForm, ForwardForm, MaterialForm, MediaPushForm, ReviewForm, SignForm
from .models import (
    ChecklistEntry,
    Material,
    MediaPush,
    ModelDeed,
    OfficialForward,
    Pledge,
    PledgeSignature,
    ScoreFormula,
    ShareCount,
)
from .public import qr_data_uri, share_figures


def _day(request: HttpRequest, key: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return as_of_default()




class OverviewView(ScopedMixin, TemplateView):
    """The publicity line as of a day: the five figures, pushes per outlet and per unit."""

    model = MediaPush
    template_name = "publicity/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        day = _day(self.request)
        pushes = MediaPush.objects.visible_to(user).filter(pushed_on__lte=day)  # type: ignore[attr-defined]
        context.update(day=day, figures=selectors.publicity_figures(
            signatures=PledgeSignature.objects.visible_to(user), shares=ShareCount.objects.visible_to(user),
            forwards=OfficialForward.objects.visible_to(user), pushes=pushes,
            deeds=ModelDeed.objects.visible_to(user), day=day),
            by_outlet=selectors.pushes_by(pushes, "outlet"), by_unit=selectors.pushes_by(pushes, "unit")[:30])
        return context


class _FormListView(ScopedListView):
    """A list with a form to add a record under it (the form only for roles that may)."""

    form_class: Any = None
    create_perm = "publicity.change"
    done_message = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        may = user_has_perm(self.request.user, self.create_perm)
        context["form"] = kwargs.get("form") or (self.form_class(user=self.request.user,
                                                                 initial={"issued_on": as_of_default(),
                                                                          "pushed_on": as_of_default(),
                                                                          "day": as_of_default()})
                                                 if may else None)
        return context

    def create(self, form: Any) -> Any:
        raise NotImplementedError

    def post(self, request: HttpRequest) -> HttpResponse:
        if not user_has_perm(request.user, self.create_perm):
            raise PermissionDenied
        form = self.form_class(request.POST, request.FILES, user=request.user)
        if _apply(request, form, lambda: self.create(form), self.done_message) is not None:
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MaterialListView(_FormListView):
    model = Material
    template_name = "publicity/material_list.html"
    partial_template = "publicity/_material_table.html"
    filterset_class = MaterialFilterSet
    form_class = MaterialForm

    @property
    def done_message(self) -> str:  # type: ignore[override]
        return _("The material is in the library.")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit")

    def create(self, form: Any) -> Any:
        return services.material_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class MediaPushListView(_FormListView):
    model = MediaPush
    template_name = "publicity/push_list.html"
    partial_template = "publicity/_push_table.html"
    filterset_class = MediaPushFilterSet
    form_class = MediaPushForm

    @property
    def done_message(self) -> str:  # type: ignore[override]
        return _("The media push is recorded.")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "outlet")

    def create(self, form: Any) -> Any:
        return services.media_push_create(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class ForwardListView(_FormListView):
    model = OfficialForward
    template_name = "publicity/forward_list.html"
    partial_template = "publicity/_forward_table.html"
    filterset_class = ForwardFilterSet
    form_class = ForwardForm

    @property
    def done_message(self) -> str:  # type: ignore[override]
        return _("The forwards are recorded.")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "person")

    def create(self, form: Any) -> Any:
        return services.forward_record(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class PledgeListView(ScopedMixin, TemplateView):
    """The campaign's landing: the pledges, with signatures and counted forwards."""

    model = PledgeSignature
    template_name = "publicity/pledge_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pledges = list(Pledge.objects.visible_to(user))  # type: ignore[attr-defined]
        signatures = PledgeSignature.objects.visible_to(user)  # type: ignore[attr-defined]
        shares = ShareCount.objects.visible_to(user)  # type: ignore[attr-defined]
        from django.db.models import Count, Sum

        signed = dict(signatures.values("pledge_id").annotate(n=Count("id")).values_list("pledge_id", "n"))
        shared = dict(shares.values("pledge_id").annotate(n=Sum("count")).values_list("pledge_id", "n"))
        context["pledges"] = [{"pledge": p, "signed": signed.get(p.pk, 0), "forwards": shared.get(p.pk, 0)}
                              for p in pledges]
        return context


class PledgeDetailView(ScopedMixin, TemplateView):
    """A pledge on a phone: its text, the sign button, and once signed one's own share link, QR and
    how often it was opened and shared onward."""

    model = PledgeSignature
    template_name = "publicity/pledge_detail.html"

    def pledge(self) -> Pledge:
        return get_object_or_404(Pledge.objects.visible_to(self.request.user), pk=self.kwargs["pk"])  # type: ignore[attr-defined]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pledge = self.pledge()
        person = getattr(user, "person", None)
        mine = PledgeSignature.objects.filter(pledge=pledge, person=person).first() if person else None
        link = self.request.build_absolute_uri(reverse("publicity:share", args=[mine.share_code])) if mine else ""
        context.update(
            pledge=pledge, mine=mine, link=link, qr=qr_data_uri(link) if link else "",
            counts=share_figures(mine) if mine else None,
            may_sign_self=bool(person and person.is_party_member and user_has_perm(user, "publicity.sign")),
            form=kwargs.get("form") or (SignForm(user=user) if user_has_perm(user, "publicity.change") else None),
            public_url=reverse("publicity:pledge_public", args=[pledge.slug]),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        pledge = self.pledge()
        if not (user_has_perm(request.user, "publicity.sign") or user_has_perm(request.user, "publicity.change")):
            raise PermissionDenied
        form = SignForm(request.POST, user=request.user)
        if _apply(request, form, lambda: services.pledge_sign(actor=request.user, pledge=pledge,  # type: ignore[arg-type]
                                                              person=form.cleaned_data.get("person")),
                  _("Signed. Forward your link: every open of it is counted.")) is not None:
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SignatureListView(ScopedListView):
    model = PledgeSignature
    template_name = "publicity/signature_list.html"
    partial_template = "publicity/_signature_table.html"
    filterset_class = SignatureFilterSet

    def get_queryset(self) -> Any:
        from django.db.models import Count

        return super().get_queryset().select_related("person", "branch", "pledge").annotate(
            counted=Count("shares")).order_by("-signed_at", "-id")


class DeedListView(_FormListView):
    model = ModelDeed
    template_name = "publicity/deed_list.html"
    partial_template = "publicity/_deed_table.html"
    filterset_class = DeedFilterSet
    form_class = DeedForm

    @property
    def done_message(self) -> str:  # type: ignore[override]
        return _("The nomination is sent to the committee.")

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person", "branch")

    def create(self, form: Any) -> Any:
        return services.deed_nominate(actor=self.request.user, **form.cleaned_data)  # type: ignore[arg-type]


class DeedDetailView(ScopedDetailView):
    model = ModelDeed
    template_name = "publicity/deed_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or (
            ReviewForm() if user_has_perm(self.request.user, "publicity.review") else None)
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        deed = self.get_object()
        if not user_has_perm(request.user, "publicity.review"):
            raise PermissionDenied
        form = ReviewForm(request.POST)
        if _apply(request, form, lambda: services.deed_review(actor=request.user, deed=deed,  # type: ignore[arg-type]
                                                              **form.cleaned_data), _("Saved.")) is not None:
            return redirect(deed)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ChecklistView(ScopedMixin, TemplateView):
    """A branch's members and their six-in-place and four take-the-leads checklists."""

    model = ChecklistEntry
    template_name = "publicity/checklists.html"

    def branches(self) -> Any:
        return Unit.objects.visible_to(self.request.user).filter(kind__in=PARTY_KINDS).order_by("code")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        branches = self.branches()
        chosen = branches.filter(pk=self.request.GET.get("branch") or 0).first() if self.request.GET.get(
            "branch", "").isdigit() else None
        chosen = chosen or branches.filter(members__is_party_member=True).first()
        members: list[dict[str, Any]] = []
        if chosen is not None:
            people = list(Person.objects.filter(branch=chosen, is_party_member=True, is_active=True)
                          .order_by("name_initials", "id")[:200])
            entries = {(e.person_id, e.kind): e for e in ChecklistEntry.objects.filter(person__in=people)}
            for p in people:
                lists = []
                for kind, label in ChecklistKind.choices:
                    entry = entries.get((p.pk, kind))
                    ticked = set(entry.items) if entry else set()
                    lists.append({"kind": kind, "label": label, "items": [
                        {"code": code, "label": text, "done": code in ticked} for code, text in CHECKLIST_ITEMS[kind]],
                        "done": len(ticked), "of": len(CHECKLIST_ITEMS[kind])})
                members.append({"person": p, "lists": lists})
        context.update(branches=branches[:300], branch=chosen, members=members,
                       can_change=user_has_perm(self.request.user, "publicity.change"))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not user_has_perm(request.user, "publicity.change"):
            raise PermissionDenied
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=request.POST.get("person") or 0)  # type: ignore[misc]
        try:
            services.checklist_save(actor=request.user, person=person, kind=request.POST.get("kind", ""),  # type: ignore[arg-type]
                                    items=request.POST.getlist("items"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Saved."))
        return redirect(f"{request.path}?branch={person.branch_id}")


# -- the comparison ---------------------------------------------------------------------------


def _formula(request: HttpRequest) -> tuple[str, str, dt.date]:
    active = ScoreFormula.objects.filter(is_active=True).first()
    if active is not None:
        return active.name, active.expression, active.since
    return str(_("Default")), comparison.DEFAULT_FORMULA, dt.date(2020, 1, 27)


def measure_text(item: comparison.Item, m: comparison.Measure) -> str:
    if item.rate:
        return f"{m.value * 100:.1f}% ({m.numerator}/{m.denominator})"
    return str(m.numerator)


class ComparisonView(ScopedMixin, TemplateView):
    """The ranking, the formula beside it, each score's items linked to their records."""

    model = ScoreFormula
    required_perm = "publicity.view"
    template_name = "publicity/comparison.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        name, expression, since = _formula(self.request)
        until = _day(self.request)
        result = comparison.ranking(expression, since, until)
        units = scope_unit_ids(self.request.user)  # type: ignore[arg-type]
        for row in result["rows"]:
            row["traceable"] = units is None or row["unit"].pk in units
            row["cells"] = [{"key": item.key, "text": measure_text(item, row["measures"][item.key])}
                            for item in result["items"]]
        can_change = user_has_perm(self.request.user, "publicity.review")
        context.update(name=name, expression=expression, since=since, until=until, items=result["items"],
                       rows=result["rows"], all_items=list(comparison.ITEMS.values()), can_change=can_change,
                       form=kwargs.get("form") or (FormulaForm(initial={"name": name, "expression": expression,
                                                                        "since": since}) if can_change else None))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not user_has_perm(request.user, "publicity.review"):
            raise PermissionDenied
        form = FormulaForm(request.POST)
        if _apply(request, form, lambda: services.formula_save(actor=request.user, **form.cleaned_data),  # type: ignore[arg-type]
                  _("The formula is saved.")) is not None:
            return redirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ComparisonExportView(ComparisonView):
    required_perm = "publicity.export"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name, expression, since = _formula(request)
        until = _day(request)
        result = comparison.ranking(expression, since, until)
        items = result["items"]
        headers = [_("Rank"), _("Unit"), _("Score")]
        for item in items:
            headers += [str(item.label), _("%(item)s (numerator)") % {"item": item.label}]
            if item.rate:
                headers.append(_("%(item)s (denominator)") % {"item": item.label})
        rows = []
        for row in result["rows"]:
            line: list[Any] = [row["rank"], row["unit"].name, row["score"]]
            for item in items:
                m = row["measures"][item.key]
                line += [round(m.value, 4), m.numerator] + ([m.denominator] if item.rate else [])
            rows.append(line)
        # The formula and the period under the ranking, padded to the table's width.
        rows.append([_("Formula"), expression, f"{since.isoformat()} – {until.isoformat()}"])
        rows = [row + [""] * (len(headers) - len(row)) for row in rows]
        title = _("Comparison of units %(day)s") % {"day": until.isoformat()}
        return xlsx_export(request, headers=headers, rows=rows, sheet=str(_("Comparison")), filename=title,
                           object_type="publicity.comparison", what=title)


class ComparisonRecordsView(ScopedMixin, TemplateView):
    """The records behind one department's measure of one item (read through the user's scope)."""

    model = ScoreFormula
    required_perm = "publicity.view"
    template_name = "publicity/comparison_records.html"
    unit_kwarg = "unit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = comparison.ITEMS.get(self.kwargs["item"])
        if item is None:
            raise Http404
        unit = get_object_or_404(Unit.objects.visible_to(self.request.user), pk=self.kwargs["unit"])
        try:
            since = dt.date.fromisoformat(self.request.GET.get("since", ""))
        except ValueError:
            since = _formula(self.request)[2]
        until = _day(self.request, "until")
        headers, rows = item.records(self.request.user, comparison.subtree(unit.pk), since, until)
        rows = list(rows)
        page = Paginator(rows, 100).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        measure = item.values([unit.pk], since, until).get(unit.pk)
        context.update(item=item, unit=unit, since=since, until=until, headers=headers, page_obj=page,
                       object_list=page.object_list, querystring=query.urlencode(), measure=measure,
                       counted=sum(1 for r in rows if r[-1] is True))
        return context


def campaign_today() -> dt.date:
    return clock.today()
