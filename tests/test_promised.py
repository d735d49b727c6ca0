"""`servicebook promised --at DAY`: what the catalog promised on a day, read from git, naming the
commit it comes from; for auditors."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook.git.in_effect import end_of_day
from servicebook.git.promised import AT_FORMS

from .conftest import SITES, GitSite
from .test_federation import MEMBER, Member, organisation

pytestmark = pytest.mark.git

OVERRIDE = """    policies: [welcome]
    support:
      hours:
        days: mon-sun
        start: "07:00"
        end: "22:00"
        timezone: Europe/Zurich
"""

CHANNEL = {"kind": "chat", "name": "#platform-help", "url": None, "use_for": "Questions and non-urgent requests"}


def at(site: GitSite, when: str) -> None:
    """The next commit's date: `when` (UTC; GitSite.commit adds its hour first)."""
    site.clock = int(dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC).timestamp()) - 3600


@pytest.fixture
def history(tmp_path: Path) -> tuple[GitSite, dict[str, str]]:
    """A README (Feb); the catalog (1 Mar, Ada); a page edit (10 Mar); the SLO lowered and the
    offering's own hours (1 Apr 10:00, Grace); a catalog that does not validate (1 May); the
    catalog removed (1 Jun)."""
    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    commits: dict[str, str] = {}
    at(site, "2026-02-01T12:00")
    site.write("README.md", "Our catalog, soon.\n")
    commits["readme"] = site.commit("Start")
    at(site, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    commits["first"] = site.commit("Publish the catalog", author="Ada Lovelace <ada@example.com>")
    at(site, "2026-03-10T08:00")
    site.edit("How we work", "How we work here", "content/welcome.md")
    commits["page"] = site.commit("Reword the welcome page")
    at(site, "2026-04-01T10:00")
    site.edit("objective: 99.5", "objective: 99")
    site.edit("    policies: [welcome]\n", OVERRIDE)
    commits["lowered"] = site.commit("Lower the CI SLO; longer hours for CI", author="Grace Hopper <grace@example.com>")
    at(site, "2026-05-01T09:00")
    site.edit("objective: 99", "objective: 101")
    commits["broken"] = site.commit("Raise the SLO too far")
    at(site, "2026-06-01T09:00")
    site.git("rm", "-q", "catalog.yaml")
    commits["removed"] = site.commit("Retire the catalog")
    return site, commits


def test_the_catalog_of_the_last_commit_on_or_before_the_day_is_shown(history, run) -> None:
    site, commits = history
    result = run("promised", "--source", site.root, "--at", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == (
            "Promised on 2026-03-31 (up to the end of the day, UTC): catalog version 0.1\n"
            f"from commit {commits['first'][:12]} of 2026-03-01 11:00 UTC by Ada Lovelace: Publish the catalog\n"
            "(committed by Test Author)\n"  # GitSite's committer: the author is given with --author
            f"Released: this catalog is the one of release 0.1 (commit {commits['page'][:12]} of 2026-03-10 08:00 UTC), "
            "published at v/0.1/.\n"
            f"Since then release 0.1 has moved to commit {commits['broken'][:12]} of 2026-05-01 09:00 UTC (the version "
            "was not tagged: its release is its last commit): v/0.1/ of a site built now is not the release in force then.\n"
            "\n"
            "Team support\n"
            "  hours: mon-fri 09:00-17:00 UTC\n"
            "  channel: chat #platform-help (Questions and non-urgent requests)\n"
            "  sev1 (Critical): first response within 30 min, 24x7\n"
            "  sev2 (Normal): first response within 1 d, business-hours\n"
            "  on-call: One platform engineer is on call outside business hours, for sev1 only.\n"
            "\n"
            "Offering CI pipelines (ci): ga, tier 1\n"
            "  SLO Pipeline availability (availability): 99.5 % over rolling 30 days, error budget 3 h 36 min\n"
            "  support: the team's\n"
            "\n"
            "Unsupported tools\n"
            "  Hand-rolled CI scripts (hand-rolled-scripts), since 2026-01-01; use shared-pipelines instead: We cannot "
            "support build logic we did not write.\n"
        )
    )


def test_the_whole_day_counts_and_an_offering_can_be_asked_for_in_json(history, run) -> None:
    site, commits = history
    result = run("promised", "--source", site.root, "--at", "2026-04-01", "--offering", "ci", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "servicebook_promised": 1,
        "at": "2026-04-01",
        "commit": {
            "id": commits["lowered"],
            "date": "2026-04-01T10:00:00+00:00",
            "author": "Grace Hopper",
            "coauthors": [],
            "committer": "Test Author",
            "approvals": [],
            "message": "Lower the CI SLO; longer hours for CI",
        },
        "catalog_commit": commits["lowered"],
        "members": [],  # a site without member teams
        "passed_over": [],
        "dated_later": None,
        "measurements_uncommitted": [],
        "catalog_version": "0.1",
        "release": {
            "released": True,
            "in_force": {
                "version": "0.1",
                "tag": None,
                "commit": commits["lowered"],
                "date": "2026-04-01T10:00:00+00:00",
                "path": "v/0.1/",
            },
            "published_now": {  # a later commit of 0.1, the last
                "version": "0.1",
                "tag": None,
                "commit": commits["broken"],
                "date": "2026-05-01T09:00:00+00:00",
                "path": "v/0.1/",
            },
        },
        "support": {
            "hours": {"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC"},
            "channels": [CHANNEL],
            "response_targets": [
                {"severity": "sev1", "name": "Critical", "response_minutes": 30, "coverage": "24x7"},
                {"severity": "sev2", "name": "Normal", "response_minutes": 1440, "coverage": "business-hours"},
            ],
            "oncall": "One platform engineer is on call outside business hours, for sev1 only.",
        },
        "offerings": [
            {
                "id": "ci",
                "name": "CI pipelines",
                "lifecycle": "ga",
                "tier": "1",
                "slos": [
                    {
                        "id": "availability",
                        "name": "Pipeline availability",
                        "objective": "99",
                        "window": "30d",
                        "error_budget_seconds": 25920,
                        "error_budget": "7 h 12 min",
                        "window_text": "rolling 30 days",
                        "measured": None,  # no snapshot under measurements/ covers the day
                    }
                ],
                "support": {
                    "hours": {"days": "mon-sun", "start": "07:00", "end": "22:00", "timezone": "Europe/Zurich"},
                    "channels": [CHANNEL],
                    "response_targets": [
                        {"severity": "sev1", "name": "Critical", "response_minutes": 30, "coverage": "24x7"},
                        {"severity": "sev2", "name": "Normal", "response_minutes": 1440, "coverage": "business-hours"},
                    ],
                    "oncall": "One platform engineer is on call outside business hours, for sev1 only.",
                },
            }
        ],
        "unsupported_tools": [
            {
                "id": "hand-rolled-scripts",
                "name": "Hand-rolled CI scripts",
                "since": "2026-01-01",
                "alternative": "shared-pipelines",
                "reason": "We cannot support build logic we did not write.",
            }
        ],
        "deprecated_tools": [],
    }
    text = run("promised", "--source", site.root, "--at", "2026-04-01", "--offering", "ci").stdout
    assert "  SLO Pipeline availability (availability): 99 % over rolling 30 days, error budget 7 h 12 min\n" in text
    assert (
        "  support, its own:\n    hours: mon-sun 07:00-22:00 Europe/Zurich\n"
        "    channel: chat #platform-help (Questions and non-urgent requests)\n"
    ) in text


def test_a_co_authored_commit_names_its_co_authors_with_its_author(history, run) -> None:
    """Who lowered the objective: a squashed pull request's Co-authored-by trailers name the others."""
    site, _ = history
    at(site, "2026-07-01T09:00")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text().replace("objective: 99.5", "objective: 99"))
    site.commit(
        "Bring the catalog back (#7)\n\nCo-authored-by: Dave Pair <dave@example.com>\n"
        "Co-authored-by: Grace Hopper <grace@example.com>",
        author="Grace Hopper <grace@example.com>",
    )
    result = run("promised", "--source", site.root, "--at", "2026-07-01")
    assert result.exit_code == 0, result.output
    assert "UTC by Grace Hopper with Dave Pair: Bring the catalog back (#7)\n" in result.stdout
    result = run("promised", "--source", site.root, "--at", "2026-07-01", "--format", "json")
    commit = json.loads(result.stdout)["commit"]
    assert (commit["author"], commit["coauthors"]) == ("Grace Hopper", ["Dave Pair"])


