"""`servicebook export sloth` and `export pyrra`: the catalog's SLOs as the specs Sloth and Pyrra
generate Prometheus rules from. Every document passes what the tool itself checks (the oracles
below are written from slok/sloth's pkg/common/validation and pyrra-dev/pyrra's webhook
`validate`; promtool parses every query), the exported Sloth queries measure what `servicebook
measure` measures on a real Prometheus, `check --against` finds no drift in what was exported and
finds it once the catalog changes, and every SLO a tool cannot hold is named with its reason."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicebook.measure.prometheus import Prometheus
from servicebook.measure.snapshot import read_all
from tests.conftest import SITES, GitSite, real_prometheus, require_component
from tests.promhelp import INSTALL, PROMTOOL, Counter, Gauge

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
END = T0 + 8 * DAY
AT = "2026-01-09T00:00:00Z"
OUTAGE = (T0 + 3 * DAY, T0 + 3 * DAY + 10 * 60)
SLOW = (T0 + 5 * DAY, T0 + 5 * DAY + 30 * 60)
PROBE_DOWN = (T0 + 2 * DAY, T0 + 2 * DAY + 90 * 60)


def _in(span: tuple[int, int], t: int) -> bool:
    return span[0] < t <= span[1]


SERIES = [
    Counter("http_requests_total", {"job": "api", "code": "200"}, T0, END, lambda t: 60 if _in(OUTAGE, t) else 100),
    Counter("http_requests_total", {"job": "api", "code": "500"}, T0, END, lambda t: 40 if _in(OUTAGE, t) else 0),
    Counter("req_seconds_count", {"job": "api"}, T0, END, lambda t: 100),
    Counter("req_seconds_bucket", {"job": "api", "le": "0.3"}, T0, END, lambda t: 55 if _in(SLOW, t) else 99),
    Gauge("probe_success", {"job": "probe"}, T0, END, lambda t: 0 if PROBE_DOWN[0] <= t < PROBE_DOWN[1] else 1),
]


def _slo(ident: str, window: str, measurement: str, extra: str = "", objective: str = "99.5") -> str:
    return f"""      - id: {ident}
        name: SLO {ident}
        sli: Share of good events of {ident}.
        objective: {objective}
        window: {window}
{extra}{measurement}"""


def _measured(**queries: str) -> str:
    lines = "".join(f"          {k}: '{v}'\n" for k, v in queries.items())
    return "        measurement:\n" + lines


# every shape the catalog has, as selectors and as PromQL, over the export's period (7d)
MEASURED = "".join(
    [
        _slo("errors-sel", "7d", _measured(errors='http_requests_total{code="500"}', total="http_requests_total")),
        _slo("good-sel", "7d", _measured(good='req_seconds_bucket{le="0.3"}', total="req_seconds_count")),
        _slo("gauge-sel", "7d", _measured(bool_gauge='probe_success{job="probe"}')),
        _slo(
            "errors-tpl",
            "7d",
            _measured(
                errors='sum(rate(http_requests_total{code="500"}[{{ .window }}]))',
                total="sum(rate(http_requests_total[{{.window}}]))",
            ),
        ),
        _slo(
            "good-tpl",
            "7d",
            _measured(
                good='sum by (job) (increase(req_seconds_bucket{le="0.3"}[{{.window}}]))',
                total="sum by (job) (increase(req_seconds_count[{{.window}}]))",
            ),
        ),
        _slo(
            "ratio-tpl",
            "7d",
            _measured(
                error_ratio='1 - sum(rate(req_seconds_bucket{le="0.3"}[{{.window}}])) / sum(rate(req_seconds_count[{{.window}}]))'
            ),
        ),
        _slo("gauge-tpl", "7d", _measured(bool_gauge='avg_over_time(probe_success{job="probe"}[{{.window}}])')),
    ]
)
# what neither tool can hold, or Sloth only with another --period
LEFT = "".join(
    [
        _slo(
            "monthly",
            "calendar-month",
            _measured(errors='http_requests_total{code="500"}', total="http_requests_total"),
        ),
        _slo(
            "sliced",
            "7d",
            _measured(errors='http_requests_total{code="500"}', total="http_requests_total"),
            "        budgeting: timeslices\n        timeslice_target: 95\n        timeslice_window: 5m\n",
        ),
        _slo("thirty", "30d", _measured(errors='http_requests_total{code="500"}', total="http_requests_total")),
        _slo("recorded", "7d", _measured(error_ratio='slo:sli_error:ratio_rate7d{sloth_service="api"}')),
        _slo("counted", "7d", _measured(good='http_requests_total{code="200"}', total="http_requests_total")),
        "      - id: unmeasured\n        name: Not measured\n        sli: Share of something.\n"
        "        objective: 99\n        window: 7d\n",
    ]
)
# ids of one character (Sloth's names have two at least) and of 63 (a DNS label's most)
LONG = "a" * 30 + "-" + "b" * 32
ONE_LETTER_SLO = _slo("y", "7d", _measured(errors='http_requests_total{code="500"}', total="http_requests_total"))
LONG_SLO = _slo(LONG, "7d", _measured(bool_gauge="up"), objective="99.123456789012345678")
ODD_OFFERINGS = f"""  - id: x
    name: X
    summary: One letter.
    owner: Platform Team
    tier: "3"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask.
    slos:
{ONE_LETTER_SLO}  - id: {LONG}
    name: Long
    summary: Sixty-three characters.
    owner: platform-team
    tier: "1"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask.
    slos:
{LONG_SLO}"""


def _site(root: Path) -> Path:
    shutil.copytree(SITES / "minimal", root)
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    old = text[text.index("    slos:\n") : text.index("    tools: [shared")]
    text = text.replace(old, "    slos:\n" + MEASURED + LEFT, 1)
    catalog.write_text(text.replace("\ntools:\n", "\n" + ODD_OFFERINGS + "tools:\n", 1))
    return root


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return _site(tmp_path / "site")


def _export(run, site: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    result = run("export", *args, "--source", site)
    assert result.exit_code == 0, result.output
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None], result.stderr


# --- the oracles: what Sloth and Pyrra check ---------------------------------------------------

SLOTH_NAME = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]")
SLOTH_WINDOW = re.compile(r"\{\{ *\.window *\}\}")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
PROM_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
K8S_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
K8S_QUALIFIED_NAME = re.compile(
    r"(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*/)?"
    r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
VECTOR_SELECTOR = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^{}]*\})?")


def sloth_problems(spec: dict[str, Any]) -> list[str]:
    """What `sloth validate` refuses in a plain spec (slok/sloth pkg/common/validation/slo.go and
    the prometheus/v1 spec's fields)."""
    out = []
    unknown = set(spec) - {"version", "service", "labels", "slos"}
    out += [f"unknown field {k}" for k in sorted(unknown)]
    if spec.get("version") != "prometheus/v1":
        out.append("version")
    if not SLOTH_NAME.fullmatch(str(spec.get("service", ""))):
        out.append(f"service {spec.get('service')!r}")
    out += _labels(spec.get("labels", {}), "labels")
    slos = spec.get("slos") or []
    if not slos:
        out.append("slos required")
    names = [s.get("name") for s in slos]
    if len(set(names)) != len(names):
        out.append("slo repeated")
    for slo in slos:
        where = f"slo {slo.get('name')}"
        unknown = set(slo) - {"name", "objective", "description", "labels", "sli", "alerting", "plugins"}
        out += [f"{where}: unknown field {k}" for k in sorted(unknown)]
        if not SLOTH_NAME.fullmatch(str(slo.get("name", ""))):
            out.append(f"{where}: name")
        objective = slo.get("objective")
        if isinstance(objective, bool) or not isinstance(objective, (int, float)) or not 0 < objective <= 100:
            out.append(f"{where}: objective {objective!r}")
        out += _labels(slo.get("labels", {}), f"{where} labels")
        sli = slo.get("sli") or {}
        if sorted(sli) not in (["events"], ["raw"]):
            out.append(f"{where}: one SLI type")
        queries = list((sli.get("events") or {}).values()) + list((sli.get("raw") or {}).values())
        if "events" in sli and sorted(sli["events"]) != ["error_query", "total_query"]:
            out.append(f"{where}: events")
        if "events" in sli and sli["events"].get("error_query") == sli["events"].get("total_query"):
            out.append(f"{where}: same queries")
        if "raw" in sli and sorted(sli["raw"]) != ["error_ratio_query"]:
            out.append(f"{where}: raw")
        out += [f"{where}: no window in {q!r}" for q in queries if not SLOTH_WINDOW.search(str(q))]
        alerting = slo.get("alerting") or {}
        if not alerting.get("name"):
            out.append(f"{where}: alert name")
        unknown = set(alerting) - {"name", "labels", "annotations", "page_alert", "ticket_alert"}
        out += [f"{where}: unknown alerting field {k}" for k in sorted(unknown)]
        # an annotation's name is a Prometheus label name (prom_annot_key), its value required
        out += [
            f"{where}: annotation {k!r}"
            for k, v in (alerting.get("annotations") or {}).items()
            if not LABEL_NAME.fullmatch(k) or not isinstance(v, str) or not v
        ]
    return out


def _labels(labels: dict[str, Any], where: str) -> list[str]:
    return [
        f"{where}: {k!r}"
        for k, v in labels.items()
        if not LABEL_NAME.fullmatch(k) or k == "__name__" or not isinstance(v, str) or not v
    ]


def pyrra_problems(document: dict[str, Any]) -> list[str]:
    """What Pyrra's webhook refuses or warns of (kubernetes/api/v1alpha1 `validate`), and what
    Kubernetes refuses in the metadata."""
    out = []
    if document.get("apiVersion") != "pyrra.dev/v1alpha1" or document.get("kind") != "ServiceLevelObjective":
        out.append("apiVersion/kind")
    meta, spec = document.get("metadata") or {}, document.get("spec") or {}
    name = str(meta.get("name", ""))
    if not DNS_LABEL.fullmatch(name):
        out.append(f"name {name!r}")
    if not DNS_LABEL.fullmatch(str(meta.get("namespace", ""))):
        out.append("namespace must be set")
    out += [f"label {k}" for k, v in (meta.get("labels") or {}).items() if not K8S_LABEL_VALUE.fullmatch(v)]
    # Kubernetes: an annotation's key is a qualified name (a DNS subdomain prefix, '/', a name), its value text
    out += [
        f"annotation {k!r}"
        for k, v in (meta.get("annotations") or {}).items()
        if not K8S_QUALIFIED_NAME.fullmatch(k) or not isinstance(v, str)
    ]
    target = spec.get("target")
    try:
        value = float(target) if isinstance(target, str) else None
    except ValueError:
        value = None
    if value is None or not 1 <= value <= 100:
        out.append(f"target {target!r}")
    if not PROM_DURATION.fullmatch(str(spec.get("window", ""))):
        out.append(f"window {spec.get('window')!r}")
    indicator = spec.get("indicator") or {}
    if len(indicator) != 1 or not set(indicator) <= {"ratio", "latency", "latencyNative", "bool_gauge"}:
        out.append("one of ratio, latency, latencyNative or bool_gauge")
    parts = {
        "ratio": ("errors", "total"),
        "latency": ("success", "total"),
        "latencyNative": ("total",),
        "bool_gauge": (),
    }
    for kind, shape in indicator.items():
        metrics = [shape[p]["metric"] for p in parts.get(kind, ())] if parts.get(kind) else [shape.get("metric")]
        # a selector with an offset is one to Prometheus' parser, as Pyrra's own example writes its metrics
        # (examples/kubernetes/manifests/slos/slo-prometheus-query-errors-with-offset.yaml)
        unshifted = [re.sub(r"\s+offset\s+-?[0-9][0-9a-z]*\s*$", "", str(m)) for m in metrics]
        out += [f"{kind}: not a vector selector {m!r}" for m in unshifted if not VECTOR_SELECTOR.fullmatch(m)]
        if kind == "latency" and not re.search(r'[{,]\s*le\s*=\s*"[0-9.]+"', shape["success"]["metric"]):
            out.append("latency success metric must contain a le label matcher")
    return out


def promtool_refuses(queries: list[str], folder: Path) -> str:
    """What promtool says of the queries as recording rules (`{{.window}}` as 5m), '' when it takes them."""
    rules = {
        "groups": [
            {
                "name": "q",
                "rules": [{"record": f"q{i}", "expr": SLOTH_WINDOW.sub("5m", q)} for i, q in enumerate(queries)],
            }
        ]
    }
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    return "" if done.returncode == 0 else done.stdout + done.stderr


def test_the_oracles_refuse_what_sloth_and_pyrra_refuse() -> None:
    good = {
        "version": "prometheus/v1",
        "service": "api",
        "slos": [
            {
                "name": "availability",
                "objective": 99.9,
                "sli": {"events": {"error_query": "a[{{.window}}]", "total_query": "b[{{ .window }}]"}},
                "alerting": {"name": "ApiAvailability"},
            }
        ],
    }
    assert sloth_problems(good) == []
    bad = {
        "version": "prometheus/v1",
        "service": "a",
        "slos": [
            {
                "name": "x-",
                "objective": "99",
                "sli": {},
                "alerting": {"annotations": {"servicebook.dev/window": "7d", "servicebook_x": ""}, "for": "5m"},
            }
        ],
    }
    assert sloth_problems(bad) == [
        "service 'a'",
        "slo x-: name",
        "slo x-: objective '99'",
        "slo x-: one SLI type",
        "slo x-: alert name",
        "slo x-: unknown alerting field for",
        "slo x-: annotation 'servicebook.dev/window'",
        "slo x-: annotation 'servicebook_x'",
    ]
    assert pyrra_problems(
        {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "Api_x", "annotations": {"servicebook.dev/x": "1", "servicebook.dev/": "2"}},
            "spec": {
                "target": 99.9,
                "window": "4 weeks",
                "indicator": {"latency": {"success": {"metric": "a"}, "total": {"metric": "sum(b)"}}},
            },
        }
    ) == [
        "name 'Api_x'",
        "namespace must be set",
        "annotation 'servicebook.dev/'",
        "target 99.9",
        "window '4 weeks'",
        "latency: not a vector selector 'sum(b)'",
        "latency success metric must contain a le label matcher",
    ]


