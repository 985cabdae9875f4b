"""The issue's bad input, through the API: each refused with its reason and nothing written (or,
for an exact unit, converted)."""

from fangkong.accounts.roles import Role
from fangkong.core.actors import SYSTEM
from fangkong.donations import services
from fangkong.donations.models import Distribution, Intake, Receipt, StockMove
from tests import factories as f

from .test_api import _api


def test_bad_quantities_and_units(city, goods, office):
    desk = _api(office)

    def intake(item, quantity, measure=None):
        body = {"store_id": goods.store.pk, "item_id": item.pk, "quantity": quantity, "donor_id": goods.donor.pk,
                "received_by": "张库管"}
        if measure:
            body["measure"] = measure
        return desk("post", "/api/v1/donations/intakes", body)

    for quantity in ("0", "-5", "abc", "1.5"):
        response = intake(goods.gloves, quantity)
        assert response.status_code in (400, 422), (quantity, response.json())
    assert "不是整数" in str(intake(goods.gloves, "1.5").json())
    assert "不能精确换算" in str(intake(goods.gloves, "3", "公斤").json())
    assert Intake.objects.count() == 0 and StockMove.objects.count() == 0
    converted = intake(goods.disinfectant, "10", "公斤")
    assert converted.status_code == 201 and converted.json()["quantity"] in ("20.000", "20", 20)


def test_more_than_in_stock_wrong_signer_signing_twice_and_editing(city, goods, office, community_user):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="10", donor=goods.donor,
                           received_by="张库管")
    desk, phone = _api(office), _api(community_user)
    other = _api(f.user(Role.COMMUNITY_STAFF, city.comm_2))
    too_much = desk("post", "/api/v1/donations/distributions", {
        "store_id": goods.store.pk, "item_id": goods.gloves.pk, "to_unit_id": city.comm_1.pk, "quantity": "11"})
    assert too_much.status_code in (400, 422) and "只有10副" in str(too_much.json())
    assert Distribution.objects.count() == 0
    d = services.distribution_create(actor=office, store=goods.store, item=goods.gloves, to_unit=city.comm_1,
                                     quantity="10")
    # not of the receiving unit: the distribution is not even visible to it
    assert other("post", f"/api/v1/donations/distributions/{d.pk}/sign", {"quantity_received": "10"}).status_code == 404
    assert desk("post", f"/api/v1/donations/distributions/{d.pk}/sign", {"quantity_received": "10"}).status_code == 403
    assert phone("post", f"/api/v1/donations/distributions/{d.pk}/sign", {"quantity_received": "10"}).status_code == 201
    twice = phone("post", f"/api/v1/donations/distributions/{d.pk}/sign", {"quantity_received": "9"})
    assert twice.status_code in (400, 422)
    receipt = Receipt.objects.get()
    # no address edits a receipt; a correction is a new one, and the signed one stays as it was
    from django.test import Client

    assert Client().patch(f"/api/v1/donations/receipts/{receipt.pk}", "{}", content_type="application/json"
                          ).status_code in (401, 404, 405)
    correction = phone("post", f"/api/v1/donations/receipts/{receipt.pk}/correct",
                       {"quantity_received": "9", "discrepancy": "复点少一副"})
    assert correction.status_code == 201 and correction.json()["corrects_id"] == receipt.pk
    receipt.refresh_from_db()
    assert receipt.quantity_received == 10 and Receipt.objects.count() == 2
