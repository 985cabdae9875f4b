"""Pages of the community supervision line: the feedback board and the phone feedback screen, the
ledger, problems, cases (audited reads), explanation requests and answers, referral letters,
bulletin imports and the periodic bulletin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.views import ScopedDetailView, ScopedListView, ScopedMixin, xlsx_export
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import imports, letters, selectors, services
from .choices import ITEMS, Answer, CaseStatus, Conclusion, ProblemStatus
from .filtersets import (
    CaseFilterSet,
    FeedbackFilterSet,
    ProblemFilterSet,
    ReferralFilterSet,
    RequestFilterSet,
)
from .forms import (
    AnswerForm,
    BulletinForm,
    BulletinImportForm,
    CaseOpenForm,
    ConcludeForm,
    EvidenceForm,
    OutcomeForm,
    ProblemForm,
    ReferralForm,
    RequestForm,
    VerifyForm,
)
from .models import (
    Bulletin,
    BulletinImport,
    Coverage,
    Evidence,
    ExplanationRequest,
    Feedback,
    Investigation,
    Problem,
    Referral,
)


def _day(request: HttpRequest, key: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return as_of_default()


def _fail(request: HttpRequest, exc: Exception) -> None:
    for text in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, text)


def _files(request: HttpRequest, name: str) -> list[tuple[str, bytes]]:
    return [(f.name or "file", f.read(services.MAX_EVIDENCE_BYTES + 1)) for f in request.FILES.getlist(name)]


# -- the board and the feedback screen ----------------------------------------------------------


class OverviewView(ScopedMixin, TemplateView):
    """The feedback board (社区反馈台账) of a day: completeness per group and community."""

    model = Feedback
    template_name = "supervision/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        day = _day(self.request)
        board = selectors.board(Coverage.objects.visible_to(user), self.get_queryset(), day)
        context.update(day=day, board=board, missing=max(board["expected"] - board["submitted"], 0),
                       can_feedback=user_has_perm(user, "supervision.feedback"))
        return context


class BoardExportView(ScopedMixin, View):
    model = Feedback
    required_perm = "supervision.export"

    def get(self, request: HttpRequest) -> HttpResponse:
        day = _day(request)
        b = selectors.board(Coverage.objects.visible_to(request.user), self.get_queryset(), day)
        headers = [_("Group"), _("Community"), _("Pairs expected"), _("Answered"), _("Answers with a no")]
        rows = [[r["group"], r["name"], r["expected"], r["submitted"], r["no"]] for r in b["rows"]]
        return xlsx_export(request, headers=headers, rows=rows, sheet=day.isoformat(),
                           filename=f"社区反馈台账-{day.isoformat()}", object_type="supervision.feedback",
                           what=f"社区反馈台账 {day.isoformat()}")


def feedback_communities(user: Any) -> Any:
    """The communities a user gives feedback for: in their scope."""
    from fangkong.core.scoping import scope_unit_ids

    units = scope_unit_ids(user)
    qs = Unit.objects.filter(kind=UnitKind.COMMUNITY)
    return (qs if units is None else qs.filter(id__in=units)).order_by("code")


class FeedbackView(ScopedMixin, TemplateView):
    """The phone screen: one community, one day, every paired department, answers default "yes"."""

    model = Feedback
    required_perm = "supervision.feedback"
    template_name = "supervision/feedback.html"

    def _community(self) -> Unit:
        communities = feedback_communities(self.request.user)
        raw = self.request.POST.get("community") or self.request.GET.get("community")
        if raw:
            try:
                return get_object_or_404(communities, pk=int(raw))
            except ValueError:
                raise Http404 from None
        first = communities.first()
        if first is None:
            raise Http404
        return first

    def _day_of(self) -> dt.date:
        raw = self.request.POST.get("day") or self.request.GET.get("day") or ""
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return as_of_default()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        community = self._community()
        day = self._day_of()
        departments = list(selectors.paired_departments(community.pk, day))
        filled = selectors.cadres_on(community.pk, [d.pk for d in departments], day)
        current = {f.department_id: f for f in Feedback.objects.filter(community=community, day=day, is_current=True)}
        rows = []
        for d in departments:
            fb = current.get(d.pk)
            expected, present = filled.get(d.pk, (0, 0))
            rows.append({"department": d, "feedback": fb,
                         "items": [(name, label, getattr(fb, name) if fb else Answer.YES) for name, label in ITEMS],
                         "expected": fb.cadres_expected if fb else expected,
                         "present": fb.cadres_present if fb else present,
                         "reason": fb.cadres_reason if fb else "", "remark": fb.remark if fb else ""})
        context.update(community=community, day=day, rows=rows, answers=Answer.choices,
                       communities=feedback_communities(self.request.user), today=clock.today())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        community = self._community()
        day = self._day_of()
        entries = []
        for raw in request.POST.getlist("department"):
            try:
                pk = int(raw)
            except ValueError:
                continue
            values = {name: request.POST.get(f"{name}_{pk}", Answer.YES) for name, _label in ITEMS}

            def number(key: str) -> int | None:
                try:
                    return max(int(request.POST.get(key, "")), 0)
                except ValueError:
                    return None

            entries.append(services.FeedbackEntry(
                department_id=pk, cadres_expected=number(f"expected_{pk}"), cadres_present=number(f"present_{pk}"),
                cadres_reason=request.POST.get(f"reason_{pk}", ""), remark=request.POST.get(f"remark_{pk}", ""),
                **values))
        try:
            saved = services.feedback_submit(actor=request.user, community=community, day=day,  # type: ignore[arg-type]
                                             entries=entries, photos=_files(request, "photos"))
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
            return self.render_to_response(self.get_context_data(), status=400)
        problems = Problem.objects.filter(feedback__in=saved).count()
        messages.success(request, _("Feedback for %(n)d departments saved.") % {"n": len(saved)}
                         + (_(" %(n)d problems opened.") % {"n": problems} if problems else ""))
        return redirect(f"{request.path}?community={community.pk}&day={day.isoformat()}")


class FeedbackListView(ScopedListView):
    model = Feedback
    template_name = "supervision/feedback_list.html"
    partial_template = "supervision/_feedback_table.html"
    filterset_class = FeedbackFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("community", "department")


# -- problems ------------------------------------------------------------------------------------


class ProblemListView(ScopedListView):
    model = Problem
    template_name = "supervision/problem_list.html"
    partial_template = "supervision/_problem_table.html"
    filterset_class = ProblemFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "classification", "case")


PROBLEM_UNIT_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, UnitKind.STREET,
                      UnitKind.COMMUNITY, UnitKind.CHECKPOINT)


class ProblemCreateView(ScopedMixin, TemplateView):
    """Record a problem by hand, or from a daily-report concealment flag (``?flag=``) or a
    dual-report concealment suspect (``?returnee=``)."""

    model = Problem
    required_perm = "supervision.change"
    template_name = "supervision/problem_form.html"

    def _units(self) -> Any:
        return Unit.objects.visible_to(self.request.user).filter(kind__in=PROBLEM_UNIT_KINDS).order_by("code")

    def _source(self) -> tuple[Any, Any]:
        from fangkong.reports.models import ConcealmentFlag
        from fangkong.returnees.models import Returnee

        data = self.request.POST if self.request.method == "POST" else self.request.GET
        user = self.request.user
        flag = returnee = None
        try:
            if data.get("flag"):
                flag = get_object_or_404(ConcealmentFlag.objects.visible_to(user), pk=int(data["flag"]))
            if data.get("returnee"):
                returnee = get_object_or_404(Returnee.objects.visible_to(user), pk=int(data["returnee"]))
        except ValueError:
            raise Http404 from None
        return flag, returnee

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        flag, returnee = self._source()
        context.update(flag=flag, returnee=returnee, form=kwargs.get("form") or ProblemForm(
            units=self._units(), initial={"found_on": clock.today()}))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        flag, returnee = self._source()
        user: Any = request.user
        form = ProblemForm(request.POST, units=self._units())
        try:
            if flag is not None:
                problem = services.problem_from_flag(actor=user, flag=flag)
            elif returnee is not None:
                problem = services.problem_from_returnee(actor=user, returnee=returnee)
            elif form.is_valid():
                problem = services.problem_create(actor=user, source="other", **form.cleaned_data)
            else:
                return self.render_to_response(self.get_context_data(form=form), status=400)
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("The problem is recorded."))
        return redirect(problem)


class ProblemDetailView(ScopedDetailView):
    model = Problem
    template_name = "supervision/problem_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "community", "classification", "case", "group",
                                                     "feedback", "bulletin")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        problem: Problem = context["object"]
        user = self.request.user
        can_change = user_has_perm(user, "supervision.change")
        people = Person.objects.visible_to(user).filter(unit__kind=UnitKind.WORKING_COMMITTEE).order_by("id")
        context.update(
            can_change=can_change, evidence=problem.evidence.all(),
            evidence_form=EvidenceForm() if can_change else None,
            case_form=kwargs.get("case_form") or (CaseOpenForm(people=people, initial={
                "title": problem.summary[:200], "deadline": clock.today() + dt.timedelta(days=7)})
                if can_change and not problem.case_id and problem.status == ProblemStatus.OPEN else None),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("change")
        problem = self.get_object()
        if request.POST.get("action") == "evidence":
            evidence_form = EvidenceForm(request.POST, request.FILES)
            try:
                if not evidence_form.is_valid():
                    raise ValidationError(_("Choose a file."))
                for name, content in _files(request, "file"):
                    services.evidence_add(actor=request.user, name=name, content=content,  # type: ignore[arg-type]
                                          note=evidence_form.cleaned_data["note"], problem=problem)
            except (ValidationError, PermissionDenied) as exc:
                _fail(request, exc)
                return self.render_to_response(self.get_context_data(), status=400)
            messages.success(request, _("The evidence is attached."))
            return redirect(problem)
        people = Person.objects.visible_to(request.user).filter(unit__kind=UnitKind.WORKING_COMMITTEE)
        form = CaseOpenForm(request.POST, people=people)
        if form.is_valid():
            try:
                case = services.case_open(actor=request.user, problems=[problem], **form.cleaned_data)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                _fail(request, exc)
            else:
                messages.success(request, _("The investigation is opened."))
                return redirect(case)
        return self.render_to_response(self.get_context_data(case_form=form), status=400)


class EvidenceView(ScopedMixin, View):
    model = Evidence

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        evidence = self.get_object()
        response = HttpResponse(bytes(evidence.content), content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition_header(True, evidence.name) or "attachment"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# -- cases ---------------------------------------------------------------------------------------


class CaseListView(ScopedListView):
    model = Investigation
    template_name = "supervision/case_list.html"
    partial_template = "supervision/_case_table.html"
    filterset_class = CaseFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "leader", "group")


class CaseDetailView(ScopedDetailView):
    """A case file. Every read is audited."""

    model = Investigation
    template_name = "supervision/case_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "leader", "group")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case: Investigation = context["object"]
        user = self.request.user
        if self.request.method == "GET":
            services.case_read(actor=user, case=case)  # type: ignore[arg-type]
        can_change = user_has_perm(user, "supervision.change") and not case.is_closed
        requests = list(ExplanationRequest.objects.visible_to(user).filter(case=case)
                        .select_related("unit").prefetch_related("answers__evidence"))
        referrals = list(Referral.objects.visible_to(user).filter(case=case).select_related("body", "outcome"))
        referred = {r.body_id for r in referrals}
        context.update(
            problems=Problem.objects.visible_to(user).filter(case=case).select_related("unit", "classification"),
            members=case.members.all(), requests=requests, referrals=referrals, can_change=can_change,
            request_form=kwargs.get("request_form") or (RequestForm(initial={
                "deadline": clock.today() + dt.timedelta(days=3)}) if can_change else None),
            conclude_form=kwargs.get("conclude_form") or (ConcludeForm() if can_change and case.status == CaseStatus.OPEN
                                                          else None),
            verify_form=VerifyForm() if can_change and case.status == CaseStatus.RECTIFYING else None,
            referral_form=(ReferralForm() if can_change and case.conclusion == Conclusion.REFER else None),
            referred=referred,
            outcome_form=OutcomeForm(initial={"on": clock.today()}) if user_has_perm(user, "supervision.outcome")
            else None,
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = self.get_object()
        action = request.POST.get("action", "")
        user: Any = request.user
        try:
            if action == "request":
                form: Any = RequestForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(request_form=form), status=400)
                services.request_explanation(actor=user, case=case, unit=case.unit, **form.cleaned_data)
                messages.success(request, _("The request is sent to %(unit)s.") % {"unit": case.unit.name})
            elif action == "conclude":
                form = ConcludeForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(conclude_form=form), status=400)
                services.case_conclude(actor=user, case=case, **form.cleaned_data)
                messages.success(request, _("The conclusion is recorded."))
            elif action == "verify":
                form = VerifyForm(request.POST)
                if form.is_valid():
                    services.rectification_verify(actor=user, case=case, note=form.cleaned_data["note"])
                    messages.success(request, _("The rectification is verified; the case is closed."))
            elif action == "refer":
                form = ReferralForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose where to refer the case."))
                for body in form.cleaned_data["bodies"]:
                    services.referral_create(actor=user, case=case, body=body, note=form.cleaned_data["note"])
                messages.success(request, _("The case is referred."))
            elif action == "outcome":
                referral = get_object_or_404(Referral.objects.visible_to(user), pk=request.POST.get("referral") or 0,
                                             case=case)
                form = OutcomeForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose the outcome and its day."))
                services.referral_outcome(actor=user, referral=referral, outcome=form.cleaned_data["outcome"],
                                          note=form.cleaned_data["note"], on=form.cleaned_data["on"])
                messages.success(request, _("The outcome is recorded."))
            else:
                raise ValidationError(_("Unknown action."))
        except (ValidationError, PermissionDenied) as exc:
            _fail(request, exc)
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect(case)


class ReferralListView(ScopedListView):
    model = Referral
    template_name = "supervision/referral_list.html"
    partial_template = "supervision/_referral_table.html"
    filterset_class = ReferralFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("case", "case__unit", "body", "outcome")


class ReferralLetterView(ScopedMixin, TemplateView):
    """The referral letter, printable (and as xlsx with ``?format=xlsx``)."""

    model = Referral
    template_name = "supervision/referral_letter.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        referral = get_object_or_404(self.get_queryset().select_related("case", "case__unit", "body", "outcome"),
                                     pk=kwargs["pk"])
        letter = letters.referral_letter(referral, user=request.user)
        services.case_read(actor=request.user, case=referral.case)  # type: ignore[arg-type]
        if request.GET.get("format") == "xlsx":
            return xlsx_export(request, headers=[_("Item"), _("Content")], rows=letter["rows"], sheet="移交函",
                               filename=f"移交函-{referral.case.number}-{referral.body.name}",
                               object_type="supervision.referral", what=letter["title"])
        return self.render_to_response({"referral": referral, "letter": letter, "view": self})


# -- explanation requests (the unit concerned) ----------------------------------------------------


class RequestListView(ScopedListView):
    model = ExplanationRequest
    template_name = "supervision/request_list.html"
    partial_template = "supervision/_request_table.html"
    filterset_class = RequestFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "case").prefetch_related("answers")


class RequestDetailView(ScopedDetailView):
    """What the unit concerned sees: the question, its deadline, its own answers; never the
    problem's source or who reported it."""

    model = ExplanationRequest
    template_name = "supervision/request_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("unit", "case")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        req: ExplanationRequest = context["object"]
        user = self.request.user
        can_answer = user_has_perm(user, "supervision.answer") and not req.case.is_closed
        context.update(answers=req.answers.prefetch_related("evidence"), can_answer=can_answer,
                       form=kwargs.get("form") or (AnswerForm() if can_answer else None),
                       case_visible=Investigation.objects.visible_to(user).filter(pk=req.case_id).exists())
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("answer")
        req = self.get_object()
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.answer_explanation(actor=request.user, request=req, text=form.cleaned_data["text"],  # type: ignore[arg-type]
                                            files=_files(request, "attachment"))
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "messages", None) or str(exc))
            else:
                messages.success(request, _("Your explanation is submitted."))
                return redirect(req)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# -- bulletins -----------------------------------------------------------------------------------


