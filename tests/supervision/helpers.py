"""A small world for the supervision tests: two groups, two communities, paired departments, and
one user of every role that matters (inspectors are members of the first group only)."""

from types import SimpleNamespace

from fangkong.accounts.roles import Role
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.orgs.choices import GroupKind, MemberRole
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import GroupMember, Pairing, WorkingGroup
from fangkong.supervision import services
from fangkong.supervision.choices import ProblemSource
from fangkong.supervision.models import Classification, Coverage
from fangkong.supervision.reference import ensure
from tests import factories as f


def make_world() -> SimpleNamespace:
    ensure()
    root = f.unit(K.CITY, None, "白岭市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "市直机关工委")
    dept = f.unit(K.DEPARTMENT, committee, "市民政局")
    dept2 = f.unit(K.DEPARTMENT, committee, "市教育局")
    unpaired = f.unit(K.DEPARTMENT, committee, "市财政局")
    street = f.unit(K.STREET, root, "东兴街道")
    community = f.unit(K.COMMUNITY, street, "红旗社区")
    other_community = f.unit(K.COMMUNITY, street, "光明社区")
    since = clock.today().replace(day=1)
    for d in (dept, dept2):
        Pairing.objects.create(department=d, community=community, since=since)
    Pairing.objects.create(department=unpaired, community=other_community, since=since)
    group = WorkingGroup.objects.create(unit=committee, name="社区督查第一组", kind=GroupKind.WORKING)
    group2 = WorkingGroup.objects.create(unit=committee, name="社区督查第二组", kind=GroupKind.WORKING)
    leader = f.person(committee, "刘组长")
    inspector_person = f.person(committee, "陈督查")
    GroupMember.objects.create(group=group, person=leader, role=MemberRole.LEADER)
    GroupMember.objects.create(group=group, person=inspector_person, role=MemberRole.MEMBER)
    Coverage.objects.create(group=group, community=community, starts_on=since)
    Coverage.objects.create(group=group2, community=other_community, starts_on=since)
    inspector = f.user(Role.INSPECTION_GROUP, committee)
    inspector.person = inspector_person
    inspector.save()
    w = SimpleNamespace(
        root=root, committee=committee, dept=dept, dept2=dept2, unpaired=unpaired, street=street,
        community=community, other_community=other_community, group=group, group2=group2, leader=leader,
        community_user=f.user(Role.COMMUNITY_STAFF, community),
        office=f.user(Role.COMMITTEE_OFFICE, root),
        office_narrow=f.user(Role.COMMITTEE_OFFICE, dept2),
        inspector=inspector,
        inspector2=f.user(Role.INSPECTION_GROUP, committee),
        discipline=f.user(Role.DISCIPLINE_OFFICE, root),
        liaison=f.user(Role.UNIT_LIAISON, dept),
        liaison2=f.user(Role.UNIT_LIAISON, dept2),
    )

    def problem(unit=None, **extra):  # type: ignore[no-untyped-def]
        data = {"source": ProblemSource.BULLETIN, "unit": unit or dept,
                "classification": Classification.objects.get(code="no_register"),
                "summary": "返程人员未向社区报备", "found_on": clock.today(), "unannounced": True}
        data.update(extra)
        return services.problem_create(actor=SYSTEM, **data)

    w.problem = problem
    return w


# -- pairs for the scope matrix (tests/test_scoping_models.py): A at dept_a/comm_1, B at dept_b/comm_2 ----


def problem_pair(city):  # type: ignore[no-untyped-def]
    ensure()
    other = Classification.objects.get(code="other")
    return tuple(services.problem_create(actor=SYSTEM, source=ProblemSource.BULLETIN, unit=unit,
                                         classification=other, summary=f"{label}问题", found_on=clock.today())
                 for unit, label in ((city.dept_a, "甲方"), (city.dept_b, "乙方")))


def case_pair(city):  # type: ignore[no-untyped-def]
    import datetime as dt

    a, b = problem_pair(city)
    return tuple(services.case_open(actor=SYSTEM, problems=[p], title=f"{label}核查", leader=city.alice,
                                    deadline=clock.today() + dt.timedelta(days=5))
                 for p, label in ((a, "甲方"), (b, "乙方")))


def request_pair(city):  # type: ignore[no-untyped-def]
    import datetime as dt

    a, b = case_pair(city)
    return tuple(services.request_explanation(actor=SYSTEM, case=c, unit=c.unit, question=f"{label}请说明",
                                              deadline=clock.today() + dt.timedelta(days=2))
                 for c, label in ((a, "甲方"), (b, "乙方")))


def referral_pair(city):  # type: ignore[no-untyped-def]
    from fangkong.supervision.models import ReceivingBody

    ensure()
    body = ReceivingBody.objects.get(code="organisation")
    out = []
    for c in case_pair(city):
        services.case_conclude(actor=SYSTEM, case=c, findings="属实", conclusion="refer")
        out.append(services.referral_create(actor=SYSTEM, case=c, body=body))
    return tuple(out)


def feedback_pair(city):  # type: ignore[no-untyped-def]
    from fangkong.supervision.services import FeedbackEntry

    ensure()
    since = clock.today().replace(day=1)
    out = []
    for community, dept, label in ((city.comm_1, city.dept_a, "甲方"), (city.comm_2, city.dept_b, "乙方")):
        Pairing.objects.create(department=dept, community=community, since=since)
        [fb] = services.feedback_submit(actor=SYSTEM, community=community, day=clock.today(),
                                        entries=[FeedbackEntry(dept.pk, remark=f"{label}反馈")])
        out.append(fb)
    return tuple(out)


def coverage_pair(city):  # type: ignore[no-untyped-def]
    since = clock.today().replace(day=1)
    out = []
    for community, label in ((city.comm_1, "甲方"), (city.comm_2, "乙方")):
        group = WorkingGroup.objects.create(unit=city.committee, name=f"{label}督查组", kind=GroupKind.WORKING)
        out.append(Coverage.objects.create(group=group, community=community, starts_on=since))
    return tuple(out)


def bulletin_list_pair(city):  # type: ignore[no-untyped-def]
    from fangkong.supervision.models import BulletinImport

    return tuple(BulletinImport.objects.create(title=f"{label}简报", number=1, issued_on=clock.today(),
                                               status="rejected", scope_unit=unit)
                 for unit, label in ((city.dept_a, "甲方"), (city.dept_b, "乙方")))
