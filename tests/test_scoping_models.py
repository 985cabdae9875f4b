"""The scope matrix for every model with a visible list: nobody sees or changes what lies outside
their scope, through the pages, the API or the forms.

One row of ``CASES`` per model: how to make one record inside the scope ("a") and one outside it
("b"), the texts that show each, the list, detail and API addresses, and the writes to try. For
each row the tests check, for every role scoped at the row's unit A:

- reads: the list page and the API list show A's record to a role with the view permission and
  never B's; B's detail page and API detail answer 404 (403 for a role without the permission);
- writes (as the row's writer role at A): each write aimed at B (edit, delete, status changes,
  creates under B's unit, and creates whose natural key, such as a unit code, an ID number, a
  number plate, a username or a person's running secondment, already belongs to B) leaves B
  exactly as it was, creates nothing under B's unit and shows none of B's texts in its answer.

A new model is one more row. Returnee registrations and ledger imports have their own matrix in
``test_scoping_matrix.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from fangkong.accounts.models import ApiToken
from fangkong.accounts.roles import Role
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import user_has_perm
from fangkong.orgs.choices import UnitKind as K

from . import factories as f
from .conftest import login_client

TODAY = timezone.localdate()
ROLES = list(Role)


# ---- the records of each row -----------------------------------------------------------------


def _units(city):
    a = f.unit(K.CHECKPOINT, city.comm_1, "甲方卡点")
    b = f.unit(K.CHECKPOINT, city.comm_2, "乙方卡点")
    return a, b


def _groups(city):
    from fangkong.orgs.models import WorkingGroup

    return (WorkingGroup.objects.create(unit=city.dept_a, name="甲方工作组", kind="special"),
            WorkingGroup.objects.create(unit=city.dept_b, name="乙方工作组", kind="special"))


def _people(city):
    return f.person(city.dept_a, "甲方人员"), f.person(city.dept_b, "乙方人员")


def _returnees(city):
    from fangkong.returnees import services

    office = f.user(Role.COMMITTEE_OFFICE, city.root)

    def one(name, unit, community):
        return services.register(
            actor=office, side="unit", name=name, id_number=f.id_number(), phone=f.phone(), unit=unit,
            community=community, category="outside", return_date=TODAY - dt.timedelta(days=3),
            origin_text="湖北省武汉市", address=name + "家",
        )

    return one("甲方返乡", city.dept_a, city.comm_1), one("乙方返乡", city.dept_b, city.comm_2)


def _orders(city):
    a, b = _returnees(city)
    return a.isolation, b.isolation


def _secondments(city):
    from fangkong.deployment import services

    a_person, b_person = f.person(city.dept_a, "甲方干部", is_cadre=True), f.person(city.dept_b, "乙方干部", is_cadre=True)
    start = TODAY - dt.timedelta(days=5)
    return (services.secondment_create(actor=SYSTEM, person=a_person, department=city.dept_a, unit=city.comm_1,
                                       starts_on=start),
            services.secondment_create(actor=SYSTEM, person=b_person, department=city.dept_b, unit=city.comm_2,
                                       starts_on=start))


def _shared_cadre(city):
    """A cadre of department B who is a party member of A's branch, so A sees the person; B has
    seconded them to a community of its own. A's secondment is the ordinary one."""
    from fangkong.deployment import services

    shared = f.person(city.dept_b, "共有干部", is_cadre=True, is_party_member=True, branch=city.branch_a)
    place = f.unit(K.COMMUNITY, city.street, "乙方派驻社区")
    a, _b = _secondments(city)
    b = services.secondment_create(actor=SYSTEM, person=shared, department=city.dept_b, unit=place,
                                   starts_on=TODAY - dt.timedelta(days=9))
    return a, b


def _shift_at(checkpoint, hours_from_now):
    from fangkong.deployment import services

    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=hours_from_now)
    return services.shift_create(actor=SYSTEM, checkpoint=checkpoint, starts_at=start,
                                 ends_at=start + dt.timedelta(hours=8), staff_needed=2)


def _shifts(city):
    a_point, b_point = _units(city)
    return _shift_at(a_point, 2), _shift_at(b_point, 2)


def _no_shows(city):
    """An assignment on a shift that began three hours ago, nobody checked in: a no-show."""
    from fangkong.deployment import services

    a_point, b_point = _units(city)
    sa, sb = _secondments(city)
    out = []
    for point, secondment in ((a_point, sa), (b_point, sb)):
        shift = _shift_at(point, -3)
        out.append(services.assign(actor=SYSTEM, shift=shift, person=secondment.person))
    return tuple(out)


def _window():
    from fangkong.passes.services import day_bounds

    return day_bounds(TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=30))


def _passes(city):
    from fangkong.passes import services

    start, end = _window()
    office = f.user(Role.COMMITTEE_OFFICE, city.root)
    return (services.issue_vehicle_pass(actor=office, plate="吉F10001", unit=city.dept_a, valid_from=start,
                                        valid_until=end, driver_name="甲方司机", owner_name="甲方车主"),
            services.issue_vehicle_pass(actor=office, plate="吉F20002", unit=city.dept_b, valid_from=start,
                                        valid_until=end, driver_name="乙方司机", owner_name="乙方车主"))


def _template():
    from fangkong.reports.choices import FieldKind, ReportLine
    from fangkong.reports.models import ReportTemplate
    from fangkong.reports.services import template_create

    return ReportTemplate.objects.filter(code="matrix").first() or template_create(
        actor=SYSTEM, code="matrix", name="矩阵日报", line=ReportLine.ORGANS, unit_kinds=[K.DEPARTMENT],
        start_date=TODAY - dt.timedelta(days=10), deadline=dt.time(23, 59),
        fields=[{"key": "note", "label": "情况", "kind": FieldKind.TEXT, "required": False}],
    )


def _reports(city):
    from fangkong.reports.services import report_submit

    template = _template()
    return tuple(
        report_submit(actor=SYSTEM, template=template, unit=unit, day=TODAY, values={"note": note})
        for unit, note in ((city.dept_a, "甲方日报内容"), (city.dept_b, "乙方日报内容"))
    )


def _flags(city):
    from fangkong.reports.models import ConcealmentFlag

    template = _template()
    return tuple(
        ConcealmentFlag.objects.create(template=template, unit=unit, day=TODAY, kind="unit_missed", reported=0,
                                       ledger=n, raised_at=timezone.now(),
                                       evidence=[{"returnee": n, "name": name, "id_number": "", "side": "community",
                                                  "registered_by_unit": "", "registered_at": ""}])
        for unit, n, name in ((city.dept_a, 1, "甲方证据"), (city.dept_b, 2, "乙方证据"))
    )


