"""The business clock: one today and one now, frozen on a story day when the installation says so."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core import clock
from fangkong.core.models import SiteSetting

pytestmark = pytest.mark.django_db


def test_without_a_frozen_day_the_business_clock_is_the_real_one():
    assert clock.frozen_day() is None
    assert clock.today() == timezone.localdate()
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5


def test_a_frozen_day_keeps_the_real_time_of_day():
    clock.freeze(dt.date(2020, 2, 25))
    moment = clock.now()
    local = timezone.localtime(moment)
    real = timezone.localtime(timezone.now())
    assert local.date() == dt.date(2020, 2, 25) == clock.today()
    assert abs((local.replace(year=real.year, month=real.month, day=real.day) - real).total_seconds()) < 5
    assert clock.end_of_today() == dt.datetime(2020, 2, 26, tzinfo=timezone.get_current_timezone())
    assert clock.real_now().year >= 2026
    clock.unfreeze()
    assert clock.today() == timezone.localdate()


def test_a_frozen_day_set_by_another_process_is_seen_after_a_restart():
    assert clock.frozen_day() is None
    SiteSetting.objects.create(key=clock.BUSINESS_DAY_KEY, value="2020-02-10")
    assert clock.frozen_day() is None  # read once per process
    clock.clear_cache()  # as a restart does
    assert clock.today() == dt.date(2020, 2, 10)


def test_a_garbled_setting_falls_back_to_the_real_calendar():
    SiteSetting.objects.create(key=clock.BUSINESS_DAY_KEY, value="yesterday")
    clock.clear_cache()
    assert clock.frozen_day() is None


def test_every_page_shows_the_frozen_business_day_in_a_bar_and_production_none(client):
    from django.urls import reverse

    url = reverse("accounts:login")
    assert 'id="story-day"' not in client.get(url).content.decode()
    clock.freeze(dt.date(2020, 2, 25))
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<div class="story-day" id="story-day" role="note">演示数据 · 当前业务日期 2020年2月25日</div>' in page
    clock.unfreeze()
    assert 'id="story-day"' not in client.get(url).content.decode()
