"""`servicebook measure` benchmark: a catalog of N SLOs (default 2,000) that all say how
Prometheus measures them, against the tests' Prometheus (tests/promhelp.py: Debian's
/usr/bin/prometheus serving series backfilled with promtool).

    python bench/measure_bench.py                 # 2,000 SLOs over 400 offerings, 30d windows
    python bench/measure_bench.py --slos 200

The SLOs mix the shapes as a real catalog would: counter selectors (errors and total: two
increase() queries, two resets() queries and the coverage range query), Sloth's rate templates
(two instant queries and the coverage query), and 0/1 gauges. Each offering has its own series
(8 days of data every 60 s). Prints the time of the whole command (catalog check included), per SLO,
and the queries sent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.promhelp import Counter, Gauge, installed, prometheus  # noqa: E402

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01
END = T0 + 8 * DAY
SHAPES = (
    'errors: http_requests_total{{job="{o}",code=~"5.."}}\n          total: http_requests_total{{job="{o}"}}',
    'errors: sum(rate(http_requests_total{{job="{o}",code=~"5.."}}[{{{{.window}}}}]))\n'
    '          total: sum(rate(http_requests_total{{job="{o}"}}[{{{{.window}}}}]))',
    'bool_gauge: probe_success{{job="{o}"}}',
    'good: http_requests_total{{job="{o}",code="200"}}\n          total: http_requests_total{{job="{o}"}}',
    'errors: http_requests_total{{job="{o}",code=~"5.."}}\n          total: http_requests_total{{job="{o}"}}',
)


def catalog(offerings: int, per: int) -> str:
    minimal = (REPO / "tests" / "sites" / "minimal" / "catalog.yaml").read_text()
    head = minimal[: minimal.index("offerings:")]
    tools = minimal[minimal.index("tools:\n  - id:") :]
    parts = [head, "offerings:\n"]
    for i in range(offerings):
        o = f"service-{i:04d}"
        parts.append(
            f"  - id: {o}\n    name: Service {i}\n    summary: A service.\n    owner: Platform Team\n"
            '    tier: "2"\n    lifecycle: ga\n    audience: [developers]\n    request:\n      how: Ask.\n    slos:\n'
        )
        for j in range(per):
            shape = SHAPES[j % len(SHAPES)].format(o=o)
            parts.append(
                f"      - id: slo-{j}\n        name: SLO {j}\n        sli: Share of good requests.\n"
                f"        objective: 99.5\n        window: 7d\n        measurement:\n          {shape}\n"
            )
    parts.append(tools.replace("tools: [shared-pipelines, hand-rolled-scripts]\n", ""))
    return "".join(parts)


def series(offerings: int) -> list[Counter | Gauge]:
    out: list[Counter | Gauge] = []
    for i in range(offerings):
        o = f"service-{i:04d}"
        outage = T0 + (2 + i % 5) * DAY
        out += [
            Counter("http_requests_total", {"job": o, "code": "200"}, T0, END, lambda _t: 100, step=300),
            Counter(
                "http_requests_total",
                {"job": o, "code": "500"},
                T0,
                END,
                lambda t, s=outage: 20 if s < t <= s + 1800 else 0,
                step=300,
            ),
            Gauge("probe_success", {"job": o}, T0, END, lambda t, s=outage: 0 if s <= t < s + 1800 else 1, step=300),
        ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slos", type=int, default=2000)
    parser.add_argument("--per-offering", type=int, default=5)
    args = parser.parse_args()
    if not installed():
        print("needs Debian's prometheus package (apt-get install prometheus)", file=sys.stderr)
        return 2
    offerings = max(1, args.slos // args.per_offering)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        (site / "catalog.yaml").write_text(catalog(offerings, args.per_offering))
        started = time.perf_counter()
        with prometheus(Path(tmp), series(offerings)) as url:
            ready = time.perf_counter() - started
            command = [sys.executable, "-m", "servicebook", "measure", "--source", str(site)]
            command += ["--prometheus", url, "--at", "2026-01-09T00:00:00Z"]
            before = os.times()
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            after = os.times()
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            return 1
        snapshot = json.loads(next((site / "measurements").iterdir()).read_text())
        measured = [s for s in snapshot["slos"] if "attainment" in s]
        queries = sum(len(s["queries"]) for s in snapshot["slos"])
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        slos = len(snapshot["slos"])
        print(f"prometheus: {len(series(offerings))} series backfilled and started in {ready:.1f} s")
        print(
            f"measure: {slos} SLOs ({len(measured)} measured, {queries} queries) in {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU of servicebook ({wall / slos * 1000:.1f} ms per SLO), "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