# --- Sloth ---------------------------------------------------------------------------------


def test_every_sloth_spec_passes_sloths_checks_and_promtool_parses_every_query(run, site: Path, tmp_path: Path) -> None:
    specs, _ = _export(run, site, "sloth", "--period", "7d")
    assert [s["service"] for s in specs] == ["ci", "offering-x", LONG]
    for spec in specs:
        assert sloth_problems(spec) == [], spec["service"]
    queries = [q for spec in specs for slo in spec["slos"] for part in slo["sli"].values() for q in part.values()]
    assert len(queries) == 16
    require_component(Path(PROMTOOL).is_file(), "promtool", INSTALL)
    assert promtool_refuses(queries, tmp_path) == ""


def test_sloth_takes_the_objective_digit_for_digit_and_names_each_slo_for_the_drift_check(run, site: Path) -> None:
    result = run("export", "sloth", "--period", "7d", "--source", site)
    assert "objective: 99.123456789012345678\n" in result.stdout
    specs = [d for d in yaml.safe_load_all(result.stdout) if d]
    one = specs[1]
    assert one["slos"][0]["name"] == "slo-y"  # Sloth's names have two characters at least
    assert one["slos"][0]["labels"] == {"servicebook_slo": "x/y"}
    assert one["labels"] == {"owner": "Platform Team", "tier": "3"}


