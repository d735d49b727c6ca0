"""Round 7 of the other projects' own files (interop7): what the imports and `check --against` say
of files they cannot read as they are, each at its line and with what to do. Fixtures are copied
unchanged, with their source in tests/interop/fixtures/SOURCES.md; inline ones are written after
the file they cite."""

from __future__ import annotations

from pathlib import Path

import yaml

INTEROP = Path(__file__).parent / "interop" / "fixtures"
SITES = Path(__file__).parent / "sites"


def _import(run, fmt: str, *files: Path):
    result = run("import", fmt, *files)
    assert "Traceback" not in result.output
    return result


# --- OpenSLO ----------------------------------------------------------------------------------------

# An SLO in the shape of OpenSLO/slogen's samples/sumologic/v1/th-based/logs-window-threshold-based.yaml
# (its licence not checked: written anew): Timeslices budgeting whose objective has neither
# timeSliceTarget nor timeSliceWindow, the slice's length given as the metric source's `size`, as
# slogen writes it for Sumo Logic (its calendar week made a rolling 28d here, which the catalog has)
SLOGEN_THRESHOLD = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: drift_gen_window_based
  displayName: DriftGen SLO window based
spec:
  description: test slo created from slogen
  service: tsat
  budgetingMethod: Timeslices
  indicator:
    metadata:
      name: driftgen-latency
    spec:
      thresholdMetric:
        metricSource:
          type: sumologic-logs
          metricSourceRef: sumologic-datasource
          spec:
            size: 1m
            threshold: 1
            field: latency_sec
            op: LessThanOrEqual
            aggregation: Avg
            query: |
              cluster=staging | latency / 1000 as latency_sec
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - displayName: Foo Total Errors
      target: 0.98
"""


def test_openslo_timeslices_without_its_slices_is_refused_with_what_to_write(run, tmp_path: Path) -> None:
    # it was refused at the objective with no hint: "needs timeSliceTarget and timeSliceWindow"
    file = tmp_path / "slo.yaml"
    file.write_text(SLOGEN_THRESHOLD)
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert (
        f"{file}:30:7: error: budgetingMethod Timeslices needs timeSliceTarget and timeSliceWindow on the objective"
    ) in result.stderr
    assert (
        "hint: OpenSLO v1 writes both on the objective: timeSliceTarget, the share of good events that makes a "
        "slice good (0.95), and timeSliceWindow, the length of a slice (1m); the metric source's size (1m, as "
        "slogen writes it) is that length: timeSliceWindow: 1m; or write budgetingMethod: Occurrences to count events"
    ) in result.stderr
    # with what the hint says written, it imports as time slices
    file.write_text(
        SLOGEN_THRESHOLD.replace("      target: 0.98\n", "      target: 0.98\n      timeSliceTarget: 0.9\n")
    )
    result = _import(run, "openslo", file)
    assert result.exit_code == 1
    assert "needs timeSliceWindow on the objective" in result.stderr
    file.write_text(
        SLOGEN_THRESHOLD.replace(
            "      target: 0.98\n", "      target: 0.98\n      timeSliceTarget: 0.9\n      timeSliceWindow: 1m\n"
        )
    )
    result = _import(run, "openslo", file)
    assert result.exit_code == 0, result.output
    (slo,) = yaml.safe_load(result.stdout)["offerings"][0]["slos"]
    assert (slo["budgeting"], slo["timeslice_target"], slo["timeslice_window"]) == ("timeslices", 90, "1m")
