"""`servicebook history [ID]`: the history from the command line, all of it or one offering's,
tool's or policy page's, with dates, commits, authors and what changed; for auditors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SITES, GitSite

pytestmark = pytest.mark.git

JENKINS = """  - id: jenkins
    name: Jenkins
    category: ci
    status: supported
    reason: Teams that run it today.
    since: 2026-01-01
"""

ARTIFACTS = """  - id: artifacts
    name: Artifact registry
    summary: Where builds keep what they make.
    owner: Platform Team
    tier: "2"
    lifecycle: ga
    audience: [developers]
    request:
      how: Ask in the channel.
tools:
"""


def scripted(root: Path) -> tuple[GitSite, dict[str, str]]:
    """The minimal site with a second offering and a tool (Ada); the CI SLO lowered (Grace, with
    Bob, reviewed by Katherine and approved by Dorothy; each committed by Test Author); Jenkins moved to unsupported; the artifact registry deprecated for CI, then removed."""
    root.mkdir()
    site = GitSite(root)
    commits: dict[str, str] = {}
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.write("content/welcome.md", (SITES / "minimal/content/welcome.md").read_text())
    site.edit("tools:\n  - id: shared", ARTIFACTS + "  - id: shared")
    site.edit("    since: 2026-01-01\n", "    since: 2026-01-01\n" + JENKINS)
    commits["first"] = site.commit("Publish the catalog", author="Ada Lovelace <ada@example.com>")
    site.edit("objective: 99.5", "objective: 99")
    commits["lowered"] = site.commit(
        "Lower the CI SLO\n\nCo-authored-by: Bob Bemer <bob@example.com>\n"
        "Reviewed-by: Katherine Johnson <kj@example.com>\nApproved-by: Dorothy Vaughan <dv@example.com>",
        author="Grace Hopper <grace@example.com>",
    )
    site.edit(
        "    status: supported\n    reason: Teams that run it today.\n    since: 2026-01-01\n",
        "    status: unsupported\n    reason: We stopped running it.\n    since: 2026-06-01\n"
        "    alternative: shared-pipelines\n",
    )
    commits["jenkins"] = site.commit("Stop supporting Jenkins")
    site.edit(
        "    lifecycle: ga\n    audience: [developers]\n    request:\n      how: Ask",
        "    lifecycle: deprecated\n"
        "    replaced_by: ci\n    sunset: 2026-07-01\n    audience: [developers]\n    request:\n      how: Ask",
    )
    commits["deprecated"] = site.commit("Deprecate the artifact registry")
    site.edit(
        ARTIFACTS.replace("lifecycle: ga", "lifecycle: deprecated\n    replaced_by: ci\n    sunset: 2026-07-01"),
        "tools:\n",
    )
    commits["removed"] = site.commit("Remove the artifact registry")
    return site, commits


@pytest.fixture
def history(tmp_path: Path) -> tuple[GitSite, dict[str, str]]:
    return scripted(tmp_path / "repo")


def test_one_offering_s_history_names_each_commit_its_date_its_authors_and_what_changed(history, run) -> None:
    site, commits = history
    result = run("history", "ci", "--source", site.root)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "History of offering ci, newest first (2 commits):\n"
        "\n"
        f"2026-05-28 02:00 UTC  commit {commits['lowered'][:12]}  by Grace Hopper, co-authored by Bob Bemer, "
        "committed by Test Author\n"
        "    Lower the CI SLO\n"
        "    Reviewed-by: Katherine Johnson\n"
        "    Approved-by: Dorothy Vaughan\n"
        "    - SLO “Pipeline availability” of “CI pipelines” lowered from 99.5 % to 99 %: the error budget grows "
        "from 3 h 36 min to 7 h 12 min per rolling 30 days [weakens a commitment]\n"
        "\n"
        f"2026-05-28 01:00 UTC  commit {commits['first'][:12]}  by Ada Lovelace, committed by Test Author\n"
        "    Publish the catalog\n"
        "    - Offering “CI pipelines” (ci) added: ga, tier 1\n"
    )


def test_a_tool_moved_down_the_ladder_and_a_removed_offering_have_their_history(history, run) -> None:
    site, commits = history
    tool = run("history", "jenkins", "--source", site.root)
    assert tool.exit_code == 0, tool.output
    assert tool.stdout.startswith("History of tool jenkins, newest first (2 commits):\n")
    assert f"commit {commits['jenkins'][:12]}  by Test Author\n    Stop supporting Jenkins\n" in tool.stdout
    assert (
        "    - Tool “Jenkins” moved down the ladder from supported to unsupported [weakens a commitment]\n"
        in tool.stdout
    )
    gone = run("history", "offering:artifacts", "--source", site.root)
    assert gone.exit_code == 0, gone.output
    assert gone.stdout.startswith("History of offering artifacts, newest first (3 commits):\n")
    assert f"commit {commits['removed'][:12]}  by Test Author\n    Remove the artifact registry\n" in gone.stdout


def test_the_history_as_json_for_tools(history, run) -> None:
    site, commits = history
    result = run("history", "ci", "--source", site.root, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["servicebook_history"] == 1 and doc["subjects"] == ["offering:ci"] and doc["shallow"] is False
    newest = doc["entries"][0]
    assert newest["commit"] == commits["lowered"]
    assert newest["date"] == "2026-05-28T02:00:00Z"
    assert (newest["author"], newest["coauthors"]) == ("Grace Hopper", ["Bob Bemer"])
    assert newest["committer"] == "Test Author"
    assert newest["approvals"] == ["Reviewed-by: Katherine Johnson", "Approved-by: Dorothy Vaughan"]
    assert newest["message"] == "Lower the CI SLO"
    assert [(c["kind"], c["effect"], c["before"], c["after"]) for c in newest["changes"]] == [
        ("slo.objective", "weakened", "99.5 %", "99 %")
    ]
    assert [e["commit"] for e in doc["entries"]] == [commits["lowered"], commits["first"]]


def test_the_whole_history_without_an_id(history, run) -> None:
    site, commits = history
    result = run("history", "--source", site.root)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("History of the catalog and the policy pages, newest first (5 commits):\n")
    assert result.stdout.index(commits["removed"][:12]) < result.stdout.index(commits["first"][:12])
    assert "Catalog published: 2 offerings, 3 tool decisions, 1 category" in result.stdout


def test_an_unknown_id_is_answered_with_the_near_misses(history, run) -> None:
    site, _ = history
    result = run("history", "jenkinz", "--source", site.root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        "error: no offering, tool or policy page 'jenkinz' in the history; did you mean 'jenkins'? "
        "(`servicebook history` alone prints the whole history)"
    ) in result.stderr
    assert "Traceback" not in result.output
    kind = run("history", "tool:ci", "--source", site.root)
    assert kind.exit_code == 2 and "error: no tool 'ci' in the history" in kind.stderr


def test_history_outside_git_says_where_it_reads_from(site_copy, run) -> None:
    result = run("history", "--source", site_copy("minimal"))
    assert result.exit_code == 2
    assert "is not in a git repository with a commit: the history is read from git's commits" in result.stderr


def test_the_changes_page_and_promised_name_the_committer_and_the_review_trailers(history, run) -> None:
    site, commits = history
    assert run("build", "--source", site.root).exit_code == 0
    html = (site.root / "public/changes/index.html").read_text()
    entry = html.split(f'id="c-{commits["lowered"][:12]}"', 1)[1].split("</section>", 1)[0]
    assert (
        '<p class="meta muted small">Committed by Test Author · Reviewed-by: Katherine Johnson · '
        "Approved-by: Dorothy Vaughan</p>"
    ) in entry
    # a commit whose author committed it says nothing more
    own = html.split(f'id="c-{commits["jenkins"][:12]}"', 1)[1].split("</section>", 1)[0]
    assert "Committed by" not in own
    doc = json.loads(run("promised", "--source", site.root, "--at", "2026-05-28T02:30Z", "--format", "json").stdout)
    assert doc["commit"]["id"] == commits["lowered"]
    assert doc["commit"]["committer"] == "Test Author"
    assert doc["commit"]["approvals"] == ["Reviewed-by: Katherine Johnson", "Approved-by: Dorothy Vaughan"]
    text = run("promised", "--source", site.root, "--at", "2026-05-28T02:30Z").stdout
    assert "(committed by Test Author; Reviewed-by: Katherine Johnson; Approved-by: Dorothy Vaughan)\n" in text


def test_a_commit_whose_catalog_did_not_validate_is_named_and_so_is_the_one_that_carries_its_changes(
    history, run
) -> None:
    """As the changes page says it: an auditor reading one offering's history sees that the change
    shown under a later commit was made by an earlier one whose catalog did not validate."""
    site, _ = history
    site.edit("objective: 99\n", "objective: 99.9\n")
    site.edit("tools: [shared-pipelines, hand-rolled-scripts]", "tools: [shared-pipelines, no-such-tool]")
    broken = site.commit("Raise the CI SLO")
    site.edit("tools: [shared-pipelines, no-such-tool]", "tools: [shared-pipelines, hand-rolled-scripts]")
    fixed = site.commit("Name the tool right")
    one = run("history", "ci", "--source", site.root)
    assert one.exit_code == 0, one.output
    assert one.stdout.startswith(
        "History of offering ci, newest first (3 commits):\n\n"
        f"2026-05-28 07:00 UTC  commit {fixed[:12]}  by Test Author\n"
        "    Name the tool right\n"
        f"    (with the changes of {broken[:12]} of 2026-05-28, whose catalog did not validate)\n"
        "    - SLO “Pipeline availability” of “CI pipelines” raised from 99 % to 99.9 %"
    )
    every = run("history", "--source", site.root)
    assert (
        f"commit {broken[:12]}  by Test Author\n    Raise the CI SLO\n"
        "    (its catalog did not validate (1 error): its changes are shown with the next commit whose does)\n"
    ) in every.stdout
    doc = json.loads(run("history", "ci", "--source", site.root, "--format", "json").stdout)
    assert doc["entries"][0]["carries"] == [broken] and doc["entries"][0]["state"] == "ok"
