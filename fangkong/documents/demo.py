"""The demo city's papers (报告与批示), as in the source: the urgent notice on screening returnees
after the holiday (白岭直党工发〔2020〕1号) with its five requirements and the departments' replies,
the notice on the party's leadership (六到位) and the notice on the role of party organisations and
members; report (一) on the returnees as of 10 February 24:00, issued on the 11th; the report on
the thousand cadres as of the 15th; a leader's instruction on each, turned into follow-up items,
some closed. The leaders' names are fictional; their positions are the source's.

Drawn from its own seeded generator; writes through the services (a few dozen rows) except the
receipts and replies of a hundred departments, written in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from fangkong.core.actors import SYSTEM
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from . import services
from .choices import ItemStatus
from .models import Document, DocumentKind, DocumentRecipient, InstructionItem, IssuingBody, Reply

SEED = 2011
TZ = ZoneInfo("Asia/Shanghai")


def _at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


KINDS = [
    ("notice", "通知", "down", "发", False),
    ("urgent_notice", "紧急通知", "down", "发", False),
    ("situation_report", "情况报告", "up", "报", True),
    ("special_report", "专报", "up", "报", False),
    ("briefing", "简报", "down", "简", False),
    ("explanation", "情况说明", "up", "报", False),
    ("letter", "函", "down", "函", False),
]

RETURNEES_TEMPLATE = """按照全市疫情防控工作部署，市直机关工委实行“双报制”和台账式登记管理，深入开展机关和行业节后返程输入人员排查工作。现将有关情况报告如下：
一、机关返程调度线
对有输入人员的{organs.units_with_returnees}个部门进行全覆盖排查，输入人员共{organs.returnees}人，已全部到本单位和社区报备，“双报制”落实率{organs.dual_report_rate}。
二、行业排查调度线
通过“面上统”“分块抓”“按片落”推进法，对市政府办、市工信局、市金融办、市应急局协调行业管理的{industry.industry_units}个单位开展排查，{industry.units_with_returnees}个单位有输入人员共{industry.returnees}人，“双报”落实率{industry.dual_report_rate}。
三、下步工作
严禁缓报、漏报、瞒报疫情信息，实行专人每天一报制度，守牢“外防输入”防线。
特此报告。"""

CADRES_TEMPLATE = """为解决基层一线防控力量不足问题，市直机关工委组织协调机关干部深入基层一线帮助开展疫情防控工作。现将有关情况报告如下：
一、下沉情况
{deployment.departments_sending}个部门的{deployment.cadres_seconded}名干部与原单位脱钩，由各部门一把手牵头、副职带队，下沉到{deployment.streets}个街道、{deployment.communities}个社区、{deployment.checkpoints}个卡点，听从包保街道社区统一指挥调配。
二、工作开展
共同开展防疫宣传、人员排查、检测工作，强化重点人员监督，有效阻隔外来人员进入。
三、保障措施
制作发放疫情期间工作人员出入证和车辆通行证，开展“扬旗亮徽战疫情”行动。
特此报告。"""

FIVE_REQUIREMENTS = """为深入贯彻落实全市疫情防控工作部署，进一步做好市直机关节后返程人员疫情防控排查工作，现提出如下要求：
一、严格全面排查
各部门要对本单位全体干部职工节后返程情况进行全面排查，做到不落一户、不漏一人。
二、隔离防护
域外返程人员、共同居住近亲属以及有发热症状人员，刚性执行居家“三隔离”14天。
三、群策群治
实行“双报制”，报送机关工委的同时第一时间到所在居住社区登记报备。
四、组织纪律
严禁缓报、漏报、瞒报疫情信息，对执行不力的严肃追责。
五、工作落实
各部门于2月5日前将《节后返程人员排查登记表》报送市直机关工委办公室。"""

SIX_IN_PLACE = """为加强党的领导，为打赢疫情防控阻击战提供坚强政治保证，要求全体党员干部坚决做好“六到位”：
一、先锋表率到位
二、遵守规定到位
三、宣传引导到位
四、医护防范到位
五、联防联控到位
六、履职尽责到位
各级党组织要严格实行“日报告”与“零报告”工作制度。"""

ROLE_OF_ORGANISATIONS = """各级党组织领导班子和领导干部要坚守岗位、靠前指挥，以细之又细、实之又实的工作作风，坚决打赢疫情防控这场大仗硬仗。
一、实行“三级联动抓防控”工作法
形成党委抓总支、总支抓支部、支部抓党员的高效指挥体系，层层压实责任。
二、严格组织纪律
对执行不力、违反“6个严禁”的，报送市委组织部、市纪委监委，启动相应组织处理和执纪追责。"""


def load_demo_documents(city: Any = None) -> dict[str, int]:
    rng = random.Random(SEED)
    kinds = {code: DocumentKind.objects.create(code=code, name=name, direction=direction, number_word=word,
                                               series=series)
             for code, name, direction, word, series in KINDS}
    # Templates go through the service, which checks every placeholder against the figures.
    kinds["situation_report"].template = RETURNEES_TEMPLATE
    services.kind_save(actor=SYSTEM, kind=kinds["situation_report"])
    kinds["special_report"].template = CADRES_TEMPLATE
    services.kind_save(actor=SYSTEM, kind=kinds["special_report"])
    committee = Unit.objects.get(code="WC")
    body = IssuingBody.objects.create(unit=committee, name=committee.name, prefix="白岭直党工")
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code"))
    bodies = list(Unit.objects.filter(kind=UnitKind.COORDINATING_BODY).order_by("code"))
    streets = list(Unit.objects.filter(kind=UnitKind.STREET).order_by("code"))

    def notice(kind: str, title: str, text: str, signed: dt.datetime, issued: str, *, reply_due: dt.date | None = None,
               reply_asked: str = "") -> Any:
        document = services.document_draft(
            actor=SYSTEM, body=body, kind=kinds[kind], title=title, text=text, main=departments + bodies,
            copy=streets, addressed_to="各部门、各基层党组织", urgency="特急" if kind == "urgent_notice" else "",
            reply_due=reply_due, reply_asked=reply_asked)
        Document.objects.filter(pk=document.pk).update(drafted_at=signed - dt.timedelta(hours=20))
        services.document_submit(actor=SYSTEM, document=document)
        Document.objects.filter(pk=document.pk).update(reviewed_at=signed - dt.timedelta(hours=3))
        services.document_sign_off(actor=SYSTEM, document=document, at=signed)
        return services.document_issue(actor=SYSTEM, document=document, on=dt.date.fromisoformat(issued),
                                       at=signed + dt.timedelta(hours=2), notify=False)

    first = notice("urgent_notice", "关于进一步做好市直机关节后返程人员疫情防控排查工作的紧急通知", FIVE_REQUIREMENTS,
                   _at("2020-02-02", 16), "2020-02-02", reply_due=dt.date(2020, 2, 5),
                   reply_asked="节后返程人员排查登记表")
    second = notice("notice", "关于加强党的领导、为打赢疫情防控阻击战提供坚强政治保证的通知", SIX_IN_PLACE,
                    _at("2020-02-03", 10), "2020-02-03")
    third = notice("notice", "关于充分发挥市直机关各基层党组织战斗堡垒和广大党员先锋模范作用坚决打赢疫情防控阻击战的通知",
                   ROLE_OF_ORGANISATIONS, _at("2020-02-04", 15), "2020-02-04")
    _receipts_and_replies(rng, first, second, third)

    report_one = services.report_generate(
        actor=SYSTEM, body=body, kind=kinds["situation_report"], title="关于节后返程输入人员上报情况报告",
        as_of=_at("2020-02-11", 0), addressed_to="市防疫领导小组")
    services.document_submit(actor=SYSTEM, document=report_one)
    services.document_sign_off(actor=SYSTEM, document=report_one, at=_at("2020-02-11", 9))
    report_one = services.document_issue(actor=SYSTEM, document=report_one, on=dt.date(2020, 2, 11),
                                         at=_at("2020-02-11", 10), notify=False)
    cadres = services.report_generate(
        actor=SYSTEM, body=body, kind=kinds["special_report"], title="关于千名干部下社区的情况报告",
        as_of=_at("2020-02-15", 12), addressed_to="市防疫领导小组")
    services.document_submit(actor=SYSTEM, document=cadres)
    services.document_sign_off(actor=SYSTEM, document=cadres, at=_at("2020-02-15", 15))
    cadres = services.document_issue(actor=SYSTEM, document=cadres, on=dt.date(2020, 2, 15),
                                     at=_at("2020-02-15", 16), notify=False)

    demo_department = Unit.objects.get(code=_demo_department_code())
    office_unit = committee
    first_instruction = services.instruction_record(
        actor=SYSTEM, document=report_one, leader_name="李建华", leader_position="市委常委、常务副市长",
        given_on=dt.date(2020, 2, 12),
        text="市直机关工委工作扎实有效。要坚持“双报制”，持续做好返程人员排查，确保不漏一人。",
        items=[
            {"unit": office_unit, "task": "每日更新机关和行业返程人员台账，报市防疫领导小组", "due_on": dt.date(2020, 2, 14)},
            *[{"unit": b, "task": "督促协调行业单位落实专人每天一报", "due_on": dt.date(2020, 2, 18)} for b in bodies],
            {"unit": demo_department, "task": "核实本部门返程人员社区报备情况", "due_on": dt.date(2020, 2, 20)},
        ])
    second_instruction = services.instruction_record(
        actor=SYSTEM, document=cadres, leader_name="赵明远", leader_position="市委书记",
        given_on=dt.date(2020, 2, 16),
        text="市直机关工委前期疫情防控工作充分体现了机关党员干部的担当。下沉干部要听从包保街道社区统一指挥，守好“最后一米”。",
        items=[
            {"unit": office_unit, "task": "建立下沉干部日调度督查台账", "due_on": dt.date(2020, 2, 19)},
            {"unit": demo_department, "task": "落实部门一把手牵头、副职带队，补齐卡点值守人员", "due_on": dt.date(2020, 2, 22)},
            {"unit": streets[0], "task": "反馈包保部门听从统一调配情况", "due_on": dt.date(2020, 2, 28)},
        ])
    # Closed: the office's items and three of the four coordinating bodies'; answered and waiting
    # for the office: the fourth; open: the demo department's (one overdue on the story day).
    for item in InstructionItem.objects.filter(instruction=first_instruction).order_by("id"):
        if item.unit_id == demo_department.pk:
            continue
        services.item_answer(actor=SYSTEM, item=item, answer="已按批示要求落实，相关台账已报送。")
        if item.unit_id != bodies[-1].pk:
            services.item_close(actor=SYSTEM, item=item)
    office_item = InstructionItem.objects.get(instruction=second_instruction, unit=office_unit)
    services.item_answer(actor=SYSTEM, item=office_item, answer="已建立日调度督查台账，两个工作小组每日调度。")
    services.item_close(actor=SYSTEM, item=office_item)
    _backdate_items()
    # Waiting for the leader's sign-off on the story day: the written explanation on inspection
    # bulletin no. 12 (returnees of the organs slow to register with their communities).
    explanation = services.document_draft(
        actor=SYSTEM, body=body, kind=kinds["explanation"], title="关于机关返乡人员到社区登记报备情况的说明",
        addressed_to="市疫情防控督导检查组",
        text="根据《白岭市疫情防控督查工作简报》第12期暗访重点部门问题清单，市直机关工委组成由副书记、纪工委书记带队的"
             "调查组，就机关返乡人员不积极、不主动到社区登记报备情况进行了调查核实。现将有关情况说明如下：\n"
             "一、调查核实情况\n二、整改措施\n特此说明。")
    services.document_submit(actor=SYSTEM, document=explanation)
    Document.objects.filter(pk=explanation.pk).update(drafted_at=_at("2020-02-24", 16),
                                                      reviewed_at=_at("2020-02-25", 9))
    return {"documents": 6, "instructions": 2,
            "instruction items": InstructionItem.objects.count(),
            "receipts": DocumentRecipient.objects.filter(signed_at__isnull=False).count()}


def _demo_department_code() -> str:
    from fangkong.orgs import demo_data

    return demo_data.DEMO_DEPARTMENT_CODE


def _receipts_and_replies(rng: random.Random, first: Any, second: Any, third: Any) -> None:
    """Most units sign for each notice within a day; a few have not signed for the third; every
    department replies to the first, a few after its due date."""
    demo_code = _demo_department_code()
    rows = list(DocumentRecipient.objects.filter(document__in=[first, second, third]).select_related("unit"))
    for r in rows:
        delivered = r.delivered_at
        assert delivered is not None
        if r.document_id == third.pk and (rng.random() < 0.08 or r.unit.code == demo_code):
            continue  # not signed for yet (the demo liaison has one to sign)
        r.signed_at = delivered + dt.timedelta(minutes=rng.randint(10, 20 * 60))
    DocumentRecipient.objects.bulk_update(rows, ["signed_at"], batch_size=500)
    replies = []
    for r in rows:
        if r.document_id != first.pk or r.role != "main" or r.unit.kind != UnitKind.DEPARTMENT:
            continue
        roll = rng.random()
        if roll < 0.05:
            continue  # no reply yet: overdue
        day = dt.date(2020, 2, 6) if roll < 0.12 else dt.date(2020, 2, rng.randint(3, 5))
        at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=TZ)
        replies.append(Reply(recipient=r, unit_id=r.unit_id, text="已按“五要求”完成排查，登记表已报送。",
                             submitted_at=at, late=day > dt.date(2020, 2, 5)))
    Reply.objects.bulk_create(replies, batch_size=500)


def _backdate_items() -> None:
    """Answers and closures carry story moments (the services wrote the loading moment)."""
    for item in InstructionItem.objects.exclude(status=ItemStatus.OPEN).select_related("instruction"):
        moment = dt.datetime.combine(item.instruction.given_on + dt.timedelta(days=2), dt.time(17), tzinfo=TZ)
        item.answered_at = moment
        if item.closed_at:
            item.closed_at = moment + dt.timedelta(hours=1)
        item.save(update_fields=["answered_at", "closed_at"])
    from .models import Instruction

    for instruction in Instruction.objects.all():
        instruction.recorded_at = dt.datetime.combine(instruction.given_on, dt.time(18), tzinfo=TZ)
        if instruction.closed_at:
            instruction.closed_at = dt.datetime.combine(instruction.given_on + dt.timedelta(days=2), dt.time(18),
                                                        tzinfo=TZ)
        instruction.save(update_fields=["recorded_at", "closed_at"])
