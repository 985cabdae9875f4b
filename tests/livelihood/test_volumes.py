"""The catalogue (channels as data) and the window departments' daily cases per channel."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.livelihood import services
from fangkong.livelihood.models import ChannelVolume, WindowService
from fangkong.livelihood.selectors import services_figures
from tests import factories as f
from tests.conftest import login_client


def test_a_liaison_records_the_day_per_channel_of_its_own_department(city, catalogue):
    service, other, online, post = catalogue
    liaison = f.user("unit_liaison", city.dept_a)
    day = clock.today()
    assert services.volumes_record(actor=liaison, service=service, day=day, counts={online.pk: 12, post.pk: 3}) == 2
    assert services.volumes_record(actor=liaison, service=service, day=day, counts={online.pk: 12}) == 0
    assert services.volumes_record(actor=liaison, service=service, day=day, counts={online.pk: 14}) == 1
    assert sorted(ChannelVolume.objects.values_list("count", flat=True)) == [3, 14]
    with pytest.raises(PermissionDenied):
        services.volumes_record(actor=liaison, service=other, day=day, counts={post.pk: 1})
    with pytest.raises(ValidationError):  # not offered through that channel
        services.volumes_record(actor=SYSTEM, service=other, day=day, counts={online.pk: 1})
    with pytest.raises(ValidationError):
        services.volumes_record(actor=liaison, service=service, day=day + dt.timedelta(days=1), counts={online.pk: 1})
    figures = services_figures(ChannelVolume.objects.all(), WindowService.objects.all(), day)
    assert (figures["cases_today"], figures["services_running"], figures["by_channel"]) == (
        17, 1, {"online": 14, "post": 3})


def test_the_pages_show_the_catalogue_and_take_the_figures(city, catalogue):
    service, other, online, post = catalogue
    liaison = login_client(f.user("unit_liaison", city.dept_a))
    overview = liaison.get("/livelihood/")
    assert overview.status_code == 200 and "社保资格认证" in overview.content.decode()
    day = clock.today().isoformat()
    response = liaison.post(f"/livelihood/services/{service.pk}/volumes/",
                            {"day": day, f"c{online.pk}": "7", f"c{post.pk}": ""})
    assert response.status_code == 302
    assert ChannelVolume.objects.get().count == 7
    assert liaison.get(f"/livelihood/services/{other.pk}/volumes/").status_code == 404
    listing = liaison.get(f"/livelihood/volumes/?day={day}")
    assert 'data-total="1"' in listing.content.decode()


def test_a_window_liaison_finds_the_day_to_record_on_the_workbench(city, catalogue):
    from fangkong.core.workbench import items_for

    service, other, online, post = catalogue
    liaison = f.user("unit_liaison", city.dept_a)
    item = next(i for i in items_for(liaison) if i.key == "livelihood-volumes")
    assert item.state == "warn" and [n for _label, n in item.figures] == [1, 0]
    services.volumes_record(actor=liaison, service=service, day=clock.today(), counts={online.pk: 3})
    item = next(i for i in items_for(liaison) if i.key == "livelihood-volumes")
    assert item.state == "ok" and item.figures[1][1] == 1
    assert not [i for i in items_for(f.user("unit_liaison", city.industry)) if i.key == "livelihood-volumes"]
