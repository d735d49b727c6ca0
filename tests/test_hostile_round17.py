"""Hostile inputs of 7 Dec 2026 (seventeenth round): another team's catalog and repository, and the
evidence an auditor trusts. A member team's records that read as the organisation's (its team named
like ours, an owner of ours, our on-call filling its support, its decisions unlabelled in our lists),
its history rewritten under the lock, a Git LFS pointer where its image was; the snapshots of
`servicebook measure` edited or added late, what `measure` quotes of the catalog's own queries into
a CI job's log, and a bare issue address in a name that the pull-request comment linked."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest

from servicebook.errors import printable

from . import test_hostile_round5, test_hostile_round16
from .conftest import GitSite
from .test_federation import MEMBER, Member, organisation

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


def snapshot_of(end: str, reason: str = "the server was down") -> str:
    """A snapshot as `measure` writes it, of the minimal site's one SLO, not measured for `reason`."""
    day = dt.datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ")
    slo = {
        "offering": "ci",
        "slo": "availability",
        "objective": "99.5",
        "window": "30d",
        "start": f"{day - dt.timedelta(days=30):%Y-%m-%dT%H:%M:%SZ}",
        "end": end,
        "shape": "error_ratio",
        "queries": {},
        "reason": reason,
    }
    snapshot = {
        "servicebook_measurements": 1,
        "end": end,
        "server": "http://127.0.0.1:9090",
        "catalog": {"commit": None, "dirty": False},
        "generator": "servicebook 0.3.0",
        "slos": [slo],
        "not_defined": [],
    }
    return json.dumps(snapshot, indent=2) + "\n"


def _entry(public: Path, commit: str) -> str | None:
    """The changes page's entry of `commit` (None: the page has none)."""
    page = (public / "changes/index.html").read_text()
    anchor = f'id="c-{commit[:12]}"'
    return page.split(anchor)[1].split("</section>")[0] if anchor in page else None