def _messages(city):
    from fangkong.notify.services import message_send

    return tuple(
        message_send(actor=SYSTEM, unit=unit, kind="manual", key=f"matrix-{unit.pk}", subject=subject, body=subject)
        for unit, subject in ((city.dept_a, "甲方通知"), (city.dept_b, "乙方通知"))
    )


def _channels(city):
    from fangkong.notify.services import channel_create

    return tuple(
        channel_create(actor=SYSTEM, unit=unit, kind="email", target=target)
        for unit, target in ((city.dept_a, "jia@example.org"), (city.dept_b, "yi@example.org"))
    )


def _deliveries(city):
    from fangkong.notify.choices import DeliveryStatus
    from fangkong.notify.models import Delivery

    channels = _channels(city)
    messages = _messages(city)
    return tuple(
        Delivery.objects.create(message=m, kind="email", channel=c, status=DeliveryStatus.FAILED, attempts=3,
                                last_error=err)
        for m, c, err in zip(messages, channels, ("甲方投递失败", "乙方投递失败"), strict=True)
    )


def _supervision_problems(city):
    from tests.supervision.helpers import problem_pair

    return problem_pair(city)


def _supervision_cases(city):
    from tests.supervision.helpers import case_pair

    return case_pair(city)


def _supervision_requests(city):
    from tests.supervision.helpers import request_pair

    return request_pair(city)


def _supervision_referrals(city):
    from tests.supervision.helpers import referral_pair

    return referral_pair(city)


def _supervision_feedback(city):
    from tests.supervision.helpers import feedback_pair

    return feedback_pair(city)


def _supervision_coverage(city):
    from tests.supervision.helpers import coverage_pair

    return coverage_pair(city)


def _supervision_bulletin_lists(city):
    from tests.supervision.helpers import bulletin_list_pair

    return bulletin_list_pair(city)


def _dn_items():
    from fangkong.donations import services
    from fangkong.donations.catalogue import ensure_measures
    from fangkong.donations.models import Item, Measure

    ensure_measures()
    gloves = Item.objects.filter(name="手套").first() or services.item_create(
        actor=SYSTEM, name="手套", category="epidemic", measure=Measure.objects.get(name="副"))
    return gloves


def _dn_donors(city, prefix="捐赠企业"):
    from fangkong.donations import services

    return tuple(services.donor_create(actor=SYSTEM, kind="enterprise", name=side + prefix, unit=unit)
                 for side, unit in (("甲方", city.dept_a), ("乙方", city.dept_b)))


def _dn_pledges(city):
    from fangkong.donations import services

    gloves = _dn_items()
    return tuple(services.pledge_create(actor=SYSTEM, donor=d, item=gloves, quantity="10")
                 for d in _dn_donors(city, "认捐企业"))


def _dn_leads(city):
    from fangkong.donations import services

    gloves = _dn_items()
    return tuple(services.lead_create(actor=SYSTEM, item=gloves, supplier=side + "供应商", price="1",
                                      quantity_available="100", unit=unit)
                 for side, unit in (("甲方", city.dept_a), ("乙方", city.dept_b)))


def _dn_intakes(city):
    from fangkong.donations import services

    gloves = _dn_items()
    out = []
    for donor, (side, unit) in zip(_dn_donors(city, "捐赠人"), (("甲方", city.dept_a), ("乙方", city.dept_b)),
                                   strict=True):
        store = services.store_create(actor=SYSTEM, name=side + "仓库", unit=unit)
        out.append(services.intake_record(actor=SYSTEM, store=store, item=gloves, quantity="20", donor=donor,
                                          received_by=side + "库管"))
    return tuple(out)


def _dn_store(name):
    from fangkong.donations.models import Store

    return Store.objects.get(name=name).pk


def _dn_needs(city):
    from fangkong.donations import services

    gloves = _dn_items()
    services.store_create(actor=SYSTEM, name="甲方社区库", unit=city.comm_1)
    central = services.store_create(actor=SYSTEM, name="工委库", unit=city.committee)
    donor = services.donor_create(actor=SYSTEM, kind="individual", name="矩阵捐赠人")
    services.intake_record(actor=SYSTEM, store=central, item=gloves, quantity="100", donor=donor, received_by="库管")
    return tuple(services.need_raise(actor=SYSTEM, unit=unit, item=gloves, quantity="5", reason=side + "需求用途")
                 for side, unit in (("甲方", city.comm_1), ("乙方", city.comm_2)))


def _dn_distributions(city):
    from fangkong.donations import services
    from fangkong.donations.models import Store

    _dn_needs(city)
    central = Store.objects.get(name="工委库")
    return tuple(services.distribution_create(actor=SYSTEM, store=central, item=_dn_items(), to_unit=unit,
                                              quantity="5", carrier="承运人")
                 for unit in (city.comm_1, city.comm_2))


def _users(city):
    return (f.user(Role.UNIT_LIAISON, city.dept_a, username="jia_liaison"),
            f.user(Role.UNIT_LIAISON, city.dept_b, username="yi_liaison"))


def _tokens(city):
    a, b = _users(city)
    for user, name in ((a, "甲方令牌"), (b, "乙方令牌")):
        token_create(user=user, actor=SYSTEM, name=name)
    return ApiToken.objects.get(user=a), ApiToken.objects.get(user=b)


# Reports and instructions: each department issues its own document; the committee's document
# reaches both, and its instruction gives each an item.
def _doc_kind():
    from fangkong.documents.models import DocumentKind

    return DocumentKind.objects.get_or_create(code="notice", defaults={"name": "通知"})[0]


def _documents(city):
    from fangkong.documents import services
    from fangkong.documents.models import IssuingBody

    kind = _doc_kind()
    out = []
    for unit, title in ((city.dept_a, "甲方通知"), (city.dept_b, "乙方通知")):
        body = IssuingBody.objects.create(unit=unit, name=unit.name + "党委", prefix=title[:2])
        out.append(services.document_draft(actor=SYSTEM, body=body, kind=kind, title=title, text=title + "正文",
                                           main=[unit]))
    return tuple(out)


def _committee_notice(city):
    from fangkong.documents import services
    from fangkong.documents.models import IssuingBody

    body = IssuingBody.objects.create(unit=city.committee, name="工委", prefix="工委")
    doc = services.document_draft(actor=SYSTEM, body=body, kind=_doc_kind(), title="工委通知", text="正文",
                                  main=[city.dept_a, city.dept_b], reply_due=TODAY + dt.timedelta(days=3))
    services.document_sign_off(actor=SYSTEM, document=doc)
    return services.document_issue(actor=SYSTEM, document=doc, notify=False)


def _receipts(city):
    from fangkong.documents.models import DocumentRecipient

    doc = _committee_notice(city)
    return (DocumentRecipient.objects.get(document=doc, unit=city.dept_a),
            DocumentRecipient.objects.get(document=doc, unit=city.dept_b))


