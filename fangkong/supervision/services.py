"""Writing the supervision line. Pages, the API, the bulletin import, the demo and the reminder
pass all come through here; every function checks its actor (``core.actors.SYSTEM`` for the
platform's own work)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_change, audit_log, snapshot
from fangkong.core import clock
from fangkong.core.actors import SYSTEM, user_of
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, WorkingGroup
from fangkong.people.models import Person

from . import selectors
from .choices import ITEMS, Answer, CaseStatus, Conclusion, ProblemSource, ProblemStatus
from .models import (
    Bulletin,
    Classification,
    Coverage,
    Evidence,
    ExplanationAnswer,
    ExplanationRequest,
    Feedback,
    Investigation,
    OutcomeKind,
    Problem,
    ReceivingBody,
    Referral,
)

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

PROBLEM_DAYS = 7  # a new problem is to be handled within a week
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# What a file's first bytes must be for the kind its name says.
MAGIC: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "pdf": ("application/pdf", (b"%PDF-",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "txt": ("text/plain", ()),
}


def _require(actor: Actor, perm: str) -> None:
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def _may_see(actor: Actor, obj: Any) -> None:
    """A record outside what the actor may see answers as if it did not exist."""
    if not type(obj).objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise PermissionDenied(_("Not found."))


def _text(value: str, max_length: int, *, multiline: bool = False) -> str:
    return clean_text(value or "", max_length=max_length, multiline=multiline)


# -- groups and coverage ------------------------------------------------------------------------


@transaction.atomic
def coverage_set(*, actor: Actor, group: WorkingGroup, community: Unit, starts_on: dt.date) -> Coverage:
    """The group covers the community from ``starts_on``; whoever covered it before stops the day before."""
    _require(actor, "supervision.change")
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("A group covers communities.")]})
    if not unit_in_scope(actor, community.pk):
        raise PermissionDenied(_("Not found."))
    for old in Coverage.objects.filter(community=community, ends_on__isnull=True, starts_on__lt=starts_on):
        before = snapshot(old)
        old.ends_on = starts_on - dt.timedelta(days=1)
        old.save(update_fields=["ends_on"])
        audit_change(actor=actor, obj=old, before=before)
    coverage = Coverage(group=group, community=community, starts_on=starts_on)
    coverage.full_clean()
    coverage.save()
    audit_change(actor=actor, obj=coverage, before=None)
    return coverage


# -- the feedback ledger ------------------------------------------------------------------------


@dataclass
class FeedbackEntry:
    """One department's line on the phone screen."""

    department_id: int
    obeys: str = Answer.YES
    publicity: str = Answer.YES
    screening: str = Answer.YES
    testing: str = Answer.YES
    cadres_expected: int | None = None
    cadres_present: int | None = None
    cadres_reason: str = ""
    remark: str = ""


def _next_number(model: type[Problem] | type[Investigation], prefix: str, year: int) -> str:
    stem = f"{prefix}{year}-"
    last = model.objects.filter(number__startswith=stem).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{seq:04d}"


