"""Benchmarks of the passes: the online verification endpoint under granian (1 worker × 32
threads, as `make run` serves: the checks waiting share one statement and one commit) with load from wrk, a
second process, over keep-alive HTTP on 127.0.0.1 (Python load processes when wrk is missing), and
the CPU each verification costs the server, the PostgreSQL backends and the load generator (on a
shared machine the throughput follows the CPU left to it); verification in Chromium with no
network (WebCrypto Ed25519, as on the checkpoint phone); and the A4 card sheets of 1,000 passes.

    python bench/passes.py [--database-url postgres://…/fk_pass_bench] [--seconds 10] [--port 18510]
        [--workers 1] [--threads 32] [--clients 2] [--connections 16] [--reuse] [--python-load]

Targets (issue 5): ≥ 3,000 logged verifications/s with p99 < 10 ms, measured with distinct
passes; < 20 ms per scan in the browser; 1,000 passes printed in < 10 s.

Each load runs twice: cycling through 1,000 staff passes, as a checkpoint sees the same cards again
and again (after the first round every check finds its token's reading and signature remembered
in the worker: ``fastpath._READS``, ``tokens._verified_memo``), and with distinct passes, each
token sent once (a pool of vehicle passes issued in bulk for the run: nothing remembered, an
Ed25519 verification at every check). The target is the second figure.
"""

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

PASSES = 1000


def build(n: int) -> dict:
    """A street, community and checkpoint, a guard with an API token, and ``n`` staff passes."""
    from django.utils import timezone

    from fangkong.accounts.models import User, UserScope
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.services import unit_create
    from fangkong.passes import services
    from fangkong.people.services import person_create
    from tests.factories import id_number

    root = unit_create(actor=SYSTEM, code="C0", name="白岭市", kind=K.CITY, parent=None)
    committee = unit_create(actor=SYSTEM, code="WC", name="市直机关工委", kind=K.WORKING_COMMITTEE, parent=root)
    dept = unit_create(actor=SYSTEM, code="D001", name="市民政局", kind=K.DEPARTMENT, parent=committee)
    street = unit_create(actor=SYSTEM, code="S1", name="东兴街道", kind=K.STREET, parent=root)
    community = unit_create(actor=SYSTEM, code="S1-C01", name="红旗社区", kind=K.COMMUNITY, parent=street)
    checkpoint = unit_create(actor=SYSTEM, code="S1-C01-K1", name="江北路卡点", kind=K.CHECKPOINT, parent=community)
    office = User.objects.create_user(username="office", password="x", role="committee_office")
    UserScope.objects.create(user=office, unit=root)
    guard = User.objects.create_user(username="guard", password="x", role="checkpoint_staff")
    UserScope.objects.create(user=guard, unit=checkpoint)
    now = timezone.now()
    tokens = []
    for i in range(n):
        person = person_create(actor=SYSTEM, audit=False, name=f"干部{i:04d}", id_number=id_number(), phone="", unit=dept)
        p = services.issue_staff_pass(actor=office, person=person, valid_from=now - dt.timedelta(days=1),
                                      valid_until=now + dt.timedelta(days=30), zones=[community], audit=False)
        tokens.append(p.token)
    return {"token": token_create(user=guard, actor=SYSTEM), "tokens": tokens, "checkpoint": checkpoint.code}


