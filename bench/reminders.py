"""Reminder benchmark: how long the three reminder stages take for a large party line, and how
fast the deliveries go out to a real SMTP server and a real robot endpoint on 127.0.0.1.

500 departments, each with a party committee, 2 general branches and 6 branches (4,500 units,
3,000 branches reporting); half the branches have not reported. Every general branch has an email
channel, every party committee a WeCom robot; one account per general branch.

Run by `make bench`: python bench/reminders.py [--database-url postgres://.../fk_bench] [--departments N]
"""

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2020, 2, 10)


def build(n_departments: int, robot_url: str) -> None:
    from django.db import transaction

    from fangkong.accounts.models import User, UserScope
    from fangkong.core.actors import SYSTEM
    from fangkong.notify.models import Channel
    from fangkong.orgs.models import Unit, UnitLink
    from fangkong.reports.models import Report
    from fangkong.reports.services import current_version, template_create

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
    generals, committees, branches = [], [], []
    for d in range(n_departments):
        dept = add(f"D{d:04d}", f"部门{d}", "department", committee)
        pc = add(f"D{d:04d}-P", f"部门{d}机关党委", "party_committee", dept)
        committees.append(pc)
        for g in range(2):
            gb = add(f"D{d:04d}-G{g}", f"部门{d}第{g + 1}党总支", "general_branch", pc)
            generals.append(gb)
            for b in range(3):
                branches.append(add(f"D{d:04d}-G{g}-B{b}", f"部门{d}第{g + 1}总支第{b + 1}支部", "branch", gb))
    links = []
    for unit in units:
        node, depth = unit.id, 0
        while node is not None:
            links.append(UnitLink(ancestor_id=node, descendant_id=unit.id, depth=depth))
            node, depth = parents[node], depth + 1
    with transaction.atomic():
        Unit.objects.bulk_create(units, batch_size=2000)
        UnitLink.objects.bulk_create(links, batch_size=5000)
        users = User.objects.bulk_create(
            [User(username=f"gb{gb.id}", role="branch_secretary", password="!") for gb in generals], batch_size=2000
        )
        UserScope.objects.bulk_create([UserScope(user=u, unit=gb) for u, gb in zip(users, generals, strict=True)])
        Channel.objects.bulk_create(
            [Channel(unit=gb, kind="email", target=f"gb{gb.id}@bench.example", msg_format="text") for gb in generals]
            + [Channel(unit=pc, kind="wecom", target=f"{robot_url}/cgi-bin/webhook/send?key=P{pc.id}")
               for pc in committees]
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), (SELECT max(id) FROM orgs_unit))")
    template = template_create(
        actor=SYSTEM, code="bench-branch", name="支部日报", line="organs", unit_kinds=["branch"], start_date=DAY,
        fields=[{"key": "n", "label": "今日新增", "kind": "integer"}],
    )
    version = current_version(template)
    at = dt.datetime(2020, 2, 10, 10, 0, tzinfo=TZ)
    Report.objects.bulk_create([
        Report(template=template, unit=b, day=DAY, version=version, is_zero=True, values={}, received_at=at,
               updated_at=at) for b in branches[::2]
    ], batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--departments", type=int, default=500)
    args = parser.parse_args()
    setup(args.database_url)
    from django.conf import settings

    from tests.notify.servers import RobotServer, SMTPServer

    with SMTPServer() as smtp, RobotServer() as robot:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        build(args.departments, robot.url)

        from fangkong.notify.models import Delivery, Message
        from fangkong.notify.services import deliver_due
        from fangkong.reports.reminders import reminder_pass

        engine = "PostgreSQL" if args.database_url else "SQLite"
        print(f"Reminders on {engine}: {args.departments * 9 + 2} units, {args.departments * 6} branches reporting,"
              f" half missing")
        for label, moment in (
            ("stage 1, 15:10 (each missing branch)", dt.datetime(2020, 2, 10, 15, 10, tzinfo=TZ)),
            ("stage 1 again (idempotent)", dt.datetime(2020, 2, 10, 15, 20, tzinfo=TZ)),
            ("stage 2, 16:05 (general branches)", dt.datetime(2020, 2, 10, 16, 5, tzinfo=TZ)),
            ("stage 3, next day 09:30 (party committees)", dt.datetime(2020, 2, 11, 9, 30, tzinfo=TZ)),
        ):
            start = time.perf_counter()
            sent = sum(reminder_pass(at=moment).values())
            seconds = time.perf_counter() - start
            print(f"  {label:<46} {sent:6d} messages in {seconds:6.2f} s")
        pending = Delivery.objects.filter(status="pending").count()
        start = time.perf_counter()
        attempted = deliver_due(limit=100_000)
        seconds = time.perf_counter() - start
        print(f"  deliveries sent (SMTP + robot on 127.0.0.1)      {attempted:6d} of {pending} in {seconds:6.2f} s"
              f"  ({attempted / seconds:.0f}/s, one connection each)")
        print(f"  arrived: {len(smtp.mails)} emails, {len(robot.posts)} robot posts;"
              f" messages stored {Message.objects.count()}")


if __name__ == "__main__":
    main()