@transaction.atomic
def feedback_submit(
    *, actor: Actor, community: Unit, day: dt.date, entries: Sequence[FeedbackEntry],
    photos: Iterable[tuple[str, bytes]] = (),
) -> list[Feedback]:
    """A community's daily feedback on its paired departments. An entry for a pair already
    answered that day is a correction: the earlier row stays, no longer current. Every "no"
    opens a problem (once per pair and day)."""
    _require(actor, "supervision.feedback")
    if community.kind != UnitKind.COMMUNITY or not unit_in_scope(actor, community.pk):
        raise PermissionDenied(_("Not found."))
    if day > clock.today():
        raise ValidationError({"day": [_("Feedback cannot be given for a future day.")]})
    paired = selectors.paired_department_ids(community.pk, day)
    errors: dict[str, list[str]] = {}
    for entry in entries:
        if entry.department_id not in paired:
            errors.setdefault("department", []).append(
                _("Department %(id)s is not paired with this community.") % {"id": entry.department_id})
        for name, _label in ITEMS:
            if getattr(entry, name) not in Answer.values:
                errors.setdefault(name, []).append(_("Answer yes, no or not applicable."))
    if errors:
        raise ValidationError(errors)
    filled = selectors.cadres_on(community.pk, [e.department_id for e in entries], day)
    now = clock.now()
    saved: list[Feedback] = []
    group = selectors.group_covering(community.pk, day)
    for entry in entries:
        expected, present = filled.get(entry.department_id, (0, 0))
        edited = (entry.cadres_expected is not None and entry.cadres_expected != expected) or (
            entry.cadres_present is not None and entry.cadres_present != present)
        reason = _text(entry.cadres_reason, 200)
        if edited and not reason:
            raise ValidationError({"cadres_reason": [_("Say why the cadre counts differ from the rosters.")]})
        previous = Feedback.objects.select_for_update().filter(
            community=community, department_id=entry.department_id, day=day, is_current=True).first()
        if previous is not None:
            Feedback.objects.filter(pk=previous.pk).update(is_current=False)
        feedback = Feedback(
            community=community, department_id=entry.department_id, day=day,
            obeys=entry.obeys, publicity=entry.publicity, screening=entry.screening, testing=entry.testing,
            cadres_expected=entry.cadres_expected if entry.cadres_expected is not None else expected,
            cadres_present=entry.cadres_present if entry.cadres_present is not None else present,
            cadres_edited=edited, cadres_reason=reason, remark=_text(entry.remark, 500),
            revision=previous.revision + 1 if previous else 1, submitted_by=user_of(actor), submitted_at=now,
        )
        if feedback.cadres_present > feedback.cadres_expected:
            raise ValidationError({"cadres_present": [_("More cadres present than expected.")]})
        feedback.full_clean(exclude=["community", "department"])
        feedback.save()
        audit_change(actor=actor, obj=feedback, before=snapshot(previous) if previous else None)
        saved.append(feedback)
        if feedback.no_items and not Problem.objects.filter(
                feedback__community=community, feedback__department_id=entry.department_id,
                feedback__day=day).exists():
            labels = dict(ITEMS)
            problem_create(
                actor=actor, source=ProblemSource.FEEDBACK, unit=feedback.department, community=community,
                group=group, classification=_classification("cooperation"),
                summary=_("%(community)s: %(department)s answered no on %(items)s") % {
                    "community": community.name, "department": feedback.department.name,
                    "items": "、".join(str(labels[n]) for n in feedback.no_items)},
                details=feedback.remark, found_on=day, feedback=feedback,
            )
    for name, content in photos:
        for feedback in saved[:1]:
            evidence_add(actor=actor, name=name, content=content, feedback=feedback)
    return saved


def _classification(code: str) -> Classification:
    from .reference import ensure

    ensure()
    return Classification.objects.get(code=code)


# -- evidence -----------------------------------------------------------------------------------


def check_file(name: str, content: bytes) -> str:
    """The content type of an attachment, or a refusal: too large, an unknown kind, or content
    that is not what its name says."""
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": MAX_EVIDENCE_BYTES // (1024 * 1024)})
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in MAGIC:
        raise ValidationError(_("Attach a photo (jpg, png), a PDF, an xlsx/docx or a text file."))
    content_type, magics = MAGIC[ext]
    if magics and not any(content.startswith(m) for m in magics):
        raise ValidationError(_("The file %(name)s is not what its name says.") % {"name": name})
    if not magics:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(_("The file %(name)s is not what its name says.") % {"name": name}) from None
    return content_type


@transaction.atomic
def evidence_add(*, actor: Actor, name: str, content: bytes, note: str = "", feedback: Feedback | None = None,
                 problem: Problem | None = None, answer: ExplanationAnswer | None = None) -> Evidence:
    name = _text(name.replace("/", "_").replace("\\", "_"), 200) or "file"
    content_type = check_file(name, content)
    evidence = Evidence(feedback=feedback, problem=problem, answer=answer, name=name, content_type=content_type,
                        size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
                        note=_text(note, 200), uploaded_by=user_of(actor))
    evidence.save()
    # The file itself stays out of the audit log; its name, size and digest go in.
    audit_log(actor=actor, action=Action.CREATE, obj=evidence,
              detail=f"size={evidence.size} sha256={evidence.sha256} type={content_type}")
    return evidence


