"""An organisation site: members in their own repositories (local bare repositories reached over
file://), pinned in servicebook.lock by `federate update`, and built from the lock only."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from servicebook.cache.digest import digest
from servicebook.cache.store import Store, store_file
from servicebook.federation.lock import read_lock
from servicebook.federation.members import MEMBER_KIND, repository_problem
from servicebook.site.serve import Preview

from .conftest import FIXED_EPOCH, SITES, GitSite
from .servehelp import wait_for, watched

pytestmark = pytest.mark.git

MEMBER = """\
format: 1
version: "1.0"
site:
  title: {team} services
team:
  name: {team}
  mission: We keep {what} running for every product team.
support:
  hours: {{days: mon-fri, start: "08:00", end: "16:00", timezone: Europe/Zurich}}
  channels:
    - kind: chat
      name: "#{slug}-help"
  severities:
    - id: sev1
      name: Critical
      description: Down.
      response: 15m
      coverage: 24x7
categories:
  - id: ci
    name: Continuous integration
offerings:
  - id: {offering}
    name: {offering_name}
    summary: Managed {offering_name} for product teams.
    owner: {team}
    tier: "1"
    lifecycle: ga
    audience: [developers]
    request:
      how: Open a ticket.
    slos:
      - id: availability
        name: Availability
        sli: Share of successful connection attempts.
        objective: {objective}
        window: 30d
tools:
  - id: shared-pipelines
    name: Shared pipeline templates
    category: ci
    status: {pipelines}
    reason: Our own reasons.
    since: 2026-01-01
    alternative: {offering}
"""


class Member:
    """A member team: a work repository it commits in, and the bare repository it publishes to."""

    def __init__(self, tmp: Path, slug: str, team: str, offering: str = "postgres", pipelines: str = "unsupported"):
        self.work = GitSite(_fresh(tmp / f"{slug}-work"))
        self.bare = tmp / f"{slug}.git"
        self.values = {
            "team": team,
            "slug": slug,
            "what": offering,
            "offering": offering,
            "offering_name": offering.capitalize(),
            "objective": "99.95",
            "pipelines": pipelines,
        }
        self.publish("Initial catalog")
        self.work.git("clone", "-q", "--bare", str(self.work.root), str(self.bare))

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def publish(self, message: str, **changes: str) -> str:
        self.values.update(changes)
        self.work.write("catalog.yaml", MEMBER.format(**self.values))
        commit = self.work.commit(message)
        if self.bare.exists():
            self.work.git("push", "-q", "--force", str(self.bare), "main")
        return commit

    def publish_text(self, message: str, text: str) -> str:
        self.work.write("catalog.yaml", text)
        commit = self.work.commit(message)
        self.work.git("push", "-q", "--force", str(self.bare), "main")
        return commit

    def rewrite(self, message: str, **changes: str) -> str:
        """Replace the last commit (amend, force-push) and drop what pointed at the old one."""
        self.values.update(changes)
        self.work.write("catalog.yaml", MEMBER.format(**self.values))
        self.work.clock += 3600
        self.work.git("add", "-A")
        self.work.git("commit", "-q", "--amend", "-m", message)
        self.work.git("push", "-q", "--force", str(self.bare), "main")
        for repo in (self.work.root, self.bare):
            subprocess.run(["git", "-C", str(repo), "reflog", "expire", "--expire=now", "--all"], check=True)
            subprocess.run(["git", "-C", str(repo), "gc", "-q", "--prune=now"], check=True)
        return self.work.git("rev-parse", "HEAD").strip()


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def organisation(tmp: Path, members: str) -> Path:
    """The minimal site as the organisation's own catalog, with `members` added."""
    root = tmp / "org"
    shutil.copytree(SITES / "minimal", root)
    with (root / "catalog.yaml").open("a") as f:
        f.write("members:\n" + members)
    return root


@pytest.fixture
def db(tmp_path: Path) -> Member:
    return Member(tmp_path, "db", "Database Team")


@pytest.fixture
def org(tmp_path: Path, db: Member) -> Path:
    return organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n    site: https://db.example.com/\n")


def locked(root: Path) -> dict[str, str]:
    lock, problems = read_lock(root)
    assert not problems
    return {ident: entry.commit for ident, entry in lock.entries.items()}


def test_update_locks_each_member_at_the_head_of_its_branch(run: Callable[..., Result], org: Path, db: Member) -> None:
    head = db.work.git("rev-parse", "HEAD").strip()
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 0, result.output
    assert f"updated: db-team: locked at {head[:12]} (main)" in result.output
    assert locked(org) == {"db-team": head}
    again = run("federate", "update", "--source", org)
    assert again.exit_code == 0 and "servicebook.lock unchanged" in again.output


def test_update_says_to_commit_the_lock_until_git_has_it(run: Callable[..., Result], org: Path, db: Member) -> None:
    """The first update writes servicebook.lock, which `git commit -a` leaves out: the commit's
    members were not in its lock, so the version released from it could never be built, warned of
    on every build (newuser23). Until git has the lock as it is, update says to commit it."""
    site = GitSite(org)
    site.commit("The organisation site with its first member")
    first = run("federate", "update", "--source", org)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == (
        "next: git add servicebook.lock, and commit it with catalog.yaml (it is new: `git commit -a` leaves it out); "
        "a commit whose members the lock does not hold cannot be built, nor released"
    )
    site.commit("Lock db-team")
    db.publish("Lower the availability objective", objective="99.9")
    moved = run("federate", "update", "--source", org)
    assert moved.output.splitlines()[-2:] == [
        "servicebook.lock: 1 member moved",
        "next: commit servicebook.lock: releases, `promised` and `verify` read the members' commits from it",
    ]
    site.commit("Move db-team")
    assert run("federate", "update", "--source", org).output.splitlines()[-1] == "servicebook.lock unchanged"


