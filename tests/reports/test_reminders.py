"""Reminders that climb the party line (三级联动), end to end: real SMTP server and robot
endpoints on 127.0.0.1 receive, at each stage, the right lists for the right people."""

import base64
import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.notify import services as notify
from fangkong.notify.models import Delivery, Message
from fangkong.orgs.choices import UnitKind as K
from fangkong.reports import services as reports
from fangkong.reports.reminders import escalation_parent, reminder_pass
from tests import factories as f
from tests.notify.servers import dingtalk_server, smtp_server, wecom_server  # noqa: F401 - fixtures

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2020, 2, 10)
SECRET = "SECzongzhi2020"


def at(day, hh, mm):
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


class Line:
    """The party line of 市民政局 plus the industry and territory lines, with who answers for what."""

    def __init__(self, city, wecom, dingtalk):
        pc = city.branch_a.parent.parent
        gb_a = city.branch_a.parent
        self.city, self.pc, self.gb_a = city, pc, gb_a
        self.branch_a = city.branch_a                                # missing all day
        self.branch_a2 = f.unit(K.BRANCH, gb_a, "市民政局第二党支部")  # reports late, 15:30
        self.branch_a3 = f.unit(K.BRANCH, gb_a, "市民政局第三党支部")  # missing all day
        self.gb_b = f.unit(K.GENERAL_BRANCH, pc, "市民政局第二党总支")
        self.branch_b1 = f.unit(K.BRANCH, self.gb_b, "市民政局第四党支部")  # reports on time
        self.industry2 = f.unit(K.INDUSTRY_UNIT, city.cb, "白岭市燃气公司")  # reports on time
        self.office = f.user("committee_office", city.root, username="office")
        self.inspector = f.user("inspection_group", city.committee, username="inspector")
        # Responsible people: accounts set on the unit itself, or the unit's designated liaison.
        self.secretary_a = f.user("branch_secretary", self.branch_a, username="secretary_a")
        self.secretary_gb = f.user("branch_secretary", gb_a, username="secretary_gb")
        self.secretary_pc = f.user("branch_secretary", pc, username="secretary_pc")
        liaison_person = f.person(city.cb, "周联络")
        city.cb.liaison = liaison_person
        city.cb.save()
        self.cb_liaison = f.user("unit_liaison", city.cb, username="cb_liaison")
        self.cb_liaison.scopes.all().delete()  # answers for the body as its liaison, not by scope
        self.cb_liaison.person = liaison_person
        self.cb_liaison.save()
        self.street_staff = f.user("community_staff", city.street, username="street_staff")
        # Channels per unit.
        ch = notify.channel_create
        ch(actor=self.office, unit=self.branch_a, kind="email", target="zhibu1@mca.example")
        ch(actor=self.office, unit=gb_a, kind="email", target="zongzhi1@mca.example, zongzhi1-deputy@mca.example")
        ch(actor=self.office, unit=gb_a, kind="wecom", target=f"{wecom.url}/cgi-bin/webhook/send?key=GB1")
        ch(actor=self.office, unit=pc, kind="email", target="dangwei@mca.example")
        ch(actor=self.office, unit=pc, kind="dingtalk", target=f"{dingtalk.url}/robot/send?access_token=PC",
           secret=SECRET, msg_format="markdown")
        ch(actor=self.office, unit=city.cb, kind="email", target="gongxin@miit.example")
        ch(actor=self.office, unit=city.committee, kind="email", target="gongwei@baishan.example")
        ch(actor=self.office, unit=city.street, kind="wecom", target=f"{wecom.url}/cgi-bin/webhook/send?key=ST",
           msg_format="text")
        fields = [{"key": "returnees_new", "label": "今日新增返程人员", "kind": "integer"}]
        self.branches = reports.template_create(
            actor=SYSTEM, code="branch-daily", name="支部日报", line="organs", unit_kinds=[K.BRANCH],
            start_date=DAY, deadline=dt.time(16, 0), fields=[dict(x) for x in fields])
        self.industry = reports.template_create(
            actor=SYSTEM, code="industry-daily", name="行业日报", line="industry", unit_kinds=[K.INDUSTRY_UNIT],
            start_date=DAY, deadline=dt.time(16, 0), fields=[dict(x) for x in fields])
        self.communities = reports.template_create(
            actor=SYSTEM, code="community-daily", name="社区日报", line="community", unit_kinds=[K.COMMUNITY],
            start_date=DAY, deadline=dt.time(16, 0), fields=[dict(x) for x in fields])
        submit = reports.report_submit
        submit(actor=SYSTEM, template=self.branches, unit=self.branch_b1, day=DAY, zero=True, at=at(DAY, 10, 0))
        submit(actor=SYSTEM, template=self.industry, unit=self.industry2, day=DAY, zero=True, at=at(DAY, 11, 0))
        submit(actor=SYSTEM, template=self.communities, unit=city.comm_2, day=DAY, zero=True, at=at(DAY, 9, 0))


