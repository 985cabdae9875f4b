"""The supervision API: coverage and groups, the feedback ledger and board, problems, cases,
explanation requests and answers, referrals and outcomes, bulletins and the key figures. Every
answer goes through the same access rules as the pages (``access.py``)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.pagination import PageParams, paginate
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Pairing, Unit, WorkingGroup
from fangkong.people.models import Person

from . import imports, selectors, services
from .filtersets import (
    CaseFilterSet,
    FeedbackFilterSet,
    ProblemFilterSet,
    ReferralFilterSet,
    RequestFilterSet,
)
from .models import (
    Bulletin,
    Classification,
    Coverage,
    ExplanationAnswer,
    ExplanationRequest,
    Feedback,
    Investigation,
    OutcomeKind,
    Problem,
    ReceivingBody,
    Referral,
)

router = Router(tags=["supervision"])


def _page(filterset_class: Any, qs: Any, filters: Schema, pages: PageParams, order: tuple[str, ...]) -> Any:
    data = {k: v for k, v in filters.dict().items() if v is not None}
    filterset = filterset_class(data, queryset=qs)
    return paginate((filterset.qs if filterset.is_valid() else qs.none()).order_by(*order), pages)


# -- groups and coverage ------------------------------------------------------------------------


class SupervisionGroupOut(Schema):
    id: int
    name: str
    communities: int


class SupervisionGroupPage(Schema):
    count: int
    results: list[SupervisionGroupOut]


@router.get("/groups", response=SupervisionGroupPage, summary="Supervision groups covering communities on a day")
def list_groups(request: HttpRequest, on: dt.date | None = None) -> dict[str, Any]:
    day = on or as_of_default()
    covered = Coverage.objects.visible_to(request.user).filter(selectors.covering_on(day))
    counts: dict[int, int] = {}
    for group_id in covered.values_list("group_id", flat=True):
        counts[group_id] = counts.get(group_id, 0) + 1
    groups = WorkingGroup.objects.filter(id__in=list(counts)).order_by("id")
    return {"count": len(counts), "results": [{"id": g.pk, "name": g.name, "communities": counts[g.pk]} for g in groups]}


class CoverageOut(Schema):
    id: int
    group_id: int
    community_id: int
    community_name: str
    starts_on: dt.date
    ends_on: dt.date | None

    @staticmethod
    def resolve_community_name(obj: Coverage) -> str:
        return obj.community.name


class CoverageIn(Schema):
    group_id: int
    community_id: int
    starts_on: dt.date


@router.get("/coverage", response=list[CoverageOut], summary="Which group covers which community")
def list_coverage(request: HttpRequest, on: dt.date | None = None) -> Any:
    qs = Coverage.objects.visible_to(request.user).select_related("community")
    if on is not None:
        qs = qs.filter(selectors.covering_on(on))
    return list(qs.order_by("group_id", "community__code", "starts_on")[:2000])


@router.post("/coverage", response={201: CoverageOut}, summary="A group covers a community from a day")
def create_coverage(request: HttpRequest, payload: CoverageIn) -> Status[Coverage]:
    group = get_object_or_404(WorkingGroup.objects.visible_to(request.user), pk=payload.group_id)
    community = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.community_id)
    return Status(201, services.coverage_set(actor=request.user, group=group, community=community,  # type: ignore[arg-type]
                                             starts_on=payload.starts_on))


# -- the feedback ledger ------------------------------------------------------------------------


class FeedbackOut(Schema):
    id: int
    community_id: int
    department_id: int
    day: dt.date
    obeys: str = Field(description="yes, no or na")
    publicity: str
    screening: str
    testing: str
    cadres_expected: int
    cadres_present: int
    cadres_edited: bool
    cadres_reason: str
    remark: str
    revision: int
    is_current: bool = Field(description="False for an entry corrected later the same day (kept).")
    submitted_at: dt.datetime


class FeedbackPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[FeedbackOut]


class FeedbackFilters(Schema):
    day: dt.date | None = None
    community: int | None = None
    department: int | None = None
    group: int | None = None
    no: bool | None = Field(None, description="Only answers with (true) or without (false) a no.")
    current: bool | None = Field(None, description="Only the current entry of each pair and day.")
    covered_on: dt.date | None = Field(None, description="Only communities a group covers on that day.")


class EntryIn(Schema):
    department_id: int
    obeys: str = "yes"
    publicity: str = "yes"
    screening: str = "yes"
    testing: str = "yes"
    cadres_expected: int | None = Field(None, ge=0, le=10000)
    cadres_present: int | None = Field(None, ge=0, le=10000)
    cadres_reason: str = ""
    remark: str = ""


class PhotoIn(Schema):
    name: str
    content_base64: str = Field(description="The file, base64; at most 5 MB, its kind checked against its name.")


class FeedbackIn(Schema):
    community_id: int
    day: dt.date
    entries: list[EntryIn] = Field(max_length=500)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=10)


def _decode(photos: list[PhotoIn]) -> list[tuple[str, bytes]]:
    from django.core.exceptions import ValidationError

    out = []
    for p in photos:
        try:
            out.append((p.name, base64.b64decode(p.content_base64, validate=True)))
        except ValueError:
            raise ValidationError(_("A file is not valid base64.")) from None
    return out


@router.get("/feedback", response=FeedbackPage, summary="The feedback ledger")
def list_feedback(request: HttpRequest, filters: Query[FeedbackFilters], pages: Query[PageParams]) -> Any:
    return _page(FeedbackFilterSet, Feedback.objects.visible_to(request.user), filters, pages,
                 ("-day", "community_id", "department_id", "-revision"))


@router.post("/feedback", response={201: list[FeedbackOut]},
             summary="A community's daily feedback on its paired departments (a repeat is a correction)")
def submit_feedback(request: HttpRequest, payload: FeedbackIn) -> Status[list[Feedback]]:
    from .views import feedback_communities

    community = get_object_or_404(feedback_communities(request.user), pk=payload.community_id)
    entries = [services.FeedbackEntry(**e.dict()) for e in payload.entries]
    saved = services.feedback_submit(actor=request.user, community=community, day=payload.day,  # type: ignore[arg-type]
                                     entries=entries, photos=_decode(payload.photos))
    return Status(201, saved)


class SupervisionBoardRow(Schema):
    id: int
    name: str
    group_id: int | None
    group: str
    expected: int
    submitted: int
    no: int
    missing: int
    rate: float


class SupervisionBoardGroup(Schema):
    id: int | None
    name: str
    communities: int
    expected: int
    submitted: int
    no: int
    rate: float


class SupervisionBoardOut(Schema):
    day: dt.date
    expected: int
    submitted: int
    no: int
    rate: float
    groups: list[SupervisionBoardGroup]
    rows: list[SupervisionBoardRow]


@router.get("/board", response=SupervisionBoardOut, summary="Feedback completeness per group and community on a day")
def board(request: HttpRequest, day: dt.date | None = None) -> dict[str, Any]:
    return selectors.board(Coverage.objects.visible_to(request.user), Feedback.objects.visible_to(request.user),
                           day or as_of_default())


class PairOut(Schema):
    community_id: int
    department_id: int


class PairPage(Schema):
    count: int
    results: list[PairOut]


@router.get("/pairs", response=PairPage, summary="The community × department answers expected on a day")
def pairs(request: HttpRequest, day: dt.date | None = None) -> dict[str, Any]:
    day = day or as_of_default()
    communities = Coverage.objects.visible_to(request.user).filter(selectors.covering_on(day)).values("community_id")
    qs = Pairing.objects.filter(selectors.paired_on(day), community_id__in=communities).order_by(
        "community_id", "department_id")
    rows = list(qs.values("community_id", "department_id"))
    return {"count": len(rows), "results": rows}


# -- problems -----------------------------------------------------------------------------------


class SupervisionProblemOut(Schema):
    id: int
    number: str
    source: str
    unit_id: int
    unit_name: str
    community_id: int | None
    group_id: int | None
    classification: str
    summary: str
    found_on: dt.date
    deadline: dt.date
    status: str
    case_id: int | None
    light: str = Field(description="red (overdue), yellow (due within 3 days) or empty")

    @staticmethod
    def resolve_unit_name(obj: Problem) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_classification(obj: Problem) -> str:
        return obj.classification.code

    @staticmethod
    def resolve_light(obj: Problem) -> str:
        from fangkong.core import clock

        return selectors.light(obj.due, clock.today())


class SupervisionProblemPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[SupervisionProblemOut]


class SupervisionProblemFilters(Schema):
    q: str | None = Field(None, max_length=50)
    source: str | None = None
    status: str | None = None
    unit: int | None = None
    group: int | None = None
    light: str | None = None
    found_to: dt.date | None = None


class SupervisionProblemIn(Schema):
    source: str = Field("other", description="bulletin, concealment, dual_report or other (feedback opens its own)")
    unit_id: int
    classification: str = "other"
    summary: str = Field(max_length=300)
    details: str = ""
    found_on: dt.date
    unannounced: bool = False
    flag_id: int | None = Field(None, description="From a daily-report concealment flag: unit, day and summary follow from it.")
    returnee_id: int | None = Field(None, description="From a dual-report concealment suspect (a returnee).")


def _problems(request: HttpRequest) -> Any:
    return Problem.objects.visible_to(request.user).select_related("unit", "classification")


@router.get("/problems", response=SupervisionProblemPage, summary="Problems")
def list_problems(request: HttpRequest, filters: Query[SupervisionProblemFilters], pages: Query[PageParams]) -> Any:
    return _page(ProblemFilterSet, _problems(request), filters, pages, ("-found_on", "-id"))


@router.get("/problems/{problem_id}", response=SupervisionProblemOut, summary="One problem")
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    return get_object_or_404(_problems(request), pk=problem_id)


@router.post("/problems", response={201: SupervisionProblemOut},
             summary="Record a problem (from a bulletin, a concealment flag or suspect, or other)")
def create_problem(request: HttpRequest, payload: SupervisionProblemIn) -> Status[Problem]:
    from django.core.exceptions import ValidationError

    from fangkong.reports.models import ConcealmentFlag
    from fangkong.returnees.models import Returnee

    if payload.source == "feedback":
        raise ValidationError(_("A feedback problem is opened by the feedback itself."))
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id)
    user: Any = request.user
    if payload.flag_id:
        flag = get_object_or_404(ConcealmentFlag.objects.visible_to(user), pk=payload.flag_id)
        problem = services.problem_from_flag(actor=user, flag=flag)
    elif payload.returnee_id:
        returnee = get_object_or_404(Returnee.objects.visible_to(user), pk=payload.returnee_id)
        problem = services.problem_from_returnee(actor=user, returnee=returnee)
    else:
        problem = services.problem_create(
            actor=user, source=payload.source, unit=unit,
            classification=get_object_or_404(Classification, code=payload.classification), summary=payload.summary,
            details=payload.details, found_on=payload.found_on, unannounced=payload.unannounced)
    return Status(201, _problems(request).get(pk=problem.pk))


class RequestOut(Schema):
    id: int
    case_id: int
    unit_id: int
    question: str
    requested_on: dt.date
    deadline: dt.date
    answered: bool

    @staticmethod
    def resolve_answered(obj: ExplanationRequest) -> bool:
        return obj.answers.exists()


class ReferralOut(Schema):
    id: int
    case_id: int
    body: str
    referred_on: dt.date
    letter_no: str
    outcome: str | None
    outcome_on: dt.date | None
    outcome_note: str

    @staticmethod
    def resolve_body(obj: Referral) -> str:
        return obj.body.code

    @staticmethod
    def resolve_outcome(obj: Referral) -> str | None:
        return obj.outcome.code if obj.outcome else None


# -- cases --------------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    number: str
    title: str
    unit_id: int
    group_id: int | None
    leader_id: int
    opened_on: dt.date
    deadline: dt.date
    status: str
    findings: str
    conclusion: str
    concluded_on: dt.date | None
    measures: str
    rectify_by: dt.date | None
    verified_on: dt.date | None
    closed_on: dt.date | None
    light: str

    @staticmethod
    def resolve_light(obj: Investigation) -> str:
        from fangkong.core import clock

        return selectors.light(obj.due, clock.today())


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseOut]


class CaseFilters(Schema):
    status: str | None = None
    light: str | None = None
    open_on: dt.date | None = Field(None, description="Opened by that day and not concluded by then.")
    rectifying_on: dt.date | None = Field(None, description="Being rectified on that day.")
    overdue_on: dt.date | None = Field(None, description="Past its deadline on that day.")


class CaseIn(Schema):
    problem_ids: list[int] = Field(min_length=1, max_length=100)
    title: str = Field(max_length=200)
    leader_id: int
    member_ids: list[int] = Field(default_factory=list, max_length=50)
    deadline: dt.date


class RequestIn(Schema):
    question: str = Field(max_length=3000)
    deadline: dt.date
    unit_id: int | None = Field(None, description="Defaults to the unit concerned.")


class ConcludeIn(Schema):
    findings: str
    conclusion: str = Field(description="unfounded, rectify or refer")
    measures: str = ""
    rectify_by: dt.date | None = None


class RectificationVerifyIn(Schema):
    note: str = Field(max_length=300)


class ReferralIn(Schema):
    bodies: list[str] = Field(min_length=1, description="organisation, discipline, inspection (data)")
    note: str = ""


def _cases(request: HttpRequest) -> Any:
    return Investigation.objects.visible_to(request.user)


@router.get("/cases", response=CasePage, summary="Investigations")
def list_cases(request: HttpRequest, filters: Query[CaseFilters], pages: Query[PageParams]) -> Any:
    return _page(CaseFilterSet, _cases(request), filters, pages, ("-opened_on", "-id"))


@router.get("/cases/{case_id}", response=CaseOut, summary="One case file (the read is audited)")
def get_case(request: HttpRequest, case_id: int) -> Investigation:
    case: Investigation = get_object_or_404(_cases(request), pk=case_id)
    services.case_read(actor=request.user, case=case)  # type: ignore[arg-type]
    return case


@router.post("/cases", response={201: CaseOut}, summary="Open an investigation of one or several problems")
def open_case(request: HttpRequest, payload: CaseIn) -> Status[Investigation]:
    problems = [get_object_or_404(_problems(request), pk=pk) for pk in payload.problem_ids]
    people = Person.objects.visible_to(request.user)
    case = services.case_open(
        actor=request.user, problems=problems, title=payload.title,  # type: ignore[arg-type]
        leader=get_object_or_404(people, pk=payload.leader_id),
        members=[get_object_or_404(people, pk=pk) for pk in payload.member_ids], deadline=payload.deadline)
    return Status(201, case)


@router.post("/cases/{case_id}/requests", response={201: RequestOut}, summary="Request a written explanation")
def create_request(request: HttpRequest, case_id: int, payload: RequestIn) -> Status[ExplanationRequest]:
    case = get_object_or_404(_cases(request), pk=case_id)
    unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=payload.unit_id) if payload.unit_id \
        else case.unit
    return Status(201, services.request_explanation(actor=request.user, case=case, unit=unit,  # type: ignore[arg-type]
                                                    question=payload.question, deadline=payload.deadline))


@router.post("/cases/{case_id}/conclude", response=CaseOut, summary="Record the findings and the conclusion")
def conclude(request: HttpRequest, case_id: int, payload: ConcludeIn) -> Investigation:
    case = get_object_or_404(_cases(request), pk=case_id)
    return services.case_conclude(actor=request.user, case=case, **payload.dict())  # type: ignore[arg-type]


@router.post("/cases/{case_id}/verify", response=CaseOut, summary="Verify the rectification (closes the case)")
def verify(request: HttpRequest, case_id: int, payload: RectificationVerifyIn) -> Investigation:
    case = get_object_or_404(_cases(request), pk=case_id)
    return services.rectification_verify(actor=request.user, case=case, note=payload.note)  # type: ignore[arg-type]


@router.post("/cases/{case_id}/referrals", response={201: list[ReferralOut]}, summary="Refer a concluded case")
def refer(request: HttpRequest, case_id: int, payload: ReferralIn) -> Status[list[Referral]]:
    case = get_object_or_404(_cases(request), pk=case_id)
    bodies = [get_object_or_404(ReceivingBody, code=code) for code in payload.bodies]
    return Status(201, [services.referral_create(actor=request.user, case=case, body=b, note=payload.note)  # type: ignore[arg-type]
                        for b in bodies])


# -- explanation requests -----------------------------------------------------------------------


class RequestPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[RequestOut]


class RequestFilters(Schema):
    answered: bool | None = None
    pending: bool | None = Field(None, description="Not answered and the case not closed.")
    light: str | None = None


class AnswerIn(Schema):
    text: str = Field(max_length=10000)
    attachments: list[PhotoIn] = Field(default_factory=list, max_length=10)


class AnswerOut(Schema):
    id: int
    request_id: int
    text: str
    answered_on: dt.date


@router.get("/requests", response=RequestPage, summary="Explanation requests (the unit's own only, for a unit)")
def list_requests(request: HttpRequest, filters: Query[RequestFilters], pages: Query[PageParams]) -> Any:
    return _page(RequestFilterSet, ExplanationRequest.objects.visible_to(request.user), filters, pages,
                 ("deadline", "id"))


@router.get("/requests/{request_id}/answers", response=list[AnswerOut], summary="The answers to a request")
def list_answers(request: HttpRequest, request_id: int) -> Any:
    req = get_object_or_404(ExplanationRequest.objects.visible_to(request.user), pk=request_id)
    return list(ExplanationAnswer.objects.visible_to(request.user).filter(request=req).order_by("id"))


@router.post("/requests/{request_id}/answers", response={201: AnswerOut},
             summary="Answer a request with a written explanation (refused once the case is closed)")
def answer(request: HttpRequest, request_id: int, payload: AnswerIn) -> Status[ExplanationAnswer]:
    req = get_object_or_404(ExplanationRequest.objects.visible_to(request.user), pk=request_id)
    return Status(201, services.answer_explanation(actor=request.user, request=req, text=payload.text,  # type: ignore[arg-type]
                                                   files=_decode(payload.attachments)))


# -- referrals ----------------------------------------------------------------------------------


class ReferralPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ReferralOut]


class ReferralFilters(Schema):
    body: str | None = None
    outcome: bool | None = Field(None, description="Outcome received (true) or awaited (false).")
    referred_to: dt.date | None = Field(None, description="Referred on or before this day.")


class OutcomeIn(Schema):
    outcome: str = Field(description="talk, education, circular, admonition, organisational, sanction, none")
    on: dt.date | None = None
    note: str = ""


@router.get("/referrals", response=ReferralPage, summary="Referrals and their outcomes")
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters], pages: Query[PageParams]) -> Any:
    qs = Referral.objects.visible_to(request.user).select_related("body", "outcome")
    return _page(ReferralFilterSet, qs, filters, pages, ("-referred_on", "id"))


@router.post("/referrals/{referral_id}/outcome", response=ReferralOut, summary="Record the outcome reported back")
def outcome(request: HttpRequest, referral_id: int, payload: OutcomeIn) -> Referral:
    referral = get_object_or_404(Referral.objects.visible_to(request.user), pk=referral_id)
    return services.referral_outcome(actor=request.user, referral=referral,  # type: ignore[arg-type]
                                     outcome=get_object_or_404(OutcomeKind, code=payload.outcome), note=payload.note,
                                     on=payload.on)


# -- bulletins and figures ----------------------------------------------------------------------


class BulletinOut(Schema):
    id: int
    number: int
    period_from: dt.date
    period_to: dt.date
    issued_on: dt.date


class BulletinIn(Schema):
    period_from: dt.date
    period_to: dt.date


class BulletinListIn(Schema):
    title: str = Field(max_length=120)
    number: int = Field(ge=1)
    issued_on: dt.date
    typed: str = Field("", description="One problem a line: unit name, a colon, the problem.")
    xlsx_base64: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict, description=(
        "Places the file's columns the platform does not know: header → field (unit, summary, place, "
        "classification; \"\" for not imported), remembered for the header set."))


class BulletinListOut(Schema):
    status: str = Field(description="committed, rejected, or needs_mapping (a column must be placed first)")
    rows: int
    errors: list[str]
    not_imported: list[str] = Field(default_factory=list, description="Columns of the file left out on purpose")
    header: dict[str, Any] | None = Field(None, description="While needs_mapping: every column, its first "
                                                            "values and a suggestion")


@router.get("/bulletins", response=list[BulletinOut], summary="The periodic supervision bulletins (督查通报)")
def list_bulletins(request: HttpRequest) -> Any:
    return list(Bulletin.objects.visible_to(request.user).order_by("-number"))


@router.post("/bulletins", response={201: BulletinOut}, summary="Issue the next supervision bulletin")
def issue_bulletin(request: HttpRequest, payload: BulletinIn) -> Status[Bulletin]:
    return Status(201, services.bulletin_issue(actor=request.user, period_from=payload.period_from,  # type: ignore[arg-type]
                                               period_to=payload.period_to))


@router.post("/bulletin-lists", response={201: BulletinListOut, 200: BulletinListOut},
             summary="Import an inspection bulletin's problem list (all or nothing)")
def import_bulletin_list(request: HttpRequest, payload: BulletinListIn) -> Any:
    content = _decode([PhotoIn(name="list.xlsx", content_base64=payload.xlsx_base64)])[0][1] \
        if payload.xlsx_base64 else None
    from fangkong.core.columnmap import MappingNeeded, normalize_header

    # A field that does not exist is refused by core.mappings.place_columns (rejected, below).
    mapping = {normalize_header(k): v for k, v in payload.mapping.items()} or None
    try:
        result = imports.bulletin_import(actor=request.user, title=payload.title, number=payload.number,  # type: ignore[arg-type]
                                         issued_on=payload.issued_on, content=content, typed=payload.typed,
                                         mapping=mapping)
    except MappingNeeded as needed:
        return Status(200, {"status": "needs_mapping", "rows": 0, "errors": [needed.message],
                            "header": needed.plan.as_dict()})
    except ValidationError as exc:
        # Refused before any row is read (no list given, a file that is not a list): the same
        # answer as a list with problems, nothing written.
        return Status(200, {"status": "rejected", "rows": 0, "errors": [str(m) for m in exc.messages]})
    body = {"status": result.status, "rows": result.total_rows, "errors": result.errors,
            "not_imported": result.not_imported}
    # 201 when written; 200 with status "rejected" and the problems when nothing was (as the
    # other imports answer a preview), so a 400 stays the answer to a malformed request.
    return Status(201 if result.status == "committed" else 200, body)


class ReferralCounts(Schema):
    organisation: int
    discipline: int
    inspection: int


class SupervisionFiguresOut(Schema):
    as_of: dt.date
    groups: int
    communities_covered: int
    feedback_expected: int
    feedback_submitted: int
    feedback_no_items: int
    problems: int
    investigations_open: int
    rectifications_open: int
    referrals: ReferralCounts
    overdue: int


@router.get("/figures", response=SupervisionFiguresOut, summary="The supervision line's key figures as of a day")
def figures(request: HttpRequest, as_of: dt.date | None = None) -> dict[str, Any]:
    if not user_has_perm(request.user, "supervision.view"):
        raise PermissionDenied(_("Your role may not see the supervision figures."))
    day = as_of or as_of_default()
    user = request.user
    return {"as_of": day, **selectors.figures(
        coverage=Coverage.objects.visible_to(user), feedback=Feedback.objects.visible_to(user),
        problems=Problem.objects.visible_to(user), cases=Investigation.objects.visible_to(user),
        referrals=Referral.objects.visible_to(user), day=day)}


__all__ = ["UnitKind", "router"]