# -- problems -----------------------------------------------------------------------------------


@transaction.atomic
def problem_create(
    *, actor: Actor, source: str, unit: Unit, classification: Classification, summary: str,
    found_on: dt.date, details: str = "", community: Unit | None = None, group: WorkingGroup | None = None,
    deadline: dt.date | None = None, unannounced: bool = False, feedback: Feedback | None = None,
    bulletin: Any = None, bulletin_row: int | None = None, flag: Any = None, returnee: Any = None,
) -> Problem:
    """A new problem naming the unit concerned. Outside feedback (which any community may give on
    its paired departments) the unit must lie in the actor's scope."""
    if source == ProblemSource.FEEDBACK:
        _require(actor, "supervision.feedback")
    else:
        _require(actor, "supervision.change")
        if not unit_in_scope(actor, unit.pk):
            raise PermissionDenied(_("The unit concerned is outside your scope."))
    if source not in ProblemSource.values:
        raise ValidationError({"source": [_("Unknown source.")]})
    if found_on > clock.today():
        raise ValidationError({"found_on": [_("A problem cannot be found on a future day.")]})
    if group is None:
        group = selectors.group_for_unit(unit.pk, community.pk if community else None, found_on)
    problem = Problem(
        number=_next_number(Problem, "WT", found_on.year), source=source, unit=unit, community=community,
        group=group, classification=classification, summary=_text(summary, 300),
        details=_text(details, 5000, multiline=True), found_on=found_on,
        deadline=deadline or found_on + dt.timedelta(days=PROBLEM_DAYS), unannounced=unannounced,
        feedback=feedback, bulletin=bulletin, bulletin_row=bulletin_row, flag=flag, returnee=returnee,
        reported_by=user_of(actor),
    )
    problem.full_clean(exclude=["unit", "community", "feedback", "bulletin", "flag", "returnee", "group"])
    problem.save()
    audit_change(actor=actor, obj=problem, before=None)
    return problem


@transaction.atomic
def problem_close(*, actor: Actor, problem: Problem, note: str = "") -> Problem:
    _require(actor, "supervision.change")
    _may_see(actor, problem)
    before = snapshot(problem)
    problem.status = ProblemStatus.CLOSED
    if note:
        problem.details = _text(f"{problem.details}\n{note}".strip(), 5000, multiline=True)
    problem.save(update_fields=["status", "details"])
    audit_change(actor=actor, obj=problem, before=before)
    return problem


# -- investigations -----------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *, actor: Actor, problems: Sequence[Problem], title: str, leader: Person, deadline: dt.date,
    members: Iterable[Person] = (), unit: Unit | None = None, opened_on: dt.date | None = None,
) -> Investigation:
    """An investigation team with a leader and a deadline takes up one or several problems."""
    _require(actor, "supervision.change")
    if not problems:
        raise ValidationError({"problems": [_("Choose the problems to investigate.")]})
    for problem in problems:
        _may_see(actor, problem)
        if problem.case_id:
            raise ValidationError({"problems": [_("Problem %(n)s is already under investigation.")
                                                % {"n": problem.number}]})
    opened_on = opened_on or clock.today()
    if deadline < opened_on:
        raise ValidationError({"deadline": [_("The deadline is before the case opens.")]})
    first = problems[0]
    case = Investigation(
        number=_next_number(Investigation, "HC", opened_on.year), title=_text(title, 200),
        unit=unit or first.unit, group=first.group, leader=leader, opened_on=opened_on, deadline=deadline,
    )
    case.full_clean(exclude=["unit", "group", "leader"])
    case.save()
    case.members.set(list(members))
    audit_change(actor=actor, obj=case, before=None)
    for problem in problems:
        before = snapshot(problem)
        problem.case = case
        problem.status = ProblemStatus.INVESTIGATING
        problem.save(update_fields=["case", "status"])
        audit_change(actor=actor, obj=problem, before=before)
    return case


def _open_case(actor: Actor, case: Investigation) -> None:
    _require(actor, "supervision.change")
    _may_see(actor, case)
    if case.is_closed:
        raise ValidationError(_("The case is closed."))


