"""Every board and list a leader reads has an xlsx export holding exactly the rows the page
shows, for roles of different scope (nothing outside the scope), and each export is audited."""

import datetime as dt
import html as htmllib
import io
import re

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangkong.audit.models import AuditEntry
from fangkong.core.actors import SYSTEM
from fangkong.deployment import services as deployment
from fangkong.orgs.choices import UnitKind as K
from fangkong.reports.choices import FieldKind, ReportLine
from fangkong.reports.services import report_submit, template_create
from fangkong.returnees import services as ledger
from tests import factories as f

TZ = timezone.get_current_timezone()
TODAY = timezone.localdate()


def sheet(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    return rows[0], rows[1:]


def _text(cell_html):
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", cell_html)).split()


def page_column(body, table_id, column=0, first_word=True):
    """The text of one column of a table's body rows, as the page shows it."""
    table = body.split(f'id="{table_id}"')[1].split("</table>")[0]
    tbody = table.split("<tbody>")[1]
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if len(cells) <= column or 'colspan' in row:
            continue
        words = _text(cells[column])
        out.append(words[0] if first_word else " ".join(words))
    return out


def audited(user, object_type):
    return AuditEntry.objects.filter(actor=user, action="export", object_type=object_type).count()


def number(value):
    return int(float(value))


# ---- the daily-report board and trends ------------------------------------------------------


@pytest.fixture
def template(city):
    return template_create(
        actor=SYSTEM, code="organs", name="机关日报", line=ReportLine.ORGANS,
        unit_kinds=[K.DEPARTMENT, K.INDUSTRY_UNIT], start_date=TODAY - dt.timedelta(days=4),
        deadline=dt.time(23, 59),
        fields=[{"key": "returnees_new", "label": "今日新增返程人员", "kind": FieldKind.INTEGER}],
    )


@pytest.fixture
def reported(city, template):
    report_submit(actor=SYSTEM, template=template, unit=city.dept_a, day=TODAY, zero=True)
    report_submit(actor=SYSTEM, template=template, unit=city.dept_b, day=TODAY, values={"returnees_new": "2"})
    return template


def test_the_board_export_holds_the_units_the_board_shows(city, reported, as_user):
    office = f.user("committee_office", city.root)
    liaison = f.user("unit_liaison", city.dept_a)
    seen = {}
    for user in (office, liaison):
        client = as_user(user)
        body = client.get("/reports/", {"template": reported.pk}).content.decode()
        assert 'id="board-export"' in body
        shown = page_column(body, "unit-states")
        headers, rows = sheet(client.get("/reports/export/", {"template": reported.pk}))
        assert headers[:2] == ["单位", "状态"]
        assert [r[0] for r in rows] == shown
        assert [r[1] for r in rows] == page_column(body, "unit-states", 1)
        assert audited(user, "reports.board") == 1
        seen[user.role] = shown
    assert set(seen["committee_office"]) == {"市民政局", "市教育局", "白岭市自来水公司"}
    assert seen["unit_liaison"] == ["市民政局"]


def test_the_trends_export_holds_the_days_the_trends_show(city, reported, as_user):
    office = f.user("committee_office", city.root)
    liaison = f.user("unit_liaison", city.dept_a)
    expected = {}
    for user in (office, liaison):
        client = as_user(user)
        query = {"template": reported.pk, "from": (TODAY - dt.timedelta(days=2)).isoformat(), "to": TODAY.isoformat()}
        body = client.get("/reports/trends/", query).content.decode()
        assert 'id="trends-export"' in body
        headers, rows = sheet(client.get("/reports/trends/export/", query))
        assert headers[:3] == ["日期", "应报", "已报送"] and headers[-1] == "今日新增返程人员"
        assert [str(r[0]) for r in rows] == page_column(body, "trend-table")
        for column in (1, 2, 3, 6):
            assert [number(r[column]) for r in rows] == [int(v) for v in page_column(body, "trend-table", column)]
        assert audited(user, "reports.trends") == 1
        expected[user.role] = [number(r[1]) for r in rows]
    assert expected["committee_office"] == [3, 3, 3] and expected["unit_liaison"] == [1, 1, 1]


def test_a_checkpoint_may_not_export_the_board(city, reported, as_user):
    client = as_user(f.user("checkpoint_staff", city.checkpoint_1))
    assert client.get("/reports/export/", {"template": reported.pk}).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


# ---- dual-report reconciliation and follow-ups -------------------------------------------------


def register(city, actor=SYSTEM, side="unit", **extra):
    data = {"name": "刘返乡", "id_number": f.id_number(), "phone": "13900001111", "unit": city.dept_a,
            "community": city.comm_1, "category": "outside", "return_date": TODAY - dt.timedelta(days=3),
            "origin_text": "湖北省武汉市"}
    data.update(extra)
    return ledger.register(actor=actor, side=side, **data)


def test_the_reconciliation_export_holds_the_people_missing_a_side(city, as_user):
    on = dt.datetime(2020, 2, 5, 10, tzinfo=TZ)
    register(city, name="甲单位", registered_at=on)
    register(city, name="乙外单位", unit=city.dept_b, community=city.comm_2, registered_at=on)
    register(city, side="community", name="丙社区", unit=city.dept_a, registered_at=on + dt.timedelta(hours=1))
    office = f.user("committee_office", city.root)
    liaison = f.user("unit_liaison", city.dept_a)
    seen = {}
    for user in (office, liaison):
        client = as_user(user)
        body = client.get("/returnees/reconciliation/", {"date": "2020-02-06"}).content.decode()
        assert 'id="reconciliation-export"' in body
        shown = page_column(body, "missing")
        headers, rows = sheet(client.get("/returnees/reconciliation/export/", {"date": "2020-02-06"}))
        assert headers[:3] == ["姓名", "身份证号码", "缺少"]
        assert [r[0] for r in rows] == shown
        assert all("*" in r[1] for r in rows)  # ID numbers masked, as on the page
        assert audited(user, "returnees.reconciliation") == 1
        seen[user.role] = shown
    assert seen["committee_office"] == ["甲单位", "乙外单位", "丙社区"]
    assert seen["unit_liaison"] == ["甲单位", "丙社区"]


def test_the_follow_up_export_holds_the_days_list(city, as_user):
    register(city, name="刘返乡")
    register(city, name="陈归来", unit=city.industry)
    register(city, name="周外社", unit=city.dept_b, community=city.comm_2)
    office = f.user("committee_office", city.root)
    staff = f.user("community_staff", city.comm_1)
    seen = {}
    for user in (office, staff):
        client = as_user(user)
        body = client.get("/returnees/follow-ups/").content.decode()
        assert 'id="followup-export"' in body
        shown = page_column(body, "followup-table")
        headers, rows = sheet(client.get("/returnees/follow-ups/export/"))
        assert headers[:3] == ["姓名", "手机号码", "状态"]
        assert [r[0] for r in rows] == shown
        assert all("*" in r[1] for r in rows)
        assert audited(user, "returnees.followups") == 1
        seen[user.role] = sorted(shown)
    assert seen["committee_office"] == sorted(["刘返乡", "陈归来", "周外社"])
    assert seen["community_staff"] == sorted(["刘返乡", "陈归来"])


# ---- no-shows ---------------------------------------------------------------------------------


def test_the_no_show_export_holds_the_no_shows(city, as_user):
    checkpoint_2 = f.unit(K.CHECKPOINT, city.comm_2, "光明路卡点")
    day = dt.date(2020, 2, 15)
    deployment.secondment_create(actor=SYSTEM, person=city.alice, department=city.dept_a, unit=city.comm_1,
                                 starts_on=dt.date(2020, 2, 1))
    deployment.secondment_create(actor=SYSTEM, person=city.bob, department=city.dept_b, unit=city.street,
                                 starts_on=dt.date(2020, 2, 1))
    s1 = deployment.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1,
                                 starts_at=dt.datetime.combine(day, dt.time(8), tzinfo=TZ),
                                 ends_at=dt.datetime.combine(day, dt.time(16), tzinfo=TZ))
    s2 = deployment.shift_create(actor=SYSTEM, checkpoint=checkpoint_2,
                                 starts_at=dt.datetime.combine(day, dt.time(16), tzinfo=TZ),
                                 ends_at=dt.datetime.combine(day, dt.time(23), tzinfo=TZ))
    deployment.assign(actor=SYSTEM, shift=s1, person=city.alice)
    deployment.assign(actor=SYSTEM, shift=s2, person=city.bob)
    office = f.user("committee_office", city.root)
    staff = f.user("community_staff", city.comm_1)
    seen = {}
    for user in (office, staff):
        client = as_user(user)
        body = client.get("/deployment/rosters/no-shows/").content.decode()
        assert 'id="no-show-export"' in body
        shown = page_column(body, "no-show-table")
        headers, rows = sheet(client.get("/deployment/rosters/no-shows/export/"))
        assert headers[:3] == ["干部", "单位", "卡点"]
        assert [r[0] for r in rows] == shown
        assert [r[3] for r in rows] == [w.split("–")[0] for w in page_column(body, "no-show-table", 3, first_word=False)]
        assert audited(user, "deployment.no_shows") == 1
        seen[user.role] = shown
    assert seen["committee_office"] == [city.bob.name, city.alice.name]
    assert seen["community_staff"] == [city.alice.name]