@pytest.mark.parametrize(
    ("fmt", "told"),
    [
        (
            ("sloth", "--period", "7d"),
            "sloth generate -i {} --default-slo-period 7d --slo-period-windows-path DIR (Sloth has alert windows",
        ),
        (("pyrra",), "kubectl apply -f {} where Pyrra watches"),
    ],
    ids=["sloth", "pyrra"],
)
def test_the_header_names_the_file_to_read_only_when_one_is_written(
    site: Path, tmp_path: Path, fmt: tuple[str, ...], told: str
) -> None:
    """The header comment (and what standard error says) gives the command to run next: the file
    written, or FILE for standard output. `-o /dev/stdout` (a pipe here, as to `kubectl apply -f
    -`) said `sloth generate -i /dev/stdout`, which reads nothing once the export is gone."""

    def exported(*output: str) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "servicebook", "export", *fmt, "--source", str(site), *output],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.partition("\n")[0], done.stderr

    for output in (["-o", "/dev/stdout"], ["-o", "-"], []):
        header, said = exported(*output)
        assert told.format("FILE") in header, (output, header)
        assert told.format("FILE") in said
    file = tmp_path / "slos.yaml"
    _, said = exported("-o", str(file))
    assert told.format(file) in file.read_text().partition("\n")[0]
    assert told.format(file) in said


