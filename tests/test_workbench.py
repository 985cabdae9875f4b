"""The workbench (工作台): every demo role's home is its to-do list for the business day; each
count opens a list of exactly that many rows; the three administrator duties see no personal data."""

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.workbench import items_for
from fangkong.people.models import Person
from fangkong.reports.choices import FlagKind, FlagStatus
from fangkong.reports.models import ConcealmentFlag
from fangkong.reports.services import flag_answer, report_submit
from fangkong.returnees.models import Returnee
from tests import workbench_day as day
from tests.conftest import login_client

DOMAIN_USERS = ["office", "liaison", "secretary", "community", "street", "checkpoint", "inspector", "discipline"]
ADMINS = ["admin", "secadmin", "auditor"]
TOTAL = re.compile(r'data-total="(\d+)"')


@pytest.fixture
def demo_day(db):
    """The demo city on its story day, with one piece of work reopened for each doing role."""
    call_command("demo", stdout=io.StringIO())
    department, template = day.reopen_department_report()
    day.register_staff_returnee(department)
    day.reopen_follow_up()
    day.reopen_check_in()
    return department, template


def list_total(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    totals = TOTAL.findall(response.content.decode())
    assert len(totals) == 1, (url, totals)
    return int(totals[0])


def test_every_count_opens_a_list_of_that_many(demo_day):
    seen = {}
    for username in DOMAIN_USERS:
        user = User.objects.get(username=username)
        client = login_client(user)
        home = client.get("/")
        assert home.status_code == 200
        items = items_for(user)
        assert items, username
        keys = [item.key for item in items]
        for item in items:
            # Each item is on the page, with the count it was computed with.
            assert f'id="wb-{item.key}"' in home.content.decode(), (username, item.key)
            if item.count is None:
                continue
            assert list_total(client, item.url) == item.count, (username, item.key, item.url)
        seen[username] = keys
    # Each role finds its own work (the list, role by role).
    assert {"reports-organs-daily", "returnees-unit-only", "returnees-followups"} <= {
        k.rsplit("-", 1)[0] if k.startswith("reports-") else k for k in seen["liaison"]}
    assert {"returnees-community-only", "returnees-followups", "returnees-ending", "deployment-shifts",
            "deployment-no-shows", "passes-scan"} <= set(seen["community"])
    assert {"passes-scan", "deployment-shift-now"} <= set(seen["checkpoint"])
    assert {"flags-review", "returnees-suspects"} <= set(seen["inspector"]) & set(seen["discipline"])
    assert {"notify-escalations", "office-figures", "deployment-no-shows"} <= set(seen["office"])
    assert "people-party-members" in seen["secretary"]


def test_the_items_come_most_urgent_first_and_count_what_is_left(demo_day):
    department, template = demo_day
    liaison = User.objects.get(username="liaison")
    items = items_for(liaison)
    assert [i.urgency for i in items] == sorted(i.urgency for i in items)
    report = next(i for i in items if i.key == f"reports-organs-daily-{department.pk}")
    assert report.count == 1 and report.rows[0].text == department.display_name
    assert "16:00" in report.hint
    # The one-tap zero report is a POST to the report form that comes back to the workbench.
    zero = report.rows[0].actions[1]
    assert zero.method == "post" and zero.fields["zero"] == "1" and zero.fields["next"] == "/"
    assert report.url.endswith("&state=waiting")

    # The zero report goes in; the ledger already shows a returnee of that day: a flag is raised.
    client = login_client(liaison)
    response = client.post("/reports/submit/", dict(zero.fields))
    assert response.status_code == 302 and response["Location"] == "/"
    items = {i.key: i for i in items_for(liaison)}
    assert items[f"reports-organs-daily-{department.pk}"].count == 0
    flags = items["flags-answer"]
    assert flags.count == 1 and flags.rows[0].badge == FlagKind.ZERO_CONTRADICTED.label

    # The unit answers; the flag stays open for the office but leaves the liaison's to-do list.
    flag = ConcealmentFlag.objects.get(unit=department, day=clock.today())
    page = client.get(flag.get_absolute_url())
    assert b'id="answer-form"' in page.content and b'id="correct-report"' in page.content
    response = client.post(flag.get_absolute_url(), {"answer": "漏填一人，已更正日报。"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.answer == "漏填一人，已更正日报。" and flag.answered_by == liaison
    assert "flags-answer" not in {i.key for i in items_for(liaison)}
    office = next(i for i in items_for(User.objects.get(username="office")) if i.key == "flags-review")
    assert any(row.badge == str(row.badge) and flag.unit.display_name in row.text for row in office.rows)

    # Correcting the report with the true figure closes the flag by itself.
    report_submit(actor=liaison, template=template, unit=department, day=clock.today(),
                  values={"returnees_new": 1, "in_isolation": 0, "fever_cases": 0, "seconded": 5, "on_duty": 5})
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    with pytest.raises(ValidationError):
        flag_answer(actor=liaison, flag=flag, answer="已关闭的标记不再作答")

    # Another unit's flag: neither shown nor answerable; the inspection group reads but does not answer.
    other = ConcealmentFlag.objects.filter(status=FlagStatus.OPEN).exclude(unit=department).first()
    assert client.get(other.get_absolute_url()).status_code == 404
    with pytest.raises(PermissionDenied):
        flag_answer(actor=liaison, flag=other, answer="不是我们的单位")
    with pytest.raises(PermissionDenied):
        flag_answer(actor=User.objects.get(username="inspector"), flag=other, answer="督查组不代答")
    assert b'id="answer-form"' not in login_client(User.objects.get(username="inspector")).get(
        other.get_absolute_url()).content


def test_the_administrators_keep_their_own_pages_and_see_no_personal_data(demo_day):
    names = list(Person.objects.values_list("name", flat=True)[:200]) + list(
        Returnee.objects.values_list("name", flat=True)[:200])
    for username in ADMINS:
        user = User.objects.get(username=username)
        items = items_for(user)
        assert items and all(item.key.startswith("admin-") and item.count is None for item in items), username
        page = login_client(user).get("/").content.decode()
        main = page.split("<main>", 1)[1]
        assert not [name for name in names if name in main], username
        for item in items:
            assert login_client(user).get(item.url).status_code == 200, (username, item.url)


def test_a_party_committee_sees_the_units_below_not_yet_reported_and_reminds_them(city):
    """Above reporting units, the workbench counts those not yet reported today (the board's list
    says as many) and offers the one-tap reminder, which reaches them."""
    import datetime as dt

    from fangkong.notify.models import Message
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.reports.choices import ReportLine
    from fangkong.reports.services import template_create
    from tests import factories as f

    clock.freeze(dt.date(2020, 2, 20))
    template = template_create(actor=SYSTEM, code="organs", name="机关日报", line=ReportLine.ORGANS,
                               unit_kinds=[K.DEPARTMENT], start_date=dt.date(2020, 2, 1), fields=[
                                   {"key": "returnees_new", "label": "今日新增", "kind": "integer"}])
    report_submit(actor=SYSTEM, template=template, unit=city.dept_a, day=clock.today(), zero=True)
    secretary = f.user("branch_secretary", city.committee, username="committee1")
    item = next(i for i in items_for(secretary) if i.key.startswith("reports-organs"))
    assert item.count == 1 and [r.text for r in item.rows] == [city.dept_b.display_name]
    assert not item.rows[0].actions  # a secretary reminds; it does not report for the department
    client = login_client(secretary)
    assert list_total(client, item.url) == 1
    remind = item.actions[0]
    assert remind.method == "post" and remind.fields["units"] == [city.dept_b.pk]
    data: dict[str, list] = {}
    for name, value in remind.hidden:
        data.setdefault(name, []).append(value)
    response = client.post(remind.url, data)
    assert response.status_code == 302 and response["Location"] == "/"
    assert Message.objects.filter(unit=city.dept_b, kind="manual").count() == 1
