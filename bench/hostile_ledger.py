"""Hostile ledgers: the memory and time a dry run takes for files built to exhaust the importer.

- about 2.2 million invalid rows (two problems each) in a 30 MB xlsx holding 430 MB of sheet XML
  whose <dimension> claims three rows: the file of issue 12, finding 4;
- a valid row repeated 1,048,575 times (every copy a duplicate ID number) under a <dimension> of
  1,048,576 rows;
- cells of 32,000 characters.

Each dry run (preview: parse, validate, record the problems) runs in a fresh process, whose peak
resident memory (VmHWM) and its parsing child's (ru_maxrss of the children) are printed. Run by
`make bench`; SQLite in a temporary directory (the database plays no part in this).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402
from bench.ledger import peak_mb  # noqa: E402

CASES = {
    "invalid": {"rows": 2_200_000, "dimension": "A1:C3"},
    "duplicate": {"rows": 1_048_575, "dimension": "A1:C1048576"},
    "oversized": {"rows": 5_000, "dimension": "A1:C2", "cell_chars": 32_000},
}


def dry_run_alone(path: Path, username: str, data_dir: str) -> dict:
    """The dry run in a fresh process (so that its peak memory is the import's)."""
    env = {**os.environ, "FANGKONG_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run([sys.executable, __file__, "--dry-run-alone", str(path), "--user", username], env=env,
                          check=False, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dry_run_alone(path: Path, username: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.config.test_settings"
    import django

    django.setup()
    from fangkong.accounts.models import User
    from fangkong.returnees import imports

    actor = User.objects.get(username=username)
    start = time.perf_counter()
    li = imports.import_create(actor=actor, side="unit", source=path, file_name=path.name)
    li = imports.import_run(li, commit=False)
    elapsed = time.perf_counter() - start
    parent, child = peak_mb()
    print(json.dumps({
        "seconds": elapsed, "parent_mb": parent, "child_mb": child, "status": li.status, "rows": li.total_rows,
        "problems": li.error_count, "listed": len(li.errors), "message": li.message,
    }, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every case's rows (for a quick look)")
    parser.add_argument("--dry-run-alone", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dry_run_alone:
        _dry_run_alone(args.dry_run_alone, args.user)
        return
    setup(None)
    from django.db import connection

    from fangkong.orgs.choices import UnitKind as K
    from tests import factories as f
    from tests.returnees.hostile import sheet_xml_bytes, write_hostile_xlsx

    root = f.unit(K.CITY, None, "基准市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "市直机关工委")
    # A unit's liaison: rows without an employer are the liaison's own unit's, so a repeated valid
    # row has exactly one problem (its duplicate ID number).
    liaison = f.user("unit_liaison", f.unit(K.DEPARTMENT, committee, "市第一局"))
    connection.close()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases:
            case = dict(CASES[name])
            rows = max(1, int(case.pop("rows") * args.scale))
            path = Path(tmp) / f"{name}.xlsx"
            write_hostile_xlsx(path, rows, kind=name, **case)
            got = dry_run_alone(path, liaison.get_username(), os.environ["FANGKONG_DATA_DIR"])
            print(f"[hostile ledger] {name}: {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB xlsx holding "
                  f"{sheet_xml_bytes(path) / 1e6:.0f} MB of sheet XML (<dimension> {case['dimension']}): dry run "
                  f"{got['seconds']:.1f} s, peak RSS parent {got['parent_mb']:,.0f} MB, parser child "
                  f"{got['child_mb']:,.0f} MB; {got['status']}, {got['rows']:,} rows read, {got['problems']:,} "
                  f"problems counted, {got['listed']:,} listed. {got['message']}")
            path.unlink()
    # The stored copies of the uploads (hundreds of megabytes at the finding's size) go with the data.
    shutil.rmtree(os.environ["FANGKONG_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
