"""Benchmark of the thousand-cadres-down line on the demo city: loading its deployment, the
report's figures as of a day (the page, the API and the xlsx export through the full Django
stack), and the roster writes that take the per-person lock (assign, check-in).

    python bench/deployment.py [--database-url postgres://…/fk_bench]
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


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup(args.database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from fangkong.accounts.middleware import LOGIN_AT_KEY
    from fangkong.accounts.models import User
    from fangkong.accounts.services import token_create
    from fangkong.core.actors import SYSTEM
    from fangkong.deployment import selectors, services
    from fangkong.deployment.models import Assignment, Secondment, Shift

    start = time.perf_counter()
    call_command("demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    print(f"database: {connection.vendor}")
    print(f"demo city with {Secondment.objects.count()} secondments, {Shift.objects.count()} shifts, "
          f"{Assignment.objects.count()} assignments loaded in {time.perf_counter() - start:.1f} s")
    day = dt.date(2020, 2, 15)
    p50, p95 = timed(lambda: selectors.deployment_figures(Secondment.objects.all(), day), args.runs)
    print(f"report figures (selector)      p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    office = User.objects.get(username="office")
    client = Client()
    client.force_login(office)
    session = client.session
    session[LOGIN_AT_KEY] = time.time()  # as after a real login (the idle-timeout middleware checks it)
    session.save()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=office, actor=SYSTEM)}"}
    for label, url, headers in [
        ("report page", "/deployment/report/?on=2020-02-15", {}),
        ("report xlsx export", "/deployment/report/export/?on=2020-02-15", {}),
        ("API figures", "/api/v1/deployment/figures?as_of=2020-02-15", auth),
        ("secondment list page", "/deployment/secondments/", {}),
        ("roster page (one day)", "/deployment/rosters/?day=2020-02-25", {}),
    ]:
        def get(url: str = url, headers: dict = headers) -> None:
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)

        p50, p95 = timed(get, args.runs)
        print(f"{label:<30} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")

    # Roster writes: each takes the person's row lock and checks every overlapping shift.
    tz = timezone.get_current_timezone()
    cadres = list(Secondment.objects.exclude(unit=None).filter(unit__kind="checkpoint")
                  .select_related("person", "unit")[: args.runs])
    shifts = []
    for i, s in enumerate(cadres):
        starts = dt.datetime(2020, 2, 26, i % 20, tzinfo=tz)
        shifts.append(services.shift_create(actor=SYSTEM, checkpoint=s.unit, starts_at=starts,
                                            ends_at=starts + dt.timedelta(hours=2), staff_needed=1))
    pairs = iter(zip(cadres, shifts, strict=True))
    p50, p95 = timed(lambda: (lambda s, sh: services.assign(actor=SYSTEM, shift=sh, person=s.person))(*next(pairs)),
                     len(cadres))
    print(f"assign (lock + overlap check)  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    pairs = iter(zip(cadres, shifts, strict=True))
    p50, p95 = timed(lambda: (lambda s, sh: services.check_in(actor=SYSTEM, person=s.person,
                                                              checkpoint=s.unit, at=sh.starts_at))(*next(pairs)),
                     len(cadres))
    print(f"check-in                       p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
