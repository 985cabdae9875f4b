"""Fuzz the JSON API with schemathesis against the real server (`make fuzz`, part of `make test`).

    .venv/bin/python scripts/fuzz_api.py [--max-examples 8] [--seed 20200225] [--keep]

1. A fresh data folder (SQLite) in a temp dir: migrate, collect static files, load the demo city,
   and create an API token for the committee office's demo user (`office`: the whole city, most
   permissions) with `fangkong create_token`.
2. Serve it as `make run` does: granian, WSGI, one worker, on a free port of 127.0.0.1.
3. Run schemathesis over the committed openapi.json against it, with that token, a bounded number
   of examples per operation and a fixed seed (the same cases every run; --seed changes them).
   The run fails on any server error (5xx) and on any answer that does not match the schema the
   document gives for its status and content type.

Answers the document does not list (401, 403, 404, 422, ...) are the API's documented way of
refusing, so `status_code_conformance` is not checked; the checks that need several calls
(`use_after_free`, stateful phases) are left out to keep the run bounded (about a minute and a half
on two cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"granian stopped before it served (exit {server.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"granian did not start on port {port}")


def fangkong(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "fangkong"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"fangkong {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", 8)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", 20200225)))
    parser.add_argument("--user", default="office", help="the demo user the token acts as")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and the report")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="fk-fuzz-"))
    env = {**os.environ, "FANGKONG_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "fangkong.config.settings",
           "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR"}
    env.pop("DATABASE_URL", None)
    env.pop("FANGKONG_SECURE", None)
    started = time.monotonic()
    server = None
    try:
        fangkong(env, "migrate", "--noinput", "-v0")
        fangkong(env, "collectstatic", "--noinput", "-v0")  # as make run: pages (a 404 too) need the manifest
        fangkong(env, "demo")
        token = fangkong(env, "create_token", args.user, "--name", "schemathesis").strip().splitlines()[-1].strip()
        port = free_port()
        log = open(data / "server.log", "w")  # noqa: SIM115  (open while the server runs)
        server = subprocess.Popen(
            [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1", "--blocking-threads", "8", "--no-access-log", "fangkong.config.wsgi:application"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_port(port, server)
        print(f"fuzz: demo city and server ready in {time.monotonic() - started:.0f} s (port {port})", flush=True)
        command = [
            str(BIN / "schemathesis"), "run", str(ROOT / "openapi.json"),
            "--url", f"http://127.0.0.1:{port}",
            "--header", f"Authorization: Bearer {token}",
            "--checks", CHECKS,
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(args.max_examples),
            "--seed", str(args.seed),
            # One worker: with two threads, hypothesis parses lambda sources with ast.parse at the
            # same moment in both, which CPython 3.11 before 3.11.8 does not survive ("AST
            # constructor recursion depth mismatch", a SystemError reported as a run error).
            "--workers", "1",
            "--generation-allow-x00", "true",
            "--generation-database", "none",
            "--request-timeout", "30",
            "--no-color",
            "--report", "junit", "--report-dir", str(data / "report"),
        ]
        run = subprocess.run(command, cwd=data)
        print(f"fuzz: {'passed' if run.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s",
              flush=True)
        if run.returncode:
            print(f"fuzz: the server's log is in {data / 'server.log'}")
            args.keep = True
        return run.returncode
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
