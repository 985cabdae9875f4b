"""The demo city's publicity and campaign: materials of the committee and departments; 100+ reports
pushed to the named outlets; 1,000+ official messages forwarded (reported per member and per
branch); the relay pledge with the four take-the-leads, signed by most party members, whose share
links were opened or passed on 5,000+ times (one counted row per browser and day, as the pages
count them); a few model deeds published; the branches' checklists filled; the comparison's formula.

Drawn from its own seeded generator and bulk-created."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict
from typing import Any

from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import CHECKLIST_ITEMS, ChecklistKind, DeedStatus, MaterialKind, PushKind, ShareKind
from .comparison import DEFAULT_FORMULA
from .models import (
    ChecklistEntry,
    Material,
    MediaPush,
    ModelDeed,
    OfficialForward,
    Outlet,
    Pledge,
    PledgeSignature,
    ScoreFormula,
    ShareCount,
)

SEED = 2019
FIRST_DAY = dt.date(2020, 1, 27)
LAST_DAY = dt.date(2020, 2, 25)
OUTLETS = ["省直机关工委", "白山发布", "白山机关党建", "白山日报", "白山广播电视台", "学习强国吉林平台"]
RELAY_TITLE = "市直机关打赢疫情防控阻击战接力承诺"
RELAY_TEXT = ("我是一名共产党员，在疫情防控阻击战中，我郑重承诺：坚决服从党组织安排，亮身份、作表率，"
              "把初心写在行动上，把使命落在岗位上，与全市人民一道坚决打赢疫情防控阻击战。")
FOUR_LEADS = [label for _code, label in CHECKLIST_ITEMS[ChecklistKind.FOUR_LEADS]]
MATERIALS = [
    (MaterialKind.LEAFLET, "致全市机关党员干部的倡议书"), (MaterialKind.BANNER, "众志成城 抗击疫情"),
    (MaterialKind.BANNER, "少出门 不聚集 戴口罩 勤洗手"), (MaterialKind.RECORDING, "社区防控广播录音（第一版）"),
    (MaterialKind.REMINDER, "居家隔离温馨提示"), (MaterialKind.JINGLE, "防疫顺口溜：出门戴口罩，回家勤洗手"),
    (MaterialKind.SCREEN, "电子屏滚动标语：科学防治 精准施策"), (MaterialKind.WECHAT, "工作群转发：返程人员报备须知"),
]
HEADLINES = ["白山市直机关党员干部下沉社区筑牢防线", "扬旗亮徽：机关党员冲在防控第一线", "千名干部下沉 守好社区大门",
             "市直机关党员自愿捐款捐物支援一线", "战“疫”一线党旗红", "机关党员接力承诺 凝聚抗疫合力",
             "卡点上的机关干部", "三看四比五带头 党员干部作表率"]
FORWARDED = ["市疫情防控指挥部通告（第{n}号）", "关于进一步做好返程人员排查的通知", "居家隔离防护指南",
             "权威发布：全市疫情防控最新情况（{n}）"]
DEEDS = [("社区卡点连续值守二十天", "作为下沉干部，他在卡点连续值守二十天，顶风冒雪登记往来车辆和人员，没有放过一个疑点。"),
         ("把党员承诺写在防控一线", "她带头签署接力承诺，动员身边党员转发倡议书，组织志愿者为居家隔离群众代购生活物资。"),
         ("群众身边的“代办员”", "他主动承担代办帮办任务，为隔离居民代购药品、代缴费用五十余次。"),
         ("带病坚守岗位的老党员", "他不顾自身疾病，坚持在社区排查返程人员，做到不漏一户、不漏一人。")]


def load_demo_publicity(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    tz = timezone.get_fixed_timezone(8 * 60)
    committee = Unit.objects.filter(kind=UnitKind.WORKING_COMMITTEE).order_by("code").first()
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code"))
    if committee is None or not departments:
        return {}
    outlets = Outlet.objects.bulk_create([Outlet(name=n, position=i) for i, n in enumerate(OUTLETS)])
    days = [(FIRST_DAY + dt.timedelta(days=i)) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    Material.objects.bulk_create([
        Material(unit=committee if i < 4 else rng.choice(departments), kind=kind, title=title,
                 body=title, issued_on=days[min(i * 2, len(days) - 1)])
        for i, (kind, title) in enumerate(MATERIALS)])
    pushes = [MediaPush(unit=committee if i % 4 == 0 else rng.choice(departments), outlet=outlets[i % len(outlets)],
                        kind=rng.choice(PushKind.values), title=f"{rng.choice(HEADLINES)}（{i + 1}）",
                        pushed_on=rng.choice(days), link=f"https://news.example.org/baishan/{2020000 + i}")
              for i in range(118)]
    MediaPush.objects.bulk_create(pushes)

    members = list(Person.objects.filter(is_party_member=True, is_active=True, branch__isnull=False)
                   .order_by("id").values_list("id", "unit_id", "branch_id"))
    forwards: list[OfficialForward] = []
    # Every third member reported one by one, and each branch's group as a whole: 1,000+ in all.
    for n, (pid, _unit, branch) in enumerate(members[::3]):
        forwards.append(OfficialForward(unit_id=branch, person_id=pid, day=rng.choice(days[5:]),
                                        message=rng.choice(FORWARDED).format(n=n % 12 + 1), count=1))
    branches = sorted({b for _p, _u, b in members})
    for branch in branches:
        forwards.append(OfficialForward(unit_id=branch, day=rng.choice(days[3:]), message="支部工作群转发权威信息",
                                        count=rng.randrange(1, 3)))
    OfficialForward.objects.bulk_create(forwards, batch_size=2000)

    pledge = Pledge.objects.create(slug="relay-pledge", title=RELAY_TITLE, text=RELAY_TEXT, items=FOUR_LEADS,
                                   opens_on=dt.date(2020, 2, 1))
    signatures: list[PledgeSignature] = []
    for pid, unit_id, branch in members:
        if rng.random() < 0.88:
            signed = dt.datetime.combine(dt.date(2020, 2, 1) + dt.timedelta(days=rng.randrange(20)),
                                         dt.time(rng.randrange(7, 22), rng.randrange(60)), tzinfo=tz)
            signatures.append(PledgeSignature(pledge=pledge, person_id=pid, unit_id=unit_id, branch_id=branch,
                                              signed_at=signed, share_code=secrets.token_urlsafe(9)))
    PledgeSignature.objects.bulk_create(signatures, batch_size=2000)
    shares: list[ShareCount] = []
    target = 5200 + rng.randrange(400)
    if signatures:
        for i in range(target):
            sig = signatures[rng.randrange(len(signatures))]
            first = sig.signed_at.astimezone(tz).date()
            day = first + dt.timedelta(days=rng.randrange(max((LAST_DAY - first).days, 0) + 1))
            shares.append(ShareCount(signature=sig, pledge=pledge, unit_id=sig.unit_id,
                                     kind=ShareKind.OPEN if i % 5 else ShareKind.ONWARD, day=day,
                                     visitor=f"{rng.getrandbits(128):032x}"))
    ShareCount.objects.bulk_create(shares, batch_size=2000, ignore_conflicts=True)

    by_branch: dict[int, list[int]] = defaultdict(list)
    for pid, _unit, branch in members:
        by_branch[branch].append(pid)
    deeds = []
    for i, (title, story) in enumerate(DEEDS):
        if not branches:
            break
        branch = branches[(i * 7) % len(branches)]
        pid = by_branch[branch][0]
        unit = Unit.objects.get(pk=next(u for p, u, _b in members if p == pid))
        nominated = dt.datetime.combine(dt.date(2020, 2, 12 + i), dt.time(10), tzinfo=tz)
        status = DeedStatus.PUBLISHED if i < 3 else DeedStatus.NOMINATED
        deeds.append(ModelDeed(branch_id=branch, person_id=pid, unit_name=unit.display_name, title=title, story=story,
                               status=status, nominated_at=nominated,
                               reviewed_at=nominated + dt.timedelta(days=1) if i < 3 else None,
                               published_at=nominated + dt.timedelta(days=2) if i < 3 else None))
    ModelDeed.objects.bulk_create(deeds)
    now = dt.datetime.combine(LAST_DAY, dt.time(9), tzinfo=tz)
    entries = []
    for branch in branches[:20]:
        for pid in by_branch[branch]:
            for kind, items in CHECKLIST_ITEMS.items():
                codes = [code for code, _label in items if rng.random() < 0.9]
                entries.append(ChecklistEntry(branch_id=branch, person_id=pid, kind=kind, items=codes, updated_at=now))
    ChecklistEntry.objects.bulk_create(entries, batch_size=2000)
    ScoreFormula.objects.create(name="三看四比五带头综合评比", expression=DEFAULT_FORMULA, since=FIRST_DAY,
                                created_at=dt.datetime.combine(dt.date(2020, 2, 20), dt.time(9), tzinfo=tz))
    return {"media pushes": len(pushes), "official forward reports": len(forwards),
            "pledge signatures": len(signatures), "counted shares": len(shares), "model deeds": len(deeds)}
