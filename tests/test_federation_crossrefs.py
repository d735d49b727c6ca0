"""Members referring to each other's records (`offering:db-team/postgres` in the app team's page,
`depends_on: [db-team/postgres]` in its catalog): links to the organisation site on the member's
own site, resolved and checked at the lock's commits on the organisation's, and never locked
dangling by `federate update`. Members are local bare repositories reached over file://."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from servicebook.site.build import build

from .conftest import GitSite
from .sitefiles import clean_build, serving, tree
from .test_federation import MEMBER, Member, locked, organisation
from .test_portals import _export, _node, _radar, _validator

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
        "k": "offering",  # "(offering)", as the pages say
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


PLATFORM = """\
---
title: Building on the platform
---

We build with the organisation's [CI pipelines](offering:organisation/ci), within their
[objective](offering:organisation/ci#slo-availability), from its
[templates](tool:organisation/shared-pipelines), as [it says](page:organisation/welcome#what-we-support).
"""


def test_a_member_names_the_organisations_own_records_and_another_teams_tool(
    run: Callable[..., Result], tmp_path: Path, app: Member
) -> None:
    """`organisation/<id>` names the organisation site's own records; a tool's alternative names
    another team's tool as `tool:<member>/<id>`: linked to the organisation site on the member's
    own site, within it on the organisation's."""
    db = Member(tmp_path, "db", "Database Team", pipelines="supported")
    db.work.write("content/backups.md", BACKUPS)
    db.publish("Backups policy")
    app.work.write("content/platform.md", PLATFORM)
    text = app_catalog(app, depends_on="organisation/ci")
    app.publish_text(
        "Name the platform", text.replace("alternative: organisation/ci", "alternative: tool:db-team/shared-pipelines")
    )
    own = run("build", "--source", app.work.root, "--no-versions")
    assert own.exit_code == 0, own.output
    public = app.work.root / "public"
    page = (public / "policies/platform/index.html").read_text()
    assert f'href="{ORG_SITE}offerings/ci/"' in page
    assert f'href="{ORG_SITE}offerings/ci/#slo-availability"' in page
    assert f'href="{ORG_SITE}tools/shared-pipelines/"' in page
    assert f'href="{ORG_SITE}policies/welcome/#what-we-support"' in page
    web = (public / "offerings/web/index.html").read_text()
    assert f'Relies on: <a href="{ORG_SITE}offerings/ci/">organisation/ci</a>' in web
    tool = (public / "tools/shared-pipelines/index.html").read_text()
    assert f'href="{ORG_SITE}tools/db-team/shared-pipelines/">db-team/shared-pipelines</a>' in tool
    assert "(offering)" not in tool.split("Use instead")[-1].split("</p>")[0]

    org = organisation(
        tmp_path, f"  - id: db-team\n    repository: {db.url}\n  - id: app-team\n    repository: {app.url}\n"
    )
    update = run("federate", "update", "--source", org)
    assert update.exit_code == 0, update.output
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    public = org / "public"
    page = (public / "policies/app-team/platform/index.html").read_text()
    assert 'href="../../../offerings/ci/"' in page
    assert 'href="../../../offerings/ci/#slo-availability"' in page
    assert 'href="../../../tools/shared-pipelines/"' in page
    assert 'href="../../welcome/#what-we-support"' in page
    web = (public / "offerings/app-team/web/index.html").read_text()
    assert 'Relies on: <a href="../../ci/">CI pipelines</a>' in web
    tool = (public / "tools/app-team/shared-pipelines/index.html").read_text()
    assert 'href="../../db-team/shared-pipelines/">Shared pipeline templates</a>' in tool
    ci = (public / "offerings/ci/index.html").read_text()
    assert 'href="../app-team/web/">Web</a>' in ci  # used by the app team's offering


def test_references_to_the_organisations_records_are_checked(
    run: Callable[..., Result], org: Path, app: Member
) -> None:
    """A record the organisation does not have is refused by `update` and, locked some other way,
    a located error of the build; so is a heading its own page does not have (the build alone
    reads its pages)."""
    assert run("federate", "update", "--source", org).exit_code == 0
    good = locked(org)["app-team"]
    bad = app.publish_text("Typo", app_catalog(app, depends_on="organisation/cii"))
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3, result.output
    assert (
        f"members/app-team@{bad[:12]}/catalog.yaml:33:18: error: app-team refers to offering 'organisation/cii', "
        "which the organisation site does not have"
    ) in result.output
    assert "did you mean 'ci'?" in result.output
    assert (
        f"refused: app-team: commit {bad[:12]} refers to records the organisation site does not have" in result.output
    )
    assert locked(org)["app-team"] == good

    app.work.write("content/platform.md", PLATFORM.replace("#what-we-support", "#what-we-offer"))
    app.publish_text("Name a heading", app_catalog(app, depends_on="organisation/ci"))
    assert run("federate", "update", "--source", org).exit_code == 0  # update does not read its pages
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 1, result.output
    assert (
        "content/platform.md:7:63: error: app-team links to '#what-we-offer' of page 'organisation/welcome', "
        "which the organisation site's page does not have\n"
    ) in result.output
    assert "did you mean 'what-we-support'?" in result.output


def test_an_alternative_naming_another_teams_tool_that_is_an_offering_is_refused(
    run: Callable[..., Result], org: Path, app: Member
) -> None:
    assert run("federate", "update", "--source", org).exit_code == 0
    text = app_catalog(app).replace("alternative: db-team/postgres", "alternative: tool:db-team/postgres")
    bad = app.publish_text("A tool that is an offering", text)
    result = run("federate", "update", "--source", org)
    assert result.exit_code == 3, result.output
    assert (
        f"members/app-team@{bad[:12]}/catalog.yaml:47:18: error: app-team refers to tool 'db-team/postgres', "
        "which db-team does not have at its locked commit"
    ) in result.output
    assert "'postgres' is an offering of db-team, not a tool" in result.output


def test_no_member_may_take_the_id_that_names_the_organisations_records(
    run: Callable[..., Result], tmp_path: Path, db: Member
) -> None:
    org = organisation(tmp_path, f"  - id: organisation\n    repository: {db.url}\n")
    result = run("check", "--source", org)
    assert result.exit_code == 1
    assert "error: member id 'organisation' is how members name this organisation's own records" in result.output


def _backstage(member: Member, text: str, namespace: str | None = None) -> str:
    """The member's catalog `text` with a Backstage export (its entities in `namespace`)."""
    team = member.values["team"]
    text = text.replace(
        f"  title: {team} services\n",
        f"  title: {team} services\n  base_url: https://{member.values['slug']}.example/\n",
    )
    space = f"    namespace: {namespace}\n" if namespace else ""
    return (
        text
        + f"portals:\n  backstage:\n{space}    owners:\n      - owner: {team}\n        ref: group:default/{member.values['slug']}\n"
    )


def test_a_members_backstage_export_names_another_teams_offering_as_that_teams_export_does(
    run: Callable[..., Result], db: Member, app: Member
) -> None:
    """A cross-team `depends_on` is the other team's component in the namespace named like the
    member (`component:db-team/postgres`), which Backstage's own parser reads as a valid reference,
    and which is the entity the other team exports when its entities are in that namespace."""
    app.publish_text("Export to Backstage", _backstage(app, app_catalog(app)))
    (web,) = [e for e in _export(run, app.work.root) if e["metadata"]["name"] == "web"]
    assert web["spec"]["dependsOn"] == ["component:db-team/postgres"]
    assert [e.message for e in _validator("Component").iter_errors(web)] == []
    parsed = _node("refs.js", stdin=json.dumps(web["spec"]["dependsOn"]))
    assert json.loads(parsed.stdout) == [
        {
            "ref": "component:db-team/postgres",
            "kind": "component",
            "namespace": "db-team",
            "name": "postgres",
            "valid": True,
        }
    ]
    db.publish_text("Export to Backstage", _backstage(db, MEMBER.format(**db.values), namespace="db-team"))
    theirs = {
        f"{e['kind'].lower()}:{e['metadata']['namespace']}/{e['metadata']['name']}" for e in _export(run, db.work.root)
    }
    assert "component:db-team/postgres" in theirs


def test_the_organisation_build_warns_where_the_teams_backstage_references_would_not_meet(
    run: Callable[..., Result], org: Path, db: Member, app: Member
) -> None:
    app.publish_text("Export to Backstage", _backstage(app, app_catalog(app)))
    db.publish_text("Export to Backstage", _backstage(db, MEMBER.format(**db.values)))  # in the default namespace
    update = run("federate", "update", "--source", org)
    assert update.exit_code == 0, update.output
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    at = f"members/app-team@{locked(org)['app-team'][:12]}/catalog.yaml:34:18"  # below the base_url added
    assert (
        f"{at}: warning: app-team's Backstage export names 'db-team/postgres' component:db-team/postgres, "
        "but db-team exports it as component:default/postgres"
    ) in result.output
    assert "db-team should export its entities in the namespace db-team" in result.output
    db.publish_text(
        "Export to Backstage in its namespace", _backstage(db, MEMBER.format(**db.values), namespace="db-team")
    )
    update = run("federate", "update", "--source", org)
    assert update.exit_code == 0, update.output
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    assert "Backstage export" not in result.output


def test_a_member_not_read_is_one_error_not_one_per_reference_to_its_records(
    run: Callable[..., Result], org: Path
) -> None:
    """In a fresh clone (the members not fetched yet), or with a lock edited into nonsense, the
    organisation's references to the members' records are not reported one by one: the error
    that says what to do is the one."""
    catalog = org / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace("    tools: [shared", "    depends_on: [db-team/postgres]\n    tools: [shared", 1)
    )
    (org / "content/welcome.md").write_text(
        (org / "content/welcome.md").read_text()
        + "\nSee [Postgres](offering:db-team/postgres) and [a typo](offering:cii).\n"
    )
    assert run("federate", "update", "--source", org).exit_code == 0
    shutil.rmtree(org / ".servicebook-cache")
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 1
    assert result.output.count(": error: ") == 3, result.output  # two members not fetched, and the typo
    assert "member 'db-team': locked commit" in result.output and "`servicebook federate fetch`" in result.output
    assert "broken link: no offering 'cii'" in result.output
    (org / "servicebook.lock").write_text("members: [oops\n")
    result = run("build", "--source", org, "--no-versions")
    assert result.output.count(": error: ") == 2, result.output  # the lock, and the typo
    assert "servicebook.lock:1:" in result.output


def test_a_members_radar_links_another_teams_alternative_on_the_organisation_site(
    run: Callable[..., Result], app: Member
) -> None:
    text = app_catalog(app).replace("alternative: db-team/postgres", "alternative: tool:db-team/pgbouncer")
    app.publish_text("A radar", _backstage(app, text) + "  techradar:\n    formats: [backstage]\n")
    data = _radar(run, app.work.root, "backstage", "--no-history")
    (entry,) = [e for e in data["entries"] if e["id"] == "shared-pipelines"]
    assert {"title": "Alternative", "url": f"{ORG_SITE}tools/db-team/pgbouncer/"} in entry["links"]
    assert "Use instead: db-team/pgbouncer." in entry["description"]


def test_the_organisation_build_says_a_backstage_name_kept_for_an_entity_is_one_other_teams_do_not_refer_to(
    run: Callable[..., Result], org: Path, db: Member, app: Member
) -> None:
    # round 20: portals.backstage.names keeps an entity's name; the namespace hint named the wrong fix
    app.publish_text("Export to Backstage", _backstage(app, app_catalog(app)))
    named = _backstage(db, MEMBER.format(**db.values), namespace="db-team") + (
        "    names:\n      - offering: postgres\n        name: Postgres_DB\n"
    )
    db.publish_text("Export to Backstage", named)
    assert run("federate", "update", "--source", org).exit_code == 0
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 0, result.output
    assert "but db-team exports it as component:db-team/Postgres_DB" in result.output
    assert (
        "db-team names its entity Postgres_DB (portals.backstage.names), and other teams' exports refer to its "
        "offerings by id: drop that name once Backstage has the entity as postgres"
    ) in result.output


def _words(page: Path) -> str:
    """A page's text, its tags taken out and its white space made single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text()))


def _agreeing(db: Member, app: Member) -> None:
    """The database team supports the shared pipeline templates, as the organisation does, and the
    app team's unsupported tool is its own web build scripts (use db-team/postgres instead): no
    disagreement names a team on every page (pagekeys.chrome), only the links to its records."""
    db.publish("Support the templates", pipelines="supported")
    text = app_catalog(app).replace(
        "  - id: shared-pipelines\n    name: Shared pipeline templates",
        "  - id: web-scripts\n    name: Web build scripts",
    )
    app.publish_text("Our own scripts", text.replace("    slos:", "    tools: [web-scripts]\n    slos:", 1))


def test_a_members_policy_page_follows_its_team_renaming_itself(
    run: Callable[..., Result], org: Path, db: Member, app: Member, tmp_path: Path
) -> None:
    """A member's policy page says whose it is ("Team: Database Team"). When the team renamed
    itself, a `serve` rebuild kept the old name there: the page's key held whether it had a team,
    not which. It shows the new one, as a build from nothing does (and a rebuild of the command
    line did)."""
    _agreeing(db, app)
    assert run("federate", "update", "--source", org).exit_code == 0
    public = org / "public"
    page = public / "policies/db-team/backups/index.html"
    with serving(org, public) as (options, _):
        build(options)
        assert "Team: Database Team" in _words(page)
        db.publish("Rename the team", team="Data Platform Team")
        assert run("federate", "update", "--source", org).exit_code == 0
        build(options)
        assert "Team: Data Platform Team" in _words(page)
        assert tree(public) == clean_build(run, org, tmp_path)
    db.publish("Rename it again", team="Data Team")
    assert run("federate", "update", "--source", org).exit_code == 0
    assert run("build", "--source", org).exit_code == 0  # the command line's, with the store it kept
    assert "Team: Data Team" in _words(page)


def test_another_teams_alternative_carries_that_teams_name_and_follows_its_rename(
    run: Callable[..., Result], org: Path, db: Member, app: Member, tmp_path: Path
) -> None:
    """The app team's web build scripts are unsupported, "use db-team/postgres instead": the
    organisation site said "→ use Postgres" (on the home page, the tool's page, the list of what
    we do not support, the web offering's tools table, the tools matrix), which reads as an
    offering of ours or of the app team's. The alternative carries its team's name there, as
    every other link to a member's record does; when the database team renames itself, a `serve`
    rebuild shows the new name on every page, as a build from nothing does."""
    _agreeing(db, app)
    assert run("federate", "update", "--source", org).exit_code == 0
    public = org / "public"
    tool, web = public / "tools/app-team/web-scripts/index.html", public / "offerings/app-team/web/index.html"
    with serving(org, public) as (options, _):
        build(options)
        assert "Use instead: Postgres (Database Team) (offering)" in _words(tool)
        assert "Web build scripts Unsupported Postgres (Database Team) (offering)" in _words(web)
        assert "Unsupported → use Postgres (Database Team) (offering)" in _words(public / "index.html")
        assert "Postgres (Database Team) (offering)" in _words(public / "unsupported/index.html")
        assert "→ Postgres (Database Team)" in _words(public / "tools/index.html")
        assert "Unsupported → use Postgres (Database Team)" in _words(public / "search/index.html")
        whole = _words(public / "catalog/index.html")  # the whole catalog on one page: every member record
        assert "Web build scripts (App Platform) Unsupported Our own reasons." in whole
        assert "Postgres (Database Team) Managed Postgres for product teams." in whole
        db.publish("Rename the team", team="Data Platform Team")
        assert run("federate", "update", "--source", org).exit_code == 0
        build(options)
        assert "Use instead: Postgres (Data Platform Team) (offering)" in _words(tool)
        assert "Postgres (Data Platform Team) (offering)" in _words(web)
        assert tree(public) == clean_build(run, org, tmp_path)


def _records(public: Path) -> dict[str, dict[str, object]]:
    """The search records the built site publishes, by their title."""
    return {
        r["t"]: r for chunk in (public / "search/r").glob("*.json") for r in json.loads(chunk.read_text())["records"]
    }


def test_search_names_the_team_of_another_teams_alternative_and_follows_its_rename(
    run: Callable[..., Result], org: Path, db: Member, app: Member, tmp_path: Path
) -> None:
    """Search's "Use instead: Postgres" (static/search.js writes each record's `a`) named no team
    where the pages say "→ use Postgres (Database Team)": the record's alternative carries its
    team (`tm`), which the script shows after the link (tests/browser/test_organisation.py), and a
    `serve` rebuild follows the team's rename as a build from nothing does."""
    _agreeing(db, app)
    assert run("federate", "update", "--source", org).exit_code == 0
    public = org / "public"
    with serving(org, public) as (options, _):
        build(options)
        scripts = _records(public)["Web build scripts (App Platform)"]
        assert scripts["a"] == {
            "t": "Postgres",
            "u": "offerings/db-team/postgres/",
            "k": "offering",
            "tm": "Database Team",
        }
        db.publish("Rename the team", team="Data Platform Team")
        assert run("federate", "update", "--source", org).exit_code == 0
        build(options)
        assert _records(public)["Web build scripts (App Platform)"]["a"]["tm"] == "Data Platform Team"  # type: ignore[index]
        assert tree(public) == clean_build(run, org, tmp_path)
