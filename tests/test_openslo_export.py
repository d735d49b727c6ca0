"""`servicebook export openslo` and catalog.json's OpenSLO documents: every object valid under the
OpenSLO v1 rules (tests/openslo_v1.py, written from the specification and the Go SDK), names
unique DNS labels, byte for byte the same stream for the same catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from servicebook.interop import openslo
from servicebook.site.load import load

from .conftest import FIXED_EPOCH, REPO, SITES
from .openslo_v1 import problems

LONG_ID = "a" * 30 + "-" + "b" * 32  # 63 characters, the longest id the catalog takes
HOSTILE_OFFERINGS = f"""
  - id: {LONG_ID}
    name: {"A very long offering name " * 7}
    summary: {"An offering whose summary goes on and on. " * 40}
    owner: Platform Team
    tier: "2"
    lifecycle: beta
    audience: [developers, business]
    request:
      how: Ask.
    slos:
      - id: {LONG_ID}
        name: {"A name longer than OpenSLO's sixty-three characters " * 3}
        sli: {"Share of requests that succeed, said at great length. " * 150}
        objective: 99.123456789012345678
        window: calendar-quarter
        timezone: Pacific/Chatham
        budgeting: timeslices
        timeslice_target: 100
        timeslice_window: 5m
        measurement:
          error_ratio: |-
            1 - (
              sum(rate(http_requests_total{{code!~"5.."}}[{{{{.window}}}}]))
              / sum(rate(http_requests_total[{{{{.window}}}}]))
            )
  - id: a-b
    name: A-B
    summary: Collides with a / b-c.
    owner: Platform Team
    tier: "3"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask.
    slos:
      - id: c
        name: Errors
        sli: Share of requests without a 5xx.
        objective: 99.9
        window: 28d
        measurement:
          errors: http_requests_total{{code=~"5.."}}
          total: http_requests_total
      - id: latency
        name: Latency
        sli: Share of requests answered within 300 ms.
        objective: "99"
        window: 7d
        measurement:
          good: http_request_duration_seconds_bucket{{le="0.3"}}
          total: http_request_duration_seconds_count
  - id: a
    name: A
    summary: Collides with a-b / c.
    owner: Platform Team
    tier: "3"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask.
    slos:
      - id: b-c
        name: Up
        sli: Share of time the service is up.
        objective: 99.5
        window: calendar-month
        measurement:
          bool_gauge: up{{job="a"}}
