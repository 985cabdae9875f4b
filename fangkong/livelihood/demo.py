"""The demo city's livelihood line (民生保障调度线): the social-security bureau serving by 网上办、
延缓办、专员办 and the government-data bureau by 网上办、掌上办、邮政办、快递办、自助办、领办帮办代办,
with their daily cases per channel over the campaign (27 January – 25 February), and help
requests for households at home in several communities, carried out by the cadres placed there.

Drawn from its own seeded generator; bulk-created (no audit rows: the demo's one line says where
the records came from)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from fangkong.core.fieldcrypt import seal
from fangkong.core.idcard import mask_phone
from fangkong.deployment.models import Secondment
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import ClosedBy, HelpKind, HelpStatus
from .models import Channel, ChannelVolume, HelpRequest, WindowService

SEED = 2018
FIRST_DAY = dt.date(2020, 1, 27)
LAST_DAY = dt.date(2020, 2, 25)
CHANNELS = [
    ("online", "网上办", "通过政务服务网、社保网厅在线办理"),
    ("app", "掌上办", "通过手机App、微信小程序办理"),
    ("post", "邮政办", "材料和证照通过邮政寄递"),
    ("courier", "快递办", "材料和证照通过快递寄递"),
    ("self", "自助办", "自助终端办理"),
    ("on-behalf", "领办帮办代办", "工作人员领办、帮办、代办"),
    ("deferred", "延缓办", "非急办业务延期办理，不影响待遇"),
    ("officer", "专员办", "专员电话预约、一对一办理"),
]
# Window department (by name), its services and the channels each offers.
CATALOGUE = {
    "市社会保险事业管理局": [
        ("养老保险待遇领取资格认证", ["online", "deferred"], 60),
        ("社会保险费缴纳", ["online", "officer", "deferred"], 90),
        ("失业保险金申领", ["online", "officer"], 25),
    ],
    "市政务服务和数字化建设管理局": [
        ("企业开办", ["online", "app", "courier", "on-behalf"], 40),
        ("不动产登记", ["online", "post", "courier"], 30),
        ("证照打印", ["self", "post"], 35),
        ("住房公积金提取", ["online", "app"], 70),
        ("医保报销", ["online", "app", "on-behalf", "post"], 45),
    ],
}
NEEDS = {
    HelpKind.GROCERIES: ["代购蔬菜、米面", "代购蔬菜水果和鸡蛋", "代购奶粉、尿不湿"],
    HelpKind.MEDICINE: ["代购降压药", "代取慢病处方药", "代购胰岛素"],
    HelpKind.ERRAND: ["代办社保资格认证", "代缴水电燃气费", "代办医保报销材料递交"],
    HelpKind.OTHER: ["清运生活垃圾", "送体温计和口罩"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"
ROADS = ["江北路", "浑江大街", "光明路", "民中街", "红旗街", "新建街"]


def load_demo_livelihood(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    tz = timezone.get_fixed_timezone(8 * 60)
    channels = {code: Channel(code=code, name=name, description=text, position=i)
                for i, (code, name, text) in enumerate(CHANNELS)}
    Channel.objects.bulk_create(channels.values())
    services: list[tuple[WindowService, list[str], int]] = []
    for name, offered in CATALOGUE.items():
        department = Unit.objects.filter(name=name, kind=UnitKind.DEPARTMENT).first()
        if department is None:
            continue
        for service_name, codes, base in offered:
            service = WindowService.objects.create(department=department, name=service_name)
            service.channels.set([channels[c] for c in codes])
            services.append((service, codes, base))
    volumes: list[ChannelVolume] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        # The holiday was extended to 9 February: fewer cases before, more once offices reopen online.
        factor = 0.5 if day < dt.date(2020, 2, 3) else 1.0 + (day - dt.date(2020, 2, 3)).days / 30
        recorded = dt.datetime.combine(day, dt.time(17, rng.randrange(60)), tzinfo=tz)
        for service, codes, base in services:
            for code in codes:
                share = 0.3 if code in ("deferred", "post", "self") else 1.0
                volumes.append(ChannelVolume(service=service, channel=channels[code], department_id=service.department_id,
                                             day=day, count=int(base * factor * share * rng.uniform(0.6, 1.4)),
                                             recorded_at=recorded))
        day += dt.timedelta(days=1)
    ChannelVolume.objects.bulk_create(volumes, batch_size=2000)

    requests = _help_requests(rng, tz)
    return {"window services": len(services), "daily volumes": len(volumes), "help requests": requests}


def _help_requests(rng: random.Random, tz: Any) -> int:
    communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code")[:8])
    rows: list[HelpRequest] = []
    phones: list[str] = []
    end = dt.datetime.combine(LAST_DAY, dt.time(18), tzinfo=tz)
    for community in communities:
        cadres = list(Secondment.objects.filter(unit__parent=community, starts_on__lte=dt.date(2020, 2, 18))
                      .order_by("id").values_list("id", "unit_id")[:6])
        for i in range(rng.randrange(4, 8)):
            kind = rng.choice(list(NEEDS))
            registered = dt.datetime.combine(dt.date(2020, 2, 18) + dt.timedelta(days=rng.randrange(8)),
                                             dt.time(rng.randrange(8, 17), rng.randrange(60)), tzinfo=tz)
            due = registered + dt.timedelta(hours=rng.choice([4, 6, 24]))
            phone = f"13{rng.randrange(10**8, 10**9):09d}"
            request = HelpRequest(
                community=community, household=f"{rng.choice(SURNAMES)}{rng.choice(['女士', '先生', '阿姨', '大爷'])}",
                address=f"{rng.choice(ROADS)}{rng.randrange(1, 60)}号{rng.randrange(1, 7)}单元{rng.randrange(101, 602)}",
                phone_masked=mask_phone(phone), kind=kind, details=rng.choice(NEEDS[kind]), due_at=due,
                registered_at=registered,
            )
            if cadres and rng.random() < 0.85:
                request.assignee_id, request.place_id = cadres[i % len(cadres)]
            else:
                request.volunteer = f"志愿者{rng.choice(SURNAMES)}{rng.choice(['明', '丽', '强', '芳'])}"
            fate = rng.random()
            if due < end and fate < 0.75:
                request.done_at = due - dt.timedelta(minutes=rng.randrange(30, 180))
                request.status = HelpStatus.CLOSED
                request.closed_at = request.done_at + dt.timedelta(minutes=rng.randrange(10, 120))
                request.closed_by = ClosedBy.HOUSEHOLD if fate < 0.55 else ClosedBy.CALL
            elif fate < 0.85 and registered < end - dt.timedelta(hours=6):
                request.done_at = min(due, end) - dt.timedelta(minutes=30)
                request.status = HelpStatus.DONE
            rows.append(request)
            phones.append(phone)
    for request, sealed in zip(rows, seal(phones, "phone"), strict=True):
        request.phone_cipher = sealed
    HelpRequest.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
