"""The demo city's community supervision line (社区督查调度线), as in the source report.

Two supervision groups of the committee cover the 26 communities (13 each). Every community gave
its feedback on each paired department every day from 28 January to 25 February (on the 25th,
a few communities, the demo login's among them, have not yet), with a sprinkle of "no"s; each
"no" opened a problem, most of them settled within the week. On 10 February bulletin no. 12 of the
city's inspection (《白山市疫情防控督查工作简报》第12期) listed organ returnees who had not
registered with their communities: an investigation team led by the committee's deputy
secretary asked the departments concerned for written explanations, concluded, and referred the
written explanation to the inspection group. Two cases from the feedback went to the discipline
commission and the organisation department, with outcomes; one was rectified; one is overdue;
the demo department has a request to answer. Two periodic bulletins were issued.

Written directly with bulk_create (no audit entries, like the other loaders) and drawn from its
own seeded generator.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from fangkong.orgs.choices import GroupKind, MemberRole, UnitKind
from fangkong.orgs.demo_data import DEMO_DEPARTMENT_CODE
from fangkong.orgs.models import GroupMember, Pairing, Unit, UnitLink, WorkingGroup
from fangkong.people.models import Person

from .choices import Answer, CaseStatus, Conclusion, ImportStatus, ProblemSource, ProblemStatus
from .models import (
    Bulletin,
    BulletinImport,
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
from .reference import ensure

SEED = 2015
FIRST_DAY = dt.date(2020, 1, 28)
LAST_DAY = dt.date(2020, 2, 25)
NO_SHARE = 0.012  # of the daily answers, how many carry a "no"
NOT_YET = 4  # communities that have not answered on the last day (the demo login's first)
TZ = timezone.get_fixed_timezone(8 * 60)
GROUPS = [("社区督查第一组", "督查第一至第十三个社区的包保部门：听从统一调配、防疫宣传、人员排查、检测。"),
          ("社区督查第二组", "督查其余十三个社区的包保部门：听从统一调配、防疫宣传、人员排查、检测。")]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def load_demo_supervision(city: Any = None) -> dict[str, int]:
    ensure()
    rng = random.Random(SEED)
    committee = Unit.objects.get(code="WC")
    staff = list(Person.objects.filter(unit=committee).order_by("id"))
    # committee staff in the order of demo_data.COMMITTEE_STAFF: 0 书记, 1 常务副书记, 2-3 副书记, 4 办公室主任,
    # 5 组织科科长, 6 宣传科科长, 7 督查科科长 (the inspector login), 8-11 科员 (11 督查科科员)
    groups = [WorkingGroup.objects.create(unit=committee, name=name, kind=GroupKind.WORKING, duties=duties)
              for name, duties in GROUPS]
    GroupMember.objects.bulk_create([
        GroupMember(group=groups[0], person=staff[3], role=MemberRole.LEADER, items="社区督查（纪检）"),
        GroupMember(group=groups[0], person=staff[7], role=MemberRole.MEMBER, items="反馈台账、问题核查"),
        GroupMember(group=groups[0], person=staff[11], role=MemberRole.MEMBER, items="督查通报"),
        GroupMember(group=groups[1], person=staff[5], role=MemberRole.LEADER, items="社区督查"),
        GroupMember(group=groups[1], person=staff[9], role=MemberRole.MEMBER, items="反馈台账"),
        GroupMember(group=groups[1], person=staff[10], role=MemberRole.MEMBER, items="问题核查"),
    ])
    communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code"))
    half = (len(communities) + 1) // 2
    group_of = {c.pk: groups[0] if i < half else groups[1] for i, c in enumerate(communities)}
    Coverage.objects.bulk_create([Coverage(group=group_of[c.pk], community=c, starts_on=FIRST_DAY)
                                  for c in communities])

    # -- the daily feedback ledger ------------------------------------------------------------
    pairs = sorted(Pairing.objects.filter(community__in=communities).values_list("community_id", "department_id"))
    cadres = _cadres(pairs)
    not_yet = {communities[0].pk} | {c.pk for c in rng.sample(communities[1:], NOT_YET - 1)}
    users = {u.username: u for u in _users()}
    feedback: list[Feedback] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for community_id, department_id in pairs:
            if day == LAST_DAY and community_id in not_yet:
                continue
            answers = {name: Answer.YES for name in ("obeys", "publicity", "screening", "testing")}
            if day.weekday() == 6 and rng.random() < 0.3:
                answers["testing"] = Answer.NA
            if rng.random() < NO_SHARE:
                answers[rng.choice(list(answers))] = Answer.NO
            expected = cadres.get((community_id, department_id, day), 0)
            feedback.append(Feedback(
                community_id=community_id, department_id=department_id, day=day, cadres_expected=expected,
                cadres_present=expected, submitted_at=_at(day, rng.randint(17, 20), rng.randint(0, 59)),
                submitted_by=users.get("community") if community_id == communities[0].pk else None, **answers))
        day += dt.timedelta(days=1)
    feedback = Feedback.objects.bulk_create(feedback, batch_size=2000)

    # -- problems from the "no"s ---------------------------------------------------------------
    classes = {c.code: c for c in Classification.objects.all()}
    units = {u.pk: u for u in Unit.objects.filter(kind__in=(UnitKind.DEPARTMENT, UnitKind.COMMUNITY))}
    labels = {"obeys": "不服从统一调配", "publicity": "未配合开展防疫宣传", "screening": "未配合开展人员排查",
              "testing": "未配合开展检测"}
    problems: list[Problem] = []
    numbers = iter(range(1, 100_000))
    for fb in feedback:
        if not fb.no_items:
            continue
        kind = "p1" if "obeys" in fb.no_items else "cooperation"
        open_ = fb.day >= LAST_DAY - dt.timedelta(days=3)
        problems.append(Problem(
            number=f"WT2020-{next(numbers):04d}", source=ProblemSource.FEEDBACK, unit_id=fb.department_id,
            community_id=fb.community_id, group=group_of[fb.community_id], classification=classes[kind],
            summary=f"{units[fb.community_id].name}反馈：{units[fb.department_id].name}"
                    f"{'、'.join(labels[n] for n in fb.no_items)}",
            found_on=fb.day, deadline=fb.day + dt.timedelta(days=7), feedback=fb,
            status=ProblemStatus.OPEN if open_ else ProblemStatus.CLOSED,
            details="" if open_ else "经督查组核实，已当场纠正。"))
    problems = Problem.objects.bulk_create(problems)
    cases = _cases(staff, groups, problems, classes, numbers, users, units)
    Bulletin.objects.bulk_create([
        Bulletin(number=1, period_from=dt.date(2020, 2, 10), period_to=dt.date(2020, 2, 16),
                 issued_on=dt.date(2020, 2, 17), issued_by=users.get("office")),
        Bulletin(number=2, period_from=dt.date(2020, 2, 17), period_to=dt.date(2020, 2, 23),
                 issued_on=dt.date(2020, 2, 24), issued_by=users.get("office")),
    ])
    return {"supervision groups": len(groups), "feedback answers": len(feedback),
            "supervision problems": Problem.objects.count(), "supervision cases": cases}


def _users() -> list[Any]:
    from fangkong.accounts.models import User

    return list(User.objects.filter(username__in=["community", "office", "inspector", "liaison", "discipline"]))


def _cadres(pairs: list[tuple[int, int]]) -> dict[tuple[int, int, dt.date], int]:
    """Cadres each department had placed at each community (or below it) on each day."""
    from fangkong.deployment.models import Secondment

    community_ids = {c for c, _d in pairs}
    above = dict(UnitLink.objects.filter(ancestor_id__in=community_ids).values_list("descendant_id", "ancestor_id"))
    out: dict[tuple[int, int, dt.date], int] = defaultdict(int)
    rows = Secondment.objects.filter(unit__isnull=False).values_list("department_id", "unit_id", "starts_on", "ends_on")
    wanted = set(pairs)
    for department_id, unit_id, starts, ends in rows:
        community_id = above.get(unit_id)
        if community_id is None or (community_id, department_id) not in wanted:
            continue
        day = max(starts, FIRST_DAY)
        last = min(ends or LAST_DAY, LAST_DAY)
        while day <= last:
            out[community_id, department_id, day] += 1
            day += dt.timedelta(days=1)
    return out


def _cases(staff: list[Person], groups: list[WorkingGroup], problems: list[Problem],
           classes: dict[str, Classification], numbers: Any, users: dict[str, Any], units: dict[int, Unit]) -> int:
    bodies = {b.code: b for b in ReceivingBody.objects.all()}
    outcomes = {o.code: o for o in OutcomeKind.objects.all()}
    office, inspector, liaison = users.get("office"), users.get("inspector"), users.get("liaison")
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, pairings__isnull=False).distinct()
                       .order_by("code"))
    demo_department = Unit.objects.get(code=DEMO_DEPARTMENT_CODE)
    group1 = set(Coverage.objects.filter(group=groups[0]).values_list("community_id", flat=True))
    in_group1 = [d for d in departments if Pairing.objects.filter(department=d, community_id__in=group1).exists()]
    in_group2 = [d for d in departments if d not in in_group1]

    # Bulletin no. 12 of 10 February: organ returnees not registered with their communities.
    bulletin = BulletinImport.objects.create(
        title="白山市疫情防控督查工作简报", number=12, issued_on=dt.date(2020, 2, 10), file_name="简报第12期问题清单.xlsx",
        status=ImportStatus.COMMITTED, total_rows=3, uploaded_by=office)
    concerned = [d for d in in_group1 if d != demo_department][:3]
    listed = Problem.objects.bulk_create([
        Problem(number=f"WT2020-{next(numbers):04d}", source=ProblemSource.BULLETIN, unit=d,
                group=groups[0], classification=classes["no_register"],
                summary=f"{d.name}部分机关返程人员未向居住地社区报备", details=f"《白山市疫情防控督查工作简报》第12期 问题清单第{i}行（暗访）",
                found_on=dt.date(2020, 2, 10), deadline=dt.date(2020, 2, 17), unannounced=True, bulletin=bulletin,
                bulletin_row=i + 1, status=ProblemStatus.CLOSED)
        for i, d in enumerate(concerned, start=1)])
    made = 0

    def case(number: int, title: str, unit: Unit, group: WorkingGroup, leader: Person, members: list[Person],
             opened: dt.date, deadline: dt.date, items: list[Problem], **extra: Any) -> Investigation:
        nonlocal made
        c = Investigation.objects.create(number=f"HC2020-{number:04d}", title=title, unit=unit, group=group,
                                         leader=leader, opened_on=opened, deadline=deadline, **extra)
        c.members.set(members)
        Problem.objects.filter(pk__in=[p.pk for p in items]).update(case=c)
        made += 1
        return c

    c12 = case(1, "关于机关返程人员未向社区报备问题的调查核实", concerned[0], groups[0], staff[1], [staff[3], staff[7]],
               dt.date(2020, 2, 10), dt.date(2020, 2, 13), listed, status=CaseStatus.CLOSED,
               findings="经调查核实，简报第12期所列部门共有7名机关返程人员未向居住地社区报备，已全部补报并落实居家隔离。"
                        "相关部门已作出书面情况说明。",
               conclusion=Conclusion.REFER, concluded_on=dt.date(2020, 2, 13), closed_on=dt.date(2020, 2, 16))
    for i, d in enumerate(concerned):
        req = ExplanationRequest.objects.create(
            case=c12, unit=d, question="请就简报第12期所列机关返程人员未向居住地社区报备问题作出书面情况说明，并附补报台账。",
            requested_on=dt.date(2020, 2, 10), deadline=dt.date(2020, 2, 12), requested_by=inspector)
        ExplanationAnswer.objects.create(
            request=req, answered_on=dt.date(2020, 2, 11 + (i % 2)),
            text=f"{d.name}：经逐人核查，相关返程人员已于当日向居住地社区补报，均已落实居家隔离，今后严格执行双报制。")
    Referral.objects.create(case=c12, body=bodies["inspection"], referred_on=dt.date(2020, 2, 13),
                            letter_no="白山直党工督〔2020〕1号", note="报送关于简报第12期所列问题的书面情况说明。",
                            outcome=outcomes["education"], outcome_on=dt.date(2020, 2, 16),
                            outcome_note="督导检查组对相关部门提出批评，要求举一反三。")

    def from_feedback(day: dt.date, department: Unit, code: str, summary: str) -> Problem:
        pairing = Pairing.objects.filter(department=department).order_by("community__code").first()
        community = pairing.community if pairing else None
        group = groups[0] if community and community.pk in group1 else groups[1]
        fb = Feedback.objects.filter(community=community, department=department, day=day).first()
        if fb is not None:
            Feedback.objects.filter(pk=fb.pk).update(obeys=Answer.NO)
        return Problem.objects.create(
            number=f"WT2020-{next(numbers):04d}", source=ProblemSource.FEEDBACK, unit=department, community=community,
            group=group, classification=classes[code], summary=summary, found_on=day,
            deadline=day + dt.timedelta(days=7), feedback=fb, status=ProblemStatus.CLOSED)

    d1 = in_group1[3]
    p = from_feedback(dt.date(2020, 2, 14), d1, "p2", f"{d1.name}下沉干部擅离卡点，两日未到岗")
    c = case(2, f"关于{d1.name}下沉干部擅离职守问题的核查", d1, groups[0], staff[3], [staff[7]], dt.date(2020, 2, 14),
             dt.date(2020, 2, 18), [p], status=CaseStatus.CLOSED, findings="经核实，该部门2名下沉干部2月12日至13日未到卡点值守，属实。",
             conclusion=Conclusion.REFER, concluded_on=dt.date(2020, 2, 18), closed_on=dt.date(2020, 2, 22))
    Referral.objects.create(case=c, body=bodies["discipline"], referred_on=dt.date(2020, 2, 18),
                            letter_no="白山直党工督〔2020〕2号", note="违反“6个严禁”中严禁临阵脱逃、擅离职守的规定，移交市纪委监委。",
                            outcome=outcomes["admonition"], outcome_on=dt.date(2020, 2, 22), outcome_note="对带队干部诫勉。")
    d2 = in_group2[2]
    p = from_feedback(dt.date(2020, 2, 17), d2, "p1", f"{d2.name}包保干部不服从社区统一调配")
    c = case(3, f"关于{d2.name}不服从社区统一调配问题的核查", d2, groups[1], staff[5], [staff[9], staff[10]],
             dt.date(2020, 2, 17), dt.date(2020, 2, 20), [p], status=CaseStatus.CLOSED,
             findings="经核实，该部门带队干部多次拒绝社区排查任务安排，属实。", conclusion=Conclusion.REFER,
             concluded_on=dt.date(2020, 2, 20), closed_on=dt.date(2020, 2, 24))
    Referral.objects.create(case=c, body=bodies["organisation"], referred_on=dt.date(2020, 2, 20),
                            letter_no="白山直党工督〔2020〕3号", note="建议对带队干部进行组织处理。",
                            outcome=outcomes["organisational"], outcome_on=dt.date(2020, 2, 24),
                            outcome_note="调整带队干部，另派副职带队。")
    d3 = in_group1[5]
    p = from_feedback(dt.date(2020, 2, 19), d3, "cooperation", f"{d3.name}未配合社区开展防疫宣传")
    case(4, f"关于{d3.name}未配合防疫宣传问题的核查", d3, groups[0], staff[3], [staff[11]], dt.date(2020, 2, 19),
         dt.date(2020, 2, 21), [p], status=CaseStatus.CLOSED, findings="情况属实，已责令整改。",
         conclusion=Conclusion.RECTIFY, concluded_on=dt.date(2020, 2, 21), measures="每日安排2名干部随社区网格员入户宣传。",
         rectify_by=dt.date(2020, 2, 24), verified_on=dt.date(2020, 2, 23), verified_note="督查组回访社区，整改到位。",
         closed_on=dt.date(2020, 2, 23))
    # Still open: the demo department must explain by the 27th; the case itself is past its deadline.
    p = from_feedback(dt.date(2020, 2, 20), demo_department, "cooperation",
                      f"{demo_department.name}下沉干部未按社区要求参加人员排查")
    Problem.objects.filter(pk=p.pk).update(status=ProblemStatus.INVESTIGATING)
    c5 = case(5, f"关于{demo_department.name}未配合人员排查问题的核查", demo_department, groups[0], staff[3],
              [staff[7]], dt.date(2020, 2, 21), dt.date(2020, 2, 24), [p])
    ExplanationRequest.objects.create(case=c5, unit=demo_department, requested_on=dt.date(2020, 2, 24),
                                      deadline=dt.date(2020, 2, 27), requested_by=inspector,
                                      question="请说明2月20日下沉干部未参加社区人员排查的原因及整改措施。")
    del liaison, units
    return made