def test_a_git_that_copies_a_template_into_new_repositories_still_fetches_and_builds_members(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Companies hand their developers a git template (`init.templateDir` in ~/.gitconfig, or
    GIT_TEMPLATE_DIR): hooks, and a `config` git copies into every repository `git init` makes.
    A member's store made from it held more than `git init --bare` writes, so servicebook refused
    its own store as altered, told the user to delete it, and refused the one the next fetch made."""
    template = tmp_path / "company-template"
    (template / "hooks").mkdir(parents=True)
    (template / "config").write_text("[user]\n\tname = Company\n[core]\n\thooksPath = /etc/company-hooks\n")
    (template / "hooks" / "post-update").write_text("#!/bin/sh\nexit 1\n")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(template))

    update = run("federate", "update", "--source", org)
    assert update.exit_code == 0, update.output
    build = run("build", "--source", org, "--no-versions")
    assert build.exit_code == 0, build.output
    (store,) = (org / ".servicebook-cache" / "members").glob("*.git")
    assert "Company" not in (store / "config").read_text()
    assert not (store / "hooks").exists()


def test_the_lock_file_is_readable_by_everyone_as_a_file_git_checks_out(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """servicebook.lock is committed and read by CI and other people's checkouts: not mkstemp's 0600."""
    assert run("federate", "update", "--source", org).exit_code == 0
    assert stat.S_IMODE((org / "servicebook.lock").stat().st_mode) == 0o644


def test_build_publishes_member_offerings_labelled_with_their_team(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    page = (org / "public/offerings/db-team/postgres/index.html").read_text()
    assert "Postgres" in page and "Database Team" in page and "https://db.example.com/" in page
    assert "99.95" in (org / "public/slos/index.html").read_text()
    team = (org / "public/teams/db-team/index.html").read_text()
    assert "We keep postgres running" in team and db.work.git("rev-parse", "HEAD").strip()[:12] in team
    manifest = json.loads((org / "public/search/index.json").read_text())
    chunks = sorted((org / "public/search/r").glob("*.json"), key=lambda p: int(p.stem))
    records = [r for chunk in chunks for r in json.loads(chunk.read_text())["records"]]
    assert len(records) == manifest["records"]
    found = {r["t"]: r["u"] for r in records}
    assert found["Postgres (Database Team)"] == "offerings/db-team/postgres/"
    assert found["Postgres: Availability (Database Team)"] == "offerings/db-team/postgres/#slo-availability"
    assert found["Shared pipeline templates (Database Team)"] == "tools/db-team/shared-pipelines/"
    assert found["Shared pipeline templates"] == "tools/shared-pipelines/"  # the organisation's own
    assert found["Team: Database Team"] == "teams/db-team/"
    document = json.loads((org / "public/catalog.json").read_text())
    (member,) = document["members"]
    assert member["id"] == "db-team" and member["commit"] == db.work.git("rev-parse", "HEAD").strip()
    assert "db-team/postgres" in [o["id"] for o in document["offerings"]]


def test_a_member_commit_that_is_invalid_is_named_and_the_member_stays_at_its_last_good_commit(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["db-team"]
    bad = db.publish("Broken objective", objective="120")
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert f"refused: db-team: commit {bad[:12]} of main is not a valid catalog (1 error); staying at {good[:12]}" in (
        result.output
    )
    assert f"members/db-team@{bad[:12]}/catalog.yaml:" in result.output
    # what those paths are, and what to do: the organisation cannot fix the member's catalog
    assert (
        f"staying at {good[:12]}: its errors are at that commit of {db.url}; once its team has fixed them there, "
        "run `servicebook federate update db-team` again"
    ) in result.output
    assert locked(org) == {"db-team": good}
    assert run("build", "--source", org, "--no-versions").exit_code == 0


def test_a_member_in_a_newer_catalog_format_is_refused(run: Callable[..., Result], org: Path, db: Member) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    text = MEMBER.format(**db.values).replace("format: 1", "format: 2")
    newer = db.publish_text("Format 2", text)
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert f"commit {newer[:12]} of main is not a valid catalog" in result.output
    assert "format 2" in result.output


@pytest.mark.parametrize(
    ("repository", "refused"),
    [
        ("ext::sh -c id", True),  # git would run the command
        ("fd::17", True),
        ("git-remote+x.y::anything", True),
        ("https://[::1]:8443/db-team/catalog.git", False),  # an IPv6 host, not a transport helper
        ("ssh://git@[fe80::1]/db.git", False),
        ("../db::team", False),  # a folder: made absolute before git sees it
    ],
)
def test_only_what_git_reads_as_a_transport_helper_is_refused(repository: str, refused: bool) -> None:
    """git reads `<transport>::<address>` as a helper only when the name starts the address
    (transport.c); any "::" was refused, so an IPv6 host was called a transport helper."""
    assert (repository_problem(repository) is not None) is refused


def test_an_unreachable_member_and_a_missing_ref_are_named(run: Callable[..., Result], tmp_path: Path) -> None:
    root = organisation(
        tmp_path,
        f"  - id: gone\n    repository: {(tmp_path / 'nowhere.git').as_uri()}\n"
        "  - id: nobranch\n    repository: ../nobranch\n    ref: release\n",
    )
    Member(tmp_path, "nobranch-src", "Other Team")
    shutil.copytree(tmp_path / "nobranch-src.git", tmp_path / "nobranch")
    result = run("federate", "update", "--source", root)
    assert result.exit_code == 3
    assert f"refused: gone: cannot fetch {(tmp_path / 'nowhere.git').as_uri()}:" in result.output
    # git's message of several lines is one line of the refusal (newuser17: its advice was lost below it)
    (refusal,) = [line for line in result.output.splitlines() if line.startswith("refused: gone:")]
    assert "does not appear to be a git repository fatal: Could not read from remote repository." in refusal
    assert "refused: nobranch: no branch or tag 'release' in ../nobranch" in result.output
    assert not (root / "servicebook.lock").exists()
    build = run("build", "--source", root, "--no-versions")
    assert build.exit_code == 1
    assert "member 'gone' has no commit in servicebook.lock" in build.output
    assert "run `servicebook federate update gone`" in build.output
    # the update just refused it: what else there is to do (newuser17: a team that joined, unreachable)
    assert "the site builds only without it: take it out of members: until then" in build.output


def test_rewritten_history_keeps_the_locked_commit_until_accepted(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    first = locked(org)["db-team"]
    rewritten = db.rewrite("Initial catalog, rewritten", objective="99.9")
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert f"locked commit {first[:12]} is not an ancestor of the new head {rewritten[:12]}" in result.output
    assert locked(org) == {"db-team": first}
    # a fresh clone of the organisation's repository has no cache: the locked commit is gone
    shutil.rmtree(org / ".servicebook-cache")
    fetched = run("federate", "fetch", "--source", org)
    assert fetched.exit_code == 3
    assert f"locked commit {first[:12]} is not in {db.url}: main (now {rewritten[:12]}) does not lead to it" in (
        fetched.output
    )
    assert "--accept-rewrite db-team" in fetched.output
    accepted = run("federate", "update", "--accept-rewrite", "--source", org)
    assert accepted.exit_code == 0, accepted.output
    assert locked(org) == {"db-team": rewritten}


def test_a_locked_commit_the_member_never_had_is_said_not_to_be_in_its_repository(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """fetch said "its history was rewritten" of a commit servicebook.lock named that the member's
    repository never had (a lock edited by hand): it says the repository does not have it."""
    assert run("federate", "update", "--source", org).exit_code == 0
    head = locked(org)["db-team"]
    never = "0123456789abcdef0123456789abcdef01234567"
    (org / "servicebook.lock").write_text((org / "servicebook.lock").read_text().replace(head, never))
    shutil.rmtree(org / ".servicebook-cache")
    fetched = run("federate", "fetch", "--source", org)
    assert fetched.exit_code == 3
    assert fetched.output == (
        f"refused: db-team: locked commit {never[:12]} is not in {db.url}: main (now {head[:12]}) does not lead to "
        "it, and the repository has no commit of that id: its history was rewritten and the commit removed, or "
        "servicebook.lock names a commit it never had (`git log -p servicebook.lock` shows who wrote it); run "
        f"`servicebook federate update --accept-rewrite db-team` to lock {head[:12]} once you have checked it\n"
    )
    updated = run("federate", "update", "--source", org)
    assert updated.exit_code == 3
    assert f"refused: db-team: locked commit {never[:12]} is not in {db.url}" in updated.output
    assert "rewritten: locked commit" not in updated.output and "not an ancestor" not in updated.output
    assert locked(org) == {"db-team": never}


def test_a_commit_the_branch_no_longer_leads_to_is_fetched_by_its_id_and_the_rewrite_still_said(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """What the lock names is fetched, so `fetch` succeeds (a CI job's `fetch && build` goes on, as
    reproducible as before) and warns that the branch was rewritten; it exited 3, as for a member
    it could not fetch."""
    assert run("federate", "update", "--source", org).exit_code == 0
    first = locked(org)["db-team"]
    db.work.git("commit", "-q", "--amend", "-m", "Initial catalog, amended")  # not collected: still in the repository
    db.work.git("push", "-q", "--force", str(db.bare), "main")
    shutil.rmtree(org / ".servicebook-cache")
    fetched = run("federate", "fetch", "--source", org)
    assert fetched.exit_code == 0
    assert f"warning: db-team: locked commit {first[:12]} is no longer on main in {db.url}" in fetched.stderr
    assert "fetched it by its id" in fetched.stderr
    assert locked(org) == {"db-team": first}
    assert run("build", "--source", org, "--no-versions").exit_code == 0  # what the lock names is here


def test_update_refuses_a_member_whose_id_is_an_own_offerings_as_the_build_does(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    root = organisation(tmp_path, f"  - id: ci\n    repository: {db.url}\n")
    result = run("federate", "update", "--source", root)
    assert result.exit_code == 1
    assert "error: member id 'ci' is also this site's own offering 'ci'" in result.output
    assert not (root / "servicebook.lock").exists()
    other = organisation(tmp_path / "again", f"  - id: welcome\n    repository: {db.url}\n")
    assert (
        "member id 'welcome' is also this site's own policy page 'welcome'"
        in run("federate", "update", "--source", other).output
    )


def test_build_reads_only_the_cache_and_says_how_to_fill_it(run: Callable[..., Result], org: Path, db: Member) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    shutil.rmtree(org / ".servicebook-cache")
    refused = run("build", "--source", org, "--no-versions")
    assert refused.exit_code == 1
    assert "member 'db-team': locked commit" in refused.output and "`servicebook federate fetch`" in refused.output
    assert run("federate", "fetch", "--source", org).exit_code == 0
    shutil.rmtree(db.bare)  # no network from here on: the build reads the cache only
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output


def test_a_lock_that_no_longer_matches_the_member_entry_is_an_error(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    catalog = org / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    site: https://db", "    ref: stable\n    site: https://db"))
    result = run("check", "--source", org)
    assert result.exit_code == 1
    assert "member 'db-team' changed in catalog.yaml since it was locked" in result.output


def test_teams_that_disagree_are_build_warnings_and_a_note_for_readers(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    other = Member(tmp_path, "net", "Network Team", offering="postgres", pipelines="supported")
    root = organisation(
        tmp_path, f"  - id: db-team\n    repository: {db.url}\n  - id: net-team\n    repository: {other.url}\n"
    )
    assert run("federate", "update", "--source", root).exit_code == 0
    result = run("build", "--source", root, "--no-versions")
    assert result.exit_code == 0, result.output
    expected = (
        "teams disagree: Shared pipeline templates: Platform Team and Network Team support it; "
        "Database Team lists it as unsupported (use db-team/postgres instead)"
    )
    assert expected in result.output
    assert "teams disagree: offering id 'postgres' is claimed by Database Team and Network Team" in result.output
    # each says what the teams do about it, and where (newuser23: "should agree on one answer" only)
    hints = [line for line in result.output.splitlines() if line.startswith("  hint: the organisation site shows")]
    assert hints == [
        "  hint: the organisation site shows this to readers on its Teams page and on each team's decision on the "
        "tool; to agree, a team changes its decision (status:) in its own catalog.yaml, then `servicebook federate "
        "update`",
        "  hint: the organisation site shows this to readers on its Teams page; to agree, all teams but one rename "
        "theirs in their own catalog.yaml (renamed_from: keeps old links working), or, where it is one offering, the "
        "others drop theirs and name it (depends_on: [db-team/postgres]); then `servicebook federate update`",
    ]
    teams = (root / "public/teams/index.html").read_text()
    assert "Database Team lists it as unsupported" in teams
    assert "claimed by Database Team and Network Team" in teams
    # on a phone the matrix's rows are cards without its column headers: each cell names its team
    # (newuser17 read two 'Supported' badges under a tool and could not tell whose was which)
    matrix = teams[teams.index('<table class="tools-matrix">') :]
    matrix = matrix[: matrix.index("</table>")]
    row = matrix[matrix.index("Shared pipeline templates") :]
    labels = re.findall(r'<td data-label="([^"]*)">', row[: row.index("</tr>")])
    assert labels == ["Platform Team", "Database Team", "Network Team"]
    assert matrix.count("<td") == matrix.count("<td data-label=")
    assert run("build", "--source", root, "--no-versions", "--strict").exit_code == 1


def test_teams_that_each_start_with_init_team_federate_without_disagreeing(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """Every `init --team` starter declared offering `ci`: an organisation of two starters warned
    "teams disagree: offering id 'ci' is claimed by …" before anyone had written a line (newuser23).
    Each team's starter names its offering after the team; the site is titled once."""
    members = ""
    for slug, team in (("db", "Database Services"), ("pay", "Payments Team")):
        repo = GitSite(_fresh(tmp_path / slug))
        assert run("init", "--team", team, repo.root).exit_code == 0
        repo.commit("Start the catalog")
        members += f"  - id: {slug}-team\n    repository: {repo.root.as_uri()}\n"
    db = yaml.safe_load((tmp_path / "db" / "catalog.yaml").read_text())
    assert (db["site"]["title"], db["offerings"][0]["id"]) == ("Database Services", "database-services-ci")
    assert db["team"]["mission"].startswith("Database Services runs shared services")
    root = organisation(tmp_path, members)
    assert run("federate", "update", "--source", root).exit_code == 0
    result = run("build", "--source", root, "--no-versions", "--strict")
    assert result.exit_code == 0, result.output
    assert "teams disagree" not in result.output
    assert (root / "public/offerings/pay-team/payments-team-ci/index.html").is_file()


def test_a_tool_decision_page_says_the_teams_disagree_until_they_agree(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The platform supports shared-pipelines, which the database team does not: both decisions'
    pages say the teams disagree, each team's decision linked. Once the database team supports
    it too, a rebuild (its cache kept) says so no more, on the platform's own page too, whose
    record did not change."""
    assert run("federate", "update", "--source", org).exit_code == 0
    built = run("build", "--source", org, "--no-versions")
    assert built.exit_code == 0
    assert (
        "hint: the organisation site shows this to readers on its Teams page and on each team's decision on the "
        "tool; to agree, a team changes its decision (status:)"
    ) in built.output
    own = org / "public/tools/shared-pipelines/index.html"
    theirs = org / "public/tools/db-team/shared-pipelines/index.html"
    for page, other in ((own, "../db-team/shared-pipelines/"), (theirs, "../../shared-pipelines/")):
        html = page.read_text()
        assert '<h2 id="teams-disagree-heading">Teams disagree</h2>' in html
        assert f'<a href="{other}"><span class="badge status-' in html
    # and the tools table of an offering that lists it (the organisation's CI lists shared-pipelines)
    offering = org / "public/offerings/ci/index.html"
    assert '<a href="../../tools/shared-pipelines/#teams-disagree">Teams disagree</a>' in offering.read_text()
    db.publish("Support the shared pipelines", pipelines="supported")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    assert "Teams disagree" not in own.read_text()
    assert "Teams disagree" not in theirs.read_text()
    assert "Teams disagree" not in offering.read_text()


MORE_TOOLS = """\
  - id: hand-rolled-scripts
    name: Hand-rolled CI scripts
    category: ci
    status: supported
    reason: Our administrators write their own.
    since: 2026-01-01
  - id: pgbouncer
    name: PgBouncer
    category: ci
    status: supported
    reason: It pools our connections.
    since: 2026-01-01
"""


def test_the_organisations_home_page_counts_each_tool_once_as_the_organisation_decided_it(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The organisation supports its shared pipeline templates and does not support hand-rolled CI
    scripts; the database team decided the other way round on both, and supports PgBouncer. The
    home page's "At a glance" counted every team's decision: "3 supported tools" (hand-rolled
    scripts among them, which the organisation does not support) and "2 unsupported tools" (the
    templates among them, which it supports). A reader of the organisation's home page reads
    its stand: each tool counts once, as the organisation decided it, and one only a member team
    decided on as that team did. The lists it links to show every team's decision, labelled."""
    db.publish_text("Our own tools", MEMBER.format(**db.values) + MORE_TOOLS)
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    home = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (org / "public/index.html").read_text()))
    assert "At a glance 2 offerings 2 supported tools 1 unsupported tool 1 policy " in home
    unsupported = (org / "public/unsupported/index.html").read_text()
    assert "tools/db-team/shared-pipelines/" in unsupported and "tools/hand-rolled-scripts/" in unsupported


