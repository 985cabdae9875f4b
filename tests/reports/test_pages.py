"""The pages: the board with drill-down and reminders, the phone form, report versions, the
calendar, trends, the concealment review and template questions."""

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fangkong.reports import views
from fangkong.reports.models import ConcealmentFlag, Report
from fangkong.reports.services import report_submit
from fangkong.returnees import services as ledger
from tests import factories as f

from .conftest import START, at


def test_the_liaison_sends_the_zero_report_from_the_phone_page(city, today_tmpl, liaison, as_user):
    client = as_user(liaison)
    page = client.get(reverse("reports:submit"))
    assert page.status_code == 200 and "今日无新增情况" in page.content.decode()
    response = client.post(reverse("reports:submit"), {"unit": city.dept_a.pk, "template": today_tmpl.pk,
                                                       "day": timezone.localdate().isoformat(), "zero": "1"})
    assert response.status_code == 302
    assert Report.objects.get().is_zero


def test_the_phone_page_shows_errors_and_writes_nothing(city, today_tmpl, liaison, as_user):
    client = as_user(liaison)
    response = client.post(reverse("reports:submit"), {"unit": city.dept_a.pk, "template": today_tmpl.pk,
                                                       "returnees_new": "-1", "in_isolation": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "不能为负数" in body or "cannot be negative" in body
    assert not Report.objects.exists()


def test_another_units_page_is_refused_with_a_clear_message(city, today_tmpl, liaison, as_user):
    response = as_user(liaison).post(reverse("reports:submit"), {"unit": city.dept_b.pk, "zero": "1"})
    body = response.content.decode()
    # Said plainly, without naming the other unit: an id is no way to read another scope's units.
    assert response.status_code == 403 and "只能为本单位填报" in body and city.dept_b.name not in body
    assert not Report.objects.exists()


def test_the_board_shows_states_drill_down_and_remind_buttons(city, today_tmpl, liaison, office, as_user):
    report_submit(actor=liaison, template=today_tmpl, unit=city.dept_a, day=timezone.localdate(), zero=True)
    client = as_user(office)
    body = client.get(reverse("reports:board"), {"template": today_tmpl.pk, "unit": city.committee.pk}).content.decode()
    assert 'id="drill-down"' in body and city.cb.display_name in body
    assert 'data-state="zero"' in body
    try:
        url = reverse("notify:remind_units")
    except NoReverseMatch:
        url = None
    if url:
        assert f'action="{url}"' in body and 'name="units"' in body
    # Drill down into the coordinating body: only the industry unit is listed.
    body = client.get(reverse("reports:board"), {"template": today_tmpl.pk, "unit": city.cb.pk}).content.decode()
    assert city.industry.display_name in body and city.dept_a.display_name not in body


def test_the_board_hides_the_remind_button_when_reminders_are_not_installed(city, today_tmpl, office, as_user,
                                                                             monkeypatch):
    monkeypatch.setattr(views, "remind_url", lambda: None)
    body = as_user(office).get(reverse("reports:board"), {"template": today_tmpl.pk}).content.decode()
    assert 'name="units"' not in body


def test_the_board_answers_404_outside_scope(city, today_tmpl, liaison, as_user):
    response = as_user(liaison).get(reverse("reports:board"), {"template": today_tmpl.pk, "unit": city.dept_b.pk})
    assert response.status_code == 404


def test_report_page_shows_versions_and_the_office_corrects_a_locked_day(city, tmpl, liaison, office, as_user):
    report = report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START,
                           values={"returnees_new": 1, "in_isolation": 2}, at=at(START))
    assert as_user(liaison).get(report.get_absolute_url()).status_code == 200
    assert as_user(f.user("unit_liaison", city.dept_b)).get(report.get_absolute_url()).status_code == 404
    client = as_user(office)
    missing_reason = client.post(report.get_absolute_url(), {"returnees_new": "3", "in_isolation": "2", "reason": ""})
    assert missing_reason.status_code == 400
    ok = client.post(report.get_absolute_url(), {"returnees_new": "3", "in_isolation": "2", "reason": "电话核实"})
    assert ok.status_code == 302
    body = client.get(report.get_absolute_url()).content.decode()
    assert "电话核实" in body and body.count("<li>") >= 2
    report.refresh_from_db()
    assert report.values["returnees_new"] == 3 and report.revision_count == 2
    assert as_user(liaison).post(report.get_absolute_url(), {"reason": "x"}).status_code == 403


def test_calendar_trends_flags_and_templates_render(city, tmpl, liaison, office, as_user):
    ledger.register(actor=liaison, side="unit", registered_at=at(START, 9), name="刘返乡", id_number=f.id_number(),
                    unit=city.dept_a, community=city.comm_1, category="outside", return_date=START)
    report_submit(actor=liaison, template=tmpl, unit=city.dept_a, day=START, zero=True, at=at(START, 17))
    client = as_user(office)
    cal = client.get(reverse("reports:unit_calendar", args=[city.dept_a.pk]),
                     {"template": tmpl.pk, "from": START.isoformat(), "to": (START + dt.timedelta(days=2)).isoformat()})
    assert cal.status_code == 200 and "day-late" in cal.content.decode() and "echarts.min.js" in cal.content.decode()
    trends = client.get(reverse("reports:trends"), {"template": tmpl.pk, "from": START.isoformat(),
                                                    "to": (START + dt.timedelta(days=2)).isoformat()})
    assert trends.status_code == 200 and "rate-chart" in trends.content.decode()
    flag = ConcealmentFlag.objects.get()
    listing = client.get(reverse("reports:flag_list")).content.decode()
    assert flag.get_absolute_url() in listing
    review = client.post(flag.get_absolute_url(), {"decision": "dismiss", "reason": "当日已电话补报"})
    assert review.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "dismissed" and flag.review_reason == "当日已电话补报"
    assert as_user(liaison).post(flag.get_absolute_url(), {"decision": "confirm", "reason": "x"}).status_code == 403


def test_the_office_adds_and_retires_questions(city, tmpl, office, liaison, as_user):
    client = as_user(office)
    url = reverse("reports:template_detail", args=[tmpl.pk])
    added = client.post(url, {"key": "masks", "label": "口罩库存", "help_text": "", "kind": "integer",
                              "required": "on", "measure": "", "max_value": "1000"})
    assert added.status_code == 302 and tmpl.fields.filter(key="masks").exists()
    field = tmpl.fields.get(key="anomalies")
    assert client.post(url, {"remove": field.pk}).status_code == 302
    field.refresh_from_db()
    assert field.removed_at is not None
    assert as_user(liaison).post(url, {"remove": tmpl.fields.get(key="masks").pk}).status_code == 403


@pytest.mark.parametrize("username_role", ["branch_secretary", "inspection_group", "discipline_office"])
def test_reading_roles_see_the_board_but_cannot_submit(city, today_tmpl, as_user, username_role):
    client = as_user(f.user(username_role, city.root))
    assert client.get(reverse("reports:board")).status_code == 200
    assert client.get(reverse("reports:submit")).status_code == 403


def test_the_board_pages_its_unit_list_and_drill_down(city, today_tmpl, office, as_user, monkeypatch):
    from fangkong.reports import selectors

    monkeypatch.setattr(views, "UNITS_PAGE", 1)
    monkeypatch.setattr(selectors, "CHILDREN_PAGE", 1)
    client = as_user(office)
    params = {"template": today_tmpl.pk, "unit": city.committee.pk}
    first = client.get(reverse("reports:board"), params).content.decode()
    second = client.get(reverse("reports:board"), {**params, "upage": 2, "cpage": 2}).content.decode()
    assert first.count('data-state="') == 1 and second.count('data-state="') == 1
    assert "upage=2" in first and "cpage=2" in first and "upage=1" in second and "cpage=1" in second
    listed = [body.split('data-unit="')[1].split('"')[0] for body in (first, second)]
    assert listed[0] != listed[1]
    # A page number past the end shows the last page, not an error.
    last = client.get(reverse("reports:board"), {**params, "upage": 99, "cpage": 99}).content.decode()
    assert last.count('data-state="') == 1 and 'id="drill-down"' in last
