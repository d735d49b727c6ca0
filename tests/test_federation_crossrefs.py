"""Members referring to each other's records (`offering:db-team/postgres` in the app team's page,
`depends_on: [db-team/postgres]` in its catalog): links to the organisation site on the member's
own site, resolved and checked at the lock's commits on the organisation's, and never locked
dangling by `federate update`. Members are local bare repositories reached over file://."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from .conftest import GitSite
from .test_federation import MEMBER, Member, locked, organisation

pytestmark = pytest.mark.git

ORG_SITE = "https://catalog.example.com/"

GUIDE = """\
---
title: Deploying the web platform
---

Sessions live in the database team's [Postgres](offering:db-team/postgres), within its
[availability objective](offering:db-team/postgres#slo-availability); restores follow
[their backups policy](page:db-team/backups#restores).
"""

BACKUPS = """\
---
title: Backups
---

## Restores

Open a ticket.
"""


def app_catalog(member: Member, *, organisation: bool = True, depends_on: str = "db-team/postgres") -> str:
    """The app team's catalog: its `web` offering relies on another team's offering, and its
    unsupported tool's alternative is another team's offering."""
    text = MEMBER.format(**member.values)
    text = text.replace("    slos:", f"    depends_on: [{depends_on}]\n    slos:", 1)
    text = text.replace("    alternative: web", f"    alternative: {depends_on}", 1)
    if organisation:
        text = text.replace('version: "1.0"\n', f'version: "1.0"\norganisation: {ORG_SITE}\n', 1)
    return text


@pytest.fixture
def db(tmp_path: Path) -> Member:
    db = Member(tmp_path, "db", "Database Team")
    db.work.write("content/backups.md", BACKUPS)
    db.publish("Backups policy")
    return db


@pytest.fixture
def app(tmp_path: Path) -> Member:
    app = Member(tmp_path, "app", "App Platform", offering="web")
    app.work.write("content/guide.md", GUIDE)
    app.publish_text("Relies on the database team", app_catalog(app))
    return app


@pytest.fixture
def org(tmp_path: Path, db: Member, app: Member) -> Path:
    return organisation(
        tmp_path,
        f"  - id: db-team\n    repository: {db.url}\n  - id: app-team\n    repository: {app.url}\n",
    )


def test_a_member_links_another_teams_records_on_the_organisation_site(run: Callable[..., Result], org: Path) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    public = org / "public"
    guide = (public / "policies/app-team/guide/index.html").read_text()
    assert 'href="../../../offerings/db-team/postgres/"' in guide
    assert 'href="../../../offerings/db-team/postgres/#slo-availability"' in guide
    assert 'href="../../db-team/backups/#restores"' in guide
    web = (public / "offerings/app-team/web/index.html").read_text()
    assert 'Relies on: <a href="../../db-team/postgres/">Postgres</a>' in web
    tool = (public / "tools/app-team/shared-pipelines/index.html").read_text()
    assert 'href="../../../offerings/db-team/postgres/">Postgres</a>' in tool
    postgres = (public / "offerings/db-team/postgres/index.html").read_text()
    assert 'href="../../app-team/web/">Web</a>' in postgres  # used by the app team's offering


def test_a_member_builds_its_own_site_with_those_links_leading_to_the_organisation_site(
    run: Callable[..., Result], app: Member
) -> None:
    """The member cannot check another team's records: its own build links them to the
    organisation site it names, without an error or a warning about them."""
    result = run("build", "--source", app.work.root, "--no-versions")
    assert result.exit_code == 0, result.output
    assert "db-team" not in result.output
    public = app.work.root / "public"
    guide = (public / "policies/guide/index.html").read_text()
    assert f'href="{ORG_SITE}offerings/db-team/postgres/#slo-availability"' in guide
    assert f'href="{ORG_SITE}policies/db-team/backups/#restores"' in guide
    web = (public / "offerings/web/index.html").read_text()
    assert f'Relies on: <a href="{ORG_SITE}offerings/db-team/postgres/">db-team/postgres</a>' in web
    tool = (public / "tools/shared-pipelines/index.html").read_text()
    assert f'href="{ORG_SITE}offerings/db-team/postgres/">db-team/postgres</a>' in tool
    # search's "use instead" is that address too (static/search.js links it as it is)
    chunks = (public / "search/r").glob("*.json")
    found = {r["t"]: r for chunk in chunks for r in json.loads(chunk.read_text())["records"]}
    assert found["Shared pipeline templates"]["a"] == {
        "t": "db-team/postgres",
        "u": f"{ORG_SITE}offerings/db-team/postgres/",
    }


def test_without_its_organisation_named_another_teams_record_is_unknown(
    run: Callable[..., Result], app: Member
) -> None:
    app.work.write("catalog.yaml", app_catalog(app, organisation=False))
    result = run("check", "--source", app.work.root)
    assert result.exit_code == 1
    assert "catalog.yaml:32:18: error: unknown offering 'db-team/postgres'" in result.output
    assert "content/guide.md:5:49: error: broken link: no offering 'db-team/postgres'" in result.output


def test_update_refuses_a_member_commit_whose_references_dangle(
    run: Callable[..., Result], org: Path, app: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["app-team"]
    db_commit = locked(org)["db-team"]
    bad = app.publish_text("Relies on MySQL", app_catalog(app, depends_on="db-team/mysql"))
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3, result.output
    assert (
        f"members/app-team@{bad[:12]}/catalog.yaml:33:18: error: app-team refers to offering 'db-team/mysql', "
        f"which db-team does not have at its locked commit {db_commit[:12]}"
    ) in result.output
    assert f"refused: app-team: commit {bad[:12]} refers to records other teams do not have" in result.output
    assert f"staying at {good[:12]}" in result.output
    assert locked(org)["app-team"] == good
    assert run("build", "--source", org, "--no-versions").exit_code == 0


def test_update_refuses_a_move_that_drops_what_another_member_refers_to(
    run: Callable[..., Result], org: Path, db: Member, app: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["db-team"]
    renamed = db.publish("Postgres is now PostgreSQL", offering="postgresql")
    result = run("federate", "update", "db-team", "--source", org)
    assert result.exit_code == 3, result.output
    assert (
        f"refused: db-team: commit {renamed[:12]} drops what app-team refers to at its locked commit (4); "
        f"staying at {good[:12]}"
    ) in result.output
    assert "app-team refers to offering 'db-team/postgres', which db-team does not have" in result.output
    assert locked(org)["db-team"] == good
    # the app team follows the rename: both move in one update
    follows = app.publish_text("Follow the rename", app_catalog(app, depends_on="db-team/postgresql"))
    app.work.write("content/guide.md", GUIDE.replace("db-team/postgres", "db-team/postgresql"))
    follows = app.publish_text("Follow the rename", app_catalog(app, depends_on="db-team/postgresql"))
    both = run("federate", "update", "--source", org)
    assert both.exit_code == 0, both.output
    assert locked(org) == {"db-team": renamed, "app-team": follows}
    assert run("build", "--source", org, "--no-versions").exit_code == 0


def test_a_dangling_reference_in_the_lock_is_a_located_error_of_the_organisation_build(
    run: Callable[..., Result], org: Path, db: Member, app: Member
) -> None:
    """A lock edited by hand (or a lock commit reverted) can still pair an app team's commit
    with a database team's that lacks what it names: the build names the file of the member,
    the member and the commits."""
    assert run("federate", "update", "--source", org).exit_code == 0
    old_db = locked(org)["db-team"]
    db.publish("Postgres is now PostgreSQL", offering="postgresql")
    app.work.write("content/guide.md", GUIDE.replace("db-team/postgres", "db-team/postgresql"))
    app_commit = app.publish_text("Follow the rename", app_catalog(app, depends_on="db-team/postgresql"))
    assert run("federate", "update", "--source", org).exit_code == 0
    lock = org / "servicebook.lock"
    lock.write_text(lock.read_text().replace(locked(org)["db-team"], old_db))
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 1
    at = f"members/app-team@{app_commit[:12]}"
    assert (
        f"{at}/catalog.yaml:33:18: error: app-team refers to offering 'db-team/postgresql', "
        f"which db-team does not have at its locked commit {old_db[:12]}"
    ) in result.output
    assert "did you mean 'postgres'?" in result.output
    assert f"{at}/content/guide.md:5:49: error: app-team refers to offering 'db-team/postgresql'" in result.output
    assert not (org / "public").exists()


def test_a_reference_to_a_team_that_is_not_a_member_or_to_a_missing_heading(
    run: Callable[..., Result], org: Path, app: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    app.work.write(
        "content/guide.md",
        GUIDE.replace("offering:db-team/postgres)", "offering:dba-team/postgres)").replace("#restores", "#restore"),
    )
    bad = app.publish_text("Typos", app_catalog(app))
    result = run("federate", "update", "app-team", "--source", org)
    assert result.exit_code == 3, result.output
    at = f"members/app-team@{bad[:12]}/content/guide.md"
    assert (
        f"{at}:5:49: error: app-team refers to offering 'dba-team/postgres', but the organisation has no member "
        "'dba-team'"
    ) in result.output
    assert "did you mean 'db-team'?" in result.output
    assert (
        f"{at}:7:24: error: app-team links to '#restore' of page 'db-team/backups', which db-team's page does not "
        "have at its locked commit"
    ) in result.output


def test_a_lock_move_that_only_edits_a_members_page_is_on_the_changes_page(
    run: Callable[..., Result], org: Path, db: Member, tmp_path: Path
) -> None:
    repo = GitSite(org)
    assert run("federate", "update", "--source", org).exit_code == 0
    repo.commit("Lock the members")
    db.work.write("content/backups.md", BACKUPS + "\n## Retention\n\nThirty days.\n")
    db.publish("Say how long backups are kept")
    assert run("federate", "update", "--source", org).exit_code == 0
    moved = repo.commit("Move db-team")
    public = tmp_path / "public"
    result = run("build", "--source", org, "--no-versions", "--output", public)
    assert result.exit_code == 0, result.output
    entry = (public / "changes/index.html").read_text().split(f'id="c-{moved[:12]}"')[1].split("</section>")[0]
    assert "Database Team: Policy page “Backups”: section “Retention” added" in entry
    feed = (public / "changes/feed.xml").read_text()
    assert "Database Team: Policy page “Backups”: section “Retention” added" in feed
    diff = run("diff", "HEAD~1", "HEAD", "--source", org)
    assert "db-team: Policy page “Backups”: section “Retention” added" in diff.output