def test_policy_pages_link_to_another_teams_offering(run: Callable[..., Result], org: Path) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    page = org / "content/welcome.md"
    page.write_text(page.read_text() + "\nOur pipelines keep their state in [Postgres](offering:db-team/postgres).\n")
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    html = (org / "public/policies/welcome/index.html").read_text()
    assert 'href="../../offerings/db-team/postgres/"' in html
    page.write_text(page.read_text().replace("offering:db-team/postgres", "offering:db-team/mysql"))
    broken = run("check", "--source", org)
    assert broken.exit_code == 1
    assert "broken link: no offering 'db-team/mysql'" in broken.output
    page.write_text(page.read_text().replace("offering:db-team/mysql", "offering:db-team/postgres#uptime"))
    no_anchor = run("build", "--source", org, "--no-versions")
    assert no_anchor.exit_code == 1
    assert "content/welcome.md:" in no_anchor.output
    assert "offering 'db-team/postgres' has no '#uptime' on its page" in no_anchor.output


def test_the_example_organisation_builds(tmp_path: Path) -> None:
    """`make org-site`: the platform catalog with the two member teams of examples/org/."""
    script = Path(__file__).parent.parent / "examples/org/build-org-site.sh"
    servicebook = Path(sys.executable).parent / "servicebook"
    done = subprocess.run(
        ["sh", str(script), str(tmp_path / "org-site")],
        env={**os.environ, "SERVICEBOOK": str(servicebook)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    public = tmp_path / "org-site/public"
    guide = (public / "policies/organisation/index.html").read_text()
    assert 'href="../../offerings/db-team/postgres/#slo-availability"' in guide
    teams = (public / "teams/index.html").read_text()
    assert "Terraform CLI: Database Services supports it; Platform Engineering lists it as deprecated" in teams
    assert "teams disagree: offering id 'dns-certificates'" in done.stderr
    assert (public / "offerings/network-team/load-balancers/index.html").is_file()
    traffic = (public / "policies/network-team/database-traffic/index.html").read_text()  # a cross-team link
    assert 'href="../../../offerings/db-team/postgres/#slo-availability"' in traffic
    assert 'href="../../db-team/backups/"' in traffic
    # the organisation's own records (organisation/<id>) and another team's tool
    assert 'href="../../../offerings/kubernetes-environments/"' in traffic
    assert 'href="../../change-approval/"' in traffic
    assert 'href="../../../tools/db-team/pgbouncer/"' in traffic
    pgpool = (public / "tools/network-team/pgpool/index.html").read_text()
    assert 'href="../../db-team/pgbouncer/">PgBouncer</a>' in pgpool
    redis = (public / "offerings/db-team/redis/index.html").read_text()
    assert 'href="../../kubernetes-environments/">' in redis
    # the portal exports describe the organisation's own offerings: members publish theirs
    entities = list(yaml.safe_load_all((public / "portals/backstage/catalog-info.yaml").read_text()))
    names = {e["metadata"]["name"] for e in entities}
    assert "ci-pipelines" in names and not [n for n in names if "/" in n or n.startswith(("db-team", "network-team"))]


def test_diff_of_a_lock_change_shows_what_each_moved_member_changed(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("diff", "HEAD", "--source", org, "--fail-on", "weakened")
    assert result.exit_code == 3
    assert "Member db-team moved from" in result.output
    weakened = result.output.split("#### Weakened commitments")[1].split("####")[0]
    assert "db-team: " in weakened and "99.95" in weakened and "99.9" in weakened
    as_json = run("diff", "HEAD", "--source", org, "--format", "json")
    assert '"subject": "offering:db-team/postgres"' in as_json.output


def test_a_members_rename_names_the_addresses_the_organisation_site_has(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The database team renames postgres to pg: the lock move's diff (and so the pull request's
    comment and the changes page) says the page moves from offerings/db-team/postgres/, where the
    organisation site publishes it, not from the member's own site's offerings/postgres/."""
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    text = MEMBER.format(**db.values).replace("  - id: postgres\n", "  - id: pg\n    renamed_from: [postgres]\n")
    db.publish_text("Rename postgres to pg", text.replace("alternative: postgres", "alternative: pg"))
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("diff", "HEAD", "--source", org)
    assert (
        "db-team: Offering “Postgres” moved from id postgres to pg (its page moves from offerings/db-team/postgres/ "
        "to offerings/db-team/pg/, and the old address sends readers on)"
    ) in result.output, result.output
    repo.commit("Lock db-team: pg")
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    assert (org / "public/offerings/db-team/postgres/index.html").is_file()  # the address the diff names
    assert "offerings/db-team/postgres/ to offerings/db-team/pg/" in (org / "public/changes/index.html").read_text()


def test_the_diff_says_when_the_teams_come_to_disagree_or_cease_to(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The pull request that deprecates a tool org-wide while a member team supports it changes no
    member's record, yet makes the teams disagree (a build warning, the Teams page, each decision's
    page): its comment says so (newuser20's 'Jenkins is unsupported org-wide' said only 'Tool
    Jenkins added'). So does a lock move after which they agree."""
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Support the shared pipelines", pipelines="supported")
    assert run("federate", "update", "--source", org).exit_code == 0
    agreed = run("diff", "HEAD", "--source", org)
    assert (
        "- Teams no longer disagree: Shared pipeline templates: Platform Team supports it; Database Team lists it "
        "as unsupported (use db-team/postgres instead)\n"
    ) in agreed.output, agreed.output
    repo.commit("Lock db-team")
    repo.edit(
        "    status: supported\n    reason: One template",
        "    status: deprecated\n    alternative: ci\n    reason: One template",
    )
    repo.edit("    alternative: shared-pipelines\n", "    alternative: ci\n")
    result = run("diff", "HEAD", "--source", org, "--format", "json")
    assert result.exit_code == 0, result.output
    (told,) = [c for c in json.loads(result.output)["changes"] if c["kind"].startswith("teams.")]
    assert told["kind"] == "teams.disagree" and told["subject"] == "tool:shared-pipelines"
    assert told["text"] == (
        "Teams now disagree: Shared pipeline templates: Database Team supports it; Platform Team lists it as "
        "deprecated (use ci instead)"
    )


def test_the_organisation_catalog_refers_to_a_members_offering(run: Callable[..., Result], org: Path) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    catalog = org / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    tools: [shared-pipelines", "    depends_on: [db-team/postgres]\n    tools: [shared-pipelines", 1
        )
    )
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    ci = (org / "public/offerings/ci/index.html").read_text()
    assert 'href="../db-team/postgres/"' in ci
    postgres = (org / "public/offerings/db-team/postgres/index.html").read_text()
    assert "Used by" in postgres and 'href="../../ci/"' in postgres
    catalog.write_text(catalog.read_text().replace("db-team/postgres]", "db-team/mysql]"))
    broken = run("check", "--source", org)
    assert broken.exit_code == 1
    assert "unknown offering 'db-team/mysql'" in broken.output


def test_a_change_that_refers_to_a_members_records_is_diffed_and_in_the_history(
    run: Callable[..., Result], org: Path
) -> None:
    """The organisation's CI offering comes to depend on the database team's postgres and its
    hand-rolled scripts name the team's offering as what to use: `check` and the build accept it,
    and so do the pull request's diff and the changes page, which read the catalog alone and
    refused it ('unknown offering db-team/postgres': no comment for the pull request, and the
    commit shown as not validating); a typo in it is still the build's error."""
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    repo.edit("    tools: [shared-pipelines", "    depends_on: [db-team/postgres]\n    tools: [shared-pipelines")
    repo.edit("    alternative: shared-pipelines\n", "    alternative: db-team/postgres\n")
    assert run("check", "--source", org).exit_code == 0
    result = run("diff", "HEAD", "--source", org)
    assert result.exit_code == 0, result.output
    assert "depends\\_on changed from none to db-team/postgres" in result.output, result.output
    repo.commit("CI keeps its state in the database team's Postgres")
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    changes = (org / "public/changes/index.html").read_text()
    assert "did not validate" not in changes
    assert "depends_on changed from none to db-team/postgres" in changes


def test_verify_rebuilds_an_organisation_site_from_the_locked_commits(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    (org / ".gitignore").write_text("/public/\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    assert run("build", "--source", org).exit_code == 0
    db.publish("Lower the availability objective", objective="99.9")  # the member moves on; the lock does not
    result = run("verify", "--source", org)
    assert result.exit_code == 0, result.output
    published = org / "public/offerings/db-team/postgres/index.html"
    published.write_text(published.read_text().replace("99.95", "99.99"))
    tampered = run("verify", "--source", org)
    assert tampered.exit_code == 1
    assert "offerings/db-team/postgres/index.html" in tampered.output


def test_promised_on_an_organisation_site_reads_each_member_at_the_commit_locked_that_day(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")  # 2026-05-28
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.clock += 86_400
    repo.commit("Move db-team")  # 2026-05-29: only the lock changed
    before = run("promised", "--at", "2026-05-28", "--source", org, "--offering", "db-team/postgres")
    assert before.exit_code == 0, before.output
    assert "99.95 %" in before.output
    after = run("promised", "--at", "2026-05-29", "--source", org, "--offering", "db-team/postgres")
    assert after.exit_code == 0, after.output
    assert "99.9 %" in after.output and "99.95 %" not in after.output


def test_promised_names_the_commit_whose_catalog_and_lock_were_in_effect_and_each_members_commit(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    first = db.work.git("rev-parse", "HEAD").strip()
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")  # 2026-05-28
    repo.clock += 86_400
    repo.edit("title:", "title: The organisation's")
    edited = repo.commit("catalog: a new title")  # 2026-05-29: only catalog.yaml changed
    lowered = db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.clock += 86_400
    moved = repo.commit("lock: db-team lowered")  # 2026-05-30: only servicebook.lock changed

    def promised(day: str, fmt: str) -> str:
        result = run("promised", "--at", day, "--source", org, "--offering", "db-team/postgres", "--format", fmt)
        assert result.exit_code == 0, result.output
        return result.output

    text = promised("2026-05-30", "text")
    assert f"from commit {moved[:12]} " in text and "lock: db-team lowered" in text
    assert f"commit {edited[:12]}" in text  # whose catalog.yaml it is
    assert f"db-team {lowered[:12]}" in text and "99.9 %" in text and "99.95 %" not in text
    document = json.loads(promised("2026-05-30", "json"))
    assert document["commit"]["id"] == moved and document["catalog_commit"] == edited
    assert [(m["id"], m["commit"], m["author"]) for m in document["members"]] == [("db-team", lowered, "Test Author")]
    # the day between the catalog's change and the lock's move: the lock in effect then, not the newest
    between = json.loads(promised("2026-05-29", "json"))
    assert between["commit"]["id"] == edited and between["catalog_commit"] == edited
    assert [(m["id"], m["commit"]) for m in between["members"]] == [("db-team", first)]
    assert between["offerings"][0]["slos"][0]["objective"] == "99.95"
    assert f"db-team {first[:12]}" in promised("2026-05-29", "text")


def test_a_release_of_an_organisation_site_shows_its_members_at_the_commits_locked_then(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    (org / ".gitignore").write_text("/public/\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    repo.tag("v0.1")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.edit('version: "0.1"', 'version: "0.2"')
    repo.commit("Move db-team")
    result = run("build", "--source", org)
    assert result.exit_code == 0, result.output
    assert "99.95 %" in (org / "public/v/0.1/offerings/db-team/postgres/index.html").read_text()
    current = (org / "public/offerings/db-team/postgres/index.html").read_text()
    promised, history = current.split('id="history"')
    assert "99.9 %" in promised and "99.95 %" not in promised
    assert "lowered from 99.95 % to 99.9 %" in history  # what the lock's move changed
    assert (org / "public/v/0.1/teams/index.html").is_file()


def test_a_commit_that_only_moves_the_lock_is_the_release_of_its_version(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The lock is a source of the site: a version is released by its last commit that changed
    catalog.yaml, content/, layouts/ or servicebook.lock, so a release says which member commits
    it showed, as an auditor asks (a note of 7 Dec thought lock-only commits were left out)."""
    repo = GitSite(org)
    (org / ".gitignore").write_text("/public/\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")
    repo.edit('version: "0.1"', 'version: "0.2"')
    repo.commit("Version 0.2")
    result = run("build", "--source", org)
    assert result.exit_code == 0, result.output
    assert "release cannot be built" not in result.output
    released = {v["version"]: v["commit"] for v in json.loads((org / "public/versions.json").read_text())}
    assert released["0.1"] == moved
    assert "99.9 %" in (org / "public/v/0.1/offerings/db-team/postgres/index.html").read_text()


def test_a_version_released_from_a_commit_without_its_lock_says_how_to_publish_it_all_the_same(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """Members committed without their lock (`git commit -a` after the first update), then a new
    version: the old version's release cannot be built, on every build, and its hint was "fix it
    in a new release" (newuser23). It says what does publish it: a tag on an earlier commit."""
    repo = GitSite(org)
    (org / ".gitignore").write_text("/public/\n/servicebook.lock\n")  # as if left out of the commit
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Members")
    (org / ".gitignore").write_text("/public/\n")
    repo.edit('version: "0.1"', 'version: "0.2"')
    repo.commit("Lock the members, version 0.2")
    result = run("build", "--source", org)
    assert result.exit_code == 0, result.output
    assert "release 0.1 (" in result.output and "warning: release cannot be built" in result.output
    assert (
        "hint: a published release is never rewritten: fix it in a later commit, or tag an earlier commit of this "
        "version that builds (docs/versions-and-releases.md)"
    ) in result.output


def test_a_member_catalog_in_a_sub_folder_and_a_folder_that_is_not_there(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    db.work.git("mv", "catalog.yaml", "catalog-only.yaml")
    db.work.write("site/catalog.yaml", MEMBER.format(**db.values))
    db.work.commit("Move the catalog into site/")
    db.work.git("push", "-q", str(db.bare), "main")
    root = organisation(
        tmp_path,
        f"  - id: db-team\n    repository: {db.url}\n    path: site\n"
        f"  - id: elsewhere\n    repository: {db.url}\n    path: docs/catalog\n",
    )
    result = run("federate", "update", "--source", root)
    assert result.exit_code == 3
    assert "updated: db-team: locked at" in result.output
    assert "refused: elsewhere: cannot read commit" in result.output and "no folder 'docs/catalog'" in result.output
    assert "it has one in 'site': write `path: site` under the member 'elsewhere'" in result.output
    assert set(locked(root)) == {"db-team"}


def test_a_member_that_moved_its_catalog_is_told_with_the_path_to_write_in_the_organisations_catalog(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The member's team moved its catalog into a folder (newuser17): its head is not invalid, the
    organisation's `path:` is out of date, and only the organisation can change it. It was 'file
    not found' with the hint to point --source at the folder that holds catalog.yaml, and 'once
    its team has fixed them there'."""
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["db-team"]
    db.work.root.joinpath("svc").mkdir()
    db.work.git("mv", "catalog.yaml", "svc/catalog.yaml")
    moved = db.work.commit("Move the catalog into svc/")
    db.work.git("push", "-q", str(db.bare), "main")
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert (
        f"refused: db-team: commit {moved[:12]} of main has no catalog.yaml in the folder '.' (its `path:`); "
        f"staying at {good[:12]}: it has one in 'svc': write `path: svc` under the member 'db-team' in "
        "catalog.yaml, then run `servicebook federate update db-team` again"
    ) in result.output
    assert "--source" not in result.output and "its team has fixed" not in result.output
    assert locked(org) == {"db-team": good}
    catalog = org / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    site: https://db.example.com/\n", "    path: svc\n"))
    assert run("federate", "update", "--source", org).exit_code == 0
    assert locked(org) == {"db-team": moved}


def test_a_member_commit_with_a_link_out_of_its_folder_is_refused_unread(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["db-team"]
    (db.work.root / "content").mkdir()
    (db.work.root / "content" / "secrets.md").symlink_to("/etc/passwd")
    bad = db.work.commit("A link to a file outside the repository")
    db.work.git("push", "-q", str(db.bare), "main")
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert f"refused: db-team: cannot read commit {bad[:12]}: cannot unpack the member's files" in result.output
    assert locked(org) == {"db-team": good}


def test_a_member_checked_once_at_a_commit_is_remembered_in_the_sites_store_and_a_damaged_entry_is_a_miss(
    run: Callable[..., Result], org: Path, tmp_path: Path
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    commit = locked(org)["db-team"]
    key = digest("db-team", commit, ".", "https://db.example.com/")  # the member, its commit, its folder (and site)
    with Store.for_site(org) as store:
        assert store.has(MEMBER_KIND, key)  # written when `update` checked the head, in the one store
    assert not list((org / ".servicebook-cache/members").glob("**/*.json"))  # and nowhere else
    exported = org / f".servicebook-cache/members/db-team/{commit}"
    shutil.rmtree(exported)  # the exported files: not needed once remembered
    first = run("build", "--source", org, "--no-versions", "--output", tmp_path / "first")
    assert first.exit_code == 0, first.output
    assert not exported.exists()  # read from the store, not exported again
    with sqlite3.connect(store_file(org / ".servicebook-cache")) as db:  # damage every stored entry
        db.execute("UPDATE entries SET data = '{\"catalog\": {}}'")
    second = run("build", "--source", org, "--no-versions", "--output", tmp_path / "second")
    assert second.exit_code == 0, second.output
    assert "had been altered (a member team at a commit" in second.output
    page = "offerings/db-team/postgres/index.html"
    assert (tmp_path / "first" / page).read_bytes() == (tmp_path / "second" / page).read_bytes()
    assert exported.is_dir()  # read again, and remembered again
    with Store.for_site(org) as store:
        assert store.get(MEMBER_KIND, [key])


def test_update_drops_the_entry_of_a_team_that_is_no_longer_a_member(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    catalog = org / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("  - id: db-team\n", "  - id: databases\n"))
    stale = run("check", "--source", org)
    assert "'db-team' is locked but not a member in catalog.yaml" in stale.output
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 0, result.output
    assert "servicebook.lock: 1 member moved; dropped db-team (no longer a member)" in result.output
    assert set(locked(org)) == {"databases"}


def test_the_changes_page_and_feed_carry_what_a_lock_move_changed_in_a_member(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")  # a commit that only moves the lock
    public = tmp_path / "public"
    result = run("build", "--source", org, "--no-versions", "--output", public)
    assert result.exit_code == 0, result.output
    changes = (public / "changes/index.html").read_text()
    entry = changes.split(f'id="c-{moved[:12]}"')[1].split("</section>")[0]
    assert "Move db-team" in entry and "1 weakens a commitment" in entry
    assert "Database Team: SLO “Availability” of “Postgres” lowered from 99.95 % to 99.9 %" in entry
    assert "Member db-team moved from" in entry
    feed = (public / "changes/feed.xml").read_text()
    item = feed.split("<title>Move db-team (1 weakens a commitment)</title>")[1].split("</entry>")[0]
    assert "WEAKENS A COMMITMENT: Database Team: SLO “Availability”" in item
    assert "<updated>" + (repo.git("log", "-1", "--format=%cI", moved).strip()[:19]) in item
    # the member's offering page shows it in its own history, dated by the lock's commit
    offering = (public / "offerings/db-team/postgres/index.html").read_text()
    history = offering.split('id="history"')[1]
    assert moved[:12] in history and "Database Team: SLO “Availability” of “Postgres” lowered" in history
    # the same build again reads what the lock moves changed from the store, with the same bytes
    shutil.rmtree(org / ".servicebook-cache/members/db-team.git")
    again = run("build", "--source", org, "--no-versions", "--output", tmp_path / "again")
    assert "federate fetch" in again.output  # the members themselves are gone: the build says so
    assert run("federate", "fetch", "--source", org).exit_code == 0
    rebuilt = run("build", "--source", org, "--no-versions", "--output", tmp_path / "again")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (tmp_path / "again/changes/index.html").read_text() == changes


def test_a_fresh_clone_fetches_the_commits_earlier_locks_held_off_the_followed_branch(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    first = locked(org)["db-team"]
    # the team rewrites main, keeping the old commit on another branch, and the rewrite is accepted
    db.work.git("push", "-q", str(db.bare), "main:refs/heads/before-rewrite")
    db.values["objective"] = "99.9"
    db.work.write("catalog.yaml", MEMBER.format(**db.values))
    db.work.git("add", "-A")
    db.work.git("commit", "-q", "--amend", "-m", "Initial catalog, rewritten")
    db.work.git("push", "-q", "--force", str(db.bare), "main")
    assert run("federate", "update", "--accept-rewrite", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")
    built = run("build", "--source", org, "--no-versions", "--output", tmp_path / "first")
    assert built.exit_code == 0, built.output
    changes = (tmp_path / "first/changes/index.html").read_text()
    entry = changes.split(f'id="c-{moved[:12]}"')[1].split("</section>")[0]
    assert "lowered from 99.95 % to 99.9 %" in entry
    # a fresh clone: `federate fetch` gets the followed branch, and the commit the first lock held
    shutil.rmtree(org / ".servicebook-cache")
    fetched = run("federate", "fetch", "--source", org)
    assert fetched.exit_code == 0, fetched.output
    assert "gone" not in fetched.output
    again = run("build", "--source", org, "--no-versions", "--output", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again/changes/index.html").read_text() == changes
    # once the old commit is gone from the member's repository too, fetch says so and still succeeds
    shutil.rmtree(org / ".servicebook-cache")
    db.work.git("push", "-q", str(db.bare), ":refs/heads/before-rewrite")
    subprocess.run(["git", "-C", str(db.bare), "gc", "-q", "--prune=now"], check=True)
    gone = run("federate", "fetch", "--source", org)
    assert gone.exit_code == 0, gone.output
    assert f"commits earlier locks held are gone from {db.url} ({first[:12]})" in gone.output


BACKUPS = """\
---
title: Backups
summary: How we back up every cluster.
offerings: [postgres]
---

Every [Postgres](offering:postgres) cluster is backed up nightly; see the
[availability objective](offering:postgres#slo-availability), our [support](site:support) and how to
[ask for a restore](restores/asking.md#by-ticket).

![The backup schedule](schedule.png)
"""

ASKING = """\
---
title: Asking for a restore
---

## By ticket

Open a ticket; [backups](../backups.md) says how often they are made.
"""


def test_member_policy_pages_are_gathered_under_its_prefix_with_their_links_leading_there(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    db.work.write("content/backups.md", BACKUPS)
    db.work.write("content/restores/asking.md", ASKING)
    (db.work.root / "content/schedule.png").write_bytes(png)
    db.publish_text(
        "Backups policy", MEMBER.format(**db.values).replace("    slos:", "    policies: [backups]\n    slos:")
    )
    catalog = org / "catalog.yaml"  # the organisation's pages link to its forge's editor; members' do not
    catalog.write_text(
        catalog.read_text().replace("site:\n", "site:\n  repository: https://github.com/example/org\n", 1)
    )
    (org / "content/teams-together.md").write_text(
        "---\ntitle: Teams\n---\n\nThe database team's [restores](page:db-team/restores/asking#by-ticket).\n"
    )
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    public = org / "public"
    page = (public / "policies/db-team/backups/index.html").read_text()
    assert 'Team: <a href="../../../teams/db-team/">Database Team</a>' in page
    assert 'href="../../../offerings/db-team/postgres/"' in page
    assert 'href="../../../offerings/db-team/postgres/#slo-availability"' in page
    assert 'href="https://db.example.com/support/"' in page  # the member's own support page, on its own site
    assert 'href="asking/#by-ticket"' not in page and 'href="../restores/asking/#by-ticket"' in page
    assert 'src="../schedule.png"' in page and (public / "policies/db-team/schedule.png").read_bytes() == png
    assert "/edit/" not in page  # edited in the member's repository, not this one
    asking = (public / "policies/db-team/restores/asking/index.html").read_text()
    assert 'href="../../backups/"' in asking
    own = (public / "policies/teams-together/index.html").read_text()
    assert 'href="../db-team/restores/asking/#by-ticket"' in own
    assert "https://github.com/example/org/edit/main/content/teams-together.md" in own
    offering = (public / "offerings/db-team/postgres/index.html").read_text()
    assert 'href="../../../policies/db-team/backups/"' in offering  # the member offering's `policies:`
    assert (
        "/edit/" not in offering and "/edit/" not in (public / "tools/db-team/shared-pipelines/index.html").read_text()
    )
    assert (
        'Backups</strong></a> <span class="muted small">(Database Team)' in (public / "policies/index.html").read_text()
    )
    chunks = sorted((public / "search/r").glob("*.json"), key=lambda p: int(p.stem))
    found = {r["t"]: r["u"] for chunk in chunks for r in json.loads(chunk.read_text())["records"]}
    assert found["Backups (Database Team)"] == "policies/db-team/backups/"
    document = json.loads((public / "catalog.json").read_text())
    sources = {p["slug"]: p["source"] for p in document["pages"]}
    commit = locked(org)["db-team"]
    assert sources["db-team/backups"] == f"members/db-team@{commit[:12]}/content/backups.md"


def test_an_organisation_page_in_a_folder_named_like_a_member_is_an_error(
    run: Callable[..., Result], org: Path
) -> None:
    (org / "content/db-team").mkdir()
    (org / "content/db-team/notes.md").write_text("---\ntitle: Notes\n---\n\nNotes.\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("check", "--source", org)
    assert result.exit_code == 1
    assert "content/db-team/notes.md: error: page content/db-team/notes.md would be published among member" in (
        result.output
    )


def test_diff_of_a_lock_change_reads_a_member_whose_offerings_name_its_policy_pages(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    repo = GitSite(org)
    with_policy = MEMBER.replace("    slos:", "    policies: [backups]\n    slos:")
    db.work.write("content/backups.md", BACKUPS.replace("![The backup schedule](schedule.png)\n", ""))
    db.work.write("content/restores/asking.md", ASKING)
    db.publish_text("Backups policy", with_policy.format(**db.values))
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.values["objective"] = "99.9"
    db.publish_text("Lower the availability objective", with_policy.format(**db.values))
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("diff", "HEAD", "--source", org)
    assert "does not validate" not in result.output
    assert "db-team: SLO “Availability” of “Postgres” lowered from 99.95 % to 99.9 %" in result.output


def test_a_member_without_a_site_of_its_own_has_its_fixed_pages_lead_to_its_team_page(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    db.work.write(
        "content/oncall.md", "---\ntitle: On call\n---\n\nPage [on-call](site:support#on-call), or [home](site:).\n"
    )
    db.publish("On-call page")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output  # no anchor the team page lacks: the link check passes
    page = (org / "public/policies/db-team/oncall/index.html").read_text()
    assert page.count('href="../../../teams/db-team/"') >= 3  # both links, and the team label


def test_an_uncommitted_lock_move_is_on_the_changes_page_as_the_working_trees(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0  # not committed
    result = run("build", "--source", org, "--no-versions", "--output", tmp_path / "public")
    assert result.exit_code == 0, result.output
    changes = (tmp_path / "public/changes/index.html").read_text()
    entry = changes.split('id="working-tree"')[1].split("</section>")[0]
    assert "Database Team: SLO “Availability” of “Postgres” lowered from 99.95 % to 99.9 %" in entry


def test_serve_rebuilds_when_servicebook_lock_moves_a_member(run: Callable[..., Result], org: Path, db: Member) -> None:
    # `federate update` while `serve` runs: the preview shows the member at its new commit.
    assert run("federate", "update", "--source", org).exit_code == 0
    lines: list[str] = []
    preview = Preview(org, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lines.append, lines.append)
    slos = preview.output / "slos" / "index.html"
    with watched(preview):
        assert "99.95" in slos.read_text()
        db.publish("Stricter", objective="99.99")
        assert run("federate", "update", "--source", org).exit_code == 0
        wait_for(
            lambda: "99.99" in slos.read_text(), what="the member's new objective", output=lambda: "\n".join(lines)
        )
    assert any("servicebook.lock changed: rebuilt" in line for line in lines), lines


def test_verify_in_a_fresh_clone_without_the_members_says_on_lines_of_their_own_to_fetch_them(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    """An auditor verifying a downloaded organisation site from a fresh clone: the members are not
    in its cache yet. The rebuild's problem is printed as the build prints it, on lines of its own
    with its hint (it was folded into one line with literal '\\n's), and names no other cause."""
    repo = GitSite(org)
    (org / ".gitignore").write_text("/public/\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    assert run("build", "--source", org).exit_code == 0
    clone = tmp_path / "audit"
    subprocess.run(["git", "clone", "-q", str(org), str(clone)], check=True)
    result = run("verify", "--source", clone, "--site", org / "public")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith("error: commit ") and lines[0].endswith(
        "cannot be rebuilt from this checkout by this servicebook (1 error):"
    )
    assert "\\n" not in result.output
    assert lines[1].startswith("catalog.yaml:") and "locked commit" in lines[1] and "is not in the cache" in lines[1]
    assert any(line.strip().startswith("hint: run `servicebook federate fetch`") for line in lines[2:])
    assert run("federate", "fetch", "--source", clone).exit_code == 0
    assert run("verify", "--source", clone, "--site", org / "public").exit_code == 0


def test_a_member_without_the_followed_branch_is_told_its_branches_and_the_ref_to_write(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """`ref` defaults to main, and a repository made by a plain `git init` has master: the refusal
    names the branches it has and the line to write, instead of leaving a guess."""
    subprocess.run(["git", "-C", str(db.bare), "branch", "-m", "main", "master"], check=True)
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3
    assert (
        f"db-team: no branch or tag 'main' in {db.url}; it has one branch, master: "
        "write `ref: master` under the member 'db-team' in catalog.yaml"
    ) in result.output
    catalog = org / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    site: https://db.example.com/\n", "    ref: master\n"))
    assert run("federate", "update", "--source", org).exit_code == 0


def test_a_lock_move_names_the_member_commits_it_brings_with_their_authors(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    """Who lowered a member's SLO, and why: the lock's commit is the organisation's (who moved the
    lock); the move names the member's own commits, their authors and messages, in `diff`, on the
    changes page and in `promised` (they said only 'Member db-team moved from … to …')."""
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.work.git("config", "user.name", "Bea DB")
    reworded = db.publish("Reword the mission", what="PostgreSQL")
    lowered = db.publish("Lower the availability objective: the new storage cannot meet 99.95", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")
    brought = (
        f"; its 2 commits: {lowered[:12]} of 2026-05-28 by Bea DB: Lower the availability objective: the new "
        f"storage cannot meet 99.95; {reworded[:12]} of 2026-05-28 by Bea DB: Reword the mission"
    )
    diff = run("diff", "HEAD~1", "HEAD", "--source", org)
    assert brought in diff.output
    public = tmp_path / "public"
    assert run("build", "--source", org, "--no-versions", "--output", public).exit_code == 0
    entry = (public / "changes/index.html").read_text().split(f'id="c-{moved[:12]}"')[1].split("</section>")[0]
    assert brought in entry
    promised = run("promised", "--at", "2026-05-28", "--source", org, "--offering", "db-team/postgres")
    stamp = int(db.work.git("log", "-1", "--format=%ct", lowered))
    date = dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M")
    assert (
        f"Members, at their locked commits:\n  db-team {lowered[:12]} of {date} UTC by Bea DB: Lower the "
        "availability objective: the new storage cannot meet 99.95\n"
    ) in promised.output


def test_a_member_offerings_history_names_who_wrote_a_change_and_who_moved_the_lock(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    """The offering's History said 'By' the organisation's commit author, who only moved the lock,
    as if they had lowered the database team's SLO (interop8)."""
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.work.git("config", "user.name", "Bea DB")
    db.publish("Lower the availability objective", objective="99.9")
    assert run("federate", "update", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")
    mover = repo.git("log", "-1", "--format=%an", moved).strip()
    assert mover != "Bea DB"
    public = tmp_path / "public"
    assert run("build", "--source", org, "--no-versions", "--output", public).exit_code == 0
    history = (public / "offerings/db-team/postgres/index.html").read_text().split('id="history"')[1]
    at = history.index(moved[:12])
    row = history[history.rindex("<tr>", 0, at) : history.index("</tr>", at)]
    assert f'<td>Bea DB <span class="muted small">(lock moved by {mover})</span></td>' in row


def test_a_lock_set_by_hand_to_an_invalid_member_commit_points_to_its_errors_where_they_are(
    run: Callable[..., Result], org: Path, db: Member
) -> None:
    """The build lists the member's errors after the organisation's catalog.yaml (paths in order),
    so the member's line names where they are; it said '(see above)' with them below it."""
    good = db.work.git("rev-parse", "HEAD").strip()
    assert run("federate", "update", "--source", org).exit_code == 0
    broken = db.publish("Tighten the objective", objective="101")
    lock = org / "servicebook.lock"
    lock.write_text(lock.read_text().replace(good, broken))
    assert run("federate", "fetch", "--source", org).exit_code == 0
    result = run("build", "--source", org)
    assert result.exit_code == 1
    assert "see above" not in result.output
    said = f"member 'db-team' is not valid at its locked commit {broken[:12]} (its errors are at members/db-team@{broken[:12]}/…)"
    assert said in result.output
    assert result.output.index(said) < result.output.index(f"members/db-team@{broken[:12]}/catalog.yaml:")


def test_a_member_given_as_a_relative_folder_is_looked_for_beside_the_checkout_and_the_message_says_so(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    """An auditor clones the organisation site elsewhere: `repository: ../db` now leads to a folder
    that is not there. git's 'does not appear to be a git repository' named the path, not that it
    comes from the checkout's place, nor what to do."""
    org = organisation(tmp_path, "  - id: db-team\n    repository: ../db.git\n")
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    clone = tmp_path / "audit" / "org"
    clone.parent.mkdir()
    subprocess.run(["git", "clone", "-q", str(org), str(clone)], check=True)
    result = run("federate", "fetch", "--source", clone)
    assert result.exit_code == 3
    assert (
        "; a member given as a folder is looked for from the folder of catalog.yaml "
        f"(here {tmp_path / 'audit' / 'db.git'}): put a clone of it there, or give its repository as an "
        "address every checkout reaches"
    ) in result.output
