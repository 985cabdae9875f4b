"""Benchmark of the community supervision line's feedback board (社区反馈台账): the page and the
API through the full Django stack, for 26 communities × 100 paired departments × 90 days of
feedback, and for 1,000 communities (4 paired departments each, 90 days).

    python bench/supervision.py [--database-url postgres://…/fk_bench] [--runs 30]
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

DAYS = 90
FIRST = dt.date(2020, 1, 1)


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def build(label: str, communities: int, departments_each: int) -> None:
    """A city with ``communities`` communities under streets of 40, 100 departments, each
    community paired with ``departments_each`` of them, two groups covering all, 90 days of feedback."""
    from django.utils import timezone

    from fangkong.core.actors import SYSTEM
    from fangkong.orgs import services as org_services
    from fangkong.orgs.choices import GroupKind
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.models import Pairing, Unit, UnitLink, WorkingGroup
    from fangkong.supervision.models import Coverage, Feedback

    city = org_services.unit_create(actor=SYSTEM, code=f"{label}-C", name=f"{label}市", kind=K.CITY, parent=None)
    committee = org_services.unit_create(actor=SYSTEM, code=f"{label}-WC", name="工委", kind=K.WORKING_COMMITTEE,
                                         parent=city)
    depts = Unit.objects.bulk_create([Unit(code=f"{label}-D{i:03d}", name=f"{label}部门{i}", kind=K.DEPARTMENT,
                                           parent=committee, level=2) for i in range(100)])
    streets = Unit.objects.bulk_create([Unit(code=f"{label}-S{i:03d}", name=f"{label}街道{i}", kind=K.STREET,
                                             parent=city, level=1) for i in range((communities + 39) // 40)])
    comms = Unit.objects.bulk_create([Unit(code=f"{label}-S{i // 40:03d}-C{i:04d}", name=f"{label}社区{i}",
                                           kind=K.COMMUNITY, parent=streets[i // 40], level=2)
                                      for i in range(communities)])
    links = [UnitLink(ancestor=u, descendant=u, depth=0) for u in [*depts, *streets, *comms]]
    links += [UnitLink(ancestor=city, descendant=u, depth=u.level) for u in [*depts, *streets, *comms]]
    links += [UnitLink(ancestor=committee, descendant=d, depth=1) for d in depts]
    links += [UnitLink(ancestor=c.parent, descendant=c, depth=1) for c in comms]
    UnitLink.objects.bulk_create(links, batch_size=5000)
    pairs = [(c, depts[(i * departments_each + j) % 100]) for i, c in enumerate(comms) for j in range(departments_each)]
    Pairing.objects.bulk_create([Pairing(community=c, department=d, since=FIRST) for c, d in pairs], batch_size=5000)
    groups = [WorkingGroup.objects.create(unit=committee, name=f"{label}督查{i}组", kind=GroupKind.WORKING)
              for i in (1, 2)]
    Coverage.objects.bulk_create([Coverage(group=groups[i % 2], community=c, starts_on=FIRST)
                                  for i, c in enumerate(comms)])
    at = timezone.now()
    batch: list[Feedback] = []
    for n in range(DAYS):
        day = FIRST + dt.timedelta(days=n)
        for k, (c, d) in enumerate(pairs):
            batch.append(Feedback(community=c, department=d, day=day, submitted_at=at,
                                  obeys="no" if (k + n) % 97 == 0 else "yes", cadres_expected=3, cadres_present=3))
        if len(batch) >= 20000:
            Feedback.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Feedback.objects.bulk_create(batch, batch_size=5000)
    return city


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection
    from django.test import Client

    from fangkong.accounts.middleware import LOGIN_AT_KEY
    from fangkong.accounts.models import User, UserScope
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.supervision.models import Feedback

    print(f"database: {connection.vendor}")
    for label, communities, each in (("A", 26, 100), ("B", 1000, 4)):
        start = time.perf_counter()
        before = Feedback.objects.count()
        city = build(label, communities, each)
        rows = Feedback.objects.count() - before
        print(f"{communities} communities × {each} departments × {DAYS} days: {rows} feedback rows "
              f"loaded in {time.perf_counter() - start:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        office = User.objects.create_user(username=f"office{label}", password="x", role="committee_office")
        UserScope.objects.create(user=office, unit=city)
        client = Client()
        client.force_login(office)
        session = client.session
        session[LOGIN_AT_KEY] = time.time()
        session.save()
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"}
        last = (FIRST + dt.timedelta(days=DAYS - 1)).isoformat()
        for what, url, headers in (("board page", f"/supervision/?day={last}", {}),
                                   ("board API", f"/api/v1/supervision/board?day={last}", auth),
                                   ("figures API", f"/api/v1/supervision/figures?as_of={last}", auth)):
            def get(url: str = url, headers: dict = headers, client: Client = client) -> None:
                response = client.get(url, **headers)
                assert response.status_code == 200, (url, response.status_code)

            p50, p95 = timed(get, args.runs)
            print(f"  feedback {what:<14} ({communities:>4} communities) p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
