"""`servicebook serve` under a burst of concurrent requests: N clients (200 by default) each open a
connection at once and fetch a page of the example site; prints the median and worst time to a
whole reply, and how many failed.

    python bench/serve_load.py [--clients 200] [--rounds 3]

The test (tests/test_serve.py) checks that such a burst is queued and answered with real sockets;
the time is measured here (bench/README.md, "serve under load").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fetch(port: int, path: str, times: list[float], failures: list[str], start: threading.Event) -> None:
    start.wait()
    begun = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        if not data.startswith(b"HTTP/1.0 200") and not data.startswith(b"HTTP/1.1 200"):
            failures.append(data[:40].decode("latin-1"))
    except OSError as exc:
        failures.append(type(exc).__name__)
    times.append(time.perf_counter() - begun)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        shutil.copy(REPO / "catalog.yaml", site)
        shutil.copytree(REPO / "content", site / "content")
        server = subprocess.Popen(
            [sys.executable, "-m", "servicebook", "serve", "--source", str(site), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": "1790000000", "PYTHONUNBUFFERED": "1"},
        )
        assert server.stdout is not None
        port = None
        for line in server.stdout:
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found[1])
                break
        assert port is not None
        threading.Thread(target=server.stdout.read, daemon=True).start()  # keep the pipe drained
        try:
            for n in range(args.rounds):
                times: list[float] = []
                failures: list[str] = []
                start = threading.Event()
                clients = [
                    threading.Thread(target=fetch, args=(port, "/offerings/ci-pipelines/", times, failures, start))
                    for _ in range(args.clients)
                ]
                for c in clients:
                    c.start()
                start.set()
                for c in clients:
                    c.join()
                print(
                    f"round {n + 1}: {args.clients} concurrent requests: median {statistics.median(times) * 1000:.0f} ms, "
                    f"worst {max(times) * 1000:.0f} ms, {len(failures)} failed"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
