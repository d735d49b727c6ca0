"""Make the example catalog's snapshots (measurements/ at the repository's root) again.

The example's Prometheus is not real, so this script makes one: it generates the series the
example's `measurement` queries read (a synthetic GitLab probe with two outages, runner pickup
times with a capacity crunch, runner failures with a node loss and an exporter restart, artifact
registry requests with a 15-minute outage, Kubernetes API probes with a scrape gap), backfills them
into a fresh TSDB with promtool, serves it with Debian's /usr/bin/prometheus on 127.0.0.1 (the
harness of the tests, tests/promhelp.py) and runs `servicebook measure` against it for every
Wednesday of the example's weeks, as a nightly CI job would have. Then `make example` copies the
snapshots into the package, for `servicebook init --example`.

    python scripts/make_example_measurements.py [--replace]

Commit catalog.yaml first: each snapshot records the commit it measured against. `--replace`
deletes the snapshots of those days first (a snapshot is never written over).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.promhelp import Counter, Gauge, installed, prometheus  # noqa: E402

STEP = 120  # a two-minute scrape interval keeps the data small
START = int(dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp())
END = int(dt.datetime(2026, 12, 2, tzinfo=dt.UTC).timestamp())
DAYS = ("2026-11-11", "2026-11-18", "2026-11-25", "2026-12-02")


def at(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def during(t: int, start: str, minutes: int) -> bool:
    return at(start) < t <= at(start) + minutes * 60


def series() -> list[Counter | Gauge]:
    gitlab_down = (("2026-11-05T10:00", 20), ("2026-11-20T16:30", 12))
    crunch = ("2026-11-17T09:00", 180)
    node_loss = ("2026-11-24T02:00", 2)
    nexus_outage = ("2026-11-12T14:00", 15)
    api_down = ("2026-11-14T07:40", 10)
    scrape_gap = (at("2026-11-08T03:00"), at("2026-11-08T05:00"))

    def slow_jobs(t: int) -> int:
        return 8 if during(t, *crunch) else (1 if t % 3600 == 0 else 0)

    return [
        Gauge(
            "probe_success",
            {"job": "gitlab-synthetics"},
            START,
            END,
            lambda t: 0 if any(during(t, s, m) for s, m in gitlab_down) else 1,
            step=STEP,
        ),
        Counter("gitlab_runner_job_queue_duration_seconds_count", {}, START, END, lambda _t: 40, step=STEP),
        Counter(
            "gitlab_runner_job_queue_duration_seconds_bucket",
            {"le": "60"},
            START,
            END,
            lambda t: 40 - slow_jobs(t),
            step=STEP,
        ),
        Counter("gitlab_runner_jobs_total", {}, START, END, lambda _t: 40, step=STEP, resets=(at("2026-11-10T06:00"),)),
        Counter(
            "gitlab_runner_failed_jobs_total",
            {"failure_reason": "runner_system_failure"},
            START,
            END,
            lambda t: 30 if during(t, *node_loss) else (1 if t % 21600 == 0 else 0),
            step=STEP,
            resets=(at("2026-11-10T06:00"),),
        ),
        Counter(
            "nexus_http_requests_total",
            {"code": "200"},
            START,
            END,
            lambda t: 200 if during(t, *nexus_outage) else 500,
            step=STEP,
        ),
        Counter(
            "nexus_http_requests_total",
            {"code": "503"},
            START,
            END,
            lambda t: 300 if during(t, *nexus_outage) else 0,
            step=STEP,
        ),
        Gauge(
            "probe_success",
            {"job": "kubernetes-apiservers"},
            START,
            END,
            lambda t: 0 if during(t, *api_down) else 1,
            step=STEP,
            gaps=(scrape_gap,),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replace", action="store_true", help="delete the snapshots of those days first")
    args = parser.parse_args()
    if not installed():
        print("needs Debian's prometheus package (apt-get install prometheus)", file=sys.stderr)
        return 2
    folder = REPO / "measurements"
    if args.replace:
        for day in DAYS:
            (folder / f"{day}T00-00-00Z.json").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp, prometheus(Path(tmp), series()) as url:
        for day in DAYS:
            command = [sys.executable, "-m", "servicebook", "measure", "--source", str(REPO)]
            done = subprocess.run([*command, "--prometheus", url, "--at", day], check=False)
            if done.returncode not in (0, 3):  # 3: some SLO could not be measured, as the example shows
                return done.returncode
    print("now run: make example")
    return 0


if __name__ == "__main__":
    sys.exit(main())
