"""The documents' list pages and API lists run the same number of queries for 2 documents as for
8 (and a document's page for 2 recipients as for 8): no N+1 in a template or a resolver."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.documents import services
from fangkong.orgs.choices import UnitKind as K
from tests import factories as f
from tests.conftest import login_client

PAGES = [
    "/documents/",
    "/documents/inbox/",
    "/documents/instructions/",
    "/documents/instructions/items/",
    "/documents/{doc}/",
    "/api/v1/documents/documents",
    "/api/v1/documents/receipts",
    "/api/v1/documents/instructions",
    "/api/v1/documents/items",
]


def add(city, kinds, body, n, start, first=None):
    for i in range(start, start + n):
        unit = f.unit(K.DEPARTMENT, city.committee, f"部门{i}")
        d = first or services.document_draft(actor=SYSTEM, body=body, kind=kinds["notice"], title=f"通知{i}",
                                              text="正文", main=[city.dept_a], reply_due=dt.date(2020, 2, 5))
        if first is None:
            d = services.document_sign_off(actor=SYSTEM, document=d)
            d = services.document_issue(actor=SYSTEM, document=d, notify=False)
            services.instruction_record(actor=SYSTEM, document=d, leader_name="王", leader_position="书记",
                                        given_on=dt.date(2020, 2, 6), text="批示",
                                        items=[{"unit": city.dept_a, "task": f"事项{i}", "due_on": dt.date(2020, 2, 8)}])
        else:
            from fangkong.documents.models import DocumentRecipient

            DocumentRecipient.objects.create(document=first, unit=unit, delivered_at=first.signed_at)


@pytest.mark.parametrize("url", PAGES)
def test_it_runs_a_fixed_number_of_queries(city, kinds, body, url):
    office = f.user("committee_office", city.root)
    client = login_client(office)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"} if url.startswith("/api/") else {}
    add(city, kinds, body, 2, 0)
    from fangkong.documents.models import Document

    doc = Document.objects.order_by("id").first()
    target = url.format(doc=doc.pk)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(target, **headers)
        assert response.status_code == 200, target
        return len(ctx.captured_queries)

    count()
    few = count()
    if "{doc}" in url:
        add(city, kinds, body, 6, 2, first=doc)
    else:
        add(city, kinds, body, 6, 2)
    assert count() == few
