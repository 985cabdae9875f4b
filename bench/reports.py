"""Daily-report benchmarks on PostgreSQL: 10,000 reporting units × 90 days (900,000 reports).

1. The board (one day: figures, the drill-down rows, the unit list) and completeness/timeliness
   over ranges of 1 to 90 days, for subtrees from one department to the whole city: p50/p95.
2. A deadline burst: 2,000 liaisons each submit today's report through the API within one minute,
   against granian on 127.0.0.1, from a load generator in a second process; none may be lost.

Run by `make bench`: python bench/reports.py --database-url postgres://.../fk_rep_bench
"""

import argparse
import datetime as dt
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Process, Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

DAYS = 90
BURST = 2000


def build_tree() -> dict[str, list[int]]:
    """City → committee → 100 departments and 4 coordinating bodies × 600 industry units;
    city → 10 streets × 30 communities × 24 checkpoints: 10,000 reporting units."""
    from django.utils import timezone

    from fangkong.core.bulk import insert_rows
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.models import Unit, UnitLink

    now = timezone.now()
    seq = iter(range(1, 10**7))
    parents: dict[int, int | None] = {}

    def make(specs: list[tuple[str, str, Unit | None, int]]) -> list[Unit]:
        units = [Unit(code=f"B{next(seq):06d}", name=name, kind=kind, parent=parent, level=level,
                      created_at=now, updated_at=now) for kind, name, parent, level in specs]
        Unit.objects.bulk_create(units, batch_size=5000)
        for u in units:
            parents[u.pk] = u.parent_id
        return units

    (city,) = make([(K.CITY, "基准市", None, 0)])
    (committee,) = make([(K.WORKING_COMMITTEE, "市直机关工委", city, 1)])
    departments = make([(K.DEPARTMENT, f"市第{i}局", committee, 2) for i in range(100)])
    bodies = make([(K.COORDINATING_BODY, f"协调机构{i}", committee, 2) for i in range(4)])
    industry = make([(K.INDUSTRY_UNIT, f"企业{b.pk}-{i}", b, 3) for b in bodies for i in range(600)])
    streets = make([(K.STREET, f"第{i}街道", city, 1) for i in range(10)])
    communities = make([(K.COMMUNITY, f"社区{s.pk}-{i}", s, 2) for s in streets for i in range(30)])
    checkpoints = make([(K.CHECKPOINT, f"卡点{c.pk}-{i}", c, 3) for c in communities for i in range(24)])

    def links() -> list[tuple[int, int, int]]:
        rows = []
        for unit_id in parents:
            depth, node = 0, unit_id
            while node is not None:
                rows.append((node, unit_id, depth))
                node, depth = parents[node], depth + 1
        return rows

    insert_rows(UnitLink, ("ancestor_id", "descendant_id", "depth"), links())
    reporting = [u.pk for u in departments + industry + communities + checkpoints]
    assert len(reporting) == 10_000
    return {
        "city": [city.pk], "committee": [committee.pk], "department": [u.pk for u in departments],
        "body": [u.pk for u in bodies], "street": [u.pk for u in streets],
        "community": [u.pk for u in communities], "reporting": reporting,
    }