@pytest.fixture
def line(city, wecom, dingtalk):
    return Line(city, wecom, dingtalk)


def mails_to(smtp, address):
    return [m for m in smtp.mails if address in m.rcpt_to]


def inbox(user):
    return list(Delivery.objects.filter(user=user, kind="inapp").select_related("message"))


def test_the_escalation_parent_follows_the_lines(city, line):
    assert escalation_parent(city.branch_a) == line.gb_a
    assert escalation_parent(line.gb_a) == line.pc
    assert escalation_parent(city.industry) == city.cb
    assert escalation_parent(city.comm_1) == city.street
    assert escalation_parent(city.root) is None


def test_the_three_stages_reach_the_right_people_with_the_right_lists(city, line, smtp, wecom, dingtalk):
    # 14:00: too early for anything.
    assert sum(reminder_pass(at=at(DAY, 14, 0)).values()) == 0

    # ---- Stage 1, 15:10 (60 minutes' lead): each unit still missing is reminded itself.
    sent = reminder_pass(at=at(DAY, 15, 10))
    assert sent["before"] == 5  # branches 1, 2, 3; the water company; 红旗社区 (not branch 4, 光明社区, gas)
    notify.deliver_due()
    [mail] = mails_to(smtp, "zhibu1@mca.example")
    assert mail.rcpt_to == ["zhibu1@mca.example"]
    assert mail.subject == "【日报提醒】请于16:00前报送2月10日《支部日报》"
    assert "市民政局第一党支部：贵单位2月10日《支部日报》尚未报送，截止时间16:00。" in mail.text
    assert "零报告" in mail.text
    [notice] = inbox(line.secretary_a)
    assert notice.message.subject == mail.subject
    assert not inbox(line.secretary_gb) and not inbox(line.secretary_pc)  # nothing climbs yet
    assert not wecom.posts and not dingtalk.posts
    # Running the pass again sends nothing twice.
    assert sum(reminder_pass(at=at(DAY, 15, 20)).values()) == 0
    notify.deliver_due()
    assert len(mails_to(smtp, "zhibu1@mca.example")) == 1

    # 15:30 the second branch reports (on time).
    reports.report_submit(actor=SYSTEM, template=line.branches, unit=line.branch_a2, day=DAY, zero=True,
                          at=at(DAY, 15, 30))

    # ---- Stage 2, 16:05, through the command: one level up receives its missing units.
    call_command("send_reminders", "--at", "2020-02-10T16:05", verbosity=0)
    [mail] = mails_to(smtp, "zongzhi1@mca.example")
    assert mail.rcpt_to == ["zongzhi1@mca.example", "zongzhi1-deputy@mca.example"]
    assert mail.subject == "【日报催报】2个单位未报送2月10日《支部日报》"
    assert "截至2月10日 16:00，您负责的下列单位尚未报送《支部日报》：" in mail.text
    assert "- 市民政局第一党支部\n- 市民政局第三党支部" in mail.text
    assert "第二党支部" not in mail.text and "第四党支部" not in mail.text
    [post] = [p for p in wecom.posts if p.query == {"key": "GB1"}]
    assert post.payload["msgtype"] == "markdown"
    assert post.payload["markdown"]["content"].startswith("### 【日报催报】2个单位未报送2月10日《支部日报》\n\n")
    assert "- 市民政局第一党支部\n- 市民政局第三党支部" in post.payload["markdown"]["content"]
    [notice] = inbox(line.secretary_gb)
    assert notice.message.kind == "escalation"
    assert sorted(u.name for u in notice.message.about_units.all()) == ["市民政局第一党支部", "市民政局第三党支部"]
    # The industry line: the coordinating body's liaison and its mailbox get the water company.
    [mail] = mails_to(smtp, "gongxin@miit.example")
    assert "- 白岭市自来水公司" in mail.text and "燃气公司" not in mail.text
    assert [n.message.subject for n in inbox(line.cb_liaison)] == ["【日报催报】1个单位未报送2月10日《行业日报》"]
    # The territory: the street's robot (plain text format) gets 红旗社区 and not 光明社区.
    [post] = [p for p in wecom.posts if p.query == {"key": "ST"}]
    assert post.payload == {"msgtype": "text", "text": {"content": (
        "【日报催报】1个单位未报送2月10日《社区日报》\n截至2月10日 16:00，您负责的下列单位尚未报送《社区日报》：\n"
        "- 红旗社区\n请督促其立即报送。")}}
    assert [n.message.kind for n in inbox(line.street_staff)] == ["escalation"]
    # The party committee hears nothing yet; a second pass sends nothing twice.
    assert not mails_to(smtp, "dangwei@mca.example") and not dingtalk.posts
    mails_before, posts_before = len(smtp.mails), len(wecom.posts)
    call_command("send_reminders", "--at", "2020-02-10T17:30", verbosity=0)
    assert (len(smtp.mails), len(wecom.posts)) == (mails_before, posts_before)

    # ---- Stage 3, next morning 09:30: two levels up receives the day's missing units, by branch.
    sent = reminder_pass(at=at(DAY + dt.timedelta(days=1), 9, 30))
    assert sent["next_day"] == 3 and sent["before"] == 0 and sent["deadline"] == 0
    notify.deliver_due()
    [mail] = mails_to(smtp, "dangwei@mca.example")
    assert mail.subject == "【日报漏报通报】2月10日《支部日报》有2个单位漏报"
    assert "下列单位2月10日全天未报送《支部日报》（漏报）：" in mail.text
    assert "- 市民政局第一党总支：市民政局第一党支部、市民政局第三党支部" in mail.text
    [post] = dingtalk.posts
    assert post.payload["msgtype"] == "markdown"
    assert post.payload["markdown"]["title"] == "【日报漏报通报】2月10日《支部日报》有2个单位漏报"
    assert "- 市民政局第一党总支：市民政局第一党支部、市民政局第三党支部" in post.payload["markdown"]["text"]
    ts = post.query["timestamp"]
    digest = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert post.query["sign"] == base64.b64encode(digest).decode()
    assert [n.message.kind for n in inbox(line.secretary_pc)] == ["escalation_next_day"]
    # The industry line climbs to the working committee.
    [mail] = mails_to(smtp, "gongwei@baishan.example")
    assert "- 市工信局：白岭市自来水公司" in mail.text
    # The committee office answers for the working committee; oversight roles are not reminded.
    # (and for the city, which hears of the communities through their street).
    notices = {n.message.unit: n.message for n in inbox(line.office)}
    assert set(notices) == {city.committee, city.root}
    assert "- 市工信局：白岭市自来水公司" in notices[city.committee].body
    assert "- 东兴街道：红旗社区" in notices[city.root].body
    assert not inbox(line.inspector)
    # Idempotent again.
    assert sum(reminder_pass(at=at(DAY + dt.timedelta(days=1), 10, 0)).values()) == 0
    assert Message.objects.filter(kind="escalation_next_day").count() == 3


