"""The donations API: the journey from intake to a signed receipt, and its refusals."""

import json

from django.test import Client

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM


def _api(user):
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}

    def call(method, url, data=None):
        if method == "get":
            return client.get(url, **auth)
        return client.post(url, json.dumps(data or {}), content_type="application/json", **auth)
    return call


def test_api_journey(city, goods, office, community_user):
    desk, phone = _api(office), _api(community_user)
    r = desk("post", "/api/v1/donations/intakes", {"store_id": goods.store.pk, "item_id": goods.gloves.pk,
                                                   "quantity": "50", "donor_id": goods.donor.pk,
                                                   "received_by": "张库管"})
    assert r.status_code == 201, r.json()
    intake_id = r.json()["id"]
    bad = desk("post", "/api/v1/donations/intakes", {"store_id": goods.store.pk, "item_id": goods.gloves.pk,
                                                     "quantity": "1.5", "donor_id": goods.donor.pk})
    assert bad.status_code in (400, 422)
    r = phone("post", "/api/v1/donations/needs", {"unit_id": city.comm_1.pk, "item_id": goods.gloves.pk,
                                                  "quantity": "20", "reason": "值守"})
    assert r.status_code == 201, r.json()
    need_id = r.json()["id"]
    r = desk("post", f"/api/v1/donations/needs/{need_id}/allocate", {"store_id": goods.store.pk, "quantity": "20"})
    assert r.status_code == 201, r.json()
    r = desk("post", "/api/v1/donations/distributions", {"store_id": goods.store.pk, "quantity": "20",
                                                         "allocation_id": r.json()["id"]})
    assert r.status_code == 201, r.json()
    d_id = r.json()["id"]
    assert desk("post", "/api/v1/donations/distributions", {
        "store_id": goods.store.pk, "quantity": "31", "item_id": goods.gloves.pk,
        "to_unit_id": city.comm_2.pk}).status_code in (400, 422)
    assert desk("post", f"/api/v1/donations/distributions/{d_id}/sign", {"quantity_received": "20"}).status_code == 403
    r = phone("post", f"/api/v1/donations/distributions/{d_id}/sign", {"quantity_received": "20"})
    assert r.status_code == 201, r.json()
    assert phone("post", f"/api/v1/donations/distributions/{d_id}/sign",
                 {"quantity_received": "20"}).status_code in (400, 422)
    detail = phone("get", f"/api/v1/donations/distributions/{d_id}").json()
    assert detail["receipts"][0]["signer_name"] == "赵春兰"
    assert detail["trace"][0]["intake_id"] == intake_id
    assert desk("get", f"/api/v1/donations/intakes/{intake_id}").json()["trace"][0]["distribution_id"] == d_id
    figures = desk("get", "/api/v1/donations/figures").json()
    assert figures["in_stock"] == {"手套": {"quantity": 30, "unit": "副"}}
    assert desk("get", "/api/v1/donations/stock-card").json()["count"] == 2
    r = desk("post", "/api/v1/donations/leads", {"item_id": goods.masks.pk, "supplier": "康泰医疗", "price": "1.2",
                                                 "quantity_available": "20", "unit_id": city.dept_a.pk})
    assert r.status_code == 201 and r.json()["quantity_available"] in ("20", "20.000", 20), r.json()
    r = desk("post", "/api/v1/donations/items", {"name": "防护服", "category": "epidemic", "unit": "件"})
    assert r.status_code == 201 and r.json()["unit"] == "件" and not r.json()["allows_fraction"], r.json()
    assert desk("post", "/api/v1/donations/items", {"name": "x", "category": "epidemic", "unit": "吨"}).status_code in (
        400, 422)
    r = desk("post", "/api/v1/donations/stores", {"name": "东兴街道中转库", "unit_id": city.street.pk})
    assert r.status_code == 201, r.json()
    assert phone("post", "/api/v1/donations/stores", {"name": "越权库", "unit_id": city.comm_1.pk}).status_code == 403
    for url in ("items", "stores", "donors", "pledges", "leads", "intakes", "needs", "distributions", "stock"):
        assert desk("get", f"/api/v1/donations/{url}").status_code == 200, url