def load_reports(tree: dict[str, list[int]], today: dt.date) -> tuple[object, int]:
    from django.db import connection
    from django.utils import timezone

    from fangkong.core.actors import SYSTEM
    from fangkong.core.bulk import insert_rows
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.reports.defaults import ANOMALIES, FEVER, ISOLATION, RETURNEES
    from fangkong.reports.models import Report
    from fangkong.reports.services import current_version, rollup_rebuild, template_create

    start = today - dt.timedelta(days=DAYS)
    template = template_create(
        actor=SYSTEM, code="bench", name="基准日报", line="organs",
        unit_kinds=[K.DEPARTMENT, K.INDUSTRY_UNIT, K.COMMUNITY, K.CHECKPOINT], start_date=start,
        deadline=dt.time(16, 0), fields=[dict(f) for f in (RETURNEES, ISOLATION, FEVER, ANOMALIES)],
    )
    version = current_version(template)
    tz = timezone.get_current_timezone()
    rng = random.Random(90)

    def rows():  # type: ignore[no-untyped-def]
        for i in range(DAYS):
            day = start + dt.timedelta(days=i)
            deadline = dt.datetime.combine(day, dt.time(16, 0), tzinfo=tz)
            for unit_id in tree["reporting"]:
                if rng.random() < 0.04:
                    continue  # missing
                late = rng.random() < 0.08
                at = deadline + dt.timedelta(minutes=rng.randrange(5, 400) if late else -rng.randrange(5, 500))
                zero = rng.random() < 0.6
                values = {} if zero else {"returnees_new": rng.randrange(4), "in_isolation": rng.randrange(9),
                                          "fever_cases": 0}
                yield (template.pk, unit_id, day, version.pk, zero, values, at, True, not late, at, None, 1)

    t0 = time.perf_counter()
    n = insert_rows(Report, ("template_id", "unit_id", "day", "version_id", "is_zero", "values", "received_at",
                             "in_day", "on_time", "updated_at", "submitted_by_id", "revision_count"), rows())
    print(f"loaded {n:,} reports for 10,000 units × {DAYS} days in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    rows = rollup_rebuild(template=template)
    print(f"built the daily roll-up ({rows:,} rows) in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_reportrollup")
        cursor.execute("VACUUM ANALYZE reports_report")
        cursor.execute("VACUUM ANALYZE orgs_unit")
        cursor.execute("VACUUM ANALYZE orgs_unitlink")
    return template, n


def load_ledger(tree: dict[str, list[int]], today: dt.date, persons: int) -> None:
    """``persons`` returnees in the ledger (generated in SQL: a million in about a minute), over
    the bench tree: two in three employed by the 100 departments (organs line), the rest by the
    2,400 industry units (industry line, with their coordinating body); resident in the 300
    communities; each side's first registration spread over the 90 days, 8% registered by their
    unit only, 3% by their community only (concealment suspects)."""
    from django.db import connection

    from fangkong.orgs.models import Unit

    if not persons:
        return
    industry = list(Unit.objects.filter(kind="industry_unit").order_by("id").values_list("id", "parent_id"))
    start = today - dt.timedelta(days=DAYS)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO returnees_returnee (name, id_cipher, id_digest, id_masked, sex, birth_year, phone_cipher,
              phone_digest, phone_masked, unit_id, community_id, address, category, origin_code, origin_text,
              transport, return_date, line, coordinating_body_id, notes, unit_reported_at, community_reported_at,
              created_at, updated_at)
            SELECT '某' || g, '', md5(g::text) || md5('d' || g), '', 'M', 1980, '', '', '',
              CASE WHEN g %% 3 = 0 THEN (%(industry)s::int[])[1 + (g / 3) %% %(n_industry)s]
                   ELSE (%(departments)s::int[])[1 + g %% %(n_departments)s] END,
              (%(communities)s::int[])[1 + (g / 7) %% %(n_communities)s], '', 'outside', '', '', '',
              %(start)s::date + (g %% %(days)s),
              CASE WHEN g %% 3 = 0 THEN 'industry' ELSE 'organs' END,
              CASE WHEN g %% 3 = 0 THEN (%(bodies)s::int[])[1 + (g / 3) %% %(n_industry)s] END, '',
              CASE WHEN g %% 100 < 3 THEN NULL ELSE
                %(start)s::timestamptz + (g %% %(days)s) * INTERVAL '1 day' + (8 + g %% 11) * INTERVAL '1 hour' END,
              CASE WHEN g %% 100 BETWEEN 3 AND 10 THEN NULL ELSE
                %(start)s::timestamptz + (g %% %(days)s) * INTERVAL '1 day' + (9 + g %% 13) * INTERVAL '1 hour'
                + (g %% 5) * INTERVAL '1 day' END,
              now(), now()
            FROM generate_series(1, %(persons)s) AS g
            """,
            {"industry": [u for u, _p in industry], "bodies": [p for _u, p in industry], "n_industry": len(industry),
             "departments": tree["department"], "n_departments": len(tree["department"]),
             "communities": tree["community"], "n_communities": len(tree["community"]),
             "start": start, "days": DAYS, "persons": persons},
        )
        cursor.execute("VACUUM ANALYZE returnees_returnee")
    print(f"loaded {persons:,} persons into the ledger in {time.perf_counter() - t0:.1f} s")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_reads(template, tree: dict[str, list[int]], today: dt.date) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from django.db import reset_queries

    from fangkong.orgs.models import Unit
    from fangkong.reports import selectors

    rng = random.Random(7)
    nodes = {kind: tree[kind] for kind in ("city", "committee", "body", "street", "community", "department")}
    board: list[float] = []
    rates: list[float] = []
    worst: dict[str, float] = {}
    for kind, ids in nodes.items():
        for _ in range(12):
            node = Unit.objects.get(pk=rng.choice(ids))
            day = today - dt.timedelta(days=rng.randrange(1, DAYS))
            t0 = time.perf_counter()
            selectors.figures(template, day, day, node.pk)
            selectors.child_page(template, day, day, node)  # the first page, as the board shows it
            selectors.unit_states(template, day, node.pk, selectors.end_of_day(day))
            took = (time.perf_counter() - t0) * 1000
            board.append(took)
            worst[f"board {kind}"] = max(worst.get(f"board {kind}", 0), took)
            for span in (1, 7, 30, DAYS):
                end = today - dt.timedelta(days=1)
                start = end - dt.timedelta(days=span - 1)
                t0 = time.perf_counter()
                fig = selectors.figures(template, start, end, node.pk)
                took = (time.perf_counter() - t0) * 1000
                assert fig["completeness"] <= 1 and fig["timeliness"] <= 1
                rates.append(took)
                key = f"rates {kind} {span}d"
                worst[key] = max(worst.get(key, 0), took)
            reset_queries()
    print(f"board (one day: figures, first page of the drill-down and of the unit list): n={len(board)} "
          f"p50 {statistics.median(board):.1f} ms, p95 {pct(board, 95):.1f} ms, max {max(board):.1f} ms")
    print(f"completeness/timeliness (1/7/30/90 days, department … city): n={len(rates)} "
          f"p50 {statistics.median(rates):.1f} ms, p95 {pct(rates, 95):.1f} ms, max {max(rates):.1f} ms")
    slow = sorted(worst.items(), key=lambda kv: -kv[1])[:4]
    print("slowest cases: " + ", ".join(f"{k} {v:.0f} ms" for k, v in slow))
    return {"board_p95": pct(board, 95), "rates_p95": pct(rates, 95)}


def measure_command(today: dt.date, tree: dict[str, list[int]], n: int = 30) -> dict[str, float]:
    """The command picture (/api/v1/command and /command/) for the committee office (the whole
    city) at random as-of moments of the 90 days:

    - nothing kept: no snapshot at all, the as-of moment and the trend's six days before computed;
    - first request of a closed day once the day-close job has kept its snapshots (as in
      service: ``selectors.precompute``, timed here for the 90 days), API and page;
    - the same request again;
    - a moment inside a closed day (noon) and today's now: the moment itself computed, the
      trend's closed days read from their snapshots.
    """
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fangkong.accounts.services import token_create
    from fangkong.command.models import Snapshot
    from fangkong.command.selectors import TREND_DAYS, precompute
    from fangkong.core import clock
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.models import Unit
    from tests.conftest import login_client
    from tests.factories import user

    office = user("committee_office", Unit.objects.filter(parent__isnull=True).order_by("id").first(),
                  username=f"bench_office_{secrets.token_hex(4)}")
    page, api = login_client(office), Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"}
    rng = random.Random(14)
    timings: dict[str, list[float]] = {}
    queries: dict[str, set[int]] = {}

    def timed(key: str, client: Client, url: str, headers: dict[str, str]) -> None:
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            assert client.get(url, **headers).status_code == 200, url
            timings.setdefault(key, []).append((time.perf_counter() - t0) * 1000)
        queries.setdefault(key, set()).add(len(ctx.captured_queries))

    days = [(today - dt.timedelta(days=rng.randrange(1, DAYS))) for _ in range(n)]
    Snapshot.objects.all().delete()
    for day in days[: max(3, n // 6)]:
        Snapshot.objects.all().delete()
        timed("api_nothing", api, f"/api/v1/command?as_of={day.isoformat()}", auth)
    Snapshot.objects.all().delete()
    t0 = time.perf_counter()
    span = DAYS + TREND_DAYS  # the 90 days and the trend's days before the first
    precompute([today - dt.timedelta(days=i) for i in range(1, span + 1)], users=[office])
    kept = Snapshot.objects.count()
    print(f"command picture: the day-close job kept {kept:,} snapshots ({span} closed days × the office's lines) "
          f"in {time.perf_counter() - t0:.1f} s ({(time.perf_counter() - t0) / span * 1000:.0f} ms a day)")
    for day in days:
        timed("api", api, f"/api/v1/command?as_of={day.isoformat()}", auth)
        timed("page", page, f"/command/?as_of={day.isoformat()}", {})
        timed("api_again", api, f"/api/v1/command?as_of={day.isoformat()}", auth)
    for day in days[: max(3, n // 6)]:
        timed("api_noon", api, f"/api/v1/command?as_of={day.isoformat()}T12:00:00%2B08:00", auth)
        timed("api_now", api, "/api/v1/command", auth)
        timed("page_now", page, "/command/", {})
    # A live day: a community registers today someone their unit registered five days ago. That
    # second side changes no closed day of the whole city (its kept days stay); a community's
    # picture sees one more person on those days, and its kept days expire.
    from fangkong.returnees.models import Returnee

    waiting = list(Returnee.objects.filter(
        community_reported_at__isnull=True, unit_reported_at__date=today - dt.timedelta(days=5),
        unit__isnull=False).order_by("id")[: max(3, n // 6)])
    for person in waiting:
        Returnee.objects.filter(pk=person.pk).update(community_reported_at=clock.now(),
                                                     community_id=tree["community"][0])
        timed("api_now_written", api, "/api/v1/command", auth)
    figures = {}
    for key, label in (("api_nothing", "/api/v1/command, closed day, nothing kept (7 moments computed)"),
                       ("api", "/api/v1/command, closed day, first request (snapshots kept at day close)"),
                       ("page", "/command/, closed day, first request (snapshots kept at day close)"),
                       ("api_again", "/api/v1/command, closed day, again"),
                       ("api_noon", "/api/v1/command, noon of a closed day (the moment computed)"),
                       ("api_now", "/api/v1/command, now (today computed)"),
                       ("page_now", "/command/, now (today computed)"),
                       ("api_now_written", "/api/v1/command, now, just after a second side today for someone "
                                           "registered five days ago")):
        values = timings[key]
        figures[key] = pct(values, 95)
        print(f"{label}: n={len(values)} p50 {statistics.median(values):.1f} ms, p95 {pct(values, 95):.1f} ms, "
              f"queries {'/'.join(str(q) for q in sorted(queries[key]))}")
    print(f"Target: p95 < 300 ms for any as-of moment (load average now {os.getloadavg()[0]:.1f}, 2 cores).")
    return {"command_api_p95": figures["api"], "command_page_p95": figures["page"]}


def make_liaisons(tree: dict[str, list[int]]) -> list[tuple[str, int]]:
    """2,000 liaisons, one per unit, each with an API token (only hashes are stored)."""
    from django.contrib.auth.hashers import make_password

    from fangkong.accounts.models import ApiToken, User, UserScope
    from fangkong.accounts.services import TOKEN_PREFIX

    units = tree["reporting"][:BURST]
    users = list(User.objects.filter(username__startswith="bench").order_by("id"))
    if len(users) == BURST:  # --reuse: the liaisons exist, give them new tokens
        units = [u.scopes.get().unit_id for u in users]
        ApiToken.objects.filter(user__in=users).delete()
    else:
        password = make_password(secrets.token_urlsafe(12))
        users = User.objects.bulk_create([
            User(username=f"bench{i}", password=password, role="unit_liaison", full_name="联络员")
            for i in range(BURST)
        ])
        UserScope.objects.bulk_create([UserScope(user=u, unit_id=unit) for u, unit in zip(users, units, strict=True)])
    keys = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create([
        ApiToken(user=u, key_hash=ApiToken.hash_key(k), prefix=k[:10]) for u, k in zip(users, keys, strict=True)
    ])
    return list(zip(keys, units, strict=True))


def load_generator(base: str, jobs: list[tuple[str, int]], seconds: float, out: "Queue[object]") -> None:
    """Open loop: request i starts at i × seconds / n whatever the earlier ones are doing."""
    start = time.perf_counter() + 0.5

    def one(i: int) -> tuple[int, float, str]:
        key, unit = jobs[i]
        delay = start + i * seconds / len(jobs) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"template": "bench", "unit": unit,
                           "values": {"returnees_new": i % 3, "in_isolation": i % 7, "fever_cases": 0}}).encode()
        request = urllib.request.Request(f"{base}/api/v1/reports/submit", data=body, method="POST", headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()[:200]
        except OSError as exc:
            status, text = 0, str(exc)
        return status, (time.perf_counter() - t0) * 1000, text if status != 200 else ""

    cpu = time.process_time()
    with ThreadPoolExecutor(max_workers=128) as pool:
        results = list(pool.map(one, range(len(jobs))))
    out.put({"results": results, "elapsed": time.perf_counter() - start, "cpu": time.process_time() - cpu})


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of one process group (Linux)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state, ppid, pgrp, …
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def burst(tree: dict[str, list[int]], today: dt.date, port: int, database_url: str) -> None:
    from fangkong.reports.models import Report, ReportRevision

    jobs = make_liaisons(tree)
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "fangkong.config.test_settings",
           "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": secrets.token_urlsafe(40), "DEBUG": "0"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--blocking-threads", "32", "--no-access-log",  # as make run
         "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise SystemExit("granian did not start: " + (server.stderr.read(2000).decode() if server.stderr else ""))
        queue: Queue[object] = Queue()
        server_cpu = group_cpu(server.pid)
        generator = Process(target=load_generator, args=(base, jobs, 55.0, queue))
        generator.start()
        data = queue.get(timeout=600)
        generator.join()
        server_cpu = group_cpu(server.pid) - server_cpu
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    results = data["results"]  # type: ignore[index]
    latencies = [ms for status, ms, _ in results if status == 200]
    failures = [(status, text) for status, _, text in results if status != 200]
    stored = Report.objects.filter(template__code="bench", day=today).count()
    revisions = ReportRevision.objects.filter(report__template__code="bench", report__day=today).count()
    print(f"deadline burst: {len(results):,} submissions in {data['elapsed']:.1f} s through granian "  # type: ignore[index]
          f"(1 worker × 32 threads, as make run serves) from a second process; {len(latencies):,} answered 200, {len(failures)} failed")
    if latencies:
        print(f"  latency p50 {statistics.median(latencies):.0f} ms, p95 {pct(latencies, 95):.0f} ms, "
              f"p99 {pct(latencies, 99):.0f} ms, max {max(latencies):.0f} ms")
    print(f"  throughput {len(latencies) / data['elapsed']:.1f} submissions/s; CPU per submission: server "  # type: ignore[index]
          f"{server_cpu * 1000 / len(results):.1f} ms, load generator {data['cpu'] * 1000 / len(results):.1f} ms "  # type: ignore[index]
          f"(2 cores; load average at the end {os.getloadavg()[0]:.1f})")
    print(f"  reports stored for today: {stored:,} (expected {BURST:,}); revisions {revisions:,}; "
          f"lost: {BURST - stored}")
    if failures:
        print("  first failures:", failures[:3])
    if stored != BURST or failures:
        raise SystemExit("the burst lost submissions")


def reuse(database_url: str) -> tuple[object, dict[str, list[int]], dt.date]:
    """Open the data of an earlier run; today's reports (the burst's) are removed."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.config.test_settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.models import Unit
    from fangkong.reports.models import Report, ReportRollup, ReportTemplate
    from fangkong.reports.services import rollup_rebuild

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    template = ReportTemplate.objects.get(code="bench")
    Report.objects.filter(template=template, day__gte=today).delete()
    if not ReportRollup.objects.filter(template=template).exists():
        rollup_rebuild(template=template)
    ReportRollup.objects.filter(template=template, day__gte=today).delete()
    ids = {kind: list(Unit.objects.filter(kind=kind).order_by("id").values_list("id", flat=True)) for kind in K.values}
    tree = {"city": ids[K.CITY], "committee": ids[K.WORKING_COMMITTEE], "department": ids[K.DEPARTMENT],
            "body": ids[K.COORDINATING_BODY], "street": ids[K.STREET], "community": ids[K.COMMUNITY],
            "reporting": ids[K.DEPARTMENT] + ids[K.INDUSTRY_UNIT] + ids[K.COMMUNITY] + ids[K.CHECKPOINT]}
    return template, tree, today


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of a scratch database (dropped!)")
    parser.add_argument("--port", type=int, default=18250)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="Reuse the data of an earlier run (no reload).")
    parser.add_argument("--persons", type=int, default=1_000_000, help="Persons in the ledger (default 1,000,000).")
    parser.add_argument("--command-only", action="store_true", help="Only the command picture's figures.")
    parser.add_argument("--samples", type=int, default=30, help="As-of days timed for the command picture.")
    args = parser.parse_args()
    if args.reuse:
        template, tree, today = reuse(args.database_url)
        from fangkong.returnees.models import Returnee

        if not Returnee.objects.exists():
            load_ledger(tree, today, args.persons)
    else:
        setup(args.database_url)
        from django.utils import timezone

        today = timezone.localdate()
        t0 = time.perf_counter()
        tree = build_tree()
        print(f"built 10,415 units in {time.perf_counter() - t0:.1f} s")
        template, _n = load_reports(tree, today)
        load_ledger(tree, today, args.persons)
    figures = {} if args.command_only else measure_reads(template, tree, today)
    figures.update(measure_command(today, tree, args.samples))
    if not args.skip_burst and not args.command_only:
        burst(tree, today, args.port, args.database_url)
    if figures.get("board_p95", 0) > 200 or figures.get("rates_p95", 0) > 200:
        raise SystemExit("p95 above 200 ms")


if __name__ == "__main__":
    main()
