"""One msgid (with its msgctxt) means one thing across every Simplified Chinese catalogue.

Django merges the project catalogue and every app's own into one: for a msgid present in several,
the project catalogue wins, then the app listed first in INSTALLED_APPS.  A later app's translation
of a short, generic msgid ("Open", "Channel", "Number") is then silently replaced by another app's,
and its page shows a wrong word.  Such a string gets its own meaning instead: a more specific msgid,
or pgettext/pgettext_lazy (``{% translate "Open" context "problem status" %}``) with a ``msgctxt``
entry in the app's .po.

ALLOWED lists the clashes that remain because the translations are synonyms: whichever wins reads
correctly on every page that uses the msgid.  Each entry names every translation allowed, so a new
catalogue bringing yet another wording fails too.  Only add a pure synonym here; when the meaning
differs, give the string a context.
"""

import collections
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_messages", ROOT / "scripts" / "check_messages.py")
check_messages = importlib.util.module_from_spec(spec)
sys.modules.setdefault("check_messages", check_messages)
spec.loader.exec_module(check_messages)

# (msgctxt, msgid) -> every translation allowed across the catalogues.  msgctxt "" = no context.
ALLOWED: dict[tuple[str, str], set[str]] = {
    # Wording variants of the same sentence or label.
    ("", "Your role may not do this."): {"您的角色无权执行此操作。", "您的角色无权进行此操作。", "您的角色不能执行此操作。",
                                         "您的角色不能进行此操作。"},
    ("", "Until"): {"截止日期", "截至"},
    ("", "Not signed for at the end of"): {"截至当日未签收", "截至该日未签收"},
    ("", "Import a list"): {"导入名单", "导入清单"},
    ("", "Approve"): {"批准", "通过"},
    ("", "This unit is outside your scope."): {"该单位不在您的管辖范围内。", "此单位不在您的管辖范围内。"},
    ("", "This checkpoint is outside your scope."): {"该卡点不在您的管理范围内。", "此卡点不在您的管辖范围内。"},
    ("", "The preview is clean: %(rows)s row can be written."): {"预检无误：可写入%(rows)s行。",
                                                                 "预览无问题：可以写入%(rows)s行。"},
    ("", "Write each column as header=field, not %(line)s."): {"每一列请写成“表头=字段”，而不是 %(line)s。",
                                                               "每列应写成“表头=字段”，而不是 %(line)s。"},
    ("", "Give the reason for the decision."): {"请填写裁定理由。", "请填写核查理由。"},
    ("", "Record the decision"): {"提交裁定", "提交核查结论"},
    ("", "Decision"): {"裁定结果", "审核意见", "核查结论"},
    ("", "Export xlsx"): {"导出 xlsx", "导出xlsx"},
    ("", "Not allowed"): {"无权访问", "无权操作"},
    # Generic labels: 类型/类别, 编码/代码, 查询/搜索, 查看/显示, 增加/新增/添加 ...
    ("", "Kind"): {"类型", "类别"},
    ("", "kind"): {"类型", "类别"},
    ("", "code"): {"编码", "代码"},
    ("", "key"): {"键", "字段标识"},
    ("", "Search"): {"查询", "搜索"},
    ("", "Show"): {"查看", "显示"},
    ("", "Add"): {"增加", "新增", "添加"},
    ("", "Record"): {"记录", "填报"},
    ("", "Register"): {"登记", "公文登记"},
    ("", "Overview"): {"概况", "总览", "概览"},
    ("", "Note"): {"说明", "备注"},
    ("", "Reason"): {"原因", "理由"},
    ("", "Outcome"): {"结果", "处理结果"},
    ("", "State"): {"状态", "情况"},
    ("", "Text"): {"文字", "正文"},
    ("", "Message"): {"消息", "信息"},
    ("", "Problems"): {"问题", "问题线索"},
    ("", "Communities"): {"社区", "社区数"},  # a column of community counts: both read correctly
    ("", "people"): {"人员", "人"},  # unit of a command figure
    ("", "scope"): {"管辖范围", "范围"},
    ("", "order"): {"排序", "顺序"},
    ("", "Line"): {"调度线", "条线"},
    ("", "as of"): {"截至", "统计时点"},
    ("", "Versions"): {"版本", "历次版本"},
    ("", "revision"): {"版本号", "版本"},
    # Contact details.
    ("", "Email"): {"电子邮箱", "电子邮件"},
    ("", "Phone"): {"手机号码", "电话"},
    ("", "Address"): {"地址", "住址"},
    ("", "address"): {"地址", "住址"},
    ("", "ID number"): {"身份证号码", "身份证号"},
    ("", "party branch"): {"所在党支部", "党支部"},
    ("", "Unit (with units below)"): {"单位（含下级单位）", "单位（含下级）"},
    # States and flags.
    ("", "active"): {"有效", "启用"},
    ("", "inactive"): {"已停用", "未启用"},
    ("", "Rejected"): {"已拒绝", "已拒收"},
    ("", "Answered"): {"已说明", "已答复"},
    ("", "Overdue"): {"逾期", "已超时", "已逾期"},
    ("", "Overdue on"): {"超期（日期）", "逾期日期"},
    ("", "On time"): {"按时报送", "未超时", "按时"},
    ("", "Checked in"): {"签到", "已签到"},
    ("", "Verify"): {"验证", "核验"},
    ("", "Review"): {"审核", "核查"},
    ("", "Assign"): {"安排", "指派"},
    ("", "Issue"): {"签发", "印发"},
    # Dates, deadlines and who did what.
    ("", "From"): {"起始日期", "起"},
    ("", "Deadline"): {"截止时间", "期限"},
    ("", "deadline"): {"截止时间", "期限"},
    ("", "Issued on"): {"印发日期", "发布日期"},
    ("", "issued on"): {"印发日期", "发布日期"},
    ("", "issued by"): {"签发人", "印发人"},
    ("", "changed at"): {"调整时间", "修改时间"},
    ("", "reviewed at"): {"核查时间", "审核时间"},
    ("", "Received at"): {"收到时间", "报送时间"},
    ("", "recorded at"): {"登记时间", "填报时间"},
    ("", "submitted at"): {"回复时间", "填报时间"},  # a community's feedback: its reply to the supervision
    ("", "submitted by"): {"报送人", "填报人"},
    ("", "reported by"): {"报送方", "报告人"},
    ("", "answered by"): {"说明人", "答复人"},
    ("", "Registered by"): {"登记方", "登记单位"},
    ("", "Addressed to"): {"发送对象", "致"},
    ("", "addressed to"): {"发送对象", "致"},
    ("", "Team leader"): {"带队", "调查组组长"},
    # Domain terms with two current names.
    ("", "Passes"): {"通行证", "出入证与通行证"},
    ("", "Staff and vehicle passes"): {"出入证/车辆通行证", "出入证与车辆通行证"},
    ("", "Checkpoint check"): {"卡点查验", "卡点核验"},
    ("", "Daily reports"): {"日报告/零报告", "日报告"},
    ("", "No-shows today"): {"今日缺岗", "今日未到岗"},
    ("", "Concealment suspects"): {"瞒报嫌疑", "疑似瞒报"},
    ("", "Concealment flags to review"): {"待核查瞒报线索", "待审核的疑似瞒报"},
    ("", "concealment flag"): {"瞒报线索", "瞒报提示"},
    ("", "evidence"): {"证据", "证据材料"},
}