def test_one_click_remind_from_the_board(city, line, smtp, as_user):
    client = as_user(line.office)
    data = {"template": line.branches.pk, "day": "2020-02-10", "units": [line.branch_a.pk, line.branch_b1.pk]}
    response = client.post("/notify/remind/", data, HTTP_REFERER="/reports/board/")
    assert response.status_code == 302 and response["Location"] == "/reports/board/"
    # branch_b1 already reported: only branch_a is reminded.
    assert list(Message.objects.values_list("unit__name", "kind")) == [("市民政局第一党支部", "manual")]
    notify.deliver_due()
    [mail] = mails_to(smtp, "zhibu1@mca.example")
    assert mail.subject == "【日报提醒】请尽快报送2月10日《支部日报》"
    assert "市民政局第一党支部：贵单位2月10日《支部日报》尚未报送（截止时间16:00）。提醒人：" in mail.text
    entry = AuditEntry.objects.get(object_type="notify.message")
    assert entry.actor == line.office and entry.action == "create"
    # A second click at once sends nothing again; HTMX gets a fragment to swap in.
    response = client.post("/notify/remind/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "未重复发送" in response.content.decode()
    assert Message.objects.count() == 1


def test_a_reminder_for_units_outside_the_scope_sends_nothing(city, line, as_user):
    client = as_user(line.secretary_gb)  # scope: 第一党总支 and below
    data = {"template": line.industry.pk, "day": "2020-02-10", "units": [line.branch_a.pk, city.industry.pk]}
    response = client.post("/notify/remind/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "部分单位不在您的管辖范围内，未发送任何提醒。" in response.content.decode()
    assert not Message.objects.exists() and not AuditEntry.objects.filter(object_type="notify.message").exists()
    # Garbage and empty requests are refused clearly too.
    assert "提醒请求不完整" in client.post("/notify/remind/", {"template": "x"}, HTTP_HX_REQUEST="true").content.decode()
    empty = client.post("/notify/remind/", {"template": line.branches.pk, "day": "2020-02-10"}, HTTP_HX_REQUEST="true")
    assert "请至少选择一个要提醒的单位" in empty.content.decode()
    future = dict(data, day="2099-01-01", units=[line.branch_a.pk])
    assert "不能为未来的日期发送提醒" in client.post("/notify/remind/", future, HTTP_HX_REQUEST="true").content.decode()
    # Roles without the permission are refused outright.
    checkpoint = f.user("checkpoint_staff", city.checkpoint_1)
    assert as_user(checkpoint).post("/notify/remind/", data).status_code == 403
    assert not Message.objects.exists()