class BulletinImportView(ScopedMixin, TemplateView):
    """Import an inspection bulletin's problem list: all or nothing."""

    model = BulletinImport
    required_perm = "supervision.change"
    template_name = "supervision/bulletin_import.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(form=kwargs.get("form") or BulletinImportForm(initial={"issued_on": clock.today()}),
                       imports=self.get_queryset()[:20], result=kwargs.get("result"), header=kwargs.get("header"))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulletinImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        upload = data.get("file")
        from fangkong.core.columnmap import MappingNeeded

        try:
            result = imports.bulletin_import(
                actor=request.user, title=data["title"], number=data["number"], issued_on=data["issued_on"],  # type: ignore[arg-type]
                file_name=upload.name if upload else "", content=upload.read() if upload else None,
                typed=data.get("typed") or "", mapping=data.get("mapping") or None)
        except MappingNeeded as needed:
            form.add_error("mapping", needed.message)
            return self.render_to_response(self.get_context_data(form=form, header=needed.plan), status=400)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "messages", None) or str(exc))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if result.status == "committed":
            messages.success(request, _("%(n)d problems imported.") % {"n": result.total_rows})
            if result.not_imported:
                messages.info(request, _("Not imported: %(columns)s") % {"columns": "、".join(result.not_imported)})
            return redirect(f"{request.path}")
        return self.render_to_response(self.get_context_data(form=form, result=result), status=400)


