"""The audit log reads as Chinese sentences: who, did what, to which record, each changed field by
its label with its value before and after; masked values stay masked, secrets are never shown,
and no Python dict, model label or class name reaches the auditor."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.apps import apps
from django.utils import timezone

from fangkong.accounts.services import token_create, user_create, user_grant, user_set_active
from fangkong.audit.choices import Action
from fangkong.audit.models import AuditEntry
from fangkong.audit.registry import object_type
from fangkong.audit.rendering import render_entries
from fangkong.audit.services import audit_log
from fangkong.core.actors import SYSTEM
from fangkong.people import services as people
from fangkong.returnees import services as returnees

from . import factories as f

# What must never reach a reader: a dict's repr, a stored None, a model label, a raw action.
REPR = re.compile(r"\{'|': |\bNone\b|\bTrue\b|\bFalse\b")
ALLOWED_LATIN = {"API", "SHA", "IP"}


def sentence(entry: AuditEntry) -> str:
    return render_entries([entry])[0].sentence


def latin_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED_LATIN}


def class_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if m.__module__.startswith("fangkong.")}


def model_labels() -> set[str]:
    return {m._meta.label_lower for m in apps.get_models()}


def assert_reads_as_chinese(text: str) -> None:
    assert not REPR.search(text), text
    assert not (set(re.findall(r"[A-Za-z]+", text)) & class_names()), text
    assert not (set(re.findall(r"[a-z_]+\.[a-z_]+", text)) & model_labels()), text


@pytest.fixture
def office(city):
    user = f.user("committee_office", city.root, username="office1")
    user.full_name = "张敏"
    user.save()
    return user


def test_an_update_reads_who_what_which_record_and_each_field_before_and_after(city, office):
    returnee = returnees.register(actor=office, side="unit", name="李某某", id_number=f.id_number(), unit=city.dept_a,
                                  community=city.comm_1, category="outside", return_date=dt.date(2020, 2, 1))
    returnees.returnee_update(actor=office, returnee=returnee, return_date=dt.date(2020, 2, 3), category="other")
    entry = AuditEntry.objects.filter(action="update", object_type="returnees.returnee").latest("id")
    text = sentence(entry)
    local_time = timezone.localtime(entry.at)
    assert text.startswith(f"{local_time.year}年{local_time.month}月{local_time.day}日 {local_time:%H:%M} "), text
    assert "张敏（白岭市工委办公室）修改了 输入人员 李某某 的 " in text
    # Dates in Chinese, the year said once; choices by their label.
    assert "返回日期：2020年2月1日 → 2月3日" in text
    assert "人员类别：外地返回 → " in text and "other" not in text
    assert_reads_as_chinese(text)


def test_a_create_lists_what_was_entered_with_masks_kept(city, office):
    number, phone = f.id_number(), f.phone()
    people.person_create(actor=office, name="王五", id_number=number, phone=phone, unit=city.dept_a, is_cadre=True)
    text = sentence(AuditEntry.objects.get(action="create", object_repr="王五"))
    assert "新建了 人员 王五（" in text and "单位：市民政局" in text and "干部：是" in text
    assert number not in text and phone not in text
    assert f"身份证号码：{number[:6]}********{number[-4:]}" in text and f"手机号码：{phone[:3]}****{phone[-4:]}" in text
    assert_reads_as_chinese(text)


def test_masked_values_stay_masked_even_when_an_old_row_holds_them_in_clear(city, office):
    number, phone = f.id_number(), f.phone()
    entry = audit_log(actor=office, action=Action.UPDATE, object_type="returnees.returnee", object_id="9",
                      object_repr="旧记录", before={"id_number": number, "phone": phone},
                      after={"id_number": f.id_number(birth="19900101"), "phone": ""})
    text = sentence(entry)
    assert number not in text and phone not in text and "****" in text
    assert "（空）" in text


def test_booleans_read_yes_or_no_and_deleted_references_say_so(city, office):
    person = people.person_create(actor=office, name="赵六", id_number=f.id_number(), unit=city.dept_a)
    people.person_update(actor=office, person=person, is_cadre=True, unit=city.dept_b)
    text = sentence(AuditEntry.objects.filter(action="update", object_repr="赵六").latest("id"))
    assert "干部：否 → 是" in text and "单位：市民政局 → 市教育局" in text
    entry = audit_log(actor=office, action=Action.UPDATE, object_type="people.person", object_id=str(person.pk),
                      object_repr="赵六", before={"unit": 999999}, after={"unit": city.dept_a.pk})
    assert "单位：编号999999（已删除） → 市民政局" in sentence(entry)


def test_role_scope_activation_and_token_changes_read_by_label(city):
    sec = f.user("security_admin", city.root, username="sec1")
    admin = f.user("system_admin", city.root, username="sysadmin1")
    user = user_create(actor=admin, username="liaison9", full_name="孙七", password=f.PASSWORD)
    user_grant(actor=sec, user=user, role="unit_liaison", units=[city.dept_a])
    user_set_active(actor=admin, user=user, active=False)
    other = f.user("unit_liaison", city.dept_a, username="liaison8")
    token_create(user=other, actor=other, name="脚本")
    lines = {e.action: sentence(e) for e in AuditEntry.objects.filter(object_type__startswith="accounts.")}
    assert "的 角色：（空） → 单位联络员" in lines["role_changed"]
    assert "管辖范围：（空） → 市民政局" in lines["scope_changed"]
    assert "账号启用改为 否" in lines["update"]
    assert "新建了 API令牌" in lines["token_created"] and "到期时间：" in lines["token_created"]
    for text in lines.values():
        assert_reads_as_chinese(text)


def test_security_events_read_as_sentences(city, client):
    f.user("unit_liaison", city.dept_a, username="liaison1")
    client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    client.post("/accounts/login/", {"username": "liaison1", "password": "Wrong-Pass-1"})
    client.post("/accounts/login/", {"username": "liaison1", "password": f.PASSWORD})
    texts = [sentence(e) for e in AuditEntry.objects.order_by("id")]
    assert any("有人以用户名“nobody”登录失败（无此用户名的账号）" in t for t in texts), texts
    assert any("登录失败（连续第1次失败）" in t for t in texts), texts
    assert any(t.endswith("登录了系统") for t in texts), texts
    locked = audit_log(actor=None, action=Action.LOCKED, object_repr="nobody",
                       detail=timezone.now().isoformat())
    assert "有人以用户名“nobody”的账号因连续登录失败被锁定（锁定至" in sentence(locked)


def test_an_export_reads_its_row_count_masking_and_filter_by_label(city, office, as_user):
    as_user(office).get(f"/returnees/export/?category=outside&community={city.comm_1.pk}")
    text = sentence(AuditEntry.objects.get(action="export"))
    assert "导出了 输入人员清单（共0行；身份证号、手机号为明文；筛选条件：" in text, text
    assert "红旗社区" in text and "外地返回" in text
    assert_reads_as_chinese(text)


def test_a_reveal_says_what_was_viewed_never_the_value(city, office, as_user):
    number = f.id_number()
    person = people.person_create(actor=office, name="周八", id_number=number, unit=city.dept_a)
    response = as_user(office).post(f"/people/{person.pk}/reveal/id_number/")
    assert response.status_code == 200
    text = sentence(AuditEntry.objects.get(action="reveal"))
    assert "查看了 人员 周八 的完整身份证号" in text and number not in text


# Entries as each call site writes them (fields the platform stores), read back as sentences.
CALL_SITES = [
    ("demo", dict(action="create", object_type="demo", object_repr="演示数据：白岭市",
                  detail="units=1032 people=1694 users=11"), "载入了 演示数据 白岭市（单位：1032；人员：1694；账号：11）"),
    ("template", dict(action="create", object_type="reports.reporttemplate", object_repr="市直机关每日情况报告",
                      detail="organs v1"), "新建了 报告模板 市直机关每日情况报告（条线：市直机关部门；第1版）"),
    ("cadres report", dict(action="export", object_type="deployment.report",
                           detail="关于千名干部下社区的情况报告 as_of=2020-02-25 rows=12"),
     "导出了 千名干部下社区情况报告（截至2020年2月25日；共12行）"),
    ("ledger import", dict(action="create", object_type="returnees.ledgerimport", object_repr="台账.xlsx (已提交)",
                           detail="ledger import side=unit sha256=0123456789abcdef0123 rows=5 created=3 updated=1 "
                                  "unchanged=1"),
     "导入了 台账文件 台账.xlsx (已提交)（报送方：单位报送；文件指纹 0123456789ab…；共5行；新增：3；更新：1；未变：1）"),
    ("secondment import", dict(action="create", object_type="deployment.secondmentimport", object_repr="名单.xlsx",
                               detail="secondment import sha256=abcdefabcdefabcdef rows=4 new_people=2"),
     "导入了 下沉名单文件 名单.xlsx（文件指纹 abcdefabcdef…；共4行；新增人员：2）"),
    ("command export", dict(action="export", object_type="people.person",
                            detail="rows=7 clear=False filter=q=%E5%BC%A0 via=command"),
     "导出了 人员清单（共7行；身份证号、手机号已脱敏；筛选条件：查询：张；在服务器控制台操作）"),
    ("rate limit", dict(action="rate_limited", object_type="passes.pass",
                        detail="pass lookups by number: 30 a minute"),
     "查询 通行证 过于频繁，被暂时限制（每分钟最多30次）"),
    ("key rotation", dict(action="update", object_type="people.person",
                          detail="field key rotated to K2: rows=10 before={'K1': 8, '': 2}"),
     "字段加密密钥轮换为 K2；共10行；轮换前："),
    ("renumbered", dict(action="update", object_type="passes.pass", object_repr="A1B2-C3D4",
                        before={"number": "S-0001"}, after={"number": "A1B2-C3D4"}, detail="pass renumbered (migration)"),
     "修改了 通行证 A1B2-C3D4 的 证件编号：S-0001 → A1B2-C3D4（证件编号改为随机编号时重新编号）"),
    ("token page", dict(action="login_failed", object_type="accounts.user", object_repr="liaison1",
                        detail="token page: wrong password"), "登录失败（在 API 令牌页面输入的密码错误）"),
    ("channel", dict(action="create", object_type="notify.channel", object_repr="市民政局 · 企业微信",
                     after={"kind": "wecom", "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY",
                            "secret": "SECSECRET", "is_active": True}),
     "新建了 通知渠道 市民政局 · 企业微信（渠道：企业微信群机器人；邮箱地址或 webhook 地址：qyapi.weixin.qq.com/…；有效：是）"),
]


@pytest.mark.parametrize("site, stored, expected", CALL_SITES, ids=[c[0] for c in CALL_SITES])
def test_each_call_site_reads_as_a_sentence(city, site, stored, expected):
    entry = audit_log(actor=SYSTEM, **stored)
    text = sentence(entry)
    assert expected in text, text
    assert "SECRETKEY" not in text and "SECSECRET" not in text
    assert_reads_as_chinese(text)
    assert text.split(" ", 2)[2].startswith("系统" if site != "token page" else "有人以用户名“liaison1”")


def test_every_type_the_platform_writes_is_registered_with_a_chinese_noun(city, office):
    """The types written by the fixture's services and by the call sites above all have a noun."""
    for key in {e.object_type for e in AuditEntry.objects.all()} | {c[1]["object_type"] for c in CALL_SITES}:
        kind = object_type(key)
        assert kind.listed and re.search(r"[\u4e00-\u9fff]", kind.noun), key