def test_a_catalog_that_did_not_validate_is_passed_over_and_named(history, run) -> None:
    site, commits = history
    result = run("promised", "--source", site.root, "--at", "2026-05-15")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:4] == [
        f"from commit {commits['lowered'][:12]} of 2026-04-01 10:00 UTC by Grace Hopper: Lower the CI SLO; longer "
        "hours for CI",
        "(committed by Test Author)",
        f"(note: commit {commits['broken'][:12]} of 2026-05-01 09:00 UTC changed the catalog too, but it did not "
        "validate (1 error), so it was never published)",
    ]
    doc = json.loads(run("promised", "--source", site.root, "--at", "2026-05-15", "--format", "json").stdout)
    assert doc["passed_over"] == [{"commit": commits["broken"], "date": "2026-05-01T09:00:00+00:00", "errors": 1}]


def test_a_time_of_day_is_answered_with_the_catalog_in_force_at_that_time(history, run) -> None:
    # an auditor asks what was promised at "2026-04-01 09:30 UTC": --at refused a time (only measure
    # took one), and the day's answer is the SLO Grace lowered at 10:00, not the 99.5 % in force at 09:30
    site, commits = history
    before = run("promised", "--source", site.root, "--at", "2026-04-01T09:30Z")
    assert before.exit_code == 0, before.output
    assert before.stdout.startswith(
        "Promised at 2026-04-01 09:30 UTC: catalog version 0.1\n"
        f"from commit {commits['first'][:12]} of 2026-03-01 11:00 UTC by Ada Lovelace: Publish the catalog\n"
    )
    assert "SLO Pipeline availability (availability): 99.5 % over rolling 30 days" in before.stdout
    # the same time written with its offset, as measure --at takes it
    assert run("promised", "--source", site.root, "--at", "2026-04-01 11:30+02:00").stdout == before.stdout
    # a commit is in force from its second on
    for when, commit in (("2026-04-01T09:59:59Z", "first"), ("2026-04-01T10:00:00Z", "lowered")):
        result = run("promised", "--source", site.root, "--at", when, "--format", "json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert (doc["at"], doc["commit"]["id"]) == (when, commits[commit])
    late = run("promised", "--source", site.root, "--at", "2026-04-01T10:00:00Z")
    assert late.stdout.startswith("Promised at 2026-04-01 10:00 UTC: catalog version 0.1\n")
    assert "99 % over rolling 30 days" in late.stdout
    # before the first commit that changed the catalog: said with the time
    result = run("promised", "--source", site.root, "--at", "2026-03-01T10:59:59Z")
    assert result.exit_code == 2
    assert "no commit changed catalog.yaml at or before 2026-03-01 10:59:59 UTC" in result.output


SECOND_OFFERING = """  - id: preview
    name: Preview environments
    summary: A short-lived environment for each merge request.
    owner: Platform Team
    tier: "3"
    lifecycle: beta
    audience: [developers]
    request:
      how: Add the preview job to your pipeline.
tools:
"""


def test_an_offering_removed_or_not_yet_added_is_told_when_and_a_moment_to_ask_about(run, tmp_path) -> None:
    """An auditor asking for an offering on a day the catalog no longer (or not yet) had it is told
    which commit removed (or added) it, not only that no such offering exists."""
    site = GitSite(tmp_path)
    at(site, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.commit("Publish the catalog")
    at(site, "2026-04-01T10:00")
    site.edit("tools:\n", SECOND_OFFERING)
    added = site.commit("Offer preview environments", author="Ivan Ops <ivan@example.com>")
    at(site, "2026-06-30T16:00")
    site.edit(SECOND_OFFERING, "tools:\n")
    removed = site.commit("Retire preview environments\n\nCo-authored-by: Dave Pair <dave@example.com>")
    after = run("promised", "--source", site.root, "--at", "2026-07-15", "--offering", "preview")
    assert after.exit_code == 2
    assert after.stderr == (
        f"error: --offering 'preview': no such offering in the catalog on 2026-07-15 (commit {removed[:12]} of "
        f"2026-06-30 16:00 UTC); it was removed by commit {removed[:12]} of 2026-06-30 16:00 UTC by Test Author "
        "with Dave Pair (Retire preview environments): ask about a moment before, such as --at 2026-06-30T15:59:59Z\n"
    )
    told = run("promised", "--source", site.root, "--at", "2026-06-30T15:59:59Z", "--offering", "preview")
    assert told.exit_code == 0, told.output
    assert "Offering Preview environments (preview): beta, tier 3" in told.stdout
    before = run("promised", "--source", site.root, "--at", "2026-03-15", "--offering", "preview")
    assert before.exit_code == 2
    assert before.stderr.endswith(
        f"; it was added later, by commit {added[:12]} of 2026-04-01 10:00 UTC by Ivan Ops (Offer preview "
        "environments): ask about --at 2026-04-01 or later\n"
    )
    assert run("promised", "--source", site.root, "--at", "2026-04-01", "--offering", "preview").exit_code == 0
    # an id no catalog ever had is answered as before: the ids of then
    never = run("promised", "--source", site.root, "--at", "2026-07-15", "--offering", "nothing-like-it")
    assert never.exit_code == 2
    assert "removed" not in never.stderr and "offerings then: ci" in never.stderr


def test_a_release_tagged_after_the_day_is_said_to_name_a_later_commit_not_to_have_moved(history, run) -> None:
    """On 2026-03-05 release 0.1 was the catalog's first commit (untagged, its version's last commit
    then); v0.1 was tagged later, on the page edit of 10 Mar. Nothing was moved: the tag was made."""
    site, commits = history
    site.git("tag", "v0.1", commits["page"])
    result = run("promised", "--source", site.root, "--at", "2026-03-05")
    assert result.exit_code == 0, result.output
    assert (
        f"Since then release 0.1 has moved to commit {commits['page'][:12]} of 2026-03-10 08:00 UTC (tag v0.1 names "
        "it now): v/0.1/ of a site built now is not the release in force then.\n"
    ) in result.stdout


def test_a_tool_deprecated_on_the_day_is_listed_with_its_alternative(run, tmp_path) -> None:
    """An auditor asks how Shared pipeline templates stood on a day it was deprecated (on its way
    to unsupported): promised listed unsupported tools only, so a deprecated one was nowhere."""
    site = GitSite(tmp_path)
    at(site, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.commit("Publish the catalog")
    assert "Deprecated tools" not in run("promised", "--source", site.root, "--at", "2026-03-01").stdout
    at(site, "2026-04-01T10:00")
    site.edit(
        "    status: supported\n    reason: One template",
        "    status: deprecated\n    alternative: ci\n    reason: One template",
    )
    site.edit("alternative: shared-pipelines", "alternative: ci")  # an alternative is a supported tool or an offering
    site.commit("Deprecate the shared templates")
    result = run("promised", "--source", site.root, "--at", "2026-04-01", "--offering", "ci")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "\nDeprecated tools (still work; move to the alternative)\n"
        "  Shared pipeline templates (shared-pipelines), since 2026-01-01; use ci instead: One template we maintain "
        "is safer than many we cannot see.\n"
    )
    doc = json.loads(run("promised", "--source", site.root, "--at", "2026-04-01", "--format", "json").stdout)
    assert [(t["id"], t["alternative"]) for t in doc["deprecated_tools"]] == [("shared-pipelines", "ci")]


def test_an_offering_asked_for_by_the_start_of_its_id_is_suggested(run, tmp_path) -> None:
    """`--offering ci` where the offering is ci-pipelines: too short a word for a spelling slip,
    but the start of one id (or of several, each named)."""
    site = GitSite(tmp_path)
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.edit("  - id: ci\n    name: CI pipelines", "  - id: ci-pipelines\n    name: CI pipelines")
    site.edit("offerings: [ci]", "offerings: [ci-pipelines]", "content/welcome.md")
    site.edit("(offering:ci)", "(offering:ci-pipelines)", "content/welcome.md")
    site.commit("Publish the catalog")
    result = run("promised", "--source", site.root, "--at", "2099-01-01", "--offering", "ci")
    assert result.exit_code == 2
    assert result.stderr.endswith("did you mean 'ci-pipelines'?\n"), result.stderr
    assert "pipelines" in run("promised", "--source", site.root, "--at", "2099-01-01", "--offering", "pipelines").stderr


def test_an_offering_asked_for_by_an_id_it_had_is_told_its_new_one(run, tmp_path) -> None:
    """`--offering ci` where the catalog renamed ci to build-pipelines (`renamed_from: [ci]`): the
    error suggested by spelling, "offerings then: build-pipelines", as if ci had never been; as
    `check` does, it says the id it has now, whose old name that was."""
    site = GitSite(tmp_path)
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.edit(
        "  - id: ci\n    name: CI pipelines", "  - id: build-pipelines\n    renamed_from: [ci]\n    name: CI pipelines"
    )
    site.edit("offerings: [ci]", "offerings: [build-pipelines]", "content/welcome.md")
    site.edit("(offering:ci)", "(offering:build-pipelines)", "content/welcome.md")
    site.commit("Rename the CI offering")
    result = run("promised", "--source", site.root, "--at", "2099-01-01", "--offering", "ci")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "; did you mean 'build-pipelines'? offering ci is now build-pipelines, as its renamed_from says: ask for it "
        "by its new id\n"
    ), result.stderr


@pytest.mark.git
def test_a_member_offering_asked_for_by_an_id_it_had_is_told_its_new_one(run, tmp_path) -> None:
    """The same on an organisation site, of a member team's offering renamed in its own catalog."""
    db = Member(tmp_path, "db", "Database Team")
    db.publish_text(
        "Rename Postgres",
        MEMBER.format(**db.values)
        .replace("  - id: postgres\n", "  - id: databases\n    renamed_from: [postgres]\n", 1)
        .replace("alternative: postgres", "alternative: databases"),
    )
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    updated = run("federate", "update", "--source", org)
    assert updated.exit_code == 0, updated.output
    GitSite(org).commit("Lock the members")
    result = run("promised", "--source", org, "--at", "2099-01-01", "--offering", "db-team/postgres")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "; did you mean 'db-team/databases'? offering db-team/postgres is now db-team/databases, as its "
        "renamed_from says: ask for it by its new id\n"
    ), result.stderr