def distinct_pool(n: int) -> list[str]:
    """``n`` vehicle passes for the checkpoint's community, issued in bulk (ids from the table's
    sequence, signed with the current key as ``services`` signs them, written in batches): tokens
    no verifier has seen, so no check of a distinct run finds anything remembered."""
    from cryptography.fernet import InvalidToken
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.orgs.models import Unit
    from fangkong.passes import services
    from fangkong.passes.choices import PassKind
    from fangkong.passes.keys import current_key, rotate_key
    from fangkong.passes.models import Pass
    from fangkong.passes.numbering import new_number

    try:
        key, private = current_key()
    except InvalidToken:  # --reuse with another SECRET_KEY: sign the pool with a new key
        rotate_key()
        key, private = current_key()
    unit, community = Unit.objects.get(code="D001"), Unit.objects.get(code="S1-C01")
    office = User.objects.get(username="office")
    now = timezone.now()
    start = (Pass.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    numbers: set[str] = set(Pass.objects.values_list("number", flat=True))
    fresh: list[str] = []
    while len(fresh) < n:
        number = new_number(PassKind.VEHICLE)
        if number not in numbers:
            numbers.add(number)
            fresh.append(number)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    rows = []
    for i, number in enumerate(fresh):
        plate = f"吉{letters[(start + i) // 100_000]}{(start + i) % 100_000:05d}"  # unique: from the pass's id
        p = Pass(id=start + i, number=number, kind=PassKind.VEHICLE, plate=plate,
                 unit=unit, valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30), key=key,
                 issued_by=office, purpose="bench")
        p.token = services.tokens.sign(services._claims(p, [community.pk]), private)
        rows.append(p)
    with transaction.atomic():
        Pass.objects.bulk_create(rows, batch_size=5000)
        Pass.zones.through.objects.bulk_create(
            [Pass.zones.through(pass_id=p.pk, unit_id=community.pk) for p in rows], batch_size=5000)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Pass]):
                cursor.execute(sql)
    return [p.token for p in rows]


def reuse(database_url: str | None) -> dict:
    """The passes and checkpoint of an earlier run's database, and a fresh API token for its guard."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.config.test_settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    if not database_url:
        raise SystemExit("--reuse needs --database-url")
    os.environ["DATABASE_URL"] = database_url
    django.setup()
    from fangkong.accounts.models import User
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.passes.models import Pass

    tokens = list(Pass.objects.order_by("id").values_list("token", flat=True)[:PASSES])
    return {"token": token_create(user=User.objects.get(username="guard"), actor=SYSTEM), "tokens": tokens, "checkpoint": "S1-C01-K1"}


# ---- the load generator (its own process) ---------------------------------------------------


async def _connection(port: int, requests: list[bytes], until: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while time.perf_counter() < until:
        request = requests[i % len(requests)]
        i += 1
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if not head.startswith(b"HTTP/1.1 200") or (b'"valid": true' not in body and b'"valid":true' not in body):
            errors.append(1)
    writer.close()


def _load(port: int, requests: list[bytes], seconds: float, connections: int, out: "multiprocessing.Queue") -> None:
    latencies: list[float] = []
    errors: list[int] = []

    async def run() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*[
            _connection(port, requests[k::connections] or requests, until, latencies, errors) for k in range(connections)
        ])

    start, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run())
    out.put((latencies, len(errors), time.perf_counter() - start, time.process_time() - cpu))


def load(port: int, requests: list[bytes], seconds: float, connections: int,
         clients: int = 2) -> tuple[list[float], int, float, float]:
    """Keep-alive load from ``clients`` separate processes sharing ``connections`` connections.
    Returns the latencies, the answers that were not "valid", the elapsed time and the clients' CPU."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    share = max(1, connections // clients)
    procs = [ctx.Process(target=_load, args=(port, requests[k::clients], seconds, share, out)) for k in range(clients)]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    latencies = [x for r in results for x in r[0]]
    return latencies, sum(r[1] for r in results), max(r[2] for r in results), sum(r[3] for r in results)