def translations() -> dict[tuple[str, str], dict[str, str]]:
    """(msgctxt, msgid) -> {catalogue: translation} over the project catalogue and every app's."""
    found: dict[tuple[str, str], dict[str, str]] = collections.defaultdict(dict)
    for po in check_messages.catalogues():
        name = "project" if po == check_messages.DEFAULT_PO else po.parts[-5]
        for entry in check_messages.parse_po(po):
            if entry.msgid and "fuzzy" not in entry.flags:
                found[(entry.msgctxt or "", entry.msgid)][name] = entry.msgstr.get(0, "")
    return found


def clashes() -> dict[tuple[str, str], dict[str, str]]:
    return {key: by_app for key, by_app in translations().items() if len(set(by_app.values())) > 1}


def test_a_msgid_has_one_meaning_across_catalogues():
    wrong = {
        key: by_app for key, by_app in clashes().items()
        if key not in ALLOWED or not set(by_app.values()) <= ALLOWED[key]
    }
    assert wrong == {}, (
        "msgids translated differently in different catalogues (the project catalogue, then the "
        "first app in INSTALLED_APPS wins): give the string its own msgid or a msgctxt, or, only "
        "for a pure synonym, add it to ALLOWED"
    )


def test_the_allow_list_holds_only_live_clashes():
    assert sorted(set(ALLOWED) - set(clashes())) == []


def test_the_clashes_named_in_the_issue_each_keep_their_own_meaning():
    found = translations()
    assert set(found[("", "Publicity")].values()) == {"宣传引导"}  # the menu entry
    assert set(found[("feedback item", "Publicity")].values()) == {"防疫宣传"}
    assert set(found[("service channel", "Channel")].values()) == {"办理渠道"}
    assert set(found[("", "Channel")].values()) == {"渠道"}
    assert set(found[("", "Closed")].values()) == {"已办结"}
    assert set(found[("pledge", "Signed")].values()) == {"已签署"}
    assert set(found[("", "Classification")].values()) == {"密级"}
    assert set(found[("problem", "Classification")].values()) == {"问题类别"}
    assert set(found[("problem status", "Open")].values()) == {"待处理"}
    assert set(found[("help status", "Open")].values()) == {"待办理"}
