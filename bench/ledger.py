"""Ledger benchmarks: import end to end (parse, validate, reconcile, write), the same file through
django-import-export, the ledger list, export, and dual-report figures over 1,000,000 persons.

Every import figure includes what the platform always does: each ID number and phone sealed
(AES-256-GCM), its keyed digest (HMAC-SHA256) and its mask made in Python per row, and the foreign
keys checked by their (deferred) constraints at commit.

Run by `make bench` (PostgreSQL) and with --sqlite for the SQLite figure.
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌辉鹏飞宇浩然子涵欣怡雨轩"
from bench.common import setup  # noqa: E402

ORIGINS = ["湖北省武汉市", "北京市朝阳区", "上海市浦东新区", "吉林省长春市", "辽宁省沈阳市", "广东省深圳市", "浙江省杭州市"]


def build_city() -> tuple[list[str], list[str]]:
    from fangkong.orgs.choices import UnitKind as K
    from tests import factories as f

    root = f.unit(K.CITY, None, "基准市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "市直机关工委")
    departments = [f.unit(K.DEPARTMENT, committee, f"市第{i}局").name for i in range(100)]
    street = f.unit(K.STREET, root, "基准街道")
    communities = [f.unit(K.COMMUNITY, street, f"第{i}社区").name for i in range(26)]
    return departments, communities


def write_ledger(path: Path, rows: int, departments: list[str], communities: list[str], *,
                 shared_strings: bool = False) -> None:
    # The Rust writer: a million rows in seconds rather than minutes (inline strings, as XlsxWriter's
    # constant-memory mode writes them).
    from rustpy_xlsxwriter import FastExcel

    from fangkong.core.idcard import check_digit

    rng = random.Random(3)
    headers = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "居住地址", "人员类别", "来源地", "交通方式", "返回日期"]

    def records():
        seen = set()
        r = 0
        while r < rows:
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
            first17 = f"220602{birth:%Y%m%d}{rng.randrange(1000):03d}"
            if first17 in seen:
                continue
            seen.add(first17)
            r += 1
            yield dict(zip(headers, [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), first17 + check_digit(first17),
                f"139{r:08d}", rng.choice(departments), rng.choice(communities), f"幸福路{rng.randrange(1, 300)}号",
                "外地返回", rng.choice(ORIGINS), "自驾",
                (dt.date(2020, 1, 24) + dt.timedelta(days=rng.randrange(17))).isoformat(),
            ], strict=True))

    FastExcel(str(path)).sheet("台账", records(), dedupe_strings=shared_strings).save()


def peak_mb() -> tuple[float, float]:
    """Peak resident memory so far of this process and of the biggest child (the parser), in MB.

    This process's figure is VmHWM: ru_maxrss would also count the memory of the process that
    started this one (Linux carries the parent's high-water mark over a vfork and exec). The
    child's figure is ru_maxrss of the children, an upper bound for the same reason.
    """
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                parent = int(line.split()[1]) / 1024
    except OSError:
        pass
    return parent, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def import_alone(path: Path, username: str, database_url: str | None, data_dir: str) -> dict:
    """Import a ledger in a fresh process (so that its peak memory is the import's), as the office."""
    env = {**os.environ, "FANGKONG_DATA_DIR": data_dir}
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    proc = subprocess.run([sys.executable, __file__, "--import-alone", str(path), "--user", username], env=env, check=False,
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _import_alone(path: Path, username: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.config.test_settings"
    import django

    django.setup()
    from django.conf import settings

    from fangkong.accounts.models import User

    # A million rows may pass the default 50 MB upload limit and, on a busy machine, the parser's 90 s;
    # its memory limit stays as it is.
    settings.FANGKONG_IMPORT_MAX_BYTES = 200 * 1024 * 1024
    settings.FANGKONG_IMPORT_TIMEOUT_SECONDS = 1800
    settings.FANGKONG_IMPORT_CPU_SECONDS = 600

    elapsed, created, cpu = ours(path, User.objects.get(username=username))
    parent, child = peak_mb()
    print(json.dumps({"seconds": elapsed, "created": created, "cpu": cpu, "parent_mb": parent, "child_mb": child}))


def cpu_parts() -> tuple[float, float, float]:
    """CPU time so far of this process, of its finished children (the parser) and, on PostgreSQL,
    of the server process of this connection (0 on SQLite, NaN when the server runs elsewhere)."""
    from django.db import connection

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the server runs elsewhere
            server = float("nan")
        else:
            server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), children.ru_utime + children.ru_stime, server


def cpu_seconds() -> float:
    """CPU time so far of this process, its finished children (the parser) and, on PostgreSQL, the
    server process of this connection. On a machine shared with other jobs, wall-clock time
    measures the others as much as us; this sum is what the work itself costs (with a second core
    free, the import can take less wall-clock time than this: the database writes one batch while
    this process validates the next)."""
    return sum(cpu_parts())


# The CPU of the last import, split: this process, the parser child, PostgreSQL.
last_split: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _split_text(split: tuple[float, float, float]) -> str:
    from django.db import connection

    mine, child, server = split
    text = f"parser child {child:.2f} s, this process {mine:.2f} s"
    # On SQLite the database works inside this process: its share is in this process's figure.
    return text + (f", PostgreSQL {server:.2f} s" if connection.vendor == "postgresql" else "")


def ours(path: Path, user) -> tuple[float, int, float]:
    """Import end to end; wall-clock seconds, rows created, CPU seconds (see cpu_seconds)."""
    from fangkong.returnees import imports

    global last_split
    before = cpu_parts()
    start = time.perf_counter()
    li = imports.import_create(actor=user, side="unit", source=path, file_name=path.name)
    li = imports.import_run(li, commit=True, own_process=True)
    elapsed = time.perf_counter() - start
    last_split = tuple(b - a for a, b in zip(before, cpu_parts(), strict=True))  # type: ignore[assignment]
    assert li.status == "committed", (li.status, li.message, li.errors[:3])
    return elapsed, li.created, sum(last_split)


def theirs(path: Path, rows: int) -> float:
    """The same rows through a django-import-export resource (what a Django user would reach for)."""
    import tablib
    from import_export import resources, widgets
    from import_export.fields import Field

    from fangkong.core.idcard import id_digest, parse_id_number
    from fangkong.orgs.models import Unit
    from fangkong.returnees.models import Returnee

    class DigestWidget(widgets.CharWidget):
        """The ID number's keyed digest, which is what a returnee is found by."""

        def clean(self, value, row=None, **kwargs):
            return id_digest(parse_id_number(str(value)).number)

    class ReturneeResource(resources.ModelResource):
        name = Field(attribute="name", column_name="姓名")
        id_key = Field(attribute="id_digest", column_name="身份证号", widget=DigestWidget())
        id_number = Field(attribute="id_number", column_name="身份证号")
        phone = Field(attribute="phone", column_name="联系电话")
        unit = Field(attribute="unit", column_name="工作单位", widget=widgets.ForeignKeyWidget(Unit, "name"))
        community = Field(attribute="community", column_name="居住社区", widget=widgets.ForeignKeyWidget(Unit, "name"))
        address = Field(attribute="address", column_name="居住地址")
        origin_text = Field(attribute="origin_text", column_name="来源地")
        transport = Field(attribute="transport", column_name="交通方式")
        return_date = Field(attribute="return_date", column_name="返回日期", widget=widgets.DateWidget("%Y-%m-%d"))

        class Meta:
            model = Returnee
            import_id_fields = ("id_key",)
            fields = ("name", "id_key", "id_number", "phone", "unit", "community", "address", "origin_text", "transport",
                      "return_date")
            use_bulk = True
            batch_size = 2000

        def before_save_instance(self, instance, row, **kwargs):
            # Sealed, with digest, mask, sex and birth year, by the model's own setter.
            instance.id_number = parse_id_number(instance.id_number).number

    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    dataset = tablib.Dataset(*[tuple(str(v) for v in row) for row in grid[1 : rows + 1]], headers=grid[0])
    Returnee.objects.all().delete()
    start = time.perf_counter()
    result = ReturneeResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    assert not result.has_errors()
    return elapsed


def export(user, *, clear: bool = False) -> tuple[float, int, float]:
    from fangkong.core.excel import write_xlsx
    from fangkong.returnees.models import Returnee
    from fangkong.returnees.tables import export_rows

    cpu = cpu_seconds()
    start = time.perf_counter()
    headers, rows = export_rows(Returnee.objects.visible_to(user).order_by("id"), clear=clear)
    _content, count = write_xlsx(headers, rows)
    return time.perf_counter() - start, count, cpu_seconds() - cpu


def list_cost(user, requests: int = 30) -> tuple[list[float], list[float]]:
    """The ledger list (first page of 50 with its count, default order) as the office sees it: the
    page and the API answer, in milliseconds, through the full Django stack."""
    from django.test import Client

    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from tests.conftest import login_client

    client, api = login_client(user), Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}
    timings: tuple[list[float], list[float]] = ([], [])
    for samples, fetch in zip(timings, (lambda: client.get("/returnees/"),
                                        lambda: api.get("/api/v1/returnees", **auth)), strict=True):
        assert fetch().status_code == 200  # warm
        for _ in range(requests):
            start = time.perf_counter()
            response = fetch()
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
    return timings


def _p50_p95(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"p50 {ordered[len(ordered) // 2]:.1f} ms, p95 {ordered[int(len(ordered) * 0.95) - 1]:.1f} ms"


def database_floor(rows: int, *, constraints: bool = True) -> tuple[float, float]:
    """PostgreSQL alone: what it takes to write the rows an import of ``rows`` new people writes
    (returnee, registration, isolation order, with their indexes, checks and foreign-key
    constraints), the rows made inside the server from generate_series: no file, no parsing, no
    Python, no network, no encryption (the sealed values and digests are stand-ins of their
    length). Rolled back after the constraints are checked.
    Wall-clock seconds and the server's CPU seconds: the most any import can reach on this
    machine is ``rows`` divided by these. ``constraints=False`` writes the same with the foreign-key
    triggers off (``session_replication_role = replica``, a superuser's setting): the difference is
    what the constraints cost an import."""
    from django.db import connection, transaction

    class Undo(Exception):
        pass

    sql = """
        WITH g AS (SELECT i FROM generate_series(1, %(rows)s) AS i),
        people AS (
          INSERT INTO returnees_returnee (name, id_cipher, id_digest, id_masked, sex, birth_year, phone_cipher,
            phone_digest, phone_masked, unit_id, community_id, address,
            category, origin_code, origin_text, transport, return_date, line, coordinating_body_id, notes,
            unit_reported_at, community_reported_at, created_at, updated_at)
          SELECT '某某' || i, 'k0000000$' || repeat('A', 52) || lpad(i::text, 12, '0'), md5(i::text) || md5('d' || i),
            '220602********' || lpad((i %% 10000)::text, 4, '0'), 'M', 1980,
            'k0000000$' || repeat('B', 40) || lpad(i::text, 12, '0'), md5('p' || i) || md5('q' || i),
            '139****' || lpad((i %% 10000)::text, 4, '0'), %(unit)s, %(community)s, '幸福路' || (i %% 300) || '号', 'outside', '', '湖北省武汉市', '自驾',
            DATE '2020-01-24' + (i %% 17), 'organs', NULL, '', now(), NULL, now(), now()
          FROM g RETURNING id, return_date),
        registered AS (
          INSERT INTO returnees_registration (returnee_id, side, unit_id, stated_employer_id, registered_at,
            registered_by_id, source_import_id)
          SELECT id, 'unit', %(unit)s, NULL, now(), NULL, NULL FROM people)
        INSERT INTO returnees_isolationorder (returnee_id, start_date, period_days, planned_end, released_on,
          released_by_id, release_note)
        SELECT id, return_date, 14, return_date + 14, NULL, NULL, '' FROM people
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM orgs_unit WHERE kind = 'department'")
        unit = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM orgs_unit WHERE kind = 'community'")
        community = cursor.fetchone()[0]
    before = cpu_parts()[2]
    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if not constraints:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, {"rows": rows, "unit": unit, "community": community})
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks an import's commit runs
            raise Undo
    except Undo:
        pass
    return time.perf_counter() - start, cpu_parts()[2] - before


def figures_million() -> list[float]:
    """Dual-report figures over 1,000,000 persons (rows generated in SQL)."""
    from django.db import connection

    from fangkong.returnees import selectors
    from fangkong.returnees.models import Returnee

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM returnees_registration")
        cursor.execute("DELETE FROM returnees_isolationorder")
        cursor.execute("DELETE FROM returnees_returnee")
        cursor.execute("SELECT min(id), max(id) FROM orgs_unit WHERE kind = 'department'")
        lo, hi = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO returnees_returnee (name, id_cipher, id_digest, id_masked, sex, birth_year, phone_cipher,
              phone_digest, phone_masked, unit_id, community_id, address,
              category, origin_code, origin_text, transport, return_date, line, coordinating_body_id, notes,
              unit_reported_at, community_reported_at, created_at, updated_at)
            SELECT '某' || g, '', md5(g::text) || md5('d' || g), '', 'M', 1980, '', '', '',
              %s + (g %% (%s - %s + 1)), NULL, '',
              'outside', '', '', '', DATE '2020-01-24' + (g %% 17), CASE WHEN g %% 3 = 0 THEN 'industry' ELSE 'organs' END,
              NULL, '', TIMESTAMPTZ '2020-01-24 10:00+08' + (g %% 400) * INTERVAL '1 hour',
              CASE WHEN g %% 10 = 0 THEN NULL ELSE TIMESTAMPTZ '2020-01-25 10:00+08' + (g %% 500) * INTERVAL '1 hour' END,
              now(), now()
            FROM generate_series(1, 1000000) AS g
            """,
            [lo, hi, lo],
        )
        # What autovacuum does after a bulk load: statistics and the visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE returnees_returnee")
    samples = []
    for i in range(20):
        moment = selectors.end_of_day(dt.date(2020, 2, 1) + dt.timedelta(days=i % 20))
        start = time.perf_counter()
        selectors.dual_figures(Returnee.objects.all(), moment)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite in a temp dir without it")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--compare-rows", type=int, default=10_000)
    parser.add_argument("--million", action="store_true",
                        help="also import a 1,000,000-row ledger (peak memory) and time dual-report figures over "
                             "1,000,000 persons")
    parser.add_argument("--big-rows", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--import-alone", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_alone:
        _import_alone(args.import_alone, args.user)
        return
    setup(args.database_url)
    db = "PostgreSQL" if args.database_url else "SQLite"
    departments, communities = build_city()
    from fangkong.orgs.models import Unit
    from tests import factories as f

    office = f.user("committee_office", Unit.objects.get(name="基准市"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        small = Path(tmp) / "ledger-small.xlsx"
        start = time.perf_counter()
        write_ledger(path, args.rows, departments, communities)
        write_ledger(small, args.compare_rows, departments, communities)
        print(f"[{db}] generated a {args.rows:,}-row ledger ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        if args.database_url:
            seconds, server = database_floor(args.rows)
            print(f"[{db}] the database alone writing the same {args.rows:,} people (their three rows, made in "
                  f"SQL: no file, no Python): {seconds:.2f} s ({server:.2f} s of server CPU) = at most "
                  f"{args.rows / seconds:,.0f} rows/s for any import on this machine")
            bare, bare_server = database_floor(args.rows, constraints=False)
            print(f"[{db}] what the foreign-key constraints cost the import: {seconds - bare:+.2f} s "
                  f"({server - bare_server:+.2f} s of server CPU; the same write without them: {bare:.2f} s)")
        elapsed, created, cpu = ours(path, office)
        parent, child = peak_mb()
        print(f"[{db}] import {args.rows:,} rows end to end, ID numbers and phones sealed and digested, foreign keys "
              f"checked by their constraints: {elapsed:.2f} s = {args.rows / elapsed:,.0f} rows/s "
              f"({created:,} created; CPU {cpu:.2f} s = {args.rows / cpu:,.0f} rows per CPU-second: "
              f"{_split_text(last_split)}), peak RSS {parent:,.0f} MB (parser child {child:,.0f} MB)")
        again, _, cpu = ours(path, office)
        print(f"[{db}] the same ledger again (all unchanged): {again:.2f} s = {args.rows / again:,.0f} rows/s "
              f"(CPU {cpu:.2f} s = {args.rows / cpu:,.0f} rows per CPU-second: {_split_text(last_split)})")
        page, answer = list_cost(office)
        print(f"[{db}] ledger list over {args.rows:,} returnees, first page of 50 with the count (stored masks, "
              "nothing opened): "
              f"page {_p50_p95(page)}; API {_p50_p95(answer)}")
        seconds, count, cpu = export(office)
        print(f"[{db}] export {count:,} rows to xlsx (stored masks): {seconds:.2f} s = {count / seconds:,.0f} rows/s "
              f"(CPU {cpu:.2f} s = {count / cpu:,.0f} rows per CPU-second)")
        seconds, count, cpu = export(office, clear=True)
        print(f"[{db}] export {count:,} rows to xlsx in clear (a role that may reveal: every number opened): "
              f"{seconds:.2f} s = {count / seconds:,.0f} rows/s (CPU {cpu:.2f} s = {count / cpu:,.0f} rows per CPU-second)")
        from fangkong.returnees.models import Returnee

        Returnee.objects.all().delete()
        mine, _, _ = ours(small, office)
        try:
            other = theirs(small, args.compare_rows)
        except ImportError:
            print(f"[{db}] django-import-export is not installed (pip install '.[bench]')")
        else:
            print(f"[{db}] {args.compare_rows:,} rows, both sealing: ours {mine:.2f} s ({args.compare_rows / mine:,.0f} rows/s), "
                  f"django-import-export {other:.2f} s ({args.compare_rows / other:,.0f} rows/s): "
                  f"ours is {other / mine:.1f}x faster")
        if args.million:
            big = Path(tmp) / "ledger-million.xlsx"
            # Shared strings, as Excel itself saves a workbook (and smaller than inline strings).
            write_ledger(big, args.big_rows, departments, communities, shared_strings=True)
            from fangkong.returnees.models import Returnee

            Returnee.objects.all().delete()
            from django.db import connection

            connection.close()
            got = import_alone(big, office.get_username(), args.database_url, os.environ.get("FANGKONG_DATA_DIR", tmp))
            print(f"[{db}] import {args.big_rows:,} rows ({big.stat().st_size / 1e6:.0f} MB) in a fresh process, "
                  "sealing and constraints included: "
                  f"{got['seconds']:.1f} s = {args.big_rows / got['seconds']:,.0f} rows/s (CPU {got['cpu']:.1f} s = "
                  f"{args.big_rows / got['cpu']:,.0f} rows per CPU-second), peak RSS parent "
                  f"{got['parent_mb']:,.0f} MB, parser child {got['child_mb']:,.0f} MB")
    if args.million and args.database_url:
        samples = sorted(figures_million())
        print(f"[{db}] dual-report figures over 1,000,000 persons: p50 {samples[len(samples) // 2]:.0f} ms, "
              f"max {samples[-1]:.0f} ms")


if __name__ == "__main__":
    main()