def http_request(port: int, token: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (
        f"POST /api/v1/passes/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + data


def wait_port(port: int, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"granian did not start on port {port}")


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family = {root_pid}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(times.get(pid, 0.0) for pid in family)


def database_cpu_seconds() -> float | None:
    """CPU time used so far by the PostgreSQL backends serving the benchmark's database (Linux /proc,
    server on this machine), or None on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        pids = [row[0] for row in cursor.fetchall()]
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def report(label: str, latencies: list[float], errors: int, elapsed: float, client_cpu: float,
           cpu: float | None = None, db_cpu: float | None = None) -> None:
    latencies.sort()
    n = len(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(n * 0.99) - 1] * 1000
    print(f"{label:<58} {n / elapsed:8,.0f} verifications/s   p50 {p50:5.2f} ms   p99 {p99:5.2f} ms   "
          f"({n:,} requests, {errors} not valid)")
    costs = [f"server {cpu / n * 1000:.2f}" if cpu is not None else "",
             f"PostgreSQL {db_cpu / n * 1000:.2f}" if db_cpu is not None else "",
             f"load generator {client_cpu / n * 1000:.2f}"]
    print(f"{'':<58} CPU ms per verification: {', '.join(c for c in costs if c)}")


WRK_SCRIPT = """
local bodies = {%(bodies)s}
local distinct = %(distinct)s
local requests = {}
local n = 0
bad = 0  -- globals: done() reads each thread's counts
wrapped = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local headers = {["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json"}
  if distinct then
    -- Each thread its own share of the bodies, each sent once (until the share runs out).
    for k = id + 1, #bodies, %(threads)d do
      requests[#requests + 1] = wrk.format("POST", "/api/v1/passes/verify", headers, bodies[k])
    end
  else
    for k, body in ipairs(bodies) do
      requests[k] = wrk.format("POST", "/api/v1/passes/verify", headers, body)
    end
    n = math.random(#requests)
  end
end

function request()
  n = n %% #requests + 1
  if distinct and n == #requests then wrapped = wrapped + 1 end
  return requests[n]
end

local think = %(think)s
if think > 0 then
  -- Paced load: each connection is a checkpoint phone that waits a random (exponential) time
  -- between its checks, so the offered rate is about connections / think time.
  function delay()
    return -think * math.log(1 - math.random())
  end
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"valid": true', 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local b, w = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); w = w + t:get("wrapped") end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "seconds": %%f, "p50": %%d, "p99": %%d, "max": %%d, "errors": %%d, "bad": %%d, "wrapped": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout, b, w))
end
"""


def load_wrk(port: int, bodies: list[str], token: str, seconds: float, connections: int,
             threads: int, think_ms: float = 0, distinct: bool = False) -> tuple[list[float], int, float, float, dict]:
    """Load from wrk (a C load generator, one process with ``threads`` threads) over ``connections``
    keep-alive connections, cycling through the request bodies; with ``think_ms`` each connection
    waits that long on average between its requests; ``distinct``: each body is sent once (the
    figures say how often a thread ran out and started again). Returns what ``load`` returns, with
    wrk's own percentiles (microsecond resolution) instead of every latency."""
    import resource
    import tempfile

    lua = WRK_SCRIPT % {"bodies": ",".join(json.dumps(b) for b in bodies), "token": token,
                        "think": f"{think_ms:.3f}", "distinct": "true" if distinct else "false", "threads": threads}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "5s", "-s", f.name,
         f"http://127.0.0.1:{port}/api/v1/passes/verify"],
        capture_output=True, text=True,
    )
    if out.returncode:
        raise SystemExit(f"wrk failed: {out.stderr or out.stdout}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.unlink(f.name)
    figures = json.loads(next(line[4:] for line in out.stdout.splitlines() if line.startswith("WRK ")))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [], figures["bad"] + figures["errors"], figures["seconds"], cpu, figures


def report_wrk(label: str, bad: int, elapsed: float, client_cpu: float, figures: dict, cpu: float,
               db_cpu: float | None) -> None:
    n = figures["requests"]
    print(f"{label:<58} {n / elapsed:8,.0f} verifications/s   p50 {figures['p50'] / 1000:5.2f} ms   "
          f"p99 {figures['p99'] / 1000:5.2f} ms   max {figures['max'] / 1000:6.2f} ms   ({n:,} requests, {bad} not valid)")
    if figures.get("wrapped"):
        print(f"{'':<58} (the pool ran out {figures['wrapped']} times: some tokens were sent twice)")
    costs = [f"server {cpu / n * 1000:.2f}", f"PostgreSQL {db_cpu / n * 1000:.2f}" if db_cpu is not None else "",
             f"load generator {client_cpu / n * 1000:.2f}"]
    print(f"{'':<58} CPU ms per verification: {', '.join(c for c in costs if c)}")


def bench_server(args: argparse.Namespace, data: dict) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangkong.config.settings", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": os.environ["SECRET_KEY"]}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", str(args.workers), "--blocking-threads", str(args.threads),
         "--no-access-log",
         "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    try:
        wait_port(args.port)
        cp = data["checkpoint"]
        logged = [json.dumps({"token": t, "checkpoint": cp, "direction": "in"}) for t in data["tokens"]]
        unlogged = [json.dumps({"token": t, "checkpoint": cp, "log": False}) for t in data["tokens"]]

        def run(bodies: list[str], seconds: float) -> tuple:
            if use_wrk:
                return load_wrk(args.port, bodies, data["token"], seconds, args.connections, args.clients)
            requests = [http_request(args.port, data["token"], json.loads(b)) for b in bodies]
            return (*load(args.port, requests, seconds, args.connections, args.clients), None)

        run(logged, 2)  # warm-up: connections, caches, prepared statements
        print(f"granian: {args.workers} worker{'s' if args.workers != 1 else ''} × {args.threads} threads; load: "
              + (f"wrk, {args.clients} threads" if use_wrk else f"{args.clients} Python processes")
              + f", {args.connections} keep-alive connections")
        paced = f"{args.paced_connections} phones aiming at {args.rate:,}/s"
        runs = [(f"cycled 1,000 passes: verify + log, {args.connections} conns flat out", logged, 0.0, False),
                ("cycled 1,000 passes: verify only (log: false), flat out", unlogged, 0.0, False)]
        if use_wrk and args.rate:
            # The target as a checkpoint fleet makes it: many phones, each checking now and then.
            runs.append((f"cycled 1,000 passes: verify + log, {paced}", logged, -1.0, False))
        if use_wrk:
            # Nothing remembered: each token is sent once, so every check reads it and verifies its
            # signature (the figure the target is measured by).
            flat, steady = (
                [json.dumps({"token": t, "checkpoint": cp, "direction": "in"}) for t in pool] for pool in data["distinct"]
            )
            runs.append((f"distinct passes: verify + log, {args.connections} conns flat out", flat, 0.0, True))
            if args.rate:
                runs.append((f"distinct passes: verify + log, {paced}", steady, -1.0, True))
        else:
            print("distinct passes: measured with wrk only (the Python load cycles its requests)")
        answer_ms = 0.0
        for label, bodies, think_ms, distinct in runs:
            before, db_before = cpu_seconds(server.pid), database_cpu_seconds()
            if think_ms < 0:
                # Each phone waits between its checks so that, with the answer's own time (the
                # median of the flat-out run), the phones together offer the rate aimed at.
                think_ms = max(1.0, args.paced_connections / args.rate * 1000 - answer_ms)
                latencies, bad, elapsed, client_cpu, figures = load_wrk(
                    args.port, bodies, data["token"], args.seconds, args.paced_connections, args.clients, think_ms,
                    distinct=distinct)
            elif distinct:
                latencies, bad, elapsed, client_cpu, figures = load_wrk(
                    args.port, bodies, data["token"], args.seconds, args.connections, args.clients, distinct=True)
            else:
                latencies, bad, elapsed, client_cpu, figures = run(bodies, args.seconds)
            db_after = database_cpu_seconds()
            cpu = cpu_seconds(server.pid) - before
            db_cpu = db_after - db_before if db_after is not None and db_before is not None else None
            if figures is not None:
                answer_ms = answer_ms or figures["p50"] / 1000
                report_wrk(label, bad, elapsed, client_cpu, figures, cpu, db_cpu)
            else:
                report(label, latencies, bad, elapsed, client_cpu, cpu=cpu, db_cpu=db_cpu)
        print(f"  (machine load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    finally:
        server.terminate()
        server.wait(10)


def bench_browser(args: argparse.Namespace, data: dict) -> None:
    """Time the page's own verification function in Chromium with the network off."""
    if not Path("/usr/bin/chromium").exists():
        print("in-browser verification: skipped (no /usr/bin/chromium)")
        return
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangkong.config.test_settings", "ALLOWED_HOSTS": "localhost"}
    port = args.port + 1
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page = context.new_page()
            base = f"http://localhost:{port}"
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "guard")
            page.fill("input[name=password]", "x")
            page.click("#login-submit")
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/passes/checkpoint/{data['checkpoint']}/")
            page.wait_for_function("() => document.body.dataset.ready === '1'")
            context.set_offline(True)
            tokens = data["tokens"][:300]
            per_scan = page.evaluate("""async (tokens) => {
                const times = [];
                for (const t of tokens) {
                    const start = performance.now();
                    const r = await window.fkVerify(t);
                    times.push(performance.now() - start);
                    if (r.verdict !== 'valid') throw new Error(r.verdict);
                }
                return times;
            }""", tokens)
            # The whole scan as the officer sees it: decode, verify, draw the verdict.
            shown = page.evaluate("""async (tokens) => {
                const times = [];
                for (const t of tokens.slice(0, 50)) {
                    const start = performance.now();
                    document.querySelector('#code').value = t;
                    document.querySelector('#verify').click();
                    while (document.querySelector('#verdict .word').textContent !== '有效') {
                        await new Promise(r => setTimeout(r, 0));
                    }
                    times.push(performance.now() - start);
                    document.querySelector('#verdict .word').textContent = '';
                }
                return times;
            }""", tokens)
            browser.close()
        per_scan.sort()
        shown.sort()
        print(f"{'in-browser verification, offline (300 scans)':<44} p50 {statistics.median(per_scan):5.2f} ms   "
              f"p99 {per_scan[int(len(per_scan) * 0.99) - 1]:5.2f} ms   max {per_scan[-1]:5.2f} ms")
        print(f"{'  … entered and shown on the page (50)':<44} p50 {statistics.median(shown):5.2f} ms   "
              f"max {shown[-1]:5.2f} ms")
    finally:
        server.terminate()
        server.wait(10)


def bench_pdf() -> None:
    from fangkong.passes.models import Pass
    from fangkong.passes.printing import pass_sheets

    start = time.perf_counter()
    pdf = pass_sheets(Pass.objects.select_related("unit", "person").prefetch_related("zones").order_by("id")[:PASSES])
    elapsed = time.perf_counter() - start
    print(f"{'PDF card sheets of 1,000 passes (125 pages)':<44} {elapsed:6.2f} s   {len(pdf) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32, help="connections of the flat-out runs")
    parser.add_argument("--rate", type=int, default=3000, help="offered rate of the paced run (0: none)")
    parser.add_argument("--paced-connections", type=int, default=64, help="phones (connections) of the paced run")
    parser.add_argument("--distinct-rate", type=int, default=6000,
                        help="the most checks a second the flat-out distinct run could make (sizes its pool)")
    parser.add_argument("--clients", type=int, default=2, help="load generator threads (wrk) or processes (Python)")
    parser.add_argument("--python-load", action="store_true",
                        help="load from Python processes even when wrk is installed")
    parser.add_argument("--workers", type=int, default=1, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=32,
                        help="granian blocking threads per worker (the checks waiting share a statement)")
    parser.add_argument("--port", type=int, default=18510)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of an earlier run (PostgreSQL)")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if args.reuse:
        data = reuse(args.database_url)
    else:
        setup(args.database_url)
        start = time.perf_counter()
        data = build(PASSES)
    from django.db import connection

    if not args.reuse:
        print(f"database: {connection.vendor}; {PASSES} passes issued in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    sizes = (int(args.seconds * args.distinct_rate), int(args.seconds * args.rate * 1.3))
    data["distinct"] = [distinct_pool(n) for n in sizes]
    print(f"distinct passes: {sum(sizes):,} vehicle passes issued in bulk in {time.perf_counter() - start:.1f} s")
    connection.close()
    bench_server(args, data)
    bench_browser(args, data)
    bench_pdf()


if __name__ == "__main__":
    main()
