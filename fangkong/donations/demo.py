"""The demo city's donations line (物资捐赠调度线), as the source report of 25 February 2020 tells
it: 25 departments gave disinfectant 7,000 斤, gloves 1,500 副, warm patches 6,000 个, masks
1,000 个, alcohol 300 斤 and cotton coats 40 件 into the working committee's store; two members
offered purchase channels; communities and checkpoints raised needs, and part of the goods went
out, as the city's organisation department arranged, with signed receipts. A few distributions
wait for their signature and a few needs are open.

Written without the audit log (one line for the whole demo) through the same stock-card steps as
the services (``services._move``, ``services._consume``), so the invariants are those of real use.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import services
from .catalogue import ensure_measures
from .choices import Category, DistributionStatus, DonorKind, MoveKind, NeedStatus
from .models import Allocation, Distribution, Donor, Intake, Item, Measure, Need, Receipt, Store, SupplierLead

SEED = 2016
# item, category, unit, total of the source, how many gifts it came in
SEED_TOTALS = [
    ("消毒液", Category.EPIDEMIC, "斤", 7000, 14),
    ("手套", Category.EPIDEMIC, "副", 1500, 10),
    ("暖贴", Category.WARMTH, "个", 6000, 12),
    ("口罩", Category.EPIDEMIC, "个", 1000, 5),
    ("酒精", Category.EPIDEMIC, "斤", 300, 6),
    ("棉大衣", Category.WARMTH, "件", 40, 4),
]
DEPARTMENTS = 25
FIRST_DAY = dt.date(2020, 1, 28)
LAST_DAY = dt.date(2020, 2, 7)
BASIS = services.DEFAULT_BASIS
# need: (checkpoint or community index, item, quantity, raised, state) — state: signed, unsigned, allocated, open
NEEDS = [
    (0, "消毒液", 400, dt.date(2020, 2, 8), "signed"),
    (1, "手套", 200, dt.date(2020, 2, 9), "signed"),
    (2, "暖贴", 1000, dt.date(2020, 2, 10), "signed"),
    (3, "棉大衣", 10, dt.date(2020, 2, 12), "signed"),
    (4, "口罩", 300, dt.date(2020, 2, 14), "signed"),
    (5, "消毒液", 600, dt.date(2020, 2, 16), "signed"),
    (6, "暖贴", 800, dt.date(2020, 2, 18), "signed"),
    (7, "酒精", 50, dt.date(2020, 2, 19), "signed"),
    (8, "手套", 150, dt.date(2020, 2, 21), "signed"),
    (9, "棉大衣", 10, dt.date(2020, 2, 22), "signed"),
    (0, "暖贴", 500, dt.date(2020, 2, 24), "unsigned"),
    (10, "口罩", 200, dt.date(2020, 2, 24), "unsigned"),
    (11, "消毒液", 300, dt.date(2020, 2, 25), "open"),
    (1, "手套", 100, dt.date(2020, 2, 25), "open"),
]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_fixed_timezone(8 * 60))


def load_demo_donations(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    ensure_measures()
    measures = {m.name: m for m in Measure.objects.all()}
    items = {}
    for name, category, measure_name, _total, _parts in SEED_TOTALS:
        items[name] = Item.objects.create(name=name, category=category, measure=measures[measure_name],
                                          pack_name="箱" if name == "口罩" else "",
                                          pack_size=50 if name == "口罩" else None)
    committee = Unit.objects.filter(kind=UnitKind.WORKING_COMMITTEE).order_by("code").first()
    if committee is None:
        return {}
    store = Store.objects.create(name="市直机关工委物资库", unit=committee, address="市直机关工委一楼")
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code")[:DEPARTMENTS])
    donors = [Donor(kind=DonorKind.DEPARTMENT, name=d.name, unit=d, public_name=d.name) for d in departments]
    Donor.objects.bulk_create(donors)
    donors = list(Donor.objects.filter(kind=DonorKind.DEPARTMENT).order_by("unit__code"))
    gifts = []
    turn = 0
    for name, _category, _unit, total, parts in SEED_TOTALS:
        share = Decimal(total) / parts
        for _part in range(parts):
            gifts.append((donors[turn % len(donors)], items[name], share))
            turn += 1
    span = (LAST_DAY - FIRST_DAY).days
    gifts.sort(key=lambda g: (g[0].pk, g[1].pk))
    dated = sorted(((FIRST_DAY + dt.timedelta(days=rng.randint(0, span)), giver, gift, part)
                    for giver, gift, part in gifts), key=lambda g: (g[0], g[1].pk, g[2].pk))
    for received, giver, gift, share_ in dated:
        intake = Intake(donor=giver, item=gift, store=store, quantity=share_, remaining=share_, received_on=received,
                        received_by="物资筹备组 王振华")
        services._numbered(intake, "RK")
        services._move(store=store, item=gift, delta=share_, kind=MoveKind.INTAKE, document=intake.number,
                       day=received, intake=intake)
    members = list(Person.objects.filter(is_party_member=True, unit__in=departments).order_by("id")[:2])
    leads = [("白岭市康泰医疗器械有限公司", "口罩", "1.20", 20000), ("白岭市保暖用品批发部", "暖贴", "0.80", 5000)]
    for member, (supplier, item_name, price, available) in zip(members, leads, strict=False):
        SupplierLead.objects.create(item=items[item_name], supplier=supplier, price=Decimal(price),
                                    quantity_available=Decimal(available), contact="0439-3200000",
                                    offered_by=member, unit=member.unit, offered_on=dt.date(2020, 2, 5))
    places = list(Unit.objects.filter(kind=UnitKind.CHECKPOINT).order_by("code")[:6]) + list(
        Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code")[:6])
    order = [places[0], places[6], places[1], places[7], places[2], places[8], places[3], places[9], places[4],
             places[10], places[11], places[5]]
    workers = {p.unit_id: p for p in Person.objects.filter(unit__in=order).order_by("id")}
    counts = {"needs": 0, "distributions": 0, "receipts": 0}
    for index, item_name, asked, raised, state in NEEDS:
        unit = order[index % len(order)]
        item = items[item_name]
        amount = Decimal(asked)
        need = Need.objects.create(unit=unit, item=item, quantity=amount, needed_by=raised + dt.timedelta(days=2),
                                   reason="一线卡点值守人员防护" if unit.kind == UnitKind.CHECKPOINT else "社区防控工作人员使用",
                                   raised_on=raised, status=NeedStatus.OPEN if state == "open" else NeedStatus.ALLOCATED)
        counts["needs"] += 1
        if state == "open":
            continue
        plan = Allocation.objects.create(need=need, store=store, quantity=amount, basis=BASIS,
                                         approver_name="物资筹备组组长 刘国庆", approved_on=raised)
        day = raised + dt.timedelta(days=1)
        d = Distribution(allocation=plan, store=store, item=item, to_unit=unit, quantity=amount,
                         carrier="工委机关 张师傅", vehicle="吉F·A3615", dispatched_on=day,
                         status=DistributionStatus.SIGNED if state == "signed" else DistributionStatus.DISPATCHED)
        services._numbered(d, "FF")
        services._move(store=store, item=item, delta=-amount, kind=MoveKind.DISTRIBUTION, document=d.number,
                       day=day, distribution=d)
        services._consume(store=store, item=item, quantity=amount, distribution=d)
        counts["distributions"] += 1
        if state == "signed":
            person = workers.get(unit.pk)
            Receipt.objects.create(
                distribution=d, signer_name=person.name if person else "值守负责人",
                signer_role="卡点值守人员" if unit.kind == UnitKind.CHECKPOINT else "社区工作人员",
                signed_at=_at(day, 15), quantity_received=amount, by_link=True)
            counts["receipts"] += 1
    from . import public

    public.bump()
    return {"donors": len(donors), "intakes": len(dated), **counts}
