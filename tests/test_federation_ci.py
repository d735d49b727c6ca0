"""The CI fan-out examples of docs/federating.md (examples/ci/federation/): valid for their forge,
and every servicebook command they run exists with the options they pass."""

from __future__ import annotations

import click
import pytest
import yaml

from servicebook.cli import main

from .conftest import REPO
from .test_ci_examples import schema_check, servicebook_commands

FOLDER = REPO / "examples" / "ci" / "federation"
GITHUB = sorted(FOLDER.glob("github-*.yml"))
GITLAB = sorted(FOLDER.glob("gitlab-*.yml"))


def scripts(path) -> list[str]:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    if path in GITHUB:
        return [step["run"] for job in data["jobs"].values() for step in job["steps"] if "run" in step]
    return ["\n".join(job.get("script", [])) for name, job in data.items() if isinstance(job, dict)]


def resolve(args: list[str]) -> None:
    """Parse `args` with servicebook's own click parser, into groups: an unknown command fails."""
    group: click.Command = main
    ctx = click.Context(main)
    while isinstance(group, click.Group) and args and not args[0].startswith("-"):
        found = group.get_command(ctx, args[0])
        if found is None:
            raise click.UsageError(f"no such command: {args[0]}")
        group, args = found, args[1:]
    group.make_context("servicebook", list(args))


def test_the_examples_are_valid_workflows_and_pipelines() -> None:
    assert [p.name for p in GITHUB] == ["github-member.yml", "github-organisation.yml"]
    assert [p.name for p in GITLAB] == ["gitlab-member.yml", "gitlab-organisation.yml"]
    done = schema_check("vendor.github-workflows", *GITHUB)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in GITLAB:
        done = schema_check("vendor.gitlab-ci", path)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_member_side_triggers_the_organisation_side() -> None:
    member = yaml.safe_load((FOLDER / "github-member.yml").read_text())
    organisation = yaml.safe_load((FOLDER / "github-organisation.yml").read_text())
    sent = member["jobs"]["notify"]["steps"][0]["run"]
    on = organisation[True]  # YAML 1.1 reads the key `on` as true
    assert "event_type=member-catalog-changed" in sent
    assert on["repository_dispatch"]["types"] == ["member-catalog-changed"]
    gitlab = yaml.safe_load((FOLDER / "gitlab-member.yml").read_text())
    assert gitlab["tell-the-organisation"]["trigger"]["project"] == "your-org/organisation-catalog"


def test_the_member_side_runs_on_what_the_organisation_reads_and_says_so_for_a_catalog_in_a_folder() -> None:
    """A member's catalog in a folder of its repository (`path: svc`) never changes catalog.yaml at
    the top, so the filters as copied never told the organisation of its changes (newuser17: a team
    that moved its catalog into svc/). Each says which paths to write then."""
    github = yaml.safe_load((FOLDER / "github-member.yml").read_text())
    gitlab = yaml.safe_load((FOLDER / "gitlab-member.yml").read_text())
    assert github[True]["push"]["paths"] == ["catalog.yaml", "content/**"]
    assert gitlab["tell-the-organisation"]["rules"][0]["changes"] == ["catalog.yaml", "content/**/*"]
    for name, paths in (
        ("github-member.yml", "svc/catalog.yaml and svc/content/**\n"),
        ("gitlab-member.yml", "svc/catalog.yaml and svc/content/**/*\n"),
    ):
        text = (FOLDER / name).read_text()
        assert "a catalog in a folder of the repository (its\n" in text, name
        assert "`path:` under members: in the organisation's catalog.yaml, e.g. svc) is that folder's:" in text, name
        assert paths in text, name


@pytest.mark.parametrize("path", GITHUB + GITLAB, ids=lambda p: p.name)
def test_every_servicebook_command_in_the_examples_parses(path) -> None:  # type: ignore[no-untyped-def]
    commands = [args for script in scripts(path) for args in servicebook_commands(script)]
    for args in commands:
        resolve(args)
    if path.name.endswith("organisation.yml"):
        assert ["federate", "update", "MEMBER"] in commands or ["federate", "update"] in commands
        assert ["diff", "HEAD"] in commands


def test_a_misspelt_subcommand_or_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        resolve(["federate", "updte"])
    with pytest.raises(click.NoSuchOption):
        resolve(["federate", "update", "--acept-rewrite"])