def test_sloth_leaves_out_what_it_cannot_hold_and_says_why(run, site: Path) -> None:
    specs, said = _export(run, site, "sloth", "--period", "7d")
    exported = {slo["labels"]["servicebook_slo"] for spec in specs for slo in spec["slos"]}
    assert exported == {
        *(
            f"ci/{i}"
            for i in (
                "errors-sel",
                "good-sel",
                "gauge-sel",
                "errors-tpl",
                "good-tpl",
                "ratio-tpl",
                "gauge-tpl",
                "counted",
            )
        ),
        "x/y",
        f"{LONG}/{LONG}",
    }
    assert "Exported 10 SLOs; their window 7d: sloth generate -i FILE --default-slo-period 7d" in said
    assert "--slo-period-windows-path DIR (Sloth has alert windows for 28d and 30d only" in said
    assert "5 SLOs left out:" in said
    assert "a calendar-month window: Sloth has rolling windows only (export openslo keeps it): ci/monthly" in said
    assert "budgeting: timeslices: Sloth counts events, not time slices (export openslo keeps it): ci/sliced" in said
    assert "a window of 30d, not this export's 7d (export again with --period 30d): ci/thirty" in said
    assert "an error_ratio that is a series of the ratio over the SLO's window (a recording rule)" in said
    assert (
        "no measurement: the catalog does not say how Prometheus counts the events (add measurement:): ci/unmeasured"
        in said
    )