"""


def _site(tmp_path: Path, extra: str = HOSTILE_OFFERINGS) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(text.replace("\ntools:\n", extra + "tools:\n", 1))
    return site


def _catalog(site: Path):
    loaded = load(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert loaded.site is not None, [p.format() for p in loaded.problems]
    return loaded.site.catalog


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    return _catalog(_site(tmp_path_factory.mktemp("hostile")))


@pytest.fixture(scope="module")
def example():
    return _catalog(REPO)


def test_the_oracle_refuses_what_the_go_sdk_refuses() -> None:
    good_slo = {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "search-slo"},
        "spec": {
            "service": "web-shop",
            "indicatorRef": "search-latency",
            "budgetingMethod": "Timeslices",
            "timeWindow": [{"duration": "2w", "isRolling": True}],
            "objectives": [{"target": 0.99, "timeSliceTarget": 0.99, "timeSliceWindow": "1m"}],
        },
    }
    assert problems(good_slo) == []
    broken = json.loads(json.dumps(good_slo))
    broken["metadata"]["name"] = "x" * 64
    broken["spec"]["description"] = "A" * 1051
    del broken["spec"]["objectives"][0]["timeSliceTarget"]
    broken["spec"]["timeWindow"][0]["isRolling"] = False
    broken["spec"]["budgetingMethod"] = "timeslices"
    assert sorted(problems(broken)) == [
        "metadata.name: not a DNS label: '" + "x" * 64 + "'",
        "spec.budgetingMethod: one of ('Occurrences', 'Timeslices', 'RatioTimeslices')",
        "spec.description: longer than 1050 characters",
        "spec.timeWindow[0]: 'calendar' must be set when 'isRolling' is false",
    ]
    sli_without_metric = {"apiVersion": "openslo/v1", "kind": "SLI", "metadata": {"name": "x"}, "spec": {}}
    assert problems(sli_without_metric) == ["spec: exactly one of ratioMetric, thresholdMetric"]


def test_every_exported_object_of_the_example_is_valid_openslo_v1(example) -> None:
    docs = openslo.documents(example)
    assert {d["kind"] for d in docs} == {"Service", "SLI", "SLO"}
    measured = sum(1 for o in example.offerings for slo in o.slos if slo.measurement is not None)
    assert 0 < measured == len([d for d in docs if d["kind"] == "SLI"])
    assert len([d for d in docs if d["kind"] == "SLO"]) == sum(len(o.slos) for o in example.offerings)
    for doc in docs:
        assert problems(doc) == [], doc["metadata"]["name"]


def test_hostile_catalogs_export_valid_objects_with_unique_names(hostile) -> None:
    docs = openslo.documents(hostile)
    for doc in docs:
        assert problems(doc) == [], (doc["metadata"]["name"], problems(doc))
    by_kind: dict[str, list[str]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc["metadata"]["name"])
    for kind, names in by_kind.items():
        assert len(names) == len(set(names)), kind
    slos = {d["metadata"]["annotations"]["servicebook.dev/slo"]: d for d in docs if d["kind"] == "SLO"}
    # `a-b` + `c` and `a` + `b-c` would both be a-b-c: neither gets it
    assert slos["a-b/c"]["metadata"]["name"] != slos["a/b-c"]["metadata"]["name"]
    assert "a-b-c" not in by_kind["SLO"]
    assert slos["a-b/latency"]["metadata"]["name"] == "a-b-latency"
    long = slos[f"{LONG_ID}/{LONG_ID}"]
    assert len(long["metadata"]["displayName"]) <= 63
    assert long["metadata"]["annotations"]["servicebook.dev/name"].startswith("A name longer")
    assert len(long["spec"]["description"]) <= 1050 and long["spec"]["description"].endswith("…")
    assert long["metadata"]["annotations"]["servicebook.dev/objective"] == "99.123456789012345678"
    assert long["spec"]["timeWindow"] == [
        {
            "duration": "1Q",
            "isRolling": False,
            "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": "Pacific/Chatham"},
        }
    ]
    assert long["spec"]["objectives"][0]["timeSliceWindow"] == "5m"
    month = slos["a/b-c"]["spec"]["timeWindow"][0]
    assert month["calendar"]["timeZone"] == "UTC"  # the support hours' time zone, by default


def test_each_measurement_shape_becomes_the_matching_openslo_metric(hostile) -> None:
    slis = {
        d["metadata"]["annotations"]["servicebook.dev/slo"]: d["spec"]
        for d in openslo.documents(hostile)
        if d["kind"] == "SLI"
    }
    errors = slis["a-b/c"]["ratioMetric"]
    assert errors["counter"] is True  # selectors of counters (Pyrra's style)
    assert errors["bad"]["metricSource"] == {
        "type": "Prometheus",
        "spec": {"query": 'http_requests_total{code=~"5.."}'},
    }
    assert "good" in slis["a-b/latency"]["ratioMetric"]
    raw = slis[f"{LONG_ID}/{LONG_ID}"]["ratioMetric"]
    assert (raw["rawType"], raw["counter"]) == ("failure", False)
    assert slis["a/b-c"]["thresholdMetric"]["metricSource"]["spec"]["query"] == 'up{job="a"}'
    up = next(d for d in openslo.documents(hostile) if d["kind"] == "SLO" and d["spec"]["service"] == "a")
    assert up["spec"]["objectives"][0]["op"] == "gte" and up["spec"]["objectives"][0]["value"] == 1


def test_an_unmeasured_slo_names_the_sli_the_monitoring_must_define(example) -> None:
    docs = openslo.documents(example)
    unmeasured = [
        d
        for d in docs
        if d["kind"] == "SLO" and d["metadata"].get("annotations", {}).get("servicebook.dev/measured") == "false"
    ]
    assert unmeasured
    slis = {d["metadata"]["name"] for d in docs if d["kind"] == "SLI"}
    for slo in unmeasured:
        assert slo["spec"]["indicatorRef"] == slo["metadata"]["name"] + "-sli"
        assert slo["spec"]["indicatorRef"] not in slis


def test_the_stream_is_the_same_bytes_for_the_same_catalog(tmp_path, hostile) -> None:
    first = openslo.dump(openslo.documents(hostile))
    again = openslo.dump(openslo.documents(_catalog(_site(tmp_path))))
    assert first == again
    assert list(yaml.safe_load_all(first)) == openslo.documents(hostile)


def test_catalog_json_carries_the_exported_documents(run, tmp_path) -> None:
    site = _site(tmp_path)
    assert run("build", "--source", site, "--output", tmp_path / "public").exit_code == 0
    doc = json.loads((tmp_path / "public/catalog.json").read_text())
    exported = openslo.documents(_catalog(site))
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in exported}
    for offering in doc["offerings"]:
        for slo in offering["slos"]:
            assert by_name[("SLO", slo["openslo"]["metadata"]["name"])] == slo["openslo"]
            if "measurement" in slo:
                assert by_name[("SLI", slo["openslo_sli"]["metadata"]["name"])] == slo["openslo_sli"]
            assert problems(slo["openslo"]) == []


def test_the_export_says_what_the_latest_snapshot_measured(run, site_copy) -> None:
    site = site_copy("example")
    shutil.copytree(REPO / "measurements", site / "measurements")  # the example's committed snapshots
    result = run("export", "openslo", "--source", site)
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert not [p for d in docs for p in problems(d)]
    latest: dict[str, dict[str, object]] = {}
    for path in sorted((site / "measurements").glob("*.json")):  # named by their end time
        for r in json.loads(path.read_text())["slos"]:
            latest[f"{r['offering']}/{r['slo']}"] = r
    assert latest
    delivered = {
        d["metadata"]["annotations"]["servicebook.dev/slo"]: d["metadata"]["annotations"]
        for d in docs
        if d["kind"] == "SLO" and "servicebook.dev/measured-to" in d["metadata"]["annotations"]
    }
    assert set(delivered) == set(latest)
    for slo, r in latest.items():
        if r.get("attainment") is not None:
            assert float(delivered[slo]["servicebook.dev/attainment"]) == pytest.approx(r["attainment"], rel=1e-5)
        else:
            assert "servicebook.dev/not-measured" in delivered[slo]


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("catalog.yaml", "it is the site's catalog.yaml"),
        ("content/welcome.md", "it is inside the site's content/"),
        ("content/slos.yaml", "it is inside the site's content/"),
        ("servicebook.lock", "it is the site's servicebook.lock"),
    ],
)
def test_the_export_never_replaces_a_file_of_the_site(run, site_copy, monkeypatch, output, said) -> None:
    """`-o catalog.yaml` (a newcomer's slip for `-o openslo.yaml`) once replaced the catalog with
    the export and exited 0; it is refused, and the site's files stay as they were."""
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    result = run("export", "openslo", "--output", output)
    assert result.exit_code == 2, result.output
    assert f"refusing to write the export to {output}: {said}" in result.stderr
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    link = site / "slos.yaml"
    link.symlink_to(site / "catalog.yaml")  # nor through a link to one
    assert run("export", "openslo", "--output", link).exit_code == 2
    assert (site / "catalog.yaml").read_bytes() == before[site / "catalog.yaml"]
    assert run("export", "openslo", "--output", "openslo.yaml").exit_code == 0  # beside them: fine
    assert (site / "openslo.yaml").read_text().startswith("---\napiVersion: openslo/v1")