class BulletinListView(ScopedMixin, TemplateView):
    model = Bulletin
    required_perm = "supervision.bulletin"
    template_name = "supervision/bulletin_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = clock.today()
        can_issue = user_has_perm(self.request.user, "supervision.change")
        context.update(bulletins=self.get_queryset(), can_issue=can_issue,
                       form=kwargs.get("form") or (BulletinForm(initial={
                           "period_from": today - dt.timedelta(days=6), "period_to": today}) if can_issue else None))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("change")
        form = BulletinForm(request.POST)
        if form.is_valid():
            try:
                bulletin = services.bulletin_issue(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "messages", None) or str(exc))
            else:
                return redirect(bulletin)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class BulletinDetailView(ScopedMixin, TemplateView):
    model = Bulletin
    required_perm = "supervision.bulletin"
    template_name = "supervision/bulletin_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        bulletin = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        content = letters.bulletin_content(bulletin, user=request.user)
        if request.GET.get("format") == "xlsx":
            return xlsx_export(request, headers=content["headers"], rows=content["rows"], sheet=f"第{bulletin.number}期",
                               filename=f"督查通报第{bulletin.number}期", object_type="supervision.bulletin",
                               what=str(bulletin))
        return self.render_to_response({"bulletin": bulletin, "content": content, "view": self})