def test_sloth_exports_the_window_most_slos_have_unless_told(run, site: Path) -> None:
    _, said = _export(run, site, "sloth")
    assert "--default-slo-period 7d" in said
    specs, said = _export(run, site, "sloth", "--period", "30d")
    assert [slo["name"] for spec in specs for slo in spec["slos"]] == ["thirty"]
    assert "--default-slo-period 30d." in said  # a built-in period: no windows file needed
    result = run("export", "sloth", "--period", "calendar-month", "--source", site)
    assert result.exit_code == 2
    assert "--period 'calendar-month' is not a rolling window such as 28d or 30d" in result.output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_prometheus(tmp_path_factory.mktemp("prometheus"), SERIES) as url:
        yield url


@pytest.mark.git
def test_the_exported_sloth_queries_measure_what_servicebook_measures(server: str, run, tmp_path: Path) -> None:
    repo = GitSite(_site(tmp_path / "repo"))
    repo.commit("Catalog with measurements")
    result = run("measure", "--source", repo.root, "--prometheus", server, "--at", AT)
    assert result.exit_code == 3, result.output  # ci/recorded: no series holds its ratio
    snapshots, problems = read_all(repo.root)
    assert problems == [] and len(snapshots) == 1
    measured = {(r.offering, r.slo): r for r in snapshots[0].results}
    specs, _ = _export(run, repo.root, "sloth", "--period", "7d", "--offering", "ci")
    client = Prometheus(server)
    at = END
    compared = 0
    for slo in specs[0]["slos"]:
        ident = slo["labels"]["servicebook_slo"].split("/")[1]
        sli = slo["sli"]
        if "events" in sli:
            errors, total = (_value(client, sli["events"][k], at) for k in ("error_query", "total_query"))
            ratio = errors / total
        else:
            ratio = _value(client, sli["raw"]["error_ratio_query"], at)
        expected = measured[("ci", ident)]
        assert expected.attainment is not None, (ident, expected.reason)
        assert 1 - ratio == pytest.approx(expected.attainment, rel=1e-9, abs=1e-12), ident
        compared += 1
    assert compared == 8
    # the figures are not all 1: an outage, a slow half hour and a probe down were measured
    assert len({round(measured[("ci", i)].attainment or 0, 6) for i in ("errors-sel", "good-sel", "gauge-sel")}) == 3


def _value(client: Prometheus, query: str, at: int) -> float:
    samples = client.query(SLOTH_WINDOW.sub("7d", query), float(at))
    assert len(samples) == 1, (query, samples)
    return float(samples[0].value)


# --- Pyrra ---------------------------------------------------------------------------------


