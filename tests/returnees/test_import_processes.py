"""Imports as separate processes against a real database file or server: a process killed in the
middle of a commit leaves nothing behind, and two overlapping imports at once both land whole."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import xlsxwriter

from fangkong.core.idcard import check_digit

SETUP = """
import django; django.setup()
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.services import unit_create
from fangkong.core.actors import SYSTEM
from fangkong.accounts.models import User, UserScope
root = unit_create(actor=SYSTEM, code="C0", name="进程市", kind=K.CITY, parent=None)
wc = unit_create(actor=SYSTEM, code="WC", name="工委", kind=K.WORKING_COMMITTEE, parent=root)
dept = unit_create(actor=SYSTEM, code="D1", name="进程局", kind=K.DEPARTMENT, parent=wc)
street = unit_create(actor=SYSTEM, code="S1", name="进程街道", kind=K.STREET, parent=root)
unit_create(actor=SYSTEM, code="S1-C1", name="进程社区", kind=K.COMMUNITY, parent=street)
user = User.objects.create_user(username="proc", password="Proc-Pass-2020", role="committee_office")
UserScope.objects.create(user=user, unit=root)
"""
COUNT = """
import django; django.setup()
from fangkong.returnees.models import Returnee, Registration, IsolationOrder
print(Returnee.objects.count(), Registration.objects.count(), IsolationOrder.objects.count())
"""


@pytest.fixture
def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="fangkong.config.settings", FANGKONG_DATA_DIR=str(tmp_path / "data"),
               SECRET_KEY="process-test-key")
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        name = "fangkong_process_test"
        import psycopg

        admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    python = [sys.executable]
    subprocess.run([*python, "-m", "fangkong", "migrate", "-v0"], env=env, check=True)
    subprocess.run([*python, "-c", SETUP], env=env, check=True)
    yield env
    if url:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ledger(path: Path, rows: int, offset: int = 0) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    for c, h in enumerate(["姓名", "身份证号", "工作单位", "居住社区", "返回日期"]):
        sheet.write_string(0, c, h)
    for i in range(rows):
        n = offset + i
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=n % 10000)
        first17 = f"220602{birth:%Y%m%d}{n // 10000:03d}"
        sheet.write_row(i + 1, 0, ["进程人", first17 + check_digit(first17), "进程局", "进程社区", "2020-02-01"])
    book.close()
    return path


def counts(env):
    out = subprocess.run([sys.executable, "-c", COUNT], env=env, check=True, capture_output=True, text=True)
    return tuple(int(x) for x in out.stdout.split())


def start_import(env, path):
    return subprocess.Popen([sys.executable, "-m", "fangkong", "import_ledger", str(path), "--side", "unit",
                             "--user", "proc"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# Big enough that the commit is still writing when the test's probe (a process of its own) sees it
# started, even on a busy machine.
KILLED_ROWS = 60000


def test_a_killed_commit_leaves_nothing_partial(environment, tmp_path):
    path = ledger(tmp_path / "big.xlsx", KILLED_ROWS)
    url = environment.get("DATABASE_URL")
    if url:
        _kill_between_writes(environment, path, url)
    else:
        _kill_while_writing(environment, path)
    assert counts(environment) == (0, 0, 0)
    # The database is usable and the same ledger imports whole afterwards.
    again = start_import(environment, path)
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()
    assert counts(environment) == (KILLED_ROWS, KILLED_ROWS, KILLED_ROWS)


def _kill_between_writes(environment, path, url):
    """PostgreSQL: hold the isolation orders table, so that the import writes its returnees and
    registrations and then waits to write the orders; kill it there, without warning."""
    import psycopg

    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as watcher:
        holder.execute("LOCK TABLE returnees_isolationorder IN SHARE MODE")
        process = start_import(environment, path)
        deadline = time.monotonic() + 120
        waiting = 0
        while not waiting and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'COPY \"returnees_isolationorder\"%%'"
            ).fetchone()[0]
        assert waiting, "the import never reached its isolation orders"
        process.send_signal(signal.SIGKILL)
        process.wait()
        holder.rollback()


def _kill_while_writing(environment, path):
    """SQLite: wait until the import has validated every row and is writing (progress 60), then
    kill it without warning, in the middle of its transaction."""
    process = start_import(environment, path)
    probe = "import django; django.setup()\nfrom fangkong.returnees.models import LedgerImport\n" \
            "print(LedgerImport.objects.filter(status='running', progress__gte=60).count())"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True)
        if out.stdout.strip() == "1":
            break
        time.sleep(0.2)
    time.sleep(0.5)
    assert process.poll() is None, "the import finished before it could be killed; use a bigger ledger"
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_two_overlapping_imports_at_once_both_land_whole(environment, tmp_path):
    first = ledger(tmp_path / "a.xlsx", 3000)
    second = ledger(tmp_path / "b.xlsx", 3000, offset=1500)  # half of it overlaps the first
    a, b = start_import(environment, first), start_import(environment, second)
    assert a.wait(timeout=300) == 0, a.stderr.read().decode()
    assert b.wait(timeout=300) == 0, b.stderr.read().decode()
    assert counts(environment) == (4500, 4500, 4500)