@transaction.atomic
def request_explanation(*, actor: Actor, case: Investigation, unit: Unit, question: str,
                        deadline: dt.date) -> ExplanationRequest:
    """Ask a unit for a written explanation (情况说明) by a deadline."""
    _open_case(actor, case)
    today = clock.today()
    if deadline < today:
        raise ValidationError({"deadline": [_("The answer's deadline is in the past.")]})
    request = ExplanationRequest(case=case, unit=unit, question=_text(question, 3000, multiline=True),
                                 requested_on=today, deadline=deadline, requested_by=user_of(actor))
    request.full_clean(exclude=["case", "unit"])
    request.save()
    audit_change(actor=actor, obj=request, before=None)
    notify_request(request)
    return request


def notify_request(request: ExplanationRequest, *, reminder: bool = False) -> None:
    """A notice to the unit through its channels (the platform's own message: the actor's scope
    was checked when the request was made)."""
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import message_send

    day = request.deadline.isoformat()
    message_send(
        actor=SYSTEM, unit=request.unit, kind=MessageKind.REMINDER if reminder else MessageKind.MANUAL,
        key=f"supervision-request-{request.pk}-{'reminder-' + clock.today().isoformat() if reminder else 'new'}",
        subject=_("Written explanation requested: %(case)s") % {"case": request.case.title},
        body=_("Answer on the platform by %(day)s: %(url)s") % {"day": day, "url": request.get_absolute_url()},
    )


@transaction.atomic
def answer_explanation(*, actor: Actor, request: ExplanationRequest, text: str,
                       files: Iterable[tuple[str, bytes]] = ()) -> ExplanationAnswer:
    """The unit's written explanation. Refused once the case is closed."""
    _require(actor, "supervision.answer")
    if not ExplanationRequest.objects.visible_to(actor).filter(pk=request.pk).exists() or not unit_in_scope(
            actor, request.unit_id):
        raise PermissionDenied(_("Not found."))
    if request.case.is_closed:
        raise ValidationError(_("The case is closed; no more answers are taken."))
    answer = ExplanationAnswer(request=request, text=_text(text, 10000, multiline=True),
                               answered_on=clock.today(), answered_by=user_of(actor))
    if not answer.text:
        raise ValidationError({"text": [_("Write the explanation.")]})
    checked = [(name, content, check_file(name, content)) for name, content in files]
    answer.save()
    audit_change(actor=actor, obj=answer, before=None)
    for name, content, _type in checked:
        evidence_add(actor=actor, name=name, content=content, answer=answer)
    return answer


@transaction.atomic
def case_conclude(*, actor: Actor, case: Investigation, findings: str, conclusion: str, measures: str = "",
                  rectify_by: dt.date | None = None) -> Investigation:
    """The conclusion: unfounded (closes), rectify (measures and a deadline, verified by the
    group) or refer (referrals follow)."""
    _open_case(actor, case)
    if conclusion not in Conclusion.values:
        raise ValidationError({"conclusion": [_("Choose unfounded, rectify or refer.")]})
    findings = _text(findings, 10000, multiline=True)
    if not findings:
        raise ValidationError({"findings": [_("Write the findings.")]})
    if conclusion == Conclusion.RECTIFY and (not measures.strip() or rectify_by is None):
        raise ValidationError({"measures": [_("A rectification needs its measures and a deadline.")]})
    before = snapshot(case)
    today = clock.today()
    case.findings, case.conclusion, case.concluded_on = findings, conclusion, today
    case.measures = _text(measures, 5000, multiline=True)
    case.rectify_by = rectify_by
    case.status = {Conclusion.UNFOUNDED: CaseStatus.CLOSED, Conclusion.RECTIFY: CaseStatus.RECTIFYING,
                   Conclusion.REFER: CaseStatus.REFERRED}[Conclusion(conclusion)]
    if case.status == CaseStatus.CLOSED:
        case.closed_on = today
        case.problems.update(status=ProblemStatus.CLOSED)
    case.save()
    audit_change(actor=actor, obj=case, before=before)
    return case


