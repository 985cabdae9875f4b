"""The donations pages through HTTP: the journey from a need to a signed receipt, the public list."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from fangkong.core.actors import SYSTEM
from fangkong.donations import services
from fangkong.donations.models import Distribution, Need, Receipt
from tests.conftest import login_client


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def stocked(goods):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="100", donor=goods.donor,
                           received_by="张库管", received_on=dt.date(2020, 2, 1))
    return goods


def test_need_to_signed_receipt_through_the_pages(city, stocked, office, community_user):
    phone = login_client(community_user)
    page = phone.get(reverse("donations:need_create"))
    assert page.status_code == 200 and "<title>" in page.content.decode()
    bad = phone.post(reverse("donations:need_create"), {"unit": city.comm_1.pk, "item": stocked.gloves.pk,
                                                        "quantity": "1.5", "reason": "卡点值守"})
    assert bad.status_code == 400 and "1.5" in bad.content.decode()
    phone.post(reverse("donations:need_create"), {"unit": city.comm_1.pk, "item": stocked.gloves.pk,
                                                  "quantity": "30", "reason": "卡点值守"})
    need = Need.objects.get()
    desk = login_client(office)
    for name in ("overview", "donor_list", "pledge_list", "lead_list", "intake_list", "need_list",
                 "distribution_list", "donor_create", "pledge_create", "lead_create", "intake_create",
                 "distribution_create"):
        assert desk.get(reverse(f"donations:{name}")).status_code == 200, name
    response = desk.post(need.get_absolute_url(), {"store": stocked.store.pk, "quantity": "30",
                                                   "approver_name": "王组长", "basis": services.DEFAULT_BASIS})
    assert response.status_code == 302
    plan = need.allocations.get()
    response = desk.post(reverse("donations:distribution_create"), {
        "allocation": plan.pk, "store": stocked.store.pk, "quantity": "30", "carrier": "刘师傅",
        "vehicle": "吉F12345", "dispatched_on": "2020-02-20"})
    assert response.status_code == 302, response.content.decode()[:2000]
    d = Distribution.objects.get()
    assert desk.get(d.get_absolute_url()).status_code == 200
    # too much: refused with the stock named, nothing written
    response = desk.post(reverse("donations:distribution_create"), {
        "store": stocked.store.pk, "item": stocked.gloves.pk, "to_unit": city.comm_2.pk, "quantity": "71",
        "dispatched_on": "2020-02-20"})
    assert response.status_code == 400 and "70" in response.content.decode()
    assert phone.post(d.get_absolute_url(), {"action": "sign", "quantity_received": "30"}).status_code == 302
    assert Receipt.objects.get().signer_name == "赵春兰"
    assert phone.post(d.get_absolute_url(), {"action": "sign", "quantity_received": "30"}).status_code == 400
    public = login_client(community_user).get("/public/donations/")
    assert public.status_code == 200


def test_public_page_needs_no_login_and_reads_no_database_when_warm(city, stocked, django_assert_num_queries,
                                                                  django_capture_on_commit_callbacks):
    from django.test import Client

    client = Client()
    first = client.get("/public/donations/")
    assert first.status_code == 200
    text = first.content.decode()
    assert "手套" in text and "市民政局" in text
    assert "public" in first["Cache-Control"] and first["ETag"]
    with django_assert_num_queries(0):
        again = client.get("/public/donations/")
        assert again.status_code == 200
        assert client.get("/public/donations/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        assert client.get("/public/donations/export/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        anonymous = services.donor_create(actor=SYSTEM, kind="individual", name="张善人", contact="13900000000",
                                          anonymous=True)
        donor = services.donor_create(actor=SYSTEM, kind="individual", name="李好心", public_name="李先生")
        for giver in (anonymous, donor):
            services.intake_record(actor=SYSTEM, store=stocked.store, item=stocked.gloves, quantity="5",
                                   donor=giver, received_by="张库管")
    text = client.get("/public/donations/").content.decode()
    assert "李先生" in text and "李好心" not in text and "13900000000" not in text
    assert "匿名" in text and "张善人" not in text


def test_signing_link_page(city, stocked, office):
    d = services.distribution_create(actor=office, store=stocked.store, item=stocked.gloves,
                                     to_unit=city.checkpoint_1, quantity="10")
    desk = login_client(office)
    response = desk.post(d.get_absolute_url(), {"action": "link", "receiver_name": "孙二娥",
                                                "receiver_role": "卡点值守人员"})
    assert response.status_code == 200
    url = response.context["link_url"]
    assert "<svg" in response.content.decode()  # the link as a QR code for the receiver's phone
    from django.test import Client

    path = url.split("testserver")[1]
    anon = Client()
    assert anon.get(path).status_code == 200
    assert anon.post(path, {"quantity_received": "10"}).status_code == 200
    assert Receipt.objects.get().by_link
    assert anon.get(path).status_code == 404


def test_stock_card_pages_back_from_the_newest_line(city, stocked, office):
    import datetime as dt
    from decimal import Decimal

    from fangkong.donations.models import StockMove

    StockMove.objects.bulk_create([
        StockMove(store=stocked.store, item=stocked.gloves, kind="adjustment", quantity=Decimal(1),
                  balance_after=Decimal(100 + n), document=f"TZ{n:06d}", moved_on=dt.date(2020, 2, 2))
        for n in range(1, 61)])
    client = login_client(office)
    url = reverse("donations:stock_card", args=[stocked.store.pk, stocked.gloves.pk])
    first = client.get(url)
    assert first.status_code == 200
    lines = first.context["object_list"]
    assert len(lines) == 50 and lines[0].document == "TZ000060" and first.context["older"]
    second = client.get(url + first.context["older"])
    # the ten older adjustments and the intake the card began with
    assert [m.document for m in second.context["object_list"]][:1] == ["TZ000010"]
    assert len(second.context["object_list"]) == 11
    assert not second.context["older"]
    export = client.get(url + "export/")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_the_office_keeps_items_units_conversions_and_stores_on_pages(city, stocked, office, community_user):
    from fangkong.donations.models import Conversion, Item, Measure, Store

    client = login_client(office)
    page = client.get(reverse("donations:catalogue")).content.decode()
    assert "手套" in page and "工委物资库" in page and "1箱 = 50个" in page
    assert f'href="{reverse("donations:stock_card", args=[stocked.store.pk, stocked.gloves.pk])}"' in page

    assert client.post(reverse("donations:measure_create"), {"name": "桶"}).status_code == 302
    bucket = Measure.objects.get(name="桶")
    assert not bucket.allows_fraction
    # A unit converts to another unit; the same one is refused on the form, nothing written.
    same = client.post(reverse("donations:conversion_create"), {"source": bucket.pk, "target": bucket.pk, "factor": "2"})
    assert same.status_code == 400 and not Conversion.objects.filter(source=bucket).exists()
    assert client.post(reverse("donations:conversion_create"),
                       {"source": bucket.pk, "target": stocked.jin.pk, "factor": "20"}).status_code == 302
    assert str(Conversion.objects.get(source=bucket)) == "1 桶 = 20 斤"
    # A pack needs both its name and its size.
    half = client.post(reverse("donations:item_create"), {"name": "酒精", "category": "epidemic",
                                                         "measure": bucket.pk, "pack_name": "箱"})
    assert half.status_code == 400 and not Item.objects.filter(name="酒精").exists()
    assert client.post(reverse("donations:item_create"), {"name": "酒精", "category": "epidemic", "measure": bucket.pk,
                                                         "pack_name": "箱", "pack_size": "4"}).status_code == 302
    assert client.post(reverse("donations:store_create"), {"name": "红旗街道物资点", "unit": city.street.pk,
                                                          "address": "红旗街1号"}).status_code == 302
    assert Store.objects.get(name="红旗街道物资点").unit == city.street
    assert "酒精" in client.get(reverse("donations:catalogue")).content.decode()

    # The community reads the catalogue (and only its scope's stores), and may add nothing.
    phone = login_client(community_user)
    seen = phone.get(reverse("donations:catalogue")).content.decode()
    assert "酒精" in seen and "工委物资库" not in seen and 'id="catalogue-actions"' not in seen
    assert phone.post(reverse("donations:measure_create"), {"name": "盒"}).status_code == 403
    assert not Measure.objects.filter(name="盒").exists()


def test_quantities_read_as_written_in_every_record_name(stocked):
    """A quantity of 100 is "100" wherever a record is named (the audit log, the admin), never 1E+2."""
    from fangkong.donations.models import StockBalance

    balance = StockBalance.objects.get(store=stocked.store, item=stocked.gloves)
    assert str(balance).endswith(" 100") and "E+" not in str(balance)
