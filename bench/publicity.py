"""Benchmark of the public pages of the campaign on the demo city, over real HTTP to granian as
`make run` serves the platform (1 worker × 32 threads): the model deeds page, the relay pledge's
public page, and a member's share link (each open counted once per browser and day: the load
generator is one browser, so after its first open every request is an existence check and the
cached page).

    python bench/publicity.py [--database-url postgres://…/fk_publicity_bench] [--seconds 5]
"""

import argparse
import http.client
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402
from bench.passes import wait_port  # noqa: E402


def load(port: int, path: str, seconds: float, connections: int) -> tuple[int, int]:
    """Requests answered 200 and others, from ``connections`` keep-alive clients for ``seconds``."""
    done = [0, 0]
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ok = bad = 0
        cookie = ""
        while time.perf_counter() < end:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            set_cookie = response.getheader("Set-Cookie")
            if set_cookie and set_cookie.startswith("fk_visitor="):
                cookie = set_cookie.split(";", 1)[0]
            if response.status == 200:
                ok += 1
            else:
                bad += 1
        conn.close()
        with lock:
            done[0] += ok
            done[1] += bad

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0], done[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, default=18530)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    setup(args.database_url)
    from django.core.management import call_command

    from fangkong.publicity.models import Pledge, PledgeSignature

    start = time.perf_counter()
    call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"demo city loaded in {time.perf_counter() - start:.1f} s")
    pledge = Pledge.objects.get(slug="relay-pledge")
    code = PledgeSignature.objects.order_by("id").values_list("share_code", flat=True).first()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangkong.config.settings", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1"}
    # The pages name their static files through the manifest, as in production.
    subprocess.run([str(Path(sys.executable).parent / "fangkong"), "collectstatic", "--noinput", "-v0"], env=env,
                   cwd=ROOT, check=True)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", "1", "--blocking-threads", "32", "--no-access-log",
         "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_port(args.port)
        pages = [("model deeds (public)", "/publicity/public/deeds/"),
                 ("relay pledge (public)", f"/publicity/public/pledges/{pledge.slug}/"),
                 ("a member's share link (counted)", f"/publicity/p/{code}/")]
        print(f"granian: 1 worker × 32 threads; load: {args.connections} keep-alive connections, "
              f"{args.seconds:g} s each")
        for label, path in pages:
            load(args.port, path, 1, 2)  # warm-up: the cache, connections
            ok, bad = load(args.port, path, args.seconds, args.connections)
            print(f"{label:<36} {ok / args.seconds:8,.0f} requests/s   ({ok:,} answered 200, {bad} other)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