def test_every_pyrra_objective_passes_pyrras_checks(run, site: Path, tmp_path: Path) -> None:
    documents, _ = _export(run, site, "pyrra")
    for document in documents:
        assert pyrra_problems(document) == [], document["metadata"]["name"]
    names = [d["metadata"]["name"] for d in documents]
    assert len(set(names)) == len(names) == 6
    by_slo = {d["metadata"]["annotations"]["servicebook.dev/slo"]: d for d in documents}
    assert by_slo["ci/errors-sel"]["spec"]["indicator"] == {
        "ratio": {"errors": {"metric": 'http_requests_total{code="500"}'}, "total": {"metric": "http_requests_total"}}
    }
    assert by_slo["ci/good-sel"]["spec"]["indicator"] == {
        "latency": {"success": {"metric": 'req_seconds_bucket{le="0.3"}'}, "total": {"metric": "req_seconds_count"}}
    }
    assert by_slo["ci/gauge-sel"]["spec"]["indicator"] == {"bool_gauge": {"metric": 'probe_success{job="probe"}'}}
    long = by_slo[f"{LONG}/{LONG}"]
    assert long["spec"]["target"] == "99.123456789012345678"
    assert long["metadata"]["labels"] == {"pyrra.dev/team": "platform-team"}  # "Platform Team" is no label value
    assert "labels" not in by_slo["x/y"]["metadata"]
    assert {d["metadata"]["namespace"] for d in documents} == {"ci", "x", LONG}
    require_component(Path(PROMTOOL).is_file(), "promtool", INSTALL)
    metrics = [
        p["metric"]
        for d in documents
        for shape in d["spec"]["indicator"].values()
        for p in (shape.get("errors"), shape.get("total"), shape.get("success"), shape)
        if p and "metric" in p
    ]
    assert promtool_refuses(metrics, tmp_path) == ""


def test_pyrra_leaves_out_promql_and_what_it_cannot_count_and_says_why(run, site: Path) -> None:
    documents, said = _export(run, site, "pyrra", "--namespace", "monitoring")
    assert {d["metadata"]["namespace"] for d in documents} == {"monitoring"}
    assert "Exported 6 SLOs; kubectl apply -f FILE where Pyrra watches." in said
    assert (
        "Pyrra reads metric selectors, not PromQL (export sloth or openslo keeps it): ci/errors-tpl, ci/good-tpl, ci/gauge-tpl"
        in said
    )
    assert "an error_ratio, which Pyrra has no form for" in said and "ci/ratio-tpl, ci/recorded" in said
    assert "Pyrra counts good events only as a histogram's bucket" in said and "ci/counted" in said
    result = run("export", "pyrra", "--namespace", "Monitoring", "--source", site)
    assert result.exit_code == 2
    assert "--namespace 'Monitoring' is not a Kubernetes namespace" in result.output


# --- both, against the catalog -----------------------------------------------------------------


def test_check_against_the_exports_finds_no_drift_until_the_catalog_changes(run, site: Path, tmp_path: Path) -> None:
    monitoring = tmp_path / "monitoring"
    monitoring.mkdir()
    for tool, args in (("sloth", ("--period", "7d")), ("pyrra", ())):
        result = run("export", tool, *args, "--source", site, "--output", monitoring / f"{tool}.yaml")
        assert result.exit_code == 0, result.output
    assert (monitoring / "sloth.yaml").read_text().startswith("# Made by servicebook export sloth")
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "7d")
    assert result.exit_code == 0, result.output
    assert ": error:" not in result.output
    for exported in ("errors-sel", "good-tpl", "gauge-sel"):
        assert f"measures ci/{exported}:" not in result.output
    assert "measures ci/monthly: no Sloth, Pyrra or OpenSLO SLO names it" in result.output
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5\n", "objective: 99.7\n", 1))
    result = run("check", "--source", site, "--against", monitoring, "--sloth-period", "7d")
    assert result.exit_code == 1
    assert "ci/errors-sel: the catalog's objective is 99.7 %, but Sloth SLO 'errors-sel'" in result.output
    assert "ci/errors-sel: the catalog's objective is 99.7 %, but Pyrra SLO 'ci-errors-sel'" in result.output


def test_an_export_into_a_file_the_build_reads_is_refused(run, site: Path) -> None:
    before = (site / "catalog.yaml").read_bytes()
    for tool in ("sloth", "pyrra"):
        result = run("export", tool, "--source", site, "--output", site / "catalog.yaml")
        assert result.exit_code == 2
        assert (
            f"refusing to write the export to {site / 'catalog.yaml'}: it is the site's catalog.yaml" in result.output
        )
        assert f"(e.g. slos.{tool}.yaml)" in result.output
    assert (site / "catalog.yaml").read_bytes() == before


