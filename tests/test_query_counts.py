"""List pages run a fixed number of SQL queries, recorded in query_counts.json.

A change that adds queries (an N+1 in a template, say) fails here; if the new count is
intended, run with FANGKONG_UPDATE_BASELINE=1 and commit the file.
"""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.accounts.services import token_create
from fangkong.command.models import Snapshot
from fangkong.core.actors import SYSTEM
from fangkong.people import services as people_services
from fangkong.returnees import services as returnee_services
from fangkong.returnees.models import Returnee

from . import factories as f

BASELINE = Path(__file__).with_name("query_counts.json")
PAGES = {
    "people:person_list": ("committee_office", "/people/?page_size=50"),
    "people:person_list (htmx, subtree)": ("committee_office", "/people/?unit={street}"),
    "people:person_list (community)": ("community_staff", "/people/"),
    "orgs:unit_list": ("committee_office", "/orgs/units/?page_size=50"),
    "orgs:unit_tree": ("committee_office", "/orgs/"),
    "orgs:unit_detail": ("committee_office", "/orgs/units/{street}/"),
    "accounts:user_list": ("system_admin", "/accounts/users/"),
    "audit:entry_list": ("auditor", "/audit/"),
    "returnees:returnee_list": ("committee_office", "/returnees/?page_size=50"),
    "returnees:returnee_list (htmx, filtered)": ("committee_office", "/returnees/?unit={committee}&dual=both"),
    "returnees:returnee_list (community)": ("community_staff", "/returnees/"),
    "returnees:returnee_detail": ("committee_office", "/returnees/{returnee}/"),
    "returnees:followup_today": ("community_staff", "/returnees/follow-ups/"),
    "returnees:reconciliation": ("committee_office", "/returnees/reconciliation/"),
    "api people": ("committee_office", "/api/v1/people?page_size=50"),
    "api units": ("committee_office", "/api/v1/units?page_size=50"),
    # The command picture: "cold" with no snapshot kept (the trend's closed days computed and
    # kept), "warm" with the closed days' snapshots kept by the same request just before (a closed
    # as-of day: every panel read from its snapshot; now: today's computed).
    "command:picture (cold)": ("committee_office", "/command/"),
    "command:picture (community, cold)": ("community_staff", "/command/"),
    "api command (cold)": ("committee_office", "/api/v1/command?as_of=2020-02-10"),
    "api command (warm)": ("committee_office", "/api/v1/command"),
    "api command (closed day, warm)": ("committee_office", "/api/v1/command?as_of=2020-02-10"),
    "command:picture (closed day, warm)": ("committee_office", "/command/?as_of=2020-02-10"),
}


def count(client, url, headers):
    # The log holds the last 9,000 queries: a full one would make every capture count nothing.
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def numeral(i):
    """A number written in Chinese numerals: a returnee's name holds letters only."""
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(i))


def seed_ledger(city, start, count):
    """Returnees of every kind the ledger pages show: dual-reported with follow-ups due, concealment
    suspects, people reported by two units, possible duplicates."""
    day = timezone.localdate() - dt.timedelta(days=2)
    for i in range(start, start + count):
        common = {"community": city.comm_1, "category": "outside", "return_date": day}
        both = returnee_services.register(actor=SYSTEM, side="unit", name=f"双报{numeral(i)}", id_number=f.id_number(),
                                          unit=city.dept_a, **common)
        returnee_services.register(actor=SYSTEM, side="community", name=both.name, id_number=both.id_number,
                                   unit=city.dept_a, **common)
        returnee_services.register(actor=SYSTEM, side="community", name=f"瞒报{numeral(i)}", id_number=f.id_number(),
                                   unit=city.dept_b, **common)
        several = returnee_services.register(actor=SYSTEM, side="unit", name=f"两报{numeral(i)}", id_number=f.id_number(),
                                             unit=city.dept_a, **common)
        returnee_services.register(actor=SYSTEM, side="unit", name=several.name, id_number=several.id_number,
                                   unit=city.dept_b, **common)
        for _ in range(2):
            returnee_services.register(actor=SYSTEM, side="unit", name=f"重名{numeral(i)}", id_number=f.id_number(),
                                       unit=city.industry, **common)


def grow(city):
    seed_ledger(city, 1, 15)
    for i in range(30):
        people_services.person_create(
            actor=SYSTEM, name=f"扩充{i}", id_number=f.id_number(), unit=city.comm_1 if i % 2 else city.dept_a,
            is_party_member=True, branch=city.branch_a if i % 2 == 0 else None,
        )
        f.unit("checkpoint", city.comm_2)
        f.user("community_staff", city.comm_2)


@pytest.fixture
def clients(city, as_user):
    scopes = {"community_staff": city.comm_1}
    result = {}
    for role in {role for role, _ in PAGES.values()}:
        user = f.user(role, scopes.get(role, city.root))
        result[role] = (as_user(user), {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"})
    return result


def test_it_keeps_list_pages_at_a_fixed_number_of_queries(city, clients):
    seed_ledger(city, 0, 1)
    returnee = Returnee.objects.order_by("id").first()

    def measure():
        counts = {}
        for name, (role, url) in PAGES.items():
            client, auth = clients[role]
            headers = auth if url.startswith("/api/") else {}
            if "htmx" in name:
                headers = {"HTTP_HX_REQUEST": "true"}
            target = url.format(street=city.street.pk, committee=city.committee.pk, returnee=returnee.pk)
            if "cold" in name:
                # A cold picture takes long enough for the business clock's 10-second memo of the
                # frozen day to lapse inside it now and then (one more query): the fewer of two.
                cache.clear()
                Snapshot.objects.all().delete()
                first = count(client, target, headers)
                cache.clear()
                Snapshot.objects.all().delete()
                counts[name] = min(first, count(client, target, headers))
                continue
            if "warm" in name:
                count(client, target, headers)
            counts[name] = count(client, target, headers)
        return counts

    measure()  # warm up: first use of a token records its last use, once
    small = measure()
    grow(city)
    large = measure()
    assert large == small, "query count depends on the number of rows (N+1)"
    # One baseline, with what differs on PostgreSQL (the whole city's picture of today reads the
    # ledger's tally there, kept by PostgreSQL's triggers) under "postgresql".
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    if os.environ.get("FANGKONG_UPDATE_BASELINE"):
        if connection.vendor == "postgresql":
            common = {k: v for k, v in baseline.items() if k != "postgresql"}
            baseline["postgresql"] = {k: v for k, v in small.items() if common.get(k) != v}
        else:
            baseline = {**small, "postgresql": baseline.get("postgresql", {})}
        BASELINE.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = {k: v for k, v in baseline.items() if k != "postgresql"}
    if connection.vendor == "postgresql":
        expected.update(baseline.get("postgresql", {}))
    assert small == expected