def _instructions(city):
    from fangkong.documents import services

    out = []
    for doc, text in zip(_documents(city), ("甲方批示内容", "乙方批示内容"), strict=True):
        doc = services.document_sign_off(actor=SYSTEM, document=doc)
        out.append(services.instruction_record(actor=SYSTEM, document=doc, leader_name="王", leader_position="书记",
                                               given_on=TODAY, text=text))
    return tuple(out)


def _instruction_items(city):
    from fangkong.documents import services

    instruction = services.instruction_record(
        actor=SYSTEM, document=_committee_notice(city), leader_name="王", leader_position="书记", given_on=TODAY,
        text="批示", items=[{"unit": city.dept_a, "task": "甲方办理事项", "due_on": TODAY},
                          {"unit": city.dept_b, "task": "乙方办理事项", "due_on": TODAY}])
    items = instruction.items.order_by("id")
    return items[0], items[1]


# ---- the writes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write aimed at B: ``path`` is formatted with ``a`` and ``b`` (the records' ids) and
    the ``city``; ``data(city, a, b)`` gives the body; ``api`` sends it as JSON with a token."""

    label: str
    method: str
    path: str
    data: Callable[..., dict[str, Any]] = lambda city, a, b: {}
    api: bool = False
    control: bool = True  # the same request aimed at A reaches A (the address is right, not a 404)


def day(offset=0):
    return (TODAY + dt.timedelta(days=offset)).isoformat()


UNIT_FORM = {"kind": K.CHECKPOINT, "name": "甲方新卡点"}
PERSON_FORM = {"name": "甲方新人", "position": "staff"}


@dataclass(frozen=True)
class Case:
    """One model: records, their texts, addresses, the writer and the writes."""

    name: str
    make: Callable[[Any], tuple[Model, Model]]
    texts: Callable[[Model], list[str]]
    view_perm: str
    scope: tuple[str, str] = ("dept_a", "dept_b")
    list_url: str | None = None
    api_url: str | None = None
    detail_url: str | None = None
    api_detail: str | None = None
    writer: str = Role.COMMITTEE_OFFICE
    writes: tuple[Write, ...] = ()
    state: Callable[[Model], Any] | None = None
    under_b: Callable[[Any], int] | None = None
    # More pages and API answers that must not show B (formatted with a, b and c, the city): the
    # forms' choices, filters by B's unit, figures, boards.
    extra_reads: tuple[str, ...] = field(default=())
    lists_a: bool = True  # False: a personal list (the inbox), where A's record need not show
    # The roles that see A when scoped at A, where that is not the view permission alone (the
    # supervision line's confidentiality: supervision.access decides by role, group and referral).
    viewers: frozenset[str] | None = None


def _row(obj):
    fresh = type(obj).objects.filter(pk=obj.pk).first()
    return None if fresh is None else model_to_dict(fresh)


def _count(model_path, **lookup):
    def count(city):
        from django.apps import apps

        model = apps.get_model(model_path)
        return model.objects.filter(**{k: getattr(city, v) for k, v in lookup.items()}).count()
    return count


CASES = [
    Case(
        "unit", _units, lambda u: [u.name, u.code], "orgs.view", scope=("comm_1", "comm_2"),
        list_url="/orgs/units/?page_size=200", api_url="/api/v1/units?page_size=200",
        detail_url="/orgs/units/{pk}/", api_detail="/api/v1/units/{pk}",
        writes=(
            Write("edit", "post", "/orgs/units/{b}/edit/",
                  lambda c, a, b: {**UNIT_FORM, "code": b.code, "name": "改名", "parent": c.comm_2.pk}),
            Write("give A B's code", "post", "/orgs/units/{a}/edit/",
                  lambda c, a, b: {**UNIT_FORM, "code": b.code, "parent": c.comm_1.pk}, control=False),
            Write("move A under B", "post", "/orgs/units/{a}/edit/",
                  lambda c, a, b: {**UNIT_FORM, "code": a.code, "name": a.name, "parent": c.comm_2.pk}, control=False),
            Write("delete", "post", "/orgs/units/{b}/delete/"),
            Write("create under B", "post", "/orgs/units/new/",
                  lambda c, a, b: {**UNIT_FORM, "code": "NEW-B", "parent": c.comm_2.pk}),
            Write("create with B's code", "post", "/orgs/units/new/",
                  lambda c, a, b: {**UNIT_FORM, "code": b.code, "parent": c.comm_1.pk}),
        ),
        under_b=_count("orgs.Unit", parent="comm_2"),
        extra_reads=(
            "/", "/orgs/", "/orgs/units/new/", "/orgs/units/{c.comm_2.pk}/children/", "/orgs/units/{c.street.pk}/",
            "/orgs/units/{c.street.pk}/children/", "/people/new/", "/people/?unit={c.street.pk}", "/returnees/",
            "/returnees/register/unit/", "/returnees/register/community/", "/returnees/imports/",
            # (Not /deployment/secondments/new/: a department places its cadres at any street,
            # community or checkpoint of the city, so that form offers them all.)
            "/deployment/", "/deployment/report/", "/deployment/rosters/", "/deployment/places/{c.street.pk}/",
            "/passes/", "/passes/new/staff/", "/passes/new/vehicle/",
            "/passes/new/department/", "/passes/checkpoint/", "/reports/", "/reports/submit/",
            "/reports/flags/", "/notify/channels/", "/notify/deliveries/", "/accounts/users/new/",
            "/api/v1/units?under={c.street.pk}", "/api/v1/deployment/figures",
        ),
    ),
    Case("working group", _groups, lambda g: [g.name], "orgs.view", list_url="/orgs/groups/"),
    Case(
        "person", _people, lambda p: [p.name, p.id_number, p.phone], "people.view",
        list_url="/people/?page_size=200", api_url="/api/v1/people?page_size=200",
        detail_url="/people/{pk}/", api_detail="/api/v1/people/{pk}",
        writes=(
            Write("edit", "post", "/people/{b}/edit/",
                  lambda c, a, b: {**PERSON_FORM, "id_number": b.id_number, "unit": c.dept_b.pk}),
            Write("patch", "patch", "/api/v1/people/{b}", lambda c, a, b: {"title": "改"}, api=True),
            Write("move A into B", "patch", "/api/v1/people/{a}", lambda c, a, b: {"unit_id": c.dept_b.pk},
                  api=True, control=False),
            Write("give A B's ID number", "patch", "/api/v1/people/{a}", lambda c, a, b: {"id_number": b.id_number},
                  api=True, control=False),
            Write("create under B", "post", "/api/v1/people",
                  lambda c, a, b: {"name": "甲方新人", "id_number": f.id_number(), "unit_id": c.dept_b.pk}, api=True),
            Write("create with B's ID number (API)", "post", "/api/v1/people",
                  lambda c, a, b: {"name": "甲方新人", "id_number": b.id_number, "unit_id": c.dept_a.pk}, api=True),
            Write("create with B's ID number (form)", "post", "/people/new/",
                  lambda c, a, b: {**PERSON_FORM, "id_number": b.id_number, "unit": c.dept_a.pk}),
            Write("delete", "post", "/people/{b}/delete/"),
        ),
        under_b=_count("people.Person", unit="dept_b"),
        extra_reads=("/people/?unit={c.dept_b.pk}", "/people/?q=乙方", "/api/v1/people?unit={c.committee.pk}",
                     "/api/v1/people?q={b}", "/orgs/units/{c.committee.pk}/", "/deployment/secondments/new/",
                     "/deployment/departments/{c.dept_b.pk}/", "/passes/new/staff/"),
    ),
    Case(
        "returnee", _returnees, lambda r: [r.name, r.id_number, r.phone, r.address], "returnees.view",
        list_url="/returnees/?page_size=200", api_url="/api/v1/returnees?page_size=200",
        detail_url="/returnees/{pk}/", api_detail="/api/v1/returnees/{pk}",
        writes=(
            Write("patch", "patch", "/api/v1/returnees/{b}", lambda c, a, b: {"address": "改"}, api=True),
            Write("edit", "post", "/returnees/{b}/edit/", lambda c, a, b: {"name": "改", "category": "outside"}),
            Write("merge B into A", "post", "/returnees/{a}/merge/", lambda c, a, b: {"other": b.pk}, control=False),
            Write("merge A into B", "post", "/returnees/{b}/merge/", lambda c, a, b: {"other": a.pk}, control=False),
        ),
        state=lambda r: (_row(r), sorted(r.registrations.values_list("id", "unit_id")) if _row(r) else None),
        extra_reads=("/returnees/reconciliation/", f"/returnees/reconciliation/?date={day(1)}",
                     "/returnees/?unit={c.dept_b.pk}", "/returnees/?community={c.comm_2.pk}", "/returnees/?q=乙方",
                     "/returnees/follow-ups/", "/api/v1/returnees?q=乙方", "/api/v1/returnees/figures",
                     "/returnees/{a}/", "/reports/flags/"),
    ),
    Case(
        "isolation order", _orders, lambda o: [o.returnee.name], "returnees.view",
        list_url=f"/returnees/follow-ups/?day={day()}",
        writes=(
            Write("extend (API)", "post", "/api/v1/returnees/{returnee_b}/isolation/change",
                  lambda c, a, b: {"days": 3, "reason": "复查", "approver": "甲方"}, api=True),
            Write("release (API)", "post", "/api/v1/returnees/{returnee_b}/isolation/release",
                  lambda c, a, b: {"day": day()}, api=True),
            Write("extend (form)", "post", "/returnees/{returnee_b}/isolation/change/",
                  lambda c, a, b: {"kind": "extend", "days": 3, "reason": "复查", "approver": "甲方"}),
            Write("release (form)", "post", "/returnees/{returnee_b}/isolation/release/",
                  lambda c, a, b: {"day": day()}),
            Write("follow-up (API)", "post", "/api/v1/returnees/{returnee_b}/follow-ups",
                  lambda c, a, b: {"day": day(), "temperature": "36.5"}, api=True),
            Write("follow-up (form)", "post", "/returnees/{returnee_b}/follow-ups/",
                  lambda c, a, b: {"day": day(), "temperature": "36.5", "at_home": "on"}),
        ),
        state=lambda o: (_row(o), list(o.changes.values_list("id", flat=True)),
                         list(o.follow_ups.values_list("id", flat=True))),
    ),
    Case(
        "secondment", _secondments, lambda s: [s.person.name], "deployment.view",
        list_url="/deployment/secondments/?page_size=200", api_url="/api/v1/deployment/secondments?page_size=200",
        detail_url="/deployment/secondments/{pk}/", api_detail="/api/v1/deployment/secondments/{pk}",
        writes=(
            Write("place (API)", "post", "/api/v1/deployment/secondments/{b}/place",
                  lambda c, a, b: {"unit_id": c.comm_1.pk}, api=True),
            Write("end (API)", "post", "/api/v1/deployment/secondments/{b}/end",
                  lambda c, a, b: {"ends_on": day()}, api=True),
            Write("place (form)", "post", "/deployment/secondments/{b}/place/",
                  lambda c, a, b: {"unit": c.comm_1.pk, "role": "member"}),
            Write("end (form)", "post", "/deployment/secondments/{b}/end/", lambda c, a, b: {"ends_on": day()}),
            Write("second B's cadre again (API)", "post", "/api/v1/deployment/secondments",
                  lambda c, a, b: {"person_id": b.person_id, "department_id": c.dept_a.pk, "starts_on": day()},
                  api=True),
            Write("second B's cadre from B (API)", "post", "/api/v1/deployment/secondments",
                  lambda c, a, b: {"person_id": b.person_id, "department_id": c.dept_b.pk, "starts_on": day()},
                  api=True),
            Write("second B's cadre again (form)", "post", "/deployment/secondments/new/",
                  lambda c, a, b: {"person": b.person_id, "department": c.dept_b.pk, "role": "member",
                                   "starts_on": day()}),
        ),
        under_b=_count("deployment.Secondment", department="dept_b"),
        extra_reads=("/deployment/", "/deployment/report/", "/deployment/departments/{c.dept_b.pk}/",
                     "/deployment/departments/{c.committee.pk}/", "/deployment/places/{c.comm_2.pk}/",
                     "/deployment/places/{c.street.pk}/", "/deployment/secondments/?department={c.dept_b.pk}",
                     "/deployment/secondments/new/", "/deployment/rosters/no-shows/",
                     "/api/v1/deployment/secondments?place={c.street.pk}", "/passes/new/department/"),
    ),
    Case(
        "secondment of a shared person", _shared_cadre, lambda s: [s.unit.name if s.unit else "-"],
        "deployment.view",
        writes=(
            Write("second the person from A (API)", "post", "/api/v1/deployment/secondments",
                  lambda c, a, b: {"person_id": b.person_id, "department_id": c.dept_a.pk, "starts_on": day()},
                  api=True),
        ),
        under_b=_count("deployment.Secondment", department="dept_b"),
    ),
    Case(
        "shift", _shifts, lambda s: [s.checkpoint.name], "deployment.view", scope=("comm_1", "comm_2"),
        list_url="/deployment/rosters/", api_url="/api/v1/deployment/shifts?page_size=200",
        detail_url="/deployment/rosters/{pk}/", api_detail="/api/v1/deployment/shifts/{pk}/assignments",
        writes=(
            Write("same shift at B's checkpoint (API)", "post", "/api/v1/deployment/shifts",
                  lambda c, a, b: {"checkpoint_id": b.checkpoint_id, "starts_at": b.starts_at.isoformat(),
                                   "ends_at": b.ends_at.isoformat()}, api=True),
            Write("assign to B's shift (API)", "post", "/api/v1/deployment/shifts/{b}/assignments",
                  lambda c, a, b: {"person_id": c.carol.pk}, api=True),
        ),
        state=lambda s: (_row(s), list(s.assignments.values_list("id", flat=True))),
        under_b=_count("deployment.Shift", checkpoint__parent="comm_2"),
        extra_reads=("/deployment/rosters/?checkpoint={c.street.pk}", "/deployment/places/{c.street.pk}/",
                     "/api/v1/deployment/shifts?checkpoint={c.street.pk}", "/passes/checkpoint/"),
    ),
    Case(
        "no-show", _no_shows, lambda a: [a.person.name], "deployment.view", scope=("comm_1", "comm_2"),
        list_url="/deployment/rosters/no-shows/", api_url="/api/v1/deployment/no-shows",
        writes=(
            Write("check B's cadre in at B (API)", "post", "/api/v1/deployment/check-in",
                  lambda c, a, b: {"person_id": b.person_id, "checkpoint_id": b.checkpoint_id}, api=True),
            Write("check B's cadre in here (API)", "post", "/api/v1/deployment/check-in",
                  lambda c, a, b: {"person_id": b.person_id, "checkpoint_id": a.checkpoint_id}, api=True),
        ),
    ),
    Case(
        "pass", _passes, lambda p: [p.plate, p.number, p.driver_name, p.owner_name], "passes.view",
        list_url="/passes/", api_url="/api/v1/passes/?page_size=200",
        detail_url="/passes/{pk}/",
        writes=(
            Write("revoke (API)", "post", "/api/v1/passes/{b}/revoke", lambda c, a, b: {"reason": "越界"}, api=True),
            Write("revoke (form)", "post", "/passes/{b}/revoke/", lambda c, a, b: {"reason": "越界"}),
            Write("suspend (form)", "post", "/passes/{b}/suspend/", lambda c, a, b: {"reason": "越界"}),
            Write("vehicle pass for B's plate (API)", "post", "/api/v1/passes/",
                  lambda c, a, b: {"kind": "vehicle", "plate": b.plate, "unit_id": c.dept_a.pk,
                                   "valid_from": day(), "valid_until": day(10)}, api=True),
            Write("vehicle pass for B's plate (form)", "post", "/passes/new/vehicle/",
                  lambda c, a, b: {"plate": b.plate, "unit": c.dept_a.pk, "valid_from": day(),
                                   "valid_until": day(10)}),
            Write("staff pass for B's holder, picked by id (form)", "post", "/passes/new/staff/",
                  lambda c, a, b: {"person": c.bob.pk, "valid_from": day(), "valid_until": day(10)}),
            Write("vehicle pass under B (API)", "post", "/api/v1/passes/",
                  lambda c, a, b: {"kind": "vehicle", "plate": "吉F30003", "unit_id": c.dept_b.pk,
                                   "valid_from": day(), "valid_until": day(10)}, api=True),
        ),
        under_b=_count("passes.Pass", unit="dept_b"),
        extra_reads=("/passes/?unit={c.committee.pk}", "/passes/?q=吉F", "/api/v1/passes/?unit={c.committee.pk}",
                     "/api/v1/passes/revocations", "/api/v1/passes/keys"),
    ),
    Case(
        "report", _reports, lambda r: [r.values["note"], r.unit.name], "reports.view",
        detail_url="/reports/{pk}/", api_detail="/api/v1/reports/{pk}",
        extra_reads=("/reports/?template=matrix&unit={c.committee.pk}", "/reports/?template=matrix",
                     "/reports/units/{c.dept_b.pk}/calendar/?template=matrix", "/reports/trends/?template=matrix",
                     "/api/v1/reports/board?template=matrix&unit={c.committee.pk}",
                     "/api/v1/reports/board?template=matrix&unit={c.dept_b.pk}", "/reports/submit/",
                     "/reports/submit/?unit={c.dept_b.pk}", "/reports/submit/?unit={c.dept_b.pk}&template=matrix"),
        writes=(
            Write("submit B's report (API)", "post", "/api/v1/reports/submit",
                  lambda c, a, b: {"template": b.template_id, "unit": b.unit_id, "day": day(),
                                   "values": {"note": "甲方改写"}}, api=True),
            Write("zero report for B (API)", "post", "/api/v1/reports/zero",
                  lambda c, a, b: {"template": b.template_id, "unit": b.unit_id, "day": day()}, api=True),
            Write("submit B's report (form)", "post", "/reports/submit/",
                  lambda c, a, b: {"unit": b.unit_id, "template": b.template_id, "day": day(), "note": "甲方改写"}),
            Write("zero report for B (form)", "post", "/reports/submit/",
                  lambda c, a, b: {"unit": b.unit_id, "template": b.template_id, "day": day(), "zero": "1"}),
        ),
        state=lambda r: (_row(r), list(r.revisions.values_list("id", flat=True))),
    ),
    Case(
        "concealment flag", _flags, lambda fl: [fl.evidence[0]["name"], fl.unit.name], "reports.view",
        list_url="/reports/flags/", api_url="/api/v1/reports/flags?page_size=200", detail_url="/reports/flags/{pk}/",
        writes=(
            Write("review (form)", "post", "/reports/flags/{b}/", lambda c, a, b: {"decision": "confirm", "reason": "越界"}),
        ),
    ),
    Case(
        "message", _messages, lambda m: [m.subject], "notify.view",
        list_url="/notify/", api_url="/api/v1/notifications?page_size=200", lists_a=False,
        writes=(
            Write("remind B (API)", "post", "/api/v1/notifications/remind",
                  lambda c, a, b: {"template": _template().pk, "day": day(), "units": [c.dept_b.pk]}, api=True),
        ),
        under_b=_count("notify.Message", unit="dept_b"),
    ),
    Case(
        "channel", _channels, lambda ch: [ch.target], "notify.view", list_url="/notify/channels/",
        writes=(
            Write("test", "post", "/notify/channels/{b}/test/"),
            Write("create under B", "post", "/notify/channels/",
                  lambda c, a, b: {"unit": c.dept_b.pk, "kind": "email", "target": "new@example.org",
                                   "msg_format": "markdown"}),
            Write("delete", "post", "/notify/channels/{b}/delete/"),
        ),
        under_b=_count("notify.Channel", unit="dept_b"),
    ),
    Case(
        "delivery", _deliveries, lambda d: [d.last_error], "notify.view", list_url="/notify/deliveries/",
        writes=(Write("retry", "post", "/notify/deliveries/{b}/retry/"),),
    ),
    Case(
        "donor", _dn_donors, lambda d: [d.name], "donations.view",
        list_url="/donations/donors/", api_url="/api/v1/donations/donors",
        detail_url="/donations/donors/{pk}/", api_detail="/api/v1/donations/donors/{pk}",
        writes=(
            Write("issue B's certificate (form)", "post", "/donations/donors/{b}/"),
            Write("issue B's certificate (API)", "post", "/api/v1/donations/donors/{b}/certificate", api=True),
            Write("pledge for B's donor (API)", "post", "/api/v1/donations/pledges",
                  lambda c, a, b: {"donor_id": b.pk, "item_id": _dn_items().pk, "quantity": "3"}, api=True),
        ),
        under_b=_count("donations.Donor", unit="dept_b"),
    ),
    Case(
        "pledge", _dn_pledges, lambda p: [p.donor.name], "donations.view",
        list_url="/donations/pledges/", api_url="/api/v1/donations/pledges",
    ),
    Case(
        "supplier lead", _dn_leads, lambda x: [x.supplier], "donations.view",
        list_url="/donations/leads/", api_url="/api/v1/donations/leads",
    ),
    Case(
        "intake", _dn_intakes, lambda i: [i.donor.name, i.received_by], "donations.view",
        list_url="/donations/intake/", api_url="/api/v1/donations/intakes",
        detail_url="/donations/intake/{pk}/", api_detail="/api/v1/donations/intakes/{pk}",
        writes=(
            Write("intake into B's store (API)", "post", "/api/v1/donations/intakes",
                  lambda c, a, b: {"store_id": b.store_id, "item_id": b.item_id, "quantity": "5",
                                   "donor_id": a.donor_id}, api=True),
            Write("write off in B's store (API)", "post", "/api/v1/donations/adjustments",
                  lambda c, a, b: {"store_id": b.store_id, "item_id": b.item_id, "quantity": "-5",
                                   "reason": "越界", "approved_by": "甲方"}, api=True),
            Write("distribute from B's store (API)", "post", "/api/v1/donations/distributions",
                  lambda c, a, b: {"store_id": b.store_id, "item_id": b.item_id, "quantity": "5",
                                   "to_unit_id": c.dept_a.pk}, api=True),
        ),
        extra_reads=("/api/v1/donations/stock", "/api/v1/donations/stores", "/donations/",
                     "/api/v1/donations/stock-card"),
    ),
    Case(
        "need", _dn_needs, lambda n: [n.reason], "donations.view", scope=("comm_1", "comm_2"),
        list_url="/donations/needs/", api_url="/api/v1/donations/needs",
        detail_url="/donations/needs/{pk}/", api_detail="/api/v1/donations/needs/{pk}",
        writes=(
            Write("allocate B's need (API)", "post", "/api/v1/donations/needs/{b}/allocate",
                  lambda c, a, b: {"store_id": _dn_store("甲方社区库"), "quantity": "1"}, api=True),
            Write("allocate B's need (form)", "post", "/donations/needs/{b}/",
                  lambda c, a, b: {"store": _dn_store("甲方社区库"), "quantity": "1", "approver_name": "甲方",
                                   "basis": "越界"}),
            Write("decline B's need (form)", "post", "/donations/needs/{b}/", lambda c, a, b: {"action": "decline"}),
            Write("raise a need under B (API)", "post", "/api/v1/donations/needs",
                  lambda c, a, b: {"unit_id": c.comm_2.pk, "item_id": b.item_id, "quantity": "1",
                                   "reason": "越界"}, api=True),
        ),
        under_b=_count("donations.Need", unit="comm_2"),
    ),
    Case(
        "distribution", _dn_distributions, lambda d: [d.number, d.to_unit.name], "donations.view",
        scope=("comm_1", "comm_2"), writer=Role.COMMUNITY_STAFF,
        list_url="/donations/distributions/", api_url="/api/v1/donations/distributions",
        detail_url="/donations/distributions/{pk}/", api_detail="/api/v1/donations/distributions/{pk}",
        writes=(
            Write("sign for B's goods (API)", "post", "/api/v1/donations/distributions/{b}/sign",
                  lambda c, a, b: {"quantity_received": "5"}, api=True),
            Write("sign for B's goods (form)", "post", "/donations/distributions/{b}/",
                  lambda c, a, b: {"action": "sign", "quantity_received": "5"}),
            Write("signing link for B (API)", "post", "/api/v1/donations/distributions/{b}/links",
                  lambda c, a, b: {"receiver_name": "甲方"}, api=True, control=False),
        ),
        state=lambda d: (_row(d), list(d.receipts.values_list("id", flat=True))),
    ),
    Case(
        "user", _users, lambda u: [u.username], "accounts.view", writer=Role.SYSTEM_ADMIN,
        list_url="/accounts/users/", detail_url="/accounts/users/{pk}/",
        writes=(
            Write("deactivate", "post", "/accounts/users/{b}/active/", lambda c, a, b: {"active": "0"}),
            Write("create with B's username", "post", "/accounts/users/new/",
                  lambda c, a, b: {"username": b.username, "full_name": "甲方新号", "password": "Matrix-Pass-2020x"}),
        ),
        state=lambda u: (_row(u), sorted(u.scopes.values_list("unit_id", flat=True))),
    ),
    Case(
        "user (grants)", _users, lambda u: [u.username], "accounts.view", writer=Role.SECURITY_ADMIN,
        list_url="/accounts/users/", detail_url="/accounts/users/{pk}/",
        writes=(
            Write("grant", "post", "/accounts/users/{b}/grant/",
                  lambda c, a, b: {"role": "community_staff", "units": [c.dept_a.pk]}),
            Write("grant A a scope in B", "post", "/accounts/users/{a}/grant/",
                  lambda c, a, b: {"role": "unit_liaison", "units": [c.dept_b.pk]}, control=False),
            Write("unlock", "post", "/accounts/users/{b}/unlock/"),
            Write("revoke B's tokens", "post", "/accounts/users/{b}/tokens/revoke/"),
        ),
        state=lambda u: (_row(u), sorted(u.scopes.values_list("unit_id", flat=True))),
        under_b=_count("accounts.UserScope", unit="dept_b"),
    ),
    Case(
        "supervision problem", _supervision_problems, lambda p: [p.summary], "supervision.view",
        viewers=frozenset({Role.COMMITTEE_OFFICE}),
        list_url="/supervision/problems/?page_size=200", api_url="/api/v1/supervision/problems?page_size=200",
        detail_url="/supervision/problems/{pk}/", api_detail="/api/v1/supervision/problems/{pk}",
        writes=(
            Write("open a case (form)", "post", "/supervision/problems/{b}/",
                  lambda c, a, b: {"title": "甲方核查", "leader": c.alice.pk, "deadline": day(3)}),
            Write("open a case (API)", "post", "/api/v1/supervision/cases",
                  lambda c, a, b: {"problem_ids": [b.pk], "title": "甲方核查", "leader_id": c.alice.pk,
                                   "deadline": day(3)}, api=True, control=False),
            Write("a problem naming B's unit (API)", "post", "/api/v1/supervision/problems",
                  lambda c, a, b: {"unit_id": c.dept_b.pk, "summary": "甲方写乙方", "found_on": day()},
                  api=True, control=False),
        ),
        under_b=_count("supervision.Problem", unit="dept_b"),
        extra_reads=("/supervision/problems/?unit={c.dept_b.pk}", "/api/v1/supervision/figures",
                     "/supervision/bulletins/", "/supervision/"),
    ),
    Case(
        "supervision case", _supervision_cases, lambda c: [c.title], "supervision.view",
        viewers=frozenset({Role.COMMITTEE_OFFICE}),
        list_url="/supervision/cases/", api_url="/api/v1/supervision/cases",
        detail_url="/supervision/cases/{pk}/", api_detail="/api/v1/supervision/cases/{pk}",
        writes=(
            Write("conclude (form)", "post", "/supervision/cases/{b}/",
                  lambda c, a, b: {"action": "conclude", "findings": "甲方结论", "conclusion": "unfounded"}),
            Write("conclude (API)", "post", "/api/v1/supervision/cases/{b}/conclude",
                  lambda c, a, b: {"findings": "甲方结论", "conclusion": "unfounded"}, api=True),
            Write("request (API)", "post", "/api/v1/supervision/cases/{b}/requests",
                  lambda c, a, b: {"question": "甲方问", "deadline": day(2)}, api=True),
        ),
        state=lambda c: (_row(c), list(c.requests.values_list("id", flat=True))),
    ),
    Case(
        "explanation request", _supervision_requests, lambda r: [r.question], "supervision.view",
        viewers=frozenset({Role.COMMITTEE_OFFICE, Role.UNIT_LIAISON, Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF}),
        writer=Role.UNIT_LIAISON,
        list_url="/supervision/requests/", api_url="/api/v1/supervision/requests",
        detail_url="/supervision/requests/{pk}/",
        writes=(
            Write("answer (form)", "post", "/supervision/requests/{b}/", lambda c, a, b: {"text": "甲方答复"}),
            Write("answer (API)", "post", "/api/v1/supervision/requests/{b}/answers",
                  lambda c, a, b: {"text": "甲方答复"}, api=True),
        ),
        state=lambda r: (_row(r), list(r.answers.values_list("id", flat=True))),
        extra_reads=("/api/v1/supervision/requests/{b}/answers",),
    ),
    Case(
        "referral", _supervision_referrals, lambda r: [r.letter_no], "supervision.view",
        viewers=frozenset({Role.COMMITTEE_OFFICE}),
        list_url="/supervision/referrals/", api_url="/api/v1/supervision/referrals",
        detail_url="/supervision/referrals/{pk}/letter/",
        writes=(
            Write("outcome (API)", "post", "/api/v1/supervision/referrals/{b}/outcome",
                  lambda c, a, b: {"outcome": "talk"}, api=True),
        ),
    ),
    Case(
        "community feedback", _supervision_feedback, lambda f: [f.remark], "supervision.view",
        scope=("comm_1", "comm_2"), viewers=frozenset({Role.COMMITTEE_OFFICE, Role.COMMUNITY_STAFF}),
        writer=Role.COMMUNITY_STAFF,
        list_url="/supervision/ledger/", api_url="/api/v1/supervision/feedback",
        writes=(
            Write("feedback for B's community (form)", "post", "/supervision/feedback/",
                  lambda c, a, b: {"community": c.comm_2.pk, "day": day(), "department": [c.dept_b.pk],
                                   f"obeys_{c.dept_b.pk}": "no"}, control=False),
            Write("feedback for B's community (API)", "post", "/api/v1/supervision/feedback",
                  lambda c, a, b: {"community_id": c.comm_2.pk, "day": day(),
                                   "entries": [{"department_id": c.dept_b.pk, "obeys": "no"}]},
                  api=True, control=False),
        ),
        state=lambda f: sorted(type(f).objects.filter(community_id=f.community_id).values_list("id", "is_current")),
        under_b=_count("supervision.Problem", unit="dept_b"),
        extra_reads=("/supervision/?day=" + day(), "/api/v1/supervision/board", "/supervision/feedback/"),
    ),
    Case(
        "supervision coverage", _supervision_coverage, lambda c: [c.community.name], "supervision.view",
        scope=("comm_1", "comm_2"), viewers=frozenset({Role.COMMITTEE_OFFICE, Role.COMMUNITY_STAFF}),
        api_url="/api/v1/supervision/coverage",
        writes=(
            Write("B's community to A's group (API)", "post", "/api/v1/supervision/coverage",
                  lambda c, a, b: {"group_id": a.group_id, "community_id": c.comm_2.pk, "starts_on": day()},
                  api=True, control=False),
        ),
        state=lambda c: sorted(type(c).objects.filter(community_id=c.community_id).values_list("id", "group_id",
                                                                                              "ends_on")),
        extra_reads=("/api/v1/supervision/groups", "/api/v1/supervision/pairs"),
    ),
    Case(
        "inspection bulletin list", _supervision_bulletin_lists, lambda b: [b.title], "supervision.view",
        viewers=frozenset({Role.COMMITTEE_OFFICE}), list_url="/supervision/bulletin-lists/",
    ),
    Case(
        "document", _documents, lambda d: [d.title], "documents.view",
        list_url="/documents/?page_size=200", api_url="/api/v1/documents/documents?page_size=200",
        detail_url="/documents/{pk}/", api_detail="/api/v1/documents/documents/{pk}",
        writes=(
            Write("edit (form)", "post", "/documents/{b}/edit/", lambda c, a, b: {"title": "改", "text": "改"}),
            Write("submit (form)", "post", "/documents/{b}/submit/"),
            Write("withdraw (form)", "post", "/documents/{b}/withdraw/", lambda c, a, b: {"reason": "越界"}),
            Write("change (API)", "patch", "/api/v1/documents/documents/{b}", lambda c, a, b: {"text": "改"},
                  api=True),
            Write("submit (API)", "post", "/api/v1/documents/documents/{b}/submit", api=True),
            Write("draft under B's body (API)", "post", "/api/v1/documents/documents",
                  lambda c, a, b: {"body_id": b.body_id, "kind": "notice", "title": "越界", "text": "越界"},
                  api=True, control=False),
        ),
        under_b=_count("documents.Document", unit="dept_b"),
        extra_reads=("/documents/new/", "/documents/instructions/", "/documents/inbox/"),
    ),
    Case(
        "document receipt", _receipts, lambda r: [r.unit.name], "documents.view", writer=Role.UNIT_LIAISON,
        list_url="/documents/inbox/", api_url="/api/v1/documents/receipts?page_size=200",
        writes=(
            Write("sign for B (API)", "post", "/api/v1/documents/receipts/{b}/sign", api=True),
            Write("reply for B (API)", "post", "/api/v1/documents/receipts/{b}/reply",
                  lambda c, a, b: {"text": "越界"}, api=True),
            Write("sign for B (form)", "post", "/documents/{document_b}/sign-for/", lambda c, a, b: {"unit": b.unit_id}),
        ),
        state=lambda r: (_row(r), hasattr(type(r).objects.get(pk=r.pk), "reply")),
    ),
    Case(
        "instruction", _instructions, lambda i: [i.text], "documents.view",
        list_url="/documents/instructions/", api_url="/api/v1/documents/instructions?page_size=200",
        detail_url="/documents/instructions/{pk}/",
        writes=(
            Write("add an item (form)", "post", "/documents/instructions/{b}/item/",
                  lambda c, a, b: {"unit": c.dept_a.pk, "task": "越界", "due_on": day()}),
        ),
        state=lambda i: (_row(i), list(i.items.values_list("id", flat=True))),
    ),
    Case(
        "follow-up item", _instruction_items, lambda i: [i.task], "documents.view", writer=Role.UNIT_LIAISON,
        list_url="/documents/instructions/items/", api_url="/api/v1/documents/items?page_size=200",
        writes=(
            Write("answer B (API)", "post", "/api/v1/documents/items/{b}/answer", lambda c, a, b: {"answer": "越界"},
                  api=True),
            Write("close B (API)", "post", "/api/v1/documents/items/{b}/close", api=True, control=False),
        ),
    ),
    Case(
        "API token", _tokens, lambda t: [t.name, t.prefix], "accounts.grant", writer=Role.SECURITY_ADMIN,
        list_url="/accounts/tokens/all/",
        writes=(Write("revoke", "post", "/accounts/tokens/{b}/revoke/"),),
    ),
]

IDS = [c.name for c in CASES]


# ---- the tests -------------------------------------------------------------------------------


def _client(user):
    return login_client(user)


def _api(user):
    # From the console, so administrator accounts get one too.
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


def _api_get(client, url, auth):
    return client.get(url, **auth)


def _text(response):
    """The answer as text; JSON decoded, so that Chinese is compared as written, not as \\u escapes."""
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False, default=str)
    return response.content.decode(errors="replace")


def _shown(response, case, obj, typed=()):
    """B's texts in the answer, except those the writer typed themself (a form shows its input back)."""
    text = _text(response)
    return [t for t in case.texts(obj) if t and t in text and t not in typed]


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    return request.param