def test_import_sloth_reads_an_export_back_over_the_period_it_is_told(run, site: Path, tmp_path: Path) -> None:
    spec = tmp_path / "ci.sloth.yaml"
    assert run("export", "sloth", "--period", "7d", "--offering", "ci", "--source", site, "-o", spec).exit_code == 0
    told = run("import", "sloth", spec, "--period", "7d")
    assert told.exit_code == 0, told.output
    assert told.stdout.count("        window: 7d\n") == 8
    assert "  - id: ci\n" in told.stdout and "      - id: errors-sel\n" in told.stdout
    assert 'errors: sum(rate(http_requests_total{code="500"}[{{.window}}]))' in told.stdout
    guessed = run("import", "sloth", spec)
    assert guessed.stdout.count("        window: 30d\n") == 8
    assert "guessed the window 30d: a Sloth spec has none" in guessed.stderr
    refused = run("import", "sloth", spec, "--period", "calendar-month")
    assert refused.exit_code == 2
    assert "--period 'calendar-month' is not a rolling window such as 28d or 30d" in refused.output


def test_an_export_of_no_slo_is_an_error_that_writes_nothing(run, site: Path, tmp_path: Path) -> None:
    """An empty stream applied as the monitoring's specs would remove what they measure."""
    target = tmp_path / "slos.yaml"
    target.write_text("kept\n")
    result = run("export", "sloth", "--period", "90d", "--source", site, "-o", target)
    assert result.exit_code == 1
    assert "a window of 7d, not this export's 90d (export again with --period 7d): ci/errors-sel" in result.output
    assert result.output.rstrip().endswith("error: no SLO to export (the reasons above); nothing was written")
    assert "Exported" not in result.output
    assert target.read_text() == "kept\n"
    result = run("export", "pyrra", "--offering", "x", "--namespace", "x", "--source", site)
    assert result.exit_code == 0 and result.stdout.startswith("# Made by servicebook export pyrra")


# --- the promise, for the people who read the files ----------------------------------------------


def _openslo_annotations(run, site: Path) -> dict[str, dict[str, str]]:
    """`export openslo`'s annotations of each SLO object, by its servicebook.dev/slo."""
    docs, _ = _export(run, site, "openslo")
    out = {}
    for doc in docs:
        if doc["kind"] == "SLO":
            notes = doc["metadata"]["annotations"]
            out[notes["servicebook.dev/slo"]] = notes
    return out


def test_pyrra_annotates_each_objective_as_export_openslo_annotates_its_slo(run, tmp_path: Path) -> None:
    # the OpenSLO export said the error budget and what was measured; Pyrra's resources said neither
    assert run("init", "--example", tmp_path / "site").exit_code == 0
    site = tmp_path / "site"
    openslo = _openslo_annotations(run, site)
    docs, _ = _export(run, site, "pyrra")
    assert docs
    for doc in docs:
        assert pyrra_problems(doc) == []
        notes = doc["metadata"]["annotations"]
        theirs = openslo[notes["servicebook.dev/slo"]]
        assert notes == {k: v for k, v in theirs.items() if k not in ("servicebook.dev/name", "servicebook.dev/sli")}
        assert {"servicebook.dev/error-budget", "servicebook.dev/window", "servicebook.dev/objective"} <= set(notes)
    measured = [doc for doc in docs if "servicebook.dev/attainment" in doc["metadata"]["annotations"]]
    assert measured  # the example ships snapshots: what was delivered travels too


def test_sloth_annotates_each_slos_alerts_with_its_promise(run, tmp_path: Path) -> None:
    # as Sloth's validation wants an annotation named (a Prometheus label name), on the alerts it writes
    assert run("init", "--example", tmp_path / "site").exit_code == 0
    site = tmp_path / "site"
    openslo = _openslo_annotations(run, site)
    specs, _ = _export(run, site, "sloth")
    assert specs
    for spec in specs:
        assert sloth_problems(spec) == []
        for slo in spec["slos"]:
            theirs = openslo[slo["labels"]["servicebook_slo"]]
            assert slo["alerting"]["annotations"] == {
                "servicebook_objective": theirs["servicebook.dev/objective"],
                "servicebook_window": theirs["servicebook.dev/window"],
                "servicebook_error_budget": theirs["servicebook.dev/error-budget"],
            }
