"""Hostile inputs of 7 Dec 2026 (seventeenth round): another team's catalog and repository, and the
evidence an auditor trusts. A member's history rewritten under the lock, the snapshots of
`servicebook measure` edited or added late, and what `measure` quotes of the catalog's own queries
into a CI job's log."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from . import test_hostile_round5
from .conftest import GitSite
from .test_federation import Member, organisation

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


@pytest.mark.git
def test_a_lock_move_onto_a_members_rewritten_history_names_what_it_leaves_as_a_weakened_commitment(
    run, tmp_path: Path
) -> None:
    """A member team amended a commit already locked and force-pushed; `federate update
    --accept-rewrite` took the new head. The lock move said only "moved from A to B; its commit B",
    which reads as one more commit on top: nothing said that the commit the organisation had
    promised from was no longer in the team's history. The move says so, names the commits of
    the old history it leaves, and flags it (`--fail-on weakened` stops the pull request), in
    `diff` and on the changes page."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.work.git("config", "user.name", "Bea DB")
    promised = db.publish("Raise the availability objective", objective="99.99")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Move db-team")
    rewritten = db.rewrite("Raise the availability objective less", objective="99.97")
    assert run("federate", "update", "--source", org).exit_code == 3
    assert run("federate", "update", "--accept-rewrite", "--source", org).exit_code == 0
    accepted = repo.commit("Accept db-team's rewritten history")
    result = run("diff", "HEAD~1", "HEAD", "--source", org, "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 3, result.output
    changes = json.loads(result.stdout)["changes"]
    said = (
        f"Member db-team's new commit {rewritten[:12]} does not descend from {promised[:12]}, the commit locked "
        f"before: its history on main was rewritten (a force push); the lock leaves its commit of the old "
        f"history: {promised[:12]} of 2026-05-28 by Bea DB: Raise the availability objective. What it promised "
        "at those commits may be gone from its repository"
    )
    assert [c["text"] for c in changes if c["kind"] == "member.rewritten"] == [said]
    assert [c["effect"] for c in changes if c["kind"] == "member.rewritten"] == ["weakened"]
    comment = run("diff", "HEAD~1", "HEAD", "--source", org).stdout
    assert f"#### Weakened commitments\n\n- ⚠️ **Weakens a commitment:** {said}" in comment
    public = tmp_path / "public"
    assert run("build", "--source", org, "--no-versions", "--output", public).exit_code == 0
    entry = (public / "changes/index.html").read_text().split(f'id="c-{accepted[:12]}"')[1].split("</section>")[0]
    assert html.escape(said, quote=False) in entry or said.replace("'", "&#39;") in entry, entry


@pytest.mark.git
def test_a_lock_move_that_fast_forwards_says_nothing_of_a_rewrite(run, tmp_path: Path) -> None:
    """Held: a move onto commits made on top of the locked one is no rewrite."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Raise the availability objective", objective="99.99")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Move db-team")
    result = run("diff", "HEAD~1", "HEAD", "--source", org, "--format", "json")
    assert "member.moved" in [c["kind"] for c in json.loads(result.stdout)["changes"]]
    assert "member.rewritten" not in result.stdout

