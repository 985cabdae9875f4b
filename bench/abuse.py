"""What abuse costs the server: the web worker's memory (RSS) before and after each attack, sent
over real HTTP to granian serving the platform as `make run` does (1 worker × 32 threads).

    python bench/abuse.py [--database-url postgres://…/fk_abuse_bench] [--port 18520]

Attacks (issue 12, finding 3), each from a fresh server:
  * four 250 MB bodies with no credentials to POST /api/v1/passes/verify (sent with Content-Length);
  * the same, chunked (no Content-Length);
  * 300 verifications with a bad bearer token, each carrying a distinct 1 MB pass token;
  * 300 verifications with a good bearer token, each carrying a distinct 1 MB pass token;
  * a 250 MB body with no credentials to a Django endpoint (POST /api/v1/people);
  * 1,000- and 100,000-deep nested JSON and a JSON array as the body, with a good token (the status is printed).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402
from bench.passes import build, wait_port  # noqa: E402

MB = 1024 * 1024


def rss_mb(root_pid: int) -> float:
    """Resident memory of the server's worker processes (every descendant of granian's main process)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    total = 0
    for pid in parents:
        p = pid
        while p in parents and p != root_pid:
            p = parents[p]
        if p == root_pid and pid != root_pid:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return total / 1024


def send(port: int, path: str, body_size: int, headers: dict[str, str], *, chunked: bool = False,
         body: bytes | None = None) -> int:
    """One request; the body is streamed (``body_size`` bytes of filler) unless given. Returns the
    status (0 when the server closed the connection before answering)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    size = len(body) if body is not None else body_size
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        if body is not None:
            sock.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if chunked else body)
        else:
            block = b"x" * MB
            sent = 0
            while sent < body_size:
                part = block[: min(MB, body_size - sent)]
                sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
                sent += len(part)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed before the whole body was sent: the point
    try:
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split()[1]) if data else 0
    except (OSError, IndexError, ValueError):
        return 0
    finally:
        sock.close()


def serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fangkong.config.settings", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--blocking-threads", "32", "--no-access-log",
         "fangkong.config.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--port", type=int, default=18520)
    args = parser.parse_args()
    setup(args.database_url)
    data = build(5)
    good = {"Authorization": f"Bearer {data['token']}", "Content-Type": "application/json"}
    verify = "/api/v1/passes/verify"
    cp = data["checkpoint"]

    def distinct_tokens(n: int):
        return (json.dumps({"token": "FK1:" + f"{i:06d}" + "A" * (MB - 20), "checkpoint": cp}).encode()
                for i in range(n))

    attacks = [
        ("4 × 250 MB, no credentials, Content-Length",
         lambda: [send(args.port, verify, 250 * MB, {"Content-Type": "application/json"}) for _ in range(4)]),
        ("4 × 250 MB, no credentials, chunked",
         lambda: [send(args.port, verify, 250 * MB, {"Content-Type": "application/json"}, chunked=True)
                  for _ in range(4)]),
        ("300 × distinct 1 MB pass tokens, bad bearer",
         lambda: [send(args.port, verify, 0, {"Authorization": "Bearer fk_bad", "Content-Type": "application/json"},
                       body=b) for b in distinct_tokens(300)]),
        ("300 × distinct 1 MB pass tokens, good bearer",
         lambda: [send(args.port, verify, 0, good, body=b) for b in distinct_tokens(300)]),
        ("4 × 250 MB to POST /api/v1/people, no credentials",
         lambda: [send(args.port, "/api/v1/people", 250 * MB, {"Content-Type": "application/json"}) for _ in range(4)]),
        ("1,000- and 100,000-deep nested JSON, good bearer",
         lambda: [send(args.port, verify, 0, good, body=b"[" * n + b"]" * n) for n in (1000, 100_000)]
                 + [send(args.port, verify, 0, good, body=b'{"a":' * n + b"1" + b"}" * n) for n in (1000, 100_000)]),
        ("a JSON array / a string as the whole body, good bearer",
         lambda: [send(args.port, verify, 0, good, body=b"[]"), send(args.port, verify, 0, good, body=b'"FK1:x"')]),
    ]
    print(f"{'attack':<56} {'worker RSS before':>18} {'after':>9}   statuses")
    for label, attack in attacks:
        server = serve(args.port)
        try:
            # Warm-up: one verification on the lean path, one answered by Django (401), one Django 200.
            send(args.port, verify, 0, good, body=json.dumps({"token": data["tokens"][0], "checkpoint": cp}).encode())
            send(args.port, verify, 0, {"Content-Type": "application/json"}, body=b'{"token": "x"}')
            send(args.port, verify, 0, good, body=json.dumps({"number": "S000001", "checkpoint": cp}).encode())
            time.sleep(0.5)
            before = rss_mb(server.pid)
            statuses = attack()
            time.sleep(0.5)
            after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(20)
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        print(f"{label:<56} {before:15,.0f} MB {after:6,.0f} MB   "
              + ", ".join(f"{n}× {s or 'closed'}" for s, n in counts.items()), flush=True)


if __name__ == "__main__":
    main()