def test_an_offering_asked_for_by_its_new_id_before_its_rename_is_answered_under_its_id_then(run, tmp_path) -> None:
    """`--offering build-pipelines --at` a day before ci was renamed build-pipelines: the error
    said "offerings then: ci", leaving the auditor to guess that ci is the same offering. The
    catalog now says so (`renamed_from: [ci]`): what was promised under ci is the answer, and a
    note says it was called ci then."""
    site = GitSite(tmp_path)
    at(site, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.commit("Publish the catalog")
    at(site, "2026-04-01T11:00")
    site.edit(
        "  - id: ci\n    name: CI pipelines", "  - id: build-pipelines\n    renamed_from: [ci]\n    name: CI pipelines"
    )
    site.edit("offerings: [ci]", "offerings: [build-pipelines]", "content/welcome.md")
    site.edit("(offering:ci)", "(offering:build-pipelines)", "content/welcome.md")
    site.commit("Rename the CI offering")
    result = run("promised", "--source", site.root, "--at", "2026-03-15", "--offering", "build-pipelines")
    assert result.exit_code == 0, result.output
    assert "Offering CI pipelines (ci): ga, tier 1" in result.stdout
    assert "SLO Pipeline availability (availability): 99.5 %" in result.stdout
    assert (
        "note: offering build-pipelines was called ci on 2026-03-15 (its renamed_from lists ci): this is what was "
        "promised under ci\n"
    ) in result.stderr
    as_json = run(
        "promised", "--source", site.root, "--at", "2026-03-15", "--offering", "build-pipelines", "--format", "json"
    )
    assert [o["id"] for o in json.loads(as_json.stdout)["offerings"]] == ["ci"]
    # after the rename, and by its id then: no note
    for day, ident in (("2026-04-15", "build-pipelines"), ("2026-03-15", "ci")):
        plain = run("promised", "--source", site.root, "--at", day, "--offering", ident)
        assert plain.exit_code == 0, plain.output
        assert "was called" not in plain.stderr
    # an id no offering has had is still unknown
    unknown = run("promised", "--source", site.root, "--at", "2026-03-15", "--offering", "deploys")
    assert unknown.exit_code == 2
    assert "no such offering in the catalog on 2026-03-15" in unknown.stderr


def test_an_offering_renamed_twice_is_followed_back_through_the_catalogs_between(run, tmp_path) -> None:
    """ci was renamed pipelines, then pipelines build-pipelines, whose renamed_from lists pipelines alone (the
    rename before is the catalog of then's to say): asked for by its id now on a day before both, the answer was
    "no such offering", the chain not followed back."""
    site = GitSite(tmp_path)
    at(site, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    site.commit("Publish the catalog")
    for day, old, new in (("2026-04-01", "ci", "pipelines"), ("2026-05-01", "pipelines", "build-pipelines")):
        at(site, f"{day}T11:00")
        before = "" if old == "ci" else "    renamed_from: [ci]\n"
        site.edit(
            f"  - id: {old}\n{before}    name: CI pipelines",
            f"  - id: {new}\n    renamed_from: [{old}]\n    name: CI pipelines",
        )
        site.edit(f"offerings: [{old}]", f"offerings: [{new}]", "content/welcome.md")
        site.edit(f"(offering:{old})", f"(offering:{new})", "content/welcome.md")
        site.commit(f"Rename {old} to {new}")
    result = run("promised", "--source", site.root, "--at", "2026-03-15", "--offering", "build-pipelines")
    assert result.exit_code == 0, result.output
    assert "Offering CI pipelines (ci): ga, tier 1" in result.stdout
    assert (
        "note: offering build-pipelines was called ci on 2026-03-15 (renamed ci → pipelines → build-pipelines "
        "since, as the catalogs' renamed_from say): this is what was promised under ci\n"
    ) in result.stderr
    between = run("promised", "--source", site.root, "--at", "2026-04-15", "--offering", "build-pipelines")
    assert between.exit_code == 0, between.output
    assert "Offering CI pipelines (pipelines)" in between.stdout
    assert "(its renamed_from lists pipelines)" in between.stderr


@pytest.mark.git
def test_a_member_offering_asked_for_by_its_new_id_before_its_rename_is_answered_under_its_id_then(
    run, tmp_path
) -> None:
    """The same on an organisation site: the database team renamed postgres databases after the
    day asked about, the lock moved to that commit since."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    site = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    at(site, "2026-03-01T11:00")
    site.commit("Lock the members")
    db.publish_text(
        "Rename Postgres",
        MEMBER.format(**db.values)
        .replace("  - id: postgres\n", "  - id: databases\n    renamed_from: [postgres]\n", 1)
        .replace("alternative: postgres", "alternative: databases"),
    )
    assert run("federate", "update", "--source", org).exit_code == 0
    at(site, "2026-04-01T11:00")
    site.commit("Lock the renamed Postgres")
    result = run("promised", "--source", org, "--at", "2026-03-15", "--offering", "db-team/databases")
    assert result.exit_code == 0, result.output
    assert "(db-team/postgres): ga" in result.stdout
    assert "note: offering db-team/databases was called db-team/postgres on 2026-03-15" in result.stderr


def test_errors_say_what_is_wrong_and_where(history, run, tmp_path) -> None:
    site, commits = history
    cases = {
        ("--at", "2026-02-28"): (
            f"error: no commit changed catalog.yaml on or before 2026-02-28: the first that did is "
            f"{commits['first'][:12]} of 2026-03-01 11:00 UTC (Publish the catalog)\n"
        ),
        ("--at", "2026-06-01"): (
            f"error: there was no catalog.yaml on 2026-06-01: commit {commits['removed'][:12]} of 2026-06-01 09:00 UTC "
            "(Retire the catalog) removed it\n"
        ),
        ("--at", "31.03.2026"): f"error: --at '31.03.2026': not a day or a time; write {AT_FORMS}\n",
        ("--at", "20260331"): f"error: --at '20260331': not a day or a time; write {AT_FORMS}\n",
        ("--at", "2026-03-31 14:00 UTC"): (  # as an auditor writes it (interop8)
            f"error: --at '2026-03-31 14:00 UTC': not a day or a time; write {AT_FORMS}; for this one, write "
            "2026-03-31T14:00Z\n"
        ),
        ("--at", "2026-03-31T25:00Z"): "error: --at '2026-03-31T25:00Z': not a real date or time\n",
        ("--at", "2026-02-30"): "error: --at '2026-02-30': not a real date\n",
        ("--at", "9999-12-31T23:59-01:00"): (  # it was "not a real date or time" (hostile13)
            "error: --at '9999-12-31T23:59-01:00': a real time, but in UTC it falls outside the years 1 to 9999, "
            "the only ones read\n"
        ),
        ("--at", "2026-03-31", "--offering", "cii"): (
            f"error: --offering 'cii': no such offering in the catalog on 2026-03-31 (commit {commits['first'][:12]} "
            "of 2026-03-01 11:00 UTC); did you mean 'ci'?\n"
        ),
        ("2026-03-31",): (  # the day as an argument, as an auditor first types it
            "error: unexpected argument '2026-03-31': name the day with --at, as in "
            "`servicebook promised --at 2026-03-31`\n"
        ),
        (): "error: name the day with --at, as in `servicebook promised --at 2026-11-01`\n",
        ("--at", "2026-03-31", "--offering", "zzz"): (
            f"error: --offering 'zzz': no such offering in the catalog on 2026-03-31 (commit {commits['first'][:12]} "
            "of 2026-03-01 11:00 UTC); offerings then: ci\n"
        ),
    }
    for args, expected in cases.items():
        result = run("promised", "--source", site.root, *args)
        assert (result.exit_code, result.stderr) == (2, expected), args
        assert result.stdout == ""
    elsewhere = run("promised", "--source", site.root / "content", "--at", "2026-03-31")  # not the site's folder
    assert (elsewhere.exit_code, elsewhere.stderr) == (
        2,
        "error: no commit on the history of HEAD changed content/catalog.yaml\n",
    )
    (tmp_path / "loose").mkdir()
    nowhere = run("promised", "--source", tmp_path / "loose", "--at", "2026-03-31")
    assert nowhere.exit_code == 2
    assert nowhere.stderr == (
        f"error: {tmp_path / 'loose'} is not in a git repository: `promised` reads the catalog's history; run it in "
        "a clone of the catalog's repository, or give the clone's folder with --source\n"
    )


def test_a_catalog_added_again_invalid_after_a_removal_is_not_called_the_first(history, run) -> None:
    """Before, this said "nor does any before it: nothing valid was published by then", untrue:
    valid catalogs were in effect before the removal."""
    site, commits = history
    at(site, "2026-07-01T09:00")
    site.write(
        "catalog.yaml", (SITES / "minimal/catalog.yaml").read_text().replace("objective: 99.5", "objective: 0.5")
    )
    again = site.commit("Bring the catalog back")
    result = run("promised", "--source", site.root, "--at", "2026-07-02")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: the catalog of commit {again[:12]} of 2026-07-01 09:00 UTC, in effect on 2026-07-02, does not validate, "
        f"nor does any since commit {again[:12]} of 2026-07-01 09:00 UTC added it again after commit "
        f"{commits['removed'][:12]} (Retire the catalog) removed it: nothing valid was in effect on 2026-07-02\n"
    )
    before_removal = run("promised", "--source", site.root, "--at", "2026-05-15")
    assert before_removal.exit_code == 0, before_removal.output


def test_a_shallow_clone_that_starts_after_the_day_says_to_fetch_everything(history, run, tmp_path) -> None:
    import os
    import subprocess

    site, _ = history
    clone = tmp_path / "shallow"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{site.root}", str(clone)], check=True, env=env)
    boundary = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD~1"], check=True, capture_output=True, text=True
    ).stdout.strip()
    # the clone's first commit is May's: it did not write the catalog it holds, so it cannot be named
    result = run("promised", "--source", clone, "--at", "2026-05-15")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: this shallow clone's history starts at commit {boundary[:12]} of 2026-05-01 09:00 UTC, so it cannot "
        "tell which commit made catalog.yaml what it was on 2026-05-15; fetch the whole history first: "
        "`git fetch --unshallow --tags`\n"
    )
    before = run("promised", "--source", clone, "--at", "2026-01-01")
    assert before.exit_code == 2
    assert before.stderr == (
        f"error: this shallow clone's history starts at commit {boundary[:12]} of 2026-05-01 09:00 UTC, so it cannot "
        "tell what catalog.yaml said on 2026-01-01; fetch the whole history first: `git fetch --unshallow --tags`\n"
    )


def test_a_site_in_a_folder_of_its_repository_reads_its_own_catalog(tmp_path, run) -> None:
    (tmp_path / "repo").mkdir()
    repo = GitSite(tmp_path / "repo")
    at(repo, "2026-03-01T11:00")
    shutil.copytree(SITES / "minimal", repo.root / "site")
    repo.write("catalog.yaml", "not the site's catalog\n")  # another catalog.yaml, at the top
    first = repo.commit("Publish the catalog in site/")
    at(repo, "2026-03-02T11:00")
    repo.write("catalog.yaml", "still not the site's\n")
    repo.commit("Change only the top-level file")
    result = run("promised", "--source", repo.root / "site", "--at", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        f"from commit {first[:12]} of 2026-03-01 11:00 UTC by Test Author: Publish the catalog in site/"
    )


@pytest.mark.parametrize(
    "day",
    ["0001-01-01", "1969-12-31", "1970-01-01", "2000-02-29", "2038-01-19", "2038-01-20", "9999-12-30", "9999-12-31"],
)
def test_every_day_that_parses_gets_an_answer_or_a_reason_never_a_crash(history, run, day) -> None:
    """The extremes of what `date.fromisoformat` reads: before the first commit, the Unix epoch,
    the 32-bit time limit and the last day a date can name (which has no next midnight)."""
    site, commits = history
    result = run("promised", "--source", site.root, "--at", day)
    if day < "2026":
        assert (result.exit_code, result.stdout) == (2, ""), result.output
        assert result.stderr.startswith(f"error: no commit changed catalog.yaml on or before {day}: the first")
    else:  # after the catalog was removed (2026-06-01)
        assert (result.exit_code, result.stdout) == (2, ""), result.output
        assert result.stderr.startswith(f"error: there was no catalog.yaml on {day}: commit {commits['removed'][:12]}")


def test_the_last_day_a_date_can_name_reads_the_newest_catalog(history, run) -> None:
    site, _ = history
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    restored = site.commit("Publish the catalog again")
    result = run("promised", "--source", site.root, "--at", "9999-12-31")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Promised on 9999-12-31 (up to the end of the day, UTC)")
    assert f"from commit {restored[:12]} " in result.stdout


@given(st.dates())
def test_the_end_of_any_day_is_its_next_midnight_or_none_for_the_last(day) -> None:
    end = end_of_day(day)
    if day == dt.date.max:
        assert end is None
    else:
        assert end is not None and end.tzinfo is dt.UTC
        assert end.date() - day == dt.timedelta(days=1) and end.time() == dt.time()


def test_a_change_after_a_tagged_release_is_not_taken_for_that_release(tmp_path, run) -> None:
    """The auditors' trial: the catalog in force carried `version: 0.1` but was a change made after
    the v0.1 release and never released; promised named it "catalog version 0.1" all the same."""
    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    at(site, "2026-03-01T11:00")
    released = site.commit("Publish the catalog")
    site.tag("v0.1")
    at(site, "2026-03-05T11:00")
    site.edit("objective: 99.5", "objective: 99")
    site.commit("Lower the SLO, still 0.1")
    at(site, "2026-03-20T11:00")
    site.edit('version: "0.1"', 'version: "0.2"')
    second = site.commit("Release 0.2")
    site.tag("v0.2")

    def standing(day: str) -> str:
        result = run("promised", "--source", site.root, "--at", day)
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()[2]

    assert standing("2026-03-02") == (
        f"Released: this catalog is the one of release 0.1 (tag v0.1, commit {released[:12]} of 2026-03-01 "
        "11:00 UTC), published at v/0.1/."
    )
    assert standing("2026-03-10") == (
        f"Not a release: the release in force was 0.1 (tag v0.1, commit {released[:12]} of 2026-03-01 11:00 UTC), "
        "published at v/0.1/; this commit is a later change that had not been released."
    )
    assert standing("2026-03-21") == (
        f"Released: this catalog is the one of release 0.2 (tag v0.2, commit {second[:12]} of 2026-03-20 11:00 UTC), "
        "published at v/0.2/."
    )
    doc = json.loads(run("promised", "--source", site.root, "--at", "2026-03-10", "--format", "json").stdout)
    assert doc["release"] == {
        "released": False,
        "in_force": {
            "version": "0.1",
            "tag": "v0.1",
            "commit": released,
            "date": "2026-03-01T11:00:00+00:00",
            "path": "v/0.1/",
        },
        "published_now": None,
    }


def test_a_day_that_has_not_come_yet_is_answered_with_a_note_that_it_is_todays_catalog(history, run, env) -> None:
    site, commits = history
    env["SOURCE_DATE_EPOCH"] = str(int(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC).timestamp()))  # "today"
    result = run("promised", "--source", site.root, "--at", "2026-04-20", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["commit"]["id"] == commits["lowered"]  # the document as for any day
    assert result.stderr == (
        "note: 2026-04-20 has not come yet (today is 2026-04-15, UTC): this is the catalog in force now, and "
        "commits made before then may change what that day holds\n"
    )
    for day in ("2026-04-01", "2026-04-15"):  # a past day, and today: no note
        result = run("promised", "--source", site.root, "--at", day)
        assert (result.exit_code, result.stderr) == (0, ""), result.output


def test_a_release_that_later_changes_moved_says_its_address_now_shows_another_catalog(tmp_path, run) -> None:
    """An auditor reads "published at v/0.1/" and opens v/0.1/: a version's release is its last
    commit until a tag fixes it, so a later change of the same version moved what v/0.1/ shows.
    The answer says so, naming that commit, rather than send the auditor to another catalog
    (it said only "published at v/0.1/")."""
    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", (SITES / "minimal/catalog.yaml").read_text())
    at(site, "2026-03-01T11:00")
    first = site.commit("Publish the catalog")
    at(site, "2026-03-05T11:00")
    site.edit("objective: 99.5", "objective: 99")
    later = site.commit("Lower the SLO, still 0.1")
    result = run("promised", "--source", site.root, "--at", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2:4] == [
        f"Released: this catalog is the one of release 0.1 (commit {first[:12]} of 2026-03-01 11:00 UTC), "
        "published at v/0.1/.",
        f"Since then release 0.1 has moved to commit {later[:12]} of 2026-03-05 11:00 UTC (the version was not "
        "tagged: its release is its last commit): v/0.1/ of a site built now is not the release in force then.",
    ]
    assert "99.5 %" in result.stdout
    doc = json.loads(run("promised", "--source", site.root, "--at", "2026-03-02", "--format", "json").stdout)
    assert doc["release"]["in_force"]["commit"] == first
    assert doc["release"]["published_now"] == {
        "version": "0.1",
        "tag": None,
        "commit": later,
        "date": "2026-03-05T11:00:00+00:00",
        "path": "v/0.1/",
    }
    # asked for a day when the later change was in force, nothing moved since
    today = run("promised", "--source", site.root, "--at", "2026-03-06").stdout
    assert "Since then" not in today
