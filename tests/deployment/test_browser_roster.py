"""The roster journey in a real Chromium at phone size: checkpoint staff open the overview
from the menu, find a shift short of staff, put a cadre on it, are refused when putting the
same cadre on an overlapping shift at another checkpoint, and check the cadre in."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.deployment import services
from fangkong.deployment.models import Assignment
from tests import factories as f
from tests.conftest import log_in

from .conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checkpoint_staff_fill_a_gap_and_are_refused_two_places(page, live_server, city, checkpoint_2):
    services.secondment_create(actor=SYSTEM, person=city.bob, department=city.dept_b, unit=city.street,
                               starts_on=dt.date(2020, 2, 1))
    today = timezone.localdate()
    mine = services.shift_create(actor=SYSTEM, checkpoint=city.checkpoint_1, starts_at=at(today, 0),
                                 ends_at=at(today, 0) + dt.timedelta(hours=23, minutes=59))
    other = services.shift_create(actor=SYSTEM, checkpoint=checkpoint_2, starts_at=at(today, 6), ends_at=at(today, 14))
    f.user("community_staff", city.street, username="dongxing")
    log_in(page, live_server, "dongxing", f.PASSWORD, wait=True)
    page.click("nav.areas >> text=千人下沉")
    page.wait_for_url(f"{live_server.url}/deployment/")
    assert "东兴街道" in page.locator("#by-street").inner_text()
    page.goto(f"{live_server.url}/deployment/rosters/?day={today.isoformat()}")
    row = page.locator("#shift-table tr.gap").first
    assert "缺2人" in row.inner_text()
    page.goto(f"{live_server.url}/deployment/rosters/{mine.pk}/")
    page.select_option("#id_person", str(city.bob.pk))
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector("text=已安排到本班次")
    assert city.bob.name in page.locator("#assignment-table").inner_text()
    page.goto(f"{live_server.url}/deployment/rosters/{other.pk}/")
    page.select_option("#id_person", str(city.bob.pk))
    page.click("#assign-form button[type=submit]")
    error = page.locator(".errorlist").first.inner_text()
    assert "同一人不能同时在两处" in error and "江北路卡点" in error
    assert Assignment.objects.filter(person=city.bob).count() == 1
    page.goto(f"{live_server.url}/deployment/rosters/{mine.pk}/")
    page.click("#assignment-table button[value=check_in]")
    page.wait_for_selector("text=已记录")
    # The street's staff account is neither the cadre nor the shift's leader: the office did it,
    # whatever the page's form says.
    checked = Assignment.objects.get(person=city.bob)
    assert checked.checked_in_by == "office" and checked.checked_in_at is not None