@transaction.atomic
def rectification_verify(*, actor: Actor, case: Investigation, note: str) -> Investigation:
    """The group verifies the rectification; the case closes."""
    _open_case(actor, case)
    if case.status != CaseStatus.RECTIFYING:
        raise ValidationError(_("The case is not being rectified."))
    before = snapshot(case)
    case.verified_on = case.closed_on = clock.today()
    case.verified_note = _text(note, 300)
    case.status = CaseStatus.CLOSED
    case.save()
    case.problems.update(status=ProblemStatus.CLOSED)
    audit_change(actor=actor, obj=case, before=before)
    return case


@transaction.atomic
def referral_create(*, actor: Actor, case: Investigation, body: ReceivingBody, note: str = "",
                    referred_on: dt.date | None = None) -> Referral:
    """Refer a case concluded "refer" to one receiving body, with its letter number."""
    _require(actor, "supervision.change")
    _may_see(actor, case)
    if case.conclusion != Conclusion.REFER:
        raise ValidationError(_("Only a case concluded \"refer\" can be referred."))
    if Referral.objects.filter(case=case, body=body).exists():
        raise ValidationError(_("The case is already referred to %(body)s.") % {"body": body.name})
    day = referred_on or clock.today()
    count = Referral.objects.filter(referred_on__year=day.year).count() + 1
    referral = Referral(case=case, body=body, referred_on=day, letter_no=f"白山直党工督〔{day.year}〕{count}号",
                        note=_text(note, 3000, multiline=True))
    referral.full_clean(exclude=["case", "body"])
    referral.save()
    audit_change(actor=actor, obj=referral, before=None)
    return referral


@transaction.atomic
def referral_outcome(*, actor: Actor, referral: Referral, outcome: OutcomeKind, note: str = "",
                     on: dt.date | None = None) -> Referral:
    """The outcome the receiving body reports back. When every referral of the case has its
    outcome, the case closes."""
    _require(actor, "supervision.outcome")
    _may_see(actor, referral)
    day = on or clock.today()
    if day > clock.today() or day < referral.referred_on:
        raise ValidationError({"outcome_on": [_("The outcome's day lies between the referral and today.")]})
    before = snapshot(referral)
    referral.outcome, referral.outcome_on, referral.outcome_note = outcome, day, _text(note, 300)
    referral.save()
    audit_change(actor=actor, obj=referral, before=before)
    case = referral.case
    if not case.referrals.filter(outcome__isnull=True).exists() and not case.is_closed:
        case_before = snapshot(case)
        case.status, case.closed_on = CaseStatus.CLOSED, day
        case.save(update_fields=["status", "closed_on"])
        case.problems.update(status=ProblemStatus.CLOSED)
        audit_change(actor=actor, obj=case, before=case_before)
    return referral


def case_read(*, actor: Actor, case: Investigation) -> None:
    """Every read of a case file is audited."""
    audit_log(actor=actor, action=Action.REVEAL, obj=case, detail="case file read")


@transaction.atomic
def escalate_overdue(*, actor: Actor, today: dt.date | None = None) -> int:
    """Tell the group leader about each case past its deadline (once per case)."""
    _require(actor, "supervision.change")
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import message_send

    today = today or clock.today()
    count = 0
    for case in selectors.overdue_cases(Investigation.objects.visible_to(actor), today).filter(
            escalated_on__isnull=True).select_related("group"):
        leader = case.group.leader if case.group else None
        if leader is not None and leader.unit_id:
            message_send(actor=SYSTEM, unit=leader.unit, kind=MessageKind.ESCALATION,
                         key=f"supervision-overdue-{case.pk}",
                         subject=_("Overdue case: %(case)s") % {"case": str(case)},
                         body=_("Deadline %(day)s; escalated to the group leader %(name)s.")
                         % {"day": case.deadline.isoformat(), "name": leader.name})
        Investigation.objects.filter(pk=case.pk).update(escalated_on=today)
        count += 1
    return count + escalate_untaken(actor=actor, today=today)


