"""Going live: the time to bring in a city's organisation tree of 10,000 units, a roster of 5,000 people and 800 accounts
from its spreadsheets, through the same code as ``fangkong import_tree`` / ``import_people`` / ``import_accounts``.
Prints the figures; they are not asserted (the target: seconds, not minutes)."""

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite in a temp dir without it")
    parser.add_argument("--departments", type=int, default=1230)  # 1,230 × 8 + the rest ≈ 10,000 units
    parser.add_argument("--accounts", type=int, default=800)
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args()
    setup(args.database_url)
    from django.core.management import call_command

    from fangkong.accounts.bulk import commit_accounts, plan_accounts
    from fangkong.core.actors import SYSTEM
    from fangkong.orgs.models import Unit
    from fangkong.orgs.tree_import import commit_tree, plan_tree
    from tests.golive_city import ACCOUNT_HEADERS, account_rows, city_rows, write_sheet, write_tree

    call_command("migrate", verbosity=0)
    call_command("init", city="白岭市", stdout=io.StringIO())
    folder = Path(tempfile.mkdtemp(prefix="fk-golive-"))
    rows = city_rows(departments=args.departments)
    tree = write_tree(folder / "tree.xlsx", rows)
    database = "PostgreSQL" if args.database_url else "SQLite"
    started = time.perf_counter()
    plan = plan_tree(tree, actor=SYSTEM)
    checked = time.perf_counter()
    commit_tree(plan, actor=SYSTEM, file_name="tree.xlsx")
    done = time.perf_counter()
    print(f"golive [{database}]: tree of {Unit.objects.count():,} units: read and checked {checked - started:.2f} s, "
          f"written {done - checked:.2f} s, total {done - started:.2f} s")
    started = time.perf_counter()
    again = plan_tree(tree, actor=SYSTEM)
    print(f"golive [{database}]: the same tree again: {time.perf_counter() - started:.2f} s "
          f"({again.counts()['unchanged']:,} unchanged)")
    from fangkong.people.imports import commit_people, plan_people
    from tests.golive_city import ROSTER_HEADERS, roster_rows

    roster = write_sheet(folder / "roster.xlsx", ROSTER_HEADERS, roster_rows(rows, args.people))
    started = time.perf_counter()
    people = commit_people(plan_people(roster, actor=SYSTEM), actor=SYSTEM, file_name="roster.xlsx")
    print(f"golive [{database}]: roster of {people['created']:,} people: {time.perf_counter() - started:.2f} s")
    accounts = write_sheet(folder / "accounts.xlsx", ACCOUNT_HEADERS, account_rows(rows, args.accounts))
    started = time.perf_counter()
    counts, slips = commit_accounts(plan_accounts(accounts, actor=SYSTEM), actor=SYSTEM, file_name="accounts.xlsx")
    from fangkong.accounts.slips import slips_pdf

    pdf = slips_pdf(slips)
    print(f"golive [{database}]: {counts['created']:,} accounts with their slips ({len(pdf) // 1024:,} KB PDF): "
          f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
