"""Hostile inputs of 7 Dec 2026 (seventeenth round): another team's catalog and repository, and the
evidence an auditor trusts. A member's history rewritten under the lock, the snapshots of
`servicebook measure` edited or added late, and what `measure` quotes of the catalog's own queries
into a CI job's log."""

from __future__ import annotations

import json

from . import test_hostile_round5

answering = test_hostile_round5.answering  # the fixture: a server answering the Prometheus API as told

NO_SERIES = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}})


def test_a_workflow_command_in_the_catalogs_own_query_is_shown_escaped_in_why_it_was_not_measured(
    run, site_copy, answering
) -> None:
    """`measure` says why an SLO was not measured in words of its own around what the catalog's
    query names: the metric of a `__name__` matcher, a bucket's bound, the query it checks for gaps.
    A query `{__name__="##[add-mask]99"}` (a pull request's) had the nightly job's log hide every 99
    after it; its bracket is shown as an escape there and in the snapshot, as a server's words are."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "        window: 30d",
            "        window: 30d\n        measurement:\n          error_ratio: '{__name__=\"##[add-mask]99\"}'",
            1,
        )
    )
    result = run("measure", "--source", site, "--prometheus", answering(NO_SERIES, NO_SERIES), "--at", "2026-06-01")
    assert result.exit_code == 3, result.output
    assert "##[" not in result.output
    said = "the error_ratio selector has no value: Prometheus has no series named ##\\u005badd-mask]99 in the window"
    assert f"  ci/availability: not measured: {said}" in result.output
    (snapshot,) = (site / "measurements").iterdir()
    assert json.loads(snapshot.read_text())["slos"][0]["reason"].startswith(said)
