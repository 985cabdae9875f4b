"""Benchmarks: `make bench`. Prints the figures; they are not asserted (see the README).

Person list: 100,000 people in 2,000 units on PostgreSQL; the list page filtered by a subtree,
and the API answer, p50/p95 over repeated requests through the full Django stack. The people are
stored as the platform stores them (ID numbers and phones sealed, with digests and masks; foreign
keys constrained): the list reads the stored masks and opens nothing.
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402


def generate(n_people: int, n_departments: int) -> dict[str, list[int]]:
    """Build 2,000 units (each department: party committee, 2 general branches, 6 branches) and people."""
    from django.db import transaction

    from fangkong.core.idcard import check_digit
    from fangkong.orgs.models import Unit, UnitLink
    from fangkong.people.models import Person

    rng = random.Random(1)
    units: list[Unit] = []
    parents: dict[int, int | None] = {}

    def add(code: str, name: str, kind: str, parent: Unit | None) -> Unit:
        unit = Unit(id=len(units) + 1, code=code, name=name, kind=kind, parent=parent,
                    level=(parent.level + 1) if parent else 0)
        units.append(unit)
        parents[unit.id] = parent.id if parent else None
        return unit

    root = add("C0", "基准市", "city", None)
    committee = add("WC", "市直机关工委", "working_committee", root)
    departments, generals = [], []
    for d in range(n_departments):
        dept = add(f"D{d:04d}", f"部门{d}", "department", committee)
        departments.append(dept)
        pc = add(f"D{d:04d}-P", f"部门{d}党委", "party_committee", dept)
        for g in range(2):
            gb = add(f"D{d:04d}-G{g}", f"部门{d}第{g}总支", "general_branch", pc)
            generals.append(gb)
            for b in range(3):
                add(f"D{d:04d}-G{g}-B{b}", f"部门{d}第{g}总支第{b}支部", "branch", gb)
    links = []
    for unit in units:
        node, depth = unit.id, 0
        while node is not None:
            links.append(UnitLink(ancestor_id=node, descendant_id=unit.id, depth=depth))
            node, depth = parents[node], depth + 1
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
    people = []
    seen = set()
    while len(people) < n_people:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(40 * 365))
        first17 = f"220602{birth:%Y%m%d}{rng.randrange(1000):03d}"
        if first17 in seen:
            continue
        seen.add(first17)
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        dept = departments[len(people) % len(departments)]
        phone = f"139{len(people):08d}"
        person = Person(name=name, name_initials="", phone_tail=phone[-4:], unit_id=dept.id, position="staff",
                        is_cadre=rng.random() < 0.3)
        person.id_number, person.phone = first17 + check_digit(first17), phone  # sealed, digest, mask
        people.append(person)
    from fangkong.people.services import pinyin_initials

    for person in people:
        person.name_initials = pinyin_initials(person.name)
    with transaction.atomic():
        Unit.objects.bulk_create(units, batch_size=2000)
        UnitLink.objects.bulk_create(links, batch_size=5000)
        Person.objects.bulk_create(people, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), (SELECT max(id) FROM orgs_unit))")
        # What autovacuum does after a bulk load: statistics and the visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    return {"department": [u.id for u in departments], "committee": [committee.id], "root": [root.id]}


def timed(fn, n: int) -> list[float]:
    fn()  # warm
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"  {label:<48} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/fangkong_bench")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=222)  # 222 × 9 + 2 = 2,000 units
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    setup(args.database_url)
    start = time.perf_counter()
    ids = generate(args.people, args.departments)
    from django.test import Client

    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.models import Unit
    from fangkong.people.models import Person
    from tests.conftest import login_client
    from tests.factories import user

    print(f"Generated {Unit.objects.count():,} units and {Person.objects.count():,} people "
          f"in {time.perf_counter() - start:.1f} s (PostgreSQL)")
    office = user("committee_office", Unit.objects.get(code="C0"))
    client = login_client(office)
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"}
    rng = random.Random(2)
    print("Person list, filtered by a subtree (first page of 50, with the total count; ID numbers and phones "
          "stored sealed, the list showing the stored masks):")
    for kind, pool in ids.items():
        def page(pool=pool) -> None:
            response = client.get(f"/people/?unit={rng.choice(pool)}")
            assert response.status_code == 200

        def answer(pool=pool) -> None:
            response = api.get(f"/api/v1/people?unit={rng.choice(pool)}", **auth)
            assert response.status_code == 200

        report(f"page, subtree = {kind}", timed(page, args.requests))
        report(f"API,  subtree = {kind}", timed(answer, args.requests))
    print("Target: p95 < 100 ms for the page and the API.")


if __name__ == "__main__":
    main()