@pytest.fixture
def records(case, city):
    a, b = case.make(city)
    return a, b


def test_it_shows_each_role_only_its_scope(case, city, records):
    a, b = records
    for role in ROLES:
        user = f.user(role, getattr(city, case.scope[0]))
        may_view = user_has_perm(user, case.view_perm) and (case.viewers is None or role in case.viewers)
        client, api, auth = _client(user), Client(), _api(user)

        def get(url, client=client, api=api, auth=auth):
            return _api_get(api, url, auth) if url.startswith("/api/") else client.get(url)

        for url in (u.format(a=a.pk, b=b.pk, c=city) for u in case.extra_reads):
            response = get(url)
            assert response.status_code in (200, 400, 403, 404, 422), (role, url, response.status_code)
            assert not _shown(response, case, b), (role, url, "shows B", _shown(response, case, b))
        for url in filter(None, (case.list_url, case.api_url)):
            response = get(url)
            assert response.status_code in ((200,) if may_view else (200, 403)), (role, url, response.status_code)
            assert not _shown(response, case, b), (role, url, "shows B", _shown(response, case, b))
            if may_view and case.lists_a:
                assert _shown(response, case, a), (role, url, "misses A")
        for url in filter(None, (case.detail_url, case.api_detail)):
            response = get(url.format(pk=b.pk))
            assert response.status_code in (403, 404), (role, url, "B answers", response.status_code)
            assert not _shown(response, case, b), (role, url, "shows B")
            if may_view:
                assert get(url.format(pk=a.pk)).status_code == 200, (role, url, "A does not answer")