@pytest.mark.git
def test_the_sites_history_shows_a_snapshot_edited_removed_or_added_long_after_what_it_measures(
    git_site: GitSite, run, tmp_path: Path
) -> None:
    """`diff` flags a measurement snapshot a pull request edited or removed, but the site's changes
    page, where an auditor reads what happened when, listed only commits to the catalog and the
    pages: once merged, the edit left no trace there. And a snapshot added for a window long past
    (a March measured in May, or written by hand) read as measured in March. Each is an entry of
    the changes page, flagged, with the commit, its date and author; a snapshot committed as
    `measure` takes it is a routine that makes no entry."""
    taken = "measurements/2026-05-28T00-00-00Z.json"
    git_site.write(taken, snapshot_of("2026-05-28T00:00:00Z"))
    routine = git_site.commit("Measurements: 2026-05-28T00-00-00Z.json")
    git_site.write(taken, snapshot_of("2026-05-28T00:00:00Z", "the server was up"))
    edited = git_site.commit("Tidy the measurements")
    backfilled = "measurements/2026-03-31T00-00-00Z.json"
    git_site.write(backfilled, snapshot_of("2026-03-31T00:00:00Z"))
    late = git_site.commit("Measure March")
    (git_site.root / taken).unlink()
    removed = git_site.commit("Drop a snapshot")
    day = git_site.git("log", "-1", "--format=%cd", "--date=format:%Y-%m-%d", late).strip()
    added_late = (
        f"Measurement snapshot {backfilled} added 58 days after the end of what it measures (2026-03-31 00:00 UTC), "
        f"on {day}: the site and `promised` show it as measured then, and a broken promise can read as kept "
        "(`measure` commits a snapshot as it is taken)"
    )
    result = run("diff", "--source", git_site.root, "HEAD~2", "HEAD~1", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 3, result.output
    assert [(c["kind"], c["effect"], c["text"]) for c in json.loads(result.stdout)["changes"]] == [
        ("measurement.added", "weakened", added_late)
    ]
    public = tmp_path / "public"
    built = run("build", "--source", git_site.root, "--no-versions", "--output", public)
    assert built.exit_code == 0, built.output
    assert _entry(public, routine) is None
    shown = {commit: _entry(public, commit) or "" for commit in (edited, late, removed)}
    assert f"Measurement snapshot {taken} changed: what was measured then now reads differently" in shown[edited]
    assert html.escape(added_late, quote=False) in shown[late]
    assert f"Measurement snapshot {taken} removed: what was measured then is no longer shown" in shown[removed]
    assert all("1 weakens a commitment" in entry for entry in shown.values())
    feed = (public / "changes/feed.xml").read_text()
    assert f"Measurement snapshot {taken} removed" in feed


OUR_ONCALL = 'Page "platform-oncall" in the paging tool.'


@pytest.mark.git
def test_a_member_team_without_an_on_call_is_shown_without_one_not_with_the_organisations(run, tmp_path: Path) -> None:
    """A member offering's support is its own team's, and the organisation's team-wide support
    fills what an offering leaves out: a member team with no on-call had the organisation's. Its
    Postgres page said "on call outside those hours" and told readers to page the platform team's
    on-call for the database team's incidents, and `promised` and `catalog.json` said the
    organisation's on-call answered for it. It has none, said as such (in `catalog.json`, an
    `oncall` of null: an offering's `support` without one reads as taking the team-wide one)."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    GitSite(org).commit("Lock the members")
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    public = org / "public"
    page = (public / "offerings/db-team/postgres/index.html").read_text()
    assert "no one is on call outside them" in page
    assert "platform-oncall" not in page and "on call outside those hours" not in page
    assert "platform-oncall" in (public / "offerings/ci/index.html").read_text()  # the organisation's own
    document = json.loads((public / "catalog.json").read_text())
    (postgres,) = (o for o in document["offerings"] if o["id"] == "db-team/postgres")
    assert "oncall" not in postgres["effective_support"]
    # its own team's, whole: none, said (an offering's `support` leaving a part out takes the team-wide one)
    assert (postgres["support"]["oncall"], postgres["support"]["escalation"]) == (None, [])
    asked = ("promised", "--source", org, "--at", "2026-05-28", "--offering", "db-team/postgres")
    promised = run(*asked, "--format", "json")
    assert promised.exit_code == 0, promised.output
    (answer,) = json.loads(promised.stdout)["offerings"]
    assert answer["support"]["oncall"] is None
    text = run(*asked).stdout
    assert "#db-help" in text and "platform-oncall" not in text


@pytest.mark.git
@pytest.mark.parametrize(
    "named", ["Platform Team", "PLATFORM  team", "Plаtform Team"], ids=["same", "case", "cyrillic"]
)
def test_a_member_team_named_like_the_organisations_own_is_labelled_with_its_member_id(
    run, tmp_path: Path, named: str
) -> None:
    """Every member offering says whose it is ("Team: Database Team", on its page, in the lists
    and in search). A member team that named itself as the organisation's team is named (its
    catalog passes its own check) had its Postgres read "Team: Platform Team": ours, to a reader.
    Its records carry its member id after the name, and the build says why."""
    db = Member(tmp_path, "db", named)
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    shown = f"{named} (db-team)"
    said = (
        f"warning: db-team's team is named '{printable(named)}' in its catalog, like the organisation's team: its "
        f"records are labelled '{printable(shown)}', so that readers can tell whose promises they are"
    )
    assert said in result.output
    public = org / "public"
    page = (public / "offerings/db-team/postgres/index.html").read_text()
    assert f"Team: {html.escape(shown)}" in re.sub(r"<[^>]+>", "", page)
    assert "Team: Platform Team" not in re.sub(r"<[^>]+>", "", page).replace(shown, "")
    chunks = sorted((public / "search/r").glob("*.json"), key=lambda p: int(p.stem))
    titles = {r["t"] for chunk in chunks for r in json.loads(chunk.read_text())["records"]}
    assert f"Postgres ({shown})" in titles and "CI pipelines" in titles
    assert run("build", "--source", org, "--no-versions", "--strict").exit_code == 1


@pytest.mark.git
def test_member_teams_named_apart_keep_their_names(run, tmp_path: Path) -> None:
    """Held: a member team named as no other keeps its name as written."""
    db = Member(tmp_path, "db", "Platform Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert (
        "named-alike" not in result.output
        and "(db-team)" not in (org / "public/offerings/db-team/postgres/index.html").read_text()
    )


def _text(page: Path, section: str = 'id="main"') -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text().split(section)[1]))


@pytest.mark.git
def test_a_member_teams_unsupported_tool_is_not_shown_as_the_organisations_decision(run, tmp_path: Path) -> None:
    """The database team does not support the shared pipeline templates, which the organisation
    supports. Its decision stood, without its team's name, on the organisation's "What we do not
    support" page and on the home page's "What we do not support, or are leaving" (its Postgres
    under "What we provide"): the organisation's readers read that the platform team had dropped
    its own templates. Every member record in those lists carries its team's name, as the tools,
    offerings and SLO lists already did."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    public = org / "public"
    unsupported = _text(public / "unsupported/index.html")
    assert "A member team's decision carries its team's name: it is that team's, not ours." in unsupported
    assert "Shared pipeline templates (Database Team) Continuous integration Unsupported Our own reasons." in (
        unsupported
    )
    home = _text(public / "index.html")
    assert "Shared pipeline templates (Database Team) Unsupported → use Postgres" in home
    assert "Postgres (Database Team) Generally available" in home
    assert "CI pipelines Generally available" in home  # the organisation's own, as they were
    assert "Hand-rolled CI scripts Unsupported" in home


@pytest.mark.git
def test_a_bare_address_of_an_issue_in_a_name_links_nothing_in_the_comment(git_site: GitSite, run) -> None:
    """GitHub makes a link of a bare address (`https://…`, `www.…`) in a comment, and a link to an
    issue or a pull request puts "mentioned this" on its timeline, as `#12` does: a name holding
    the address of another project's issue had every push of the pull request backlink it. The
    comment shows the address as written, and GitHub links nothing in it."""
    name = "CI, see https://github.com/acme/app/issues/7, HTTP://x.example/pull/2 and www.example.com/a"
    git_site.edit("  - id: ci\n    name: CI pipelines\n", f'  - id: ci\n    name: "{name}"\n')
    git_site.commit("Rename")
    comment = run("diff", "--source", git_site.root, "HEAD~1", "HEAD").stdout
    (row,) = [line for line in comment.splitlines() if line.startswith("- ")]
    assert not re.search(r"(?i)(https?://|(?<![0-9a-z])www\.)", row)
    shown = test_hostile_round16._shown(row).replace("\u200b", "").strip()
    assert shown == f"Offering ci renamed from “CI pipelines” to “{name}”"