def test_long_change_lists_fold_and_the_page_shows_no_python(city, office, as_user):
    returnee = returnees.register(actor=office, side="unit", name="长列表", id_number=f.id_number(), unit=city.dept_a,
                                  community=city.comm_1, category="outside", return_date=dt.date(2020, 2, 1))
    returnees.returnee_update(actor=office, returnee=returnee, return_date=dt.date(2020, 2, 3), category="other",
                              origin_text="长春市", transport="火车", address="江北路1号", notes="已核实")
    audit_log(actor=SYSTEM, action=Action.CREATE, object_type="demo", object_repr="演示数据：白岭市",
              detail="units=1 people=2 users=3")
    page = as_user(f.user("auditor", city.root)).get("/audit/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "修改了 输入人员 长列表 的 " in html and 'aria-expanded="false" data-toggle-text="收起"' in html
    assert "展开其余" in html and 'class="fold"' in html
    main = html[html.index("<main"):]
    assert "style=" not in main
    shown = re.sub(r"<[^>]+>", " ", main).replace("&#x27;", "'")
    for fragment in ("{'", "': ", "None", "returnees.returnee", "people.person", "Returnee", "AuditEntry"):
        assert fragment not in shown, fragment
    assert_reads_as_chinese(shown)


def test_filters_offer_chinese_labels_all_and_a_date_range(city, office, as_user):
    people.person_create(actor=office, name="筛选", id_number=f.id_number(), unit=city.dept_a)
    auditor = as_user(f.user("auditor", city.root))
    html = auditor.get("/audit/").content.decode()
    assert '<option value="" selected>全部</option>' in html
    assert '<option value="people.person">人员</option>' in html and '<option value="create">新增</option>' in html
    assert "---------" not in html
    today = timezone.localdate()
    in_range = auditor.get(f"/audit/?object_type=people.person&since={today}&until={today}").content.decode()
    assert "新建了 人员 筛选" in in_range
    before = auditor.get(f"/audit/?object_type=people.person&until={today - dt.timedelta(days=1)}").content.decode()
    assert "新建了 人员 筛选" not in before
    backwards = auditor.get(f"/audit/?since={today}&until={today - dt.timedelta(days=1)}").content.decode()
    assert "起始日期晚于截止日期。" in backwards
    by_name = auditor.get("/audit/?actor=张").content.decode()
    assert "新建了 人员 筛选" in by_name


def test_the_export_carries_the_sentences(city, office, as_user):
    people.person_create(actor=office, name="导出", id_number=f.id_number(), unit=city.dept_a)
    rows = AuditEntry.objects.filter(object_type="people.person").count()
    for role in ("committee_office", "security_admin", "system_admin"):
        assert as_user(f.user(role, city.root)).get("/audit/export/").status_code == 403
    response = as_user(f.user("auditor", city.root)).get("/audit/export/?object_type=people.person")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "记录内容" in sheet and "张敏（白岭市工委办公室）新建了 人员 导出（" in sheet
    # The export is itself in the log, as a sentence.
    assert f"导出了 审计记录清单（共{rows}行" in sentence(AuditEntry.objects.get(action="export"))


def stored_by_services(city, office):
    """Entries shaped as each service's audit_change/audit_log writes them, pointing at real records."""
    from fangkong.reports.models import ReportField  # noqa: F401  (the report's answers name its fields)

    t1, t2 = "2020-02-05T01:30:00+00:00", "2020-02-29T15:59:59+00:00"
    return [
        ("person deleted", dict(action="delete", object_type="people.person", object_id="77", object_repr="王博",
                                before={"id": 77, "name": "王博", "id_masked": "220602********1234", "unit": city.dept_b.pk,
                                        "is_cadre": True, "photo": "", "name_initials": "wb"}),
         "删除了 人员 王博（姓名：王博；身份证号码：220602********1234；单位：市教育局；干部：是）"),
        ("unit created", dict(action="create", object_type="orgs.unit", object_id="900", object_repr="新风社区",
                              after={"code": "S1-C9", "name": "新风社区", "kind": "community", "parent": city.street.pk,
                                     "level": 3, "opened_on": "2020-02-01"}),
         "新建了 单位 新风社区（编码：S1-C9；名称：新风社区；类型：社区；上级单位：东兴街道；设立日期：2020年2月1日）"),
        ("pairing", dict(action="create", object_type="orgs.pairing", object_id="5", object_repr="市民政局 ⇄ 红旗社区",
                         after={"department": city.dept_a.pk, "community": city.comm_1.pk, "since": "2020-02-01"}),
         "新建了 包保关系 市民政局 ⇄ 红旗社区（部门：市民政局；社区：红旗社区；始于：2020年2月1日）"),
        ("pass issued", dict(action="create", object_type="passes.pass", object_id="3", object_repr="K7QX-M2PA 李爱丽",
                             after={"number": "K7QX-M2PA", "kind": "staff", "person": city.alice.pk, "unit": city.dept_a.pk,
                                    "purpose": "下沉社区", "valid_from": t1, "valid_until": t2, "status": "issued",
                                    "key": 1, "token": "eyJTOKEN", "issued_by": office.pk}),
         "新建了 通行证 K7QX-M2PA 李爱丽（证件编号：K7QX-M2PA；类型：出入证；持证人：李爱丽；单位：市民政局；事由：下沉社区；"
         "生效时间：2020年2月5日 09:30；失效时间：2020年2月29日 23:59；状态：已签发；签发人：张敏）"),
        ("pass revoked", dict(action="update", object_type="passes.pass", object_id="3", object_repr="K7QX-M2PA 李爱丽",
                              before={"status": "issued", "status_reason": ""},
                              after={"status": "revoked", "status_reason": "遗失"}),
         "修改了 通行证 K7QX-M2PA 李爱丽 的 状态：已签发 → 已吊销；原因：（空） → 遗失"),
        ("pass lookup", dict(action="pass_lookup", object_type="passes.pass", object_id="3", object_repr="K7QX-M2PA",
                             detail=f"{city.checkpoint_1.code} expired"),
         "按编号查验了 通行证 K7QX-M2PA（查验地点：江北路卡点；结果：已过期）"),
        ("token revoked", dict(action="token_revoked", object_type="accounts.apitoken", object_id="4",
                               object_repr="fk_ab12cd34… (张敏)", after={"prefix": "fk_ab12cd34", "reason": "admin"}),
         "吊销了 API令牌 fk_ab12cd34… (张敏)（前缀：fk_ab12cd34；吊销原因："),
        ("unlocked", dict(action="unlocked", object_type="accounts.user", object_id=str(office.pk), object_repr="张敏"),
         "解锁了 用户 张敏"),
        ("otp", dict(action="otp_enrolled", object_type="accounts.user", object_id="1", object_repr="张敏"),
         "绑定了两步验证（动态口令）"),
        ("follow-up", dict(action="create", object_type="returnees.followup", object_id="8", object_repr="1 2020-02-05",
                           after={"order": 1, "day": "2020-02-05", "temperature": "36.5", "symptoms": "", "at_home": True,
                                  "checked_by": office.pk, "checked_at": t1}),
         "登记了 随访 "),
        ("message", dict(action="create", object_type="notify.message", object_id="6", object_repr="请于17:00前报送日报告",
                         after={"unit": city.dept_a.pk, "kind": "reminder", "key": "reminder:2020-02-25:1",
                                "subject": "请于17:00前报送日报告", "body": "今日日报告尚未报送。"}),
         "发送了 消息 请于17:00前报送日报告（发送对象：市民政局；类型："),
        ("secondment", dict(action="create", object_type="deployment.secondment", object_id="2",
                            object_repr="李爱丽 → 红旗社区",
                            after={"person": city.alice.pk, "department": city.dept_a.pk, "unit": city.comm_1.pk,
                                   "role": "member", "starts_on": "2020-02-01", "ends_on": None, "duties": "",
                                   "source_import": None}),
         "新建了 下沉记录 李爱丽 → 红旗社区（干部：李爱丽；派出单位：市民政局；下沉地点：红旗社区；角色："),
        ("assignment removed", dict(action="delete", object_type="deployment.assignment", object_id="9",
                                    object_repr="李爱丽 @ 江北路卡点 2020-02-25 08:00",
                                    before={"shift": 1, "person": city.alice.pk, "checkpoint": city.checkpoint_1.pk,
                                            "starts_at": t1, "ends_at": t2, "assigned_by": office.pk}),
         "删除了 排班 李爱丽（江北路卡点）（班次：编号1（已删除）；干部：李爱丽；卡点：江北路卡点；开始时间：2020年2月5日 09:30"),
        ("report", dict(action="create", object_type="reports.report", object_id="12", object_repr="3 2020-02-25",
                        after={"template": 1, "unit": city.dept_a.pk, "day": "2020-02-25", "version": 1,
                               "is_zero": True, "values": {}, "received_at": t1, "on_time": True,
                               "submitted_by": office.pk}),
         "报送了 日报告 市民政局 2020年2月25日（报告模板：编号1（已删除）；单位：市民政局；日期：2020年2月25日；零报告：是；"),
        ("flag reviewed", dict(action="update", object_type="reports.concealmentflag", object_id="4",
                               object_repr=f"{city.dept_b.pk} 2020-02-03 zero_contradicted",
                               before={"status": "open", "review_reason": ""},
                               after={"status": "confirmed", "review_reason": "电话核实"}),
         "修改了 瞒报线索 市教育局 2020年2月3日 的 状态：待核查 → 已认定"),
        ("delivery retried", dict(action="update", object_type="notify.delivery", object_id="4", object_repr="6/email/failed",
                                  before={"status": "failed", "attempts": 3}, after={"status": "pending", "attempts": 0}),
         "修改了 投递记录 编号6（已删除） · 电子邮箱 的 状态：失败 → 待发送；尝试次数：3 → 0"),
    ]


def test_every_service_shaped_entry_reads_as_a_sentence(city, office):
    for site, stored, expected in stored_by_services(city, office):
        entry = audit_log(actor=office, **stored)
        text = sentence(entry)
        assert expected in text, (site, text)
        assert "eyJTOKEN" not in text and "reminder:" not in text, text
        assert_reads_as_chinese(text)


def test_a_password_change_of_ones_own_account_reads_so(city, office):
    entry = audit_log(actor=office, action=Action.PASSWORD_CHANGED, object_type="accounts.user",
                      object_id=str(office.pk), object_repr="张敏")
    assert sentence(entry).endswith("张敏（白岭市工委办公室）修改了自己的密码")
