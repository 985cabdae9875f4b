"""Benchmarks of the donations line (issue 16):

* the public list ``/public/donations/`` over real HTTP through granian (as ``make run`` serves it:
  1 worker), loaded by keep-alive clients in separate processes: requests/s, p50 and p99, and how
  many database queries the server made while serving them (the page is answered from the cache);
* the stock card of one item in one store holding 1,000,000 movements: the newest page, a deep
  page and the balance, as the materials group opens them.

    python bench/donations.py [--database-url postgres://…/fk_donations_bench] [--seconds 10]
"""

import argparse
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

MOVES = 1_000_000


def build(donations: int = 200) -> None:
    """A public list of ``donations`` gifts and as many distributions, half of them signed."""
    import datetime as dt

    from fangkong.core.actors import SYSTEM
    from fangkong.donations import services
    from fangkong.donations.catalogue import ensure_measures
    from fangkong.donations.models import Measure
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.services import unit_create

    ensure_measures()
    city = unit_create(actor=SYSTEM, code="C0", name="白岭市", kind=K.CITY, parent=None)
    committee = unit_create(actor=SYSTEM, code="WC", name="市直机关工委", kind=K.WORKING_COMMITTEE, parent=city)
    street = unit_create(actor=SYSTEM, code="S1", name="东兴街道", kind=K.STREET, parent=city)
    community = unit_create(actor=SYSTEM, code="S1-C1", name="红旗社区", kind=K.COMMUNITY, parent=street)
    store = services.store_create(actor=SYSTEM, name="工委物资库", unit=committee)
    item = services.item_create(actor=SYSTEM, name="手套", category="epidemic", measure=Measure.objects.get(name="副"))
    day = dt.date(2020, 2, 1)
    for n in range(donations):
        department = unit_create(actor=SYSTEM, code=f"D{n:03d}", name=f"市第{n}局", kind=K.DEPARTMENT,
                                 parent=committee)
        donor = services.donor_create(actor=SYSTEM, kind="department", unit=department)
        services.intake_record(actor=SYSTEM, store=store, item=item, quantity="100", donor=donor, received_on=day,
                               received_by="库管")
        d = services.distribution_create(actor=SYSTEM, store=store, item=item, to_unit=community, quantity="50",
                                         dispatched_on=day)
        if n % 2:
            link, token = services.signing_link_create(actor=SYSTEM, distribution=d, receiver_name="赵春兰",
                                                       receiver_role="社区工作人员")
            services.receipt_sign_by_link(token=token, quantity_received="50")


def wait_port(port: int, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"granian did not start on port {port}")


def _client(port: int, seconds: float, out: "multiprocessing.Queue[list[float]]") -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        conn.request("GET", "/public/donations/", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"/public/donations/ answered {response.status}")
        latencies.append(time.perf_counter() - start)
    out.put(latencies)


def queries_made() -> int | None:
    """Statements the database has run so far (PostgreSQL's transaction counter), or None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def bench_public(args: argparse.Namespace) -> None:
    import tempfile

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangkong.config.settings", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))}
    # The pages name their static files through the manifest, as in production: collect them first.
    env.setdefault("FANGKONG_DATA_DIR", tempfile.mkdtemp(prefix="fk-bench-static-"))
    subprocess.run([str(Path(sys.executable).parent / "fangkong"), "collectstatic", "--noinput", "-v0"],
                   env=env, cwd=ROOT, check=True)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", "1", "--blocking-threads", str(args.threads), "--no-access-log",
         "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_port(args.port)
        queue: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
        _client(args.port, 1.0, queue)  # warm-up: the first request builds the page into the cache
        queue.get()
        before = queries_made()
        procs = [multiprocessing.Process(target=_client, args=(args.port, args.seconds, queue))
                 for _ in range(args.clients)]
        started = time.perf_counter()
        for p in procs:
            p.start()
        latencies = [x for _ in procs for x in queue.get()]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - started
        after = queries_made()
        latencies.sort()
        n = len(latencies)
        p99 = latencies[max(int(n * 0.99) - 1, 0)] * 1000
        print(f"{'public list /public/donations/ (granian 1 worker × ' + str(args.threads) + ' threads)':<60} "
              f"{n / elapsed:8,.0f} requests/s   p50 {statistics.median(latencies) * 1000:5.2f} ms   "
              f"p99 {p99:5.2f} ms   ({n:,} requests, {args.clients} clients)")
        if before is not None and after is not None:
            print(f"{'':<60} database transactions while serving them: {after - before - 1}")
    finally:
        server.terminate()
        server.wait(10)


def bench_stock_card() -> None:
    import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction
    from django.test import Client

    from fangkong.accounts.models import User, UserScope
    from fangkong.donations.models import Item, StockBalance, StockMove, Store
    from fangkong.orgs.models import Unit

    store = Store.objects.get()
    item = Item.objects.get()
    started = time.perf_counter()
    day = dt.date(2020, 2, 1)
    balance = StockBalance.objects.get(store=store, item=item).balance
    batch = 20_000
    with transaction.atomic():
        for start in range(0, MOVES, batch):
            rows = []
            for n in range(start, min(start + batch, MOVES)):
                delta = Decimal(1) if n % 2 == 0 else Decimal(-1)
                balance += delta
                rows.append(StockMove(store=store, item=item, kind="adjustment", quantity=delta,
                                      balance_after=balance, document=f"TZ{n:07d}", moved_on=day))
            StockMove.objects.bulk_create(rows)
        StockBalance.objects.filter(store=store, item=item).update(balance=balance)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE donations_stockmove")
    print(f"{'stock card: wrote ' + format(MOVES, ',') + ' movements':<60} {time.perf_counter() - started:8.1f} s")
    user = User.objects.create_user(username="bench_office", password="x", role="committee_office")
    UserScope.objects.create(user=user, unit=Unit.objects.get(code="C0"))
    from fangkong.accounts.middleware import LOGIN_AT_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[LOGIN_AT_KEY] = time.time()
    session.save()
    url = f"/donations/stock/{store.pk}/{item.pk}/"
    middle = StockMove.objects.filter(store=store, item=item).order_by("-id").values_list("id", flat=True)[MOVES // 2]
    for label, query in (("newest 50 lines", ""), ("50 lines half a million back", f"?before={middle}")):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            response = client.get(url + query)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        print(f"{'stock card of 1,000,000 movements: ' + label:<60} median {statistics.median(times) * 1000:7.1f} ms")
    t = time.perf_counter()
    for _ in range(100):
        StockBalance.objects.get(store=store, item=item)
    print(f"{'stock balance read (one row, however long the card)':<60} {(time.perf_counter() - t) * 10:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL of a bench database (dropped and created); "
                        "default: SQLite in a temp dir")
    parser.add_argument("--port", type=int, default=18560)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4, help="load processes, one keep-alive connection each")
    parser.add_argument("--threads", type=int, default=8, help="granian blocking threads")
    args = parser.parse_args()
    setup(args.database_url)
    build()
    print(f"donations bench on {'PostgreSQL' if args.database_url else 'SQLite'}")
    bench_public(args)
    bench_stock_card()


if __name__ == "__main__":
    main()
