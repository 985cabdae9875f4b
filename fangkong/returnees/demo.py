"""The demo city's returnee ledger, reproducing the source's figures.

As of 2020-02-10: 62 organ departments had 271 returnees and 34 of the 67 industry units had
194, every one of them dual-reported. Earlier days show the rate climbing: units reported their
staff within a day of return and the people registered with their community up to four days
later. After 10 February a few more people return, some still waiting for their community
registration, and one community registration names a unit that never reported the person.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.models import Person

from .choices import Category, ChangeKind, Line, Side
from .models import FollowUp, IsolationChange, IsolationOrder, Registration, Returnee
from .services import isolation_days

ORIGINS = [
    ("420100", "湖北省武汉市"), ("420500", "湖北省宜昌市"), ("110105", "北京市朝阳区"), ("310115", "上海市浦东新区"),
    ("220100", "吉林省长春市"), ("210100", "辽宁省沈阳市"), ("230100", "黑龙江省哈尔滨市"), ("440300", "广东省深圳市"),
    ("440100", "广东省广州市"), ("330100", "浙江省杭州市"), ("370200", "山东省青岛市"), ("120101", "天津市和平区"),
    ("130100", "河北省石家庄市"), ("320500", "江苏省苏州市"), ("510100", "四川省成都市"), ("410100", "河南省郑州市"),
]
TRANSPORT = ["自驾", "火车", "高铁", "飞机", "长途客车", "自驾", "高铁"]
STORY_END = dt.date(2020, 2, 25)
TZ = timezone.get_fixed_timezone(8 * 60)


def _moment(day: dt.date, rng: Any, earliest: int = 8, latest: int = 18) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(earliest, latest), rng.randrange(60)), tzinfo=TZ)


def _split(total: int, parts: int, rng: Any) -> list[int]:
    """``total`` people over ``parts`` units, every unit at least one."""
    counts = [1] * parts
    for _ in range(total - parts):
        counts[rng.randrange(parts)] += 1
    return counts


class LedgerBuilder:
    def __init__(self, city: Any) -> None:
        self.city = city
        self.rng = city.rng
        self.communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code"))
        self.cb_of = {
            d: a for d, a in UnitLink.objects.filter(
                ancestor__kind=UnitKind.COORDINATING_BODY, descendant__kind=UnitKind.INDUSTRY_UNIT
            ).values_list("descendant_id", "ancestor_id")
        }
        self.returnees: list[Returnee] = []
        self.registrations: list[Registration] = []
        self.used: set[str] = set()

    def identity(self, unit: Unit, staff: list[Person]) -> tuple[str, str, str]:
        while staff:
            person = staff.pop()
            if person.id_number not in self.used:
                return person.name, person.id_number, person.phone
        sex = "M" if self.rng.random() < 0.55 else "F"
        return self.city._name(sex), self.city._id_number(sex, (1960, 2012)), self.city._phone()

    def add(self, unit: Unit, line: str, staff: list[Person], returned: dt.date, *, community_lag: int | None,
            unit_reports: bool = True, category: str | None = None, community: Unit | None = None) -> Returnee:
        rng = self.rng
        name, number, phone = self.identity(unit, staff)
        self.used.add(number)
        roll = rng.random()
        category = category or (Category.OUTSIDE if roll < 0.84 else Category.RELATIVE if roll < 0.95 else Category.FEVER)
        code, origin = rng.choice(ORIGINS)
        community = community or rng.choice(self.communities)
        unit_at = _moment(returned + dt.timedelta(days=rng.randrange(2)), rng)
        returnee = Returnee(
            name=name, unit=unit, community=community, address=f"{community.name}{rng.randrange(1, 40)}栋{rng.randrange(1, 7)}单元",
            category=category, origin_code=code if category != Category.RELATIVE else "",
            origin_text=origin if category != Category.RELATIVE else "同住亲属返回",
            transport=rng.choice(TRANSPORT), return_date=returned, line=line,
            coordinating_body_id=self.cb_of.get(unit.pk), notes="",
            unit_reported_at=unit_at if unit_reports else None,
        )
        returnee.id_number, returnee.phone = number, phone  # sealed, with digests and masks
        if community_lag is not None:
            base = unit_at if unit_reports else _moment(returned, rng)
            community_at = base + dt.timedelta(days=community_lag, hours=rng.randrange(0, 3))
            returnee.community_reported_at = community_at
        self.returnees.append(returnee)
        return returnee

    def registrations_for(self, returnee: Returnee) -> None:
        if returnee.unit_reported_at is not None:
            self.registrations.append(Registration(
                returnee=returnee, side=Side.UNIT, unit=returnee.unit, registered_at=returnee.unit_reported_at))
        if returnee.community_reported_at is not None:
            self.registrations.append(Registration(
                returnee=returnee, side=Side.COMMUNITY, unit=returnee.community, stated_employer=returnee.unit,
                registered_at=returnee.community_reported_at))

    def line(self, units: list[Unit], total: int, line: str) -> None:
        rng = self.rng
        chosen = sorted(rng.sample(units, len(units)), key=lambda u: u.code)
        for unit, n in zip(chosen, _split(total, len(chosen), rng), strict=True):
            # Ordered by ID number as the demo always was (opened here: the order stays the same
            # whatever the key), so the same staff come back every time.
            staff = sorted(Person.objects.filter(unit=unit), key=lambda p: p.id_number, reverse=True)
            rng.shuffle(staff)
            for _ in range(n):
                returned = dt.date(2020, 1, 24) + dt.timedelta(days=rng.randrange(15))  # 24 Jan – 7 Feb
                # The community side follows 0–4 days later, but every one is in by 10 Feb.
                lag = min(rng.choice([0, 1, 1, 2, 2, 3, 4]), max((dt.date(2020, 2, 9) - returned).days - 1, 0))
                self.add(unit, line, staff, returned, community_lag=lag)

    def after_the_tenth(self, organs: list[Unit], industry: list[Unit]) -> None:
        rng = self.rng
        for i in range(36):
            unit, line = (rng.choice(organs), Line.ORGANS) if i % 3 else (rng.choice(industry), Line.INDUSTRY)
            returned = dt.date(2020, 2, 11) + dt.timedelta(days=rng.randrange(13))
            lag = None if returned >= dt.date(2020, 2, 22) and i % 2 else rng.choice([1, 2, 3])
            # The demo community login has people in isolation on the story's last day.
            home = self.communities[0] if i % 4 == 0 else None
            self.add(unit, line, [], returned, community_lag=lag, community=home)
        # A resident registered by the community, naming an employer that never reported them.
        concealed = organs[7]
        self.add(concealed, Line.ORGANS, [], dt.date(2020, 2, 14), community_lag=0, unit_reports=False)


def _isolation(returnees: list[Returnee], rng: Any) -> tuple[int, int, int]:
    orders = []
    for r in returnees:
        if r.category == Category.OTHER or r.return_date is None:
            continue
        days = isolation_days(r.category)
        orders.append(IsolationOrder(returnee=r, start_date=r.return_date, period_days=days,
                                     planned_end=r.return_date + dt.timedelta(days=days)))
    IsolationOrder.objects.bulk_create(orders, batch_size=2000)
    changes = []
    fevers = [o for o in orders if o.returnee.category == Category.FEVER][:4]
    for order in fevers:  # fever cases kept in for another week on the doctor's advice
        old = order.planned_end
        order.planned_end = old + dt.timedelta(days=7)
        order.period_days += 7
        changes.append(IsolationChange(order=order, kind=ChangeKind.EXTEND, days=7, old_end=old,
                                       new_end=order.planned_end, reason="复查体温异常，按医嘱延长居家隔离",
                                       approver="张卫东", changed_at=_moment(old - dt.timedelta(days=2), rng)))
    early = [o for o in orders if o.returnee.category == Category.RELATIVE][:3]
    for order in early:  # relatives whose returning family member tested negative
        order.released_on = order.start_date + dt.timedelta(days=10)
        order.release_note = "同住人员核酸检测阴性，经社区核实解除"
    IsolationOrder.objects.bulk_update(fevers, ["planned_end", "period_days"])
    IsolationOrder.objects.bulk_update(early, ["released_on", "release_note"])
    IsolationChange.objects.bulk_create(changes)
    follow_ups = []
    for order in orders:
        day = order.start_date
        last = min(order.last_day(), STORY_END)
        fever = order.returnee.category == Category.FEVER
        while day <= last:
            # About one check in fifty was missed: the overdue list has something to show.
            if rng.random() > 0.02:
                temp = Decimal("37.6") if fever and (day - order.start_date).days < 2 else Decimal(
                    f"36.{rng.randrange(2, 9)}")
                follow_ups.append(FollowUp(order=order, day=day, temperature=temp,
                                           symptoms="低热" if temp >= Decimal("37.3") else "", at_home=True,
                                           checked_at=_moment(day, rng, 8, 11)))
            day += dt.timedelta(days=1)
    FollowUp.objects.bulk_create(follow_ups, batch_size=5000)
    return len(orders), len(changes), len(follow_ups)


def load_demo_ledger(city: Any) -> dict[str, int]:
    builder = LedgerBuilder(city)
    organs = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith="D").order_by("code"))
    industry = list(Unit.objects.filter(kind=UnitKind.INDUSTRY_UNIT).order_by("code"))
    rng = builder.rng
    organ_units = sorted(rng.sample(organs, 62), key=lambda u: u.code)
    industry_units = sorted(rng.sample(industry, 34), key=lambda u: u.code)
    builder.line(organ_units, 271, Line.ORGANS)
    builder.line(industry_units, 194, Line.INDUSTRY)
    builder.after_the_tenth(organ_units, industry_units)
    Returnee.objects.bulk_create(builder.returnees, batch_size=2000)
    for returnee in builder.returnees:
        builder.registrations_for(returnee)
    Registration.objects.bulk_create(builder.registrations, batch_size=2000)
    orders, changes, follow_ups = _isolation(builder.returnees, rng)
    conflicts = _conflicts(builder.returnees)
    return {"returnees": len(builder.returnees), "isolation orders": orders, "follow-ups": follow_ups,
            "isolation changes": changes, "attribution conflicts": conflicts}


def _conflicts(returnees: list[Returnee]) -> int:
    """Two attribution conflicts (归属争议) for the office to decide, made as they arise: through
    the registration service, by the demo's liaison and community accounts, each registering a
    person another unit (or community) holds. Nothing of those people changes."""
    from fangkong.accounts.models import User

    from .services import register

    made = 0
    taken: set[int] = set()
    for username, side in (("liaison", Side.UNIT), ("community", Side.COMMUNITY)):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        own = user.scopes.select_related("unit").first()
        if own is None:
            continue
        held = next((r for r in sorted(returnees, key=lambda r: r.pk)
                     if r.pk not in taken
                     and (r.unit_id if side == Side.UNIT else r.community_id) not in (None, own.unit_id)), None)
        if held is None:
            continue
        taken.add(held.pk)
        at = dt.datetime.combine(STORY_END - dt.timedelta(days=1), dt.time(10, 30), tzinfo=TZ)
        place = {"unit": own.unit} if side == Side.UNIT else {"community": own.unit, "unit": held.unit}
        register(actor=user, side=side, registered_at=at, name=held.name, id_number=held.id_number,
                 category=held.category, return_date=held.return_date, origin_text=held.origin_text,
                 notes="与原单位登记重复，待工委办公室裁定", **place)
        made += 1
    return made
