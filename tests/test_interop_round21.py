"""interop21: what round 20 left (OpenSLO ratios summed by labels, Service names as OpenSLO writes them,
a Backstage team spelt once, renamed entities followed), and files users really keep; each pushed through
import → build → check --against → export → re-import."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import GitSite, require_component
from tests.promhelp import INSTALL, installed, prometheus
from tests.test_interop_round9 import AT
from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round19 import ORDINARY
from tests.test_interop_round20 import HOSTS

INTEROP = Path(__file__).parent / "interop" / "fixtures"


def _file(tmp_path: Path, text: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- OpenSLO: a ratio whose queries are summed by labels -------------------------------------------------

# An SLO for each host, as OpenSLO files write ratios of counters summed by a label (the README's
# `sum(SELECTOR)`, grouped)
BY_HOST = ORDINARY.replace(
    'query: http_requests_total{code!~"5.."}',
    'query: sum by (request_host) (istio_requests_total{job="mesh",response_code!~"5.."})',
).replace("query: http_requests_total\n", 'query: sum(istio_requests_total{job="mesh"}) by (request_host)\n')
GOOD = 'sum by (request_host) (increase(istio_requests_total{job="mesh",response_code!~"5.."}[{{.window}}]))'
TOTAL = 'sum by (request_host) (increase(istio_requests_total{job="mesh"}[{{.window}}]))'


def test_an_openslo_ratio_summed_by_a_label_is_measured_as_its_worst_group(run, tmp_path: Path) -> None:
    # the queries summed by request_host were kept as written: `measure` took the first of several series,
    # and `check` refused a sum at one instant; Sloth's (and Pyrra's grouping) were read as the worst group
    file = _file(tmp_path, BY_HOST)
    imported = run("import", "openslo", file)
    assert imported.exit_code == 0, imported.output
    offerings = yaml.safe_load(imported.stdout)["offerings"]
    ratio = f"max(1 - ({GOOD} or 0 * {TOTAL}) / {TOTAL})"
    assert offerings[0]["slos"][0]["measurement"] == {"error_ratio": ratio}
    total = _place(
        BY_HOST,
        "        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: ",
    )
    assert f"{file}:{total}: warning: measured the worst of each request_host: both queries are summed by it" in (
        imported.stderr
    )
    good = _place(BY_HOST, "query: ")
    assert (
        f"{file}:{good}: warning: guessed the good query as {GOOD}: the counter's increase over the SLO's window"
        in (imported.stderr)
    )
    assert "neither a metric selector" not in imported.stderr
    # import → build → check --against → export → re-import
    site = _pasted(offerings, tmp_path)
    assert run("build", "--source", site).exit_code == 0
    monitoring = _monitoring(tmp_path, {"slos.yaml": BY_HOST})
    checked = run("check", "--source", site, "--against", monitoring)
    assert checked.exit_code == 0, checked.output
    assert "1 of 2 SLOs measured there as the catalog promises" in checked.stdout
    exported = run("export", "openslo", "--source", site, "--offering", "web")
    assert exported.exit_code == 0, exported.output
    again = run("import", "openslo", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert again.exit_code == 0, again.output
    assert yaml.safe_load(again.stdout)["offerings"][0]["slos"][0]["measurement"] == {"error_ratio": ratio}


def test_openslo_bad_queries_summed_by_labels_are_the_worst_group_and_other_labels_are_said(run, tmp_path) -> None:
    bad = BY_HOST.replace("        good:\n", "        bad:\n").replace('response_code!~"5.."', 'response_code=~"5.."')
    result = run("import", "openslo", _file(tmp_path, bad, "bad.yaml"))
    assert result.exit_code == 0, result.output
    errors = GOOD.replace('response_code!~"5.."', 'response_code=~"5.."')
    assert yaml.safe_load(result.stdout)["offerings"][0]["slos"][0]["measurement"] == {
        "error_ratio": f"max(({errors} or 0 * {TOTAL}) / {TOTAL})"
    }
    # summed by another label: a series per group each, that `measure` cannot pair
    other = BY_HOST.replace(") by (request_host)", ") by (pod)")
    said = run("import", "openslo", _file(tmp_path, other, "other.yaml"))
    assert said.exit_code == 0, said.output
    assert yaml.safe_load(said.stdout)["offerings"][0]["slos"][0]["measurement"]["good"] == GOOD
    assert (
        "warning: the good query is summed by (request_host) and the total query is summed by (pod): a query summed "
        "by labels returns a series per group, and `measure` takes one value"
    ) in said.stderr
    # the README's `sum(SELECTOR)`, summed by nothing, is its selector as before
    plain = ORDINARY.replace('query: http_requests_total{code!~"5.."}', 'query: sum(http_requests_total{code!~"5.."})')
    read = run("import", "openslo", _file(tmp_path, plain, "plain.yaml"))
    assert yaml.safe_load(read.stdout)["offerings"][0]["slos"][0]["measurement"]["good"] == (
        'http_requests_total{code!~"5.."}'
    )
    assert "worst of each" not in read.stderr


@pytest.fixture(scope="module")
def hosts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(installed(), "Prometheus (prometheus and promtool)", INSTALL)
    with prometheus(tmp_path_factory.mktemp("prometheus"), HOSTS) as url:
        yield url


@pytest.mark.git
def test_an_openslo_slo_per_host_is_measured_as_its_worst_host_on_a_real_prometheus(
    hosts_server, run, tmp_path
) -> None:
    imported = run("import", "openslo", _file(tmp_path, BY_HOST.replace("28d", "1d")))
    ratio = yaml.safe_load(imported.stdout)["offerings"][0]["slos"][0]["measurement"]["error_ratio"]
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent / "sites" / "minimal", root)
    catalog = root / "catalog.yaml"
    body = catalog.read_text()
    old = body[body.index("    slos:\n") : body.index("    tools: [shared")]
    slo = (
        "    slos:\n      - id: availability\n        name: Availability\n        sli: Requests answered.\n"
        f"        objective: 99\n        window: 1d\n        measurement:\n          error_ratio: {json.dumps(ratio)}\n"
    )
    catalog.write_text(body.replace(old, slo, 1))
    site = GitSite(root)
    site.commit("An SLO per host, as an OpenSLO file keeps it")
    result = run("measure", "--source", root, "--prometheus", hosts_server, "--at", AT)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads((root / "measurements" / "2026-01-02T12-00-00Z.json").read_text())["slos"]
    # the worst host's share of good requests, b's 95 %, not the 98 % of every host's requests summed (host c
    # has no series of errors, a has 1 %)
    assert entry["attainment"] == pytest.approx(0.95, rel=1e-6)


# --- OpenSLO: a Service named in another case than its SLOs write it -------------------------------------

SERVICE = (
    "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: Payments\n  displayName: Payments API\n"
    "  labels:\n    team: team-b\n---\n"
)
SLO_OF_PAYMENTS = ORDINARY.replace("  service: web\n", "  service: payments\n")


def test_a_service_named_in_another_case_than_its_slos_write_it_is_theirs_and_said(run, tmp_path: Path) -> None:
    # `Payments` ≠ `payments`: the Service was skipped ("no SLO in the files read names it") and its display
    # name and owner lost, though OpenSLO names are DNS labels (RFC 1123, lower case: OpenSLO's go-sdk checks
    # metadata.name with rules.StringDNSLabel, which refuses `Payments`), so no file OpenSLO accepts has both
    text = SERVICE + SLO_OF_PAYMENTS
    file = _file(tmp_path, text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    offering = yaml.safe_load(result.stdout)["offerings"][0]
    assert (offering["id"], offering["name"], offering["owner"]) == ("payments", "Payments API", "team-b")
    assert (
        f"{file}:4:9: warning: read Service 'Payments' as the service 'payments' the SLOs name: the two differ only "
        "in case, and OpenSLO names are DNS labels (RFC 1123, lower case), so its go-sdk and oslo refuse one of them"
    ) in result.stderr
    assert "hint: write payments in both" in result.stderr
    assert "skipped Service" not in result.stderr
    # the other way round: the SLO's service in capitals, the Service as OpenSLO writes it
    swapped = SERVICE.replace("name: Payments\n", "name: payments\n") + ORDINARY.replace(
        "  service: web\n", "  service: Payments\n"
    )
    other = run("import", "openslo", _file(tmp_path, swapped, "swapped.yaml"))
    assert yaml.safe_load(other.stdout)["offerings"][0]["name"] == "Payments API"
    assert "read Service 'payments' as the service 'Payments' the SLOs name" in other.stderr
    assert "took Service" not in other.stderr
    # import → build → check --against → export → re-import
    site = _pasted([offering], tmp_path)
    assert run("build", "--source", site).exit_code == 0
    checked = run("check", "--source", site, "--against", _monitoring(tmp_path, {"slos.yaml": text}))
    assert checked.exit_code == 0, checked.output
    exported = run("export", "openslo", "--source", site, "--offering", "payments")
    assert "name: payments\n" in exported.stdout and "name: Payments\n" not in exported.stdout
    again = run("import", "openslo", _file(tmp_path, exported.stdout, "exported.yaml"))
    assert yaml.safe_load(again.stdout)["offerings"][0]["name"] == "Payments API"


def test_services_alike_but_for_case_are_ambiguous_and_the_exact_one_is_taken(run, tmp_path: Path) -> None:
    lower = SERVICE.replace("name: Payments\n", "name: payments\n").replace("Payments API", "Payments (lower)")
    text = SERVICE + lower + SLO_OF_PAYMENTS
    file = _file(tmp_path, text)
    result = run("import", "openslo", file)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["offerings"][0]["name"] == "Payments (lower)"
    assert f"{file}:4:9: warning: skipped Service 'Payments': no SLO in the files read names it" in result.stderr
    assert (
        "hint: 'Payments', 'payments' differ only in case: OpenSLO names are DNS labels (RFC 1123, lower case), so "
        "its go-sdk and oslo refuse all but one, and which this Service is stays unsaid; write payments in both"
    ) in result.stderr
    # neither written as the SLO writes it: the one named as the fragment's offering is (as a Service no SLO
    # names is), the other not
    upper = run("import", "openslo", _file(tmp_path, text.replace("service: payments", "service: PAYMENTS"), "u.yaml"))
    assert upper.exit_code == 0, upper.output
    assert yaml.safe_load(upper.stdout)["offerings"][0]["name"] == "Payments (lower)"
    assert "skipped Service 'Payments': no SLO in the files read names it" in upper.stderr
    assert "took Service 'payments' for the offering payments" in upper.stderr
    assert "'PAYMENTS', 'Payments', 'payments' differ only in case" in upper.stderr