@pytest.mark.git
def test_a_member_offering_renamed_from_an_organisation_offerings_id_sends_on_only_from_its_own_address(
    run, tmp_path: Path
) -> None:
    """Held (seventeenth round): a member's old ids are its own, under its prefix. The database
    team's Postgres "renamed from" `ci`, the organisation's CI pipelines: the organisation's page
    stays its own, and the page that sends readers on is at offerings/db-team/ci/."""
    db = Member(tmp_path, "db", "Database Team")
    db.publish_text(
        "Claim ci", MEMBER.format(**db.values).replace("    summary:", "    renamed_from: [ci]\n    summary:", 1)
    )
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    public = org / "public"
    assert (
        "Shared pipelines that build and test every merge request." in (public / "offerings/ci/index.html").read_text()
    )
    moved = (public / "offerings/db-team/ci/index.html").read_text()
    assert 'href="../postgres/"' in moved or "offerings/db-team/postgres/" in moved


LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)
PAGE = "---\ntitle: Backups\n---\n\n# Backups\n\n![How backups flow](diagram.png)\n"


@pytest.mark.git
def test_a_linked_file_that_is_a_git_lfs_pointer_is_named_not_published_as_the_image_in_silence(
    run, tmp_path: Path, site_copy
) -> None:
    """Git LFS keeps a file in git as a pointer of three lines. A checkout without LFS (GitHub's
    actions/checkout by default), a release (`git archive`) and a member team's repository as the
    organisation fetches it hold the pointer where the image was: the site published its text as
    the image, a broken picture, and nothing said why. The build warns, at the file, saying how to
    get the file; the organisation's build names it in the member's file."""
    site = site_copy("minimal")
    (site / "content/backups.md").write_text(PAGE)
    (site / "content/diagram.png").write_text(LFS_POINTER)
    result = run("build", "--source", site, "--output", tmp_path / "out")
    assert result.exit_code == 0, result.output
    said = (
        "content/diagram.png: warning: this is a Git LFS pointer, not the file it stands for: the site would "
        "publish the pointer's text in its place (a broken image)"
    )
    assert said in result.output
    assert run("check", "--source", site, "--strict").exit_code == 1
    db = Member(tmp_path, "db", "Database Team")
    db.work.write("content/backups.md", PAGE)
    db.work.write("content/diagram.png", LFS_POINTER)
    pointed = db.publish("Add the backups page")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    updated = run("federate", "update", "--source", org)
    assert updated.exit_code == 0, updated.output
    built = run("build", "--source", org, "--no-versions")
    assert f"members/db-team@{pointed[:12]}/{said}" in built.output


@pytest.mark.git
def test_a_member_offering_whose_owner_names_the_organisations_team_is_a_warning(run, tmp_path: Path) -> None:
    """A member offering's `owner` is its team's own text: the database team wrote "Platform Team",
    the organisation's team, and its Postgres read "Owner: Platform Team · Team: Database Team", as
    if the platform team answered for it. The build warns at the member's entry (a failure under
    `--strict`); an owner of its own team, a person, is no warning."""
    db = Member(tmp_path, "db", "Database Team")
    db.publish_text(
        "Name an owner", MEMBER.format(**db.values).replace("    owner: Database Team\n", "    owner: platform team\n")
    )
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    assert (
        "warning: db-team's offering 'postgres' names 'platform team', the organisation's team, as its owner: its "
        "page reads as if that team answered for it"
    ) in result.output
    assert run("build", "--source", org, "--no-versions", "--strict").exit_code == 1
    db.publish("Name ourselves again")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert "as its owner" not in run("build", "--source", org, "--no-versions").output


@pytest.mark.git
def test_an_offering_that_relies_on_a_member_offering_names_its_team(run, tmp_path: Path) -> None:
    """The organisation's CI pipelines rely on the database team's Postgres: its page said "Relies
    on: Postgres", which reads as an offering of ours. A linked member offering carries its team's
    name there, as in every list; a member team renaming itself renders that page again."""
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {db.url}\n")
    catalog = org / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    tools: [shared-pipelines", "    depends_on: [db-team/postgres]\n    tools: [shared-pipelines", 1
        )
    )
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    ci = org / "public/offerings/ci/index.html"
    assert "Relies on: Postgres (Database Team) ." in _text(ci)
    db.publish("Rename the team", team="Data Platform Team")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org, "--no-versions").exit_code == 0
    assert "Relies on: Postgres (Data Platform Team) ." in _text(ci)
    assert "Postgres (Data Platform Team) Generally available" in _text(org / "public/index.html")