@transaction.atomic
def escalate_untaken(*, actor: Actor, today: dt.date | None = None) -> int:
    """Tell the group leader (a problem without a group: the committee, at the root of the tree)
    about each problem nobody took up into a case by its deadline (once per problem)."""
    _require(actor, "supervision.change")
    from fangkong.notify.choices import MessageKind
    from fangkong.notify.services import message_send

    today = today or clock.today()
    count = 0
    for problem in selectors.overdue_problems(Problem.objects.visible_to(actor), today).filter(
            escalated_on__isnull=True).select_related("group", "unit"):
        leader = problem.group.leader if problem.group else None
        target = (leader.unit if leader is not None and leader.unit_id
                  else Unit.objects.filter(parent__isnull=True).order_by("id").first())
        if target is not None:
            message_send(actor=SYSTEM, unit=target, kind=MessageKind.ESCALATION,
                         key=f"supervision-untaken-{problem.pk}",
                         subject=_("Problem not taken up: %(problem)s") % {"problem": problem.number},
                         body=_("%(unit)s: %(summary)s. Due to be taken up by %(day)s; nobody has opened a case.")
                         % {"unit": problem.unit.name, "summary": problem.summary, "day": problem.deadline.isoformat()})
        Problem.objects.filter(pk=problem.pk).update(escalated_on=today)
        count += 1
    return count


@transaction.atomic
def bulletin_issue(*, actor: Actor, period_from: dt.date, period_to: dt.date) -> Bulletin:
    """督查通报 第N期: the next number, for a period."""
    _require(actor, "supervision.change")
    if period_to < period_from:
        raise ValidationError({"period_to": [_("The period ends before it starts.")]})
    if period_to > clock.today():
        raise ValidationError({"period_to": [_("The period cannot end in the future.")]})
    number = (Bulletin.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    bulletin = Bulletin(number=number, period_from=period_from, period_to=period_to, issued_on=clock.today(),
                        issued_by=user_of(actor))
    bulletin.full_clean()
    bulletin.save()
    audit_change(actor=actor, obj=bulletin, before=None)
    return bulletin


def reminders_due(at: dt.datetime | None = None) -> int:
    """The scheduled job (``send_reminders``): remind each unit of a request due within three days
    and not answered (once a day; the notice's key makes a repeat pass send nothing), and escalate
    every overdue case, and every problem nobody took up by its deadline, to the group leader (once)."""
    from django.utils import timezone

    today = timezone.localtime(at).date() if at else clock.today()
    due = ExplanationRequest.objects.filter(answers__isnull=True, deadline__lte=today + dt.timedelta(days=3)).exclude(
        case__status=CaseStatus.CLOSED).select_related("unit", "case")
    sent = 0
    for request in due:
        notify_request(request, reminder=True)
        sent += 1
    return sent + escalate_overdue(actor=SYSTEM, today=today)


@transaction.atomic
def problem_from_flag(*, actor: Actor, flag: Any) -> Problem:
    """A problem from a daily-report concealment flag (瞒报): the unit that reported, the day."""
    if Problem.objects.filter(flag=flag).exists():
        raise ValidationError(_("A problem was already recorded for this flag."))
    summary = _("%(unit)s, daily report of %(day)s: %(kind)s (reported %(reported)s, ledger %(ledger)s)") % {
        "unit": flag.unit.name, "day": flag.day.isoformat(), "kind": flag.get_kind_display(),
        "reported": "—" if flag.reported is None else flag.reported, "ledger": flag.ledger}
    return problem_create(actor=actor, source=ProblemSource.CONCEALMENT, unit=flag.unit,
                          classification=_classification("p3"), summary=summary, found_on=flag.day, flag=flag)


@transaction.atomic
def problem_from_returnee(*, actor: Actor, returnee: Any) -> Problem:
    """A problem from a dual-report concealment suspect: registered by a community, naming an
    employer that never reported the person."""
    from fangkong.returnees.models import Registration

    unit = returnee.unit or next((r.stated_employer for r in Registration.objects.filter(
        returnee=returnee, stated_employer__isnull=False).select_related("stated_employer")), None)
    if unit is None:
        raise ValidationError(_("The returnee names no employer."))
    if Problem.objects.filter(returnee=returnee).exists():
        raise ValidationError(_("A problem was already recorded for this returnee."))
    summary = _("%(unit)s did not report a returnee registered by the community (dual-report suspect)") % {
        "unit": unit.name}
    return problem_create(actor=actor, source=ProblemSource.DUAL_REPORT, unit=unit,
                          classification=_classification("no_register"), summary=summary,
                          found_on=clock.today(), returnee=returnee)
