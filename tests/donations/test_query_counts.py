"""The donations lists, details and API lists read a fixed number of queries, however many rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.core.actors import SYSTEM
from fangkong.donations import services
from tests.conftest import login_client

from .test_api import _api

PAGES = ["/donations/", "/donations/catalogue/", "/donations/donors/", "/donations/pledges/", "/donations/leads/", "/donations/intake/",
         "/donations/needs/", "/donations/distributions/"]
API = ["/api/v1/donations/donors", "/api/v1/donations/pledges", "/api/v1/donations/intakes",
       "/api/v1/donations/needs", "/api/v1/donations/distributions", "/api/v1/donations/stock-card",
       "/api/v1/donations/stock"]


def _add(city, goods, n):
    for i in range(n):
        donor = services.donor_create(actor=SYSTEM, kind="individual", name=f"捐赠人{n}-{i}")
        services.pledge_create(actor=SYSTEM, donor=donor, item=goods.gloves, quantity="5")
        services.lead_create(actor=SYSTEM, item=goods.gloves, supplier=f"供应商{n}-{i}", price="1",
                             quantity_available="5", unit=city.dept_a)
        services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="5", donor=donor,
                               received_by="库管")
        services.need_raise(actor=SYSTEM, unit=city.comm_1, item=goods.gloves, quantity="5", reason="值守")
        services.distribution_create(actor=SYSTEM, store=goods.store, item=goods.gloves, to_unit=city.comm_1,
                                     quantity="5")
        item = services.item_create(actor=SYSTEM, name=f"物资{n}-{i}", category="epidemic", measure=goods.piece)
        store = services.store_create(actor=SYSTEM, name=f"物资点{n}-{i}", unit=city.comm_1)
        services.intake_record(actor=SYSTEM, store=store, item=item, quantity="3", donor=donor, received_by="库管")


def _counts(client, api):
    counts = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        counts[url] = len(ctx)
    for url in API:
        with CaptureQueriesContext(connection) as ctx:
            assert api("get", url).status_code == 200, url
        counts[url] = len(ctx)
    return counts


def test_lists_do_not_grow_with_rows(city, goods, office):
    client, api = login_client(office), _api(office)
    _add(city, goods, 1)
    _counts(client, api)  # warm-up: first use of the token and the session
    small = _counts(client, api)
    _add(city, goods, 6)
    assert _counts(client, api) == small