def _path(write, city, a, b):
    extra = {}
    for name in ("returnee", "document"):
        if getattr(b, name, None) is not None:
            extra[f"{name}_a"], extra[f"{name}_b"] = getattr(a, name).pk, getattr(b, name).pk
    return write.path.format(a=a.pk, b=b.pk, **extra)


def test_it_never_changes_or_shows_the_other_scope(case, city, records):
    a, b = records
    if not case.writes:
        pytest.skip("no write path for this model")
    writer = f.user(case.writer, getattr(city, case.scope[0]))
    client = _client(writer)
    auth = _api(writer)
    state = case.state or _row
    for write in case.writes:
        before = state(b)
        count = case.under_b(city) if case.under_b else None
        url = _path(write, city, a, b)
        payload = write.data(city, a, b)
        if write.api:
            body = json.dumps(payload, default=str)
            response = getattr(Client(), write.method)(url, body, content_type="application/json", **auth)
        elif write.method == "patch":
            response = client.patch(url, json.dumps(payload), content_type="application/json")
        else:
            response = client.post(url, payload)
        assert response.status_code < 500, (write.label, response.status_code)
        assert state(b) == before, (case.name, write.label, "changed B", response.status_code)
        if count is not None:
            assert case.under_b(city) == count, (case.name, write.label, "created under B")
        typed = {str(v) for v in payload.values()}
        shown = _shown(response, case, b, typed)
        if response.status_code in (301, 302):
            shown += _shown(client.get(response["Location"]), case, b, typed)
        assert not shown, (case.name, write.label, "shows B", shown, response.content[:300])


def test_it_reaches_the_records_of_its_own_scope(case, city, records):
    """The control: each write aimed at B, aimed at A instead, finds A (so a 404 above is the
    scope answering, not a wrong address)."""
    a, b = records
    writes = [w for w in case.writes if w.control and "{b}" in w.path]
    if not writes:
        pytest.skip("no write on one record")

    writer = f.user(case.writer, getattr(city, case.scope[0]))
    client, auth = _client(writer), _api(writer)
    for write in writes:
        url = _path(write, city, a, a)
        payload = write.data(city, a, a)
        if write.api:
            response = getattr(Client(), write.method)(url, json.dumps(payload, default=str),
                                                       content_type="application/json", **auth)
        else:
            response = client.post(url, payload)
        assert response.status_code not in (403, 404, 405) and response.status_code < 500, (
            case.name, write.label, response.status_code)
