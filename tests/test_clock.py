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


def test_a_day_frozen_from_the_evening_runs_on_from_it_and_never_leaves_the_day():
    """The demo freezes its story day from 22:00: whatever the real hour, the clock reads 22:00 when
    frozen and moves on at the real pace, slowing before midnight, never reaching the next day."""
    clock.freeze(dt.date(2020, 2, 25), since=clock.STORY_EVENING)
    first = timezone.localtime(clock.now())
    assert first.date() == dt.date(2020, 2, 25) == clock.today()
    assert dt.time(22, 0) <= first.time() < dt.time(22, 1)
    second = clock.now()
    assert second > first  # it moves, so a record written later is later
    # Frozen long ago (as a server left running for days): still the same day, close to midnight.
    for days_ago in (0.1, 1, 30):
        frozen_at = clock.real_now() - dt.timedelta(days=days_ago)
        SiteSetting.objects.filter(key=clock.BUSINESS_DAY_KEY).update(value=f"2020-02-25T22:00:00|{frozen_at.isoformat()}")
        clock.clear_cache()
        local = timezone.localtime(clock.now())
        assert local.date() == dt.date(2020, 2, 25), days_ago
        assert local.time() > (dt.time(23, 59) if days_ago >= 1 else dt.time(23, 0)), (days_ago, local)
    # A garbled moment falls back to the real calendar, as a garbled day does.
    SiteSetting.objects.filter(key=clock.BUSINESS_DAY_KEY).update(value="2020-02-25T22:00:00|soon")
    clock.clear_cache()
    assert clock.frozen_day() is None
    clock.unfreeze()
