"""`servicebook init`."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import click

from servicebook.catalog.model import Member
from servicebook.errors import UsageProblem
from servicebook.git.repo import current_branch, open_repo
from servicebook.site.scaffold import scaffold

# the branch a member's entry follows when it names none
DEFAULT_REF = Member.__dataclass_fields__["ref"].default


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option(
    "--example",
    is_flag=True,
    help="Write the full example catalog instead of the starter: a bank's platform team "
    "(17 offerings, 45 tool decisions, 9 policy pages).",
)
@click.option(
    "--team",
    metavar="NAME",
    help="The starter's team, as readers know it (e.g. 'Payments Team'): its name, contacts, "
    "channels and on-call, in place of the platform team's. For each team that starts a catalog "
    "to federate (docs/federating.md).",
)
def init(directory: Path | None, example: bool, team: str | None) -> None:
    """Scaffold a new site in DIRECTORY that builds immediately.

    Without DIRECTORY, in the current folder, when it is empty or the top of a git repository."""
    if directory is None:
        directory = _current_folder()
    done = scaffold(directory, example=example, team=team)
    for path in done.created:
        click.echo(f"created {path}")
    if done.ignores_added:
        *first, last = done.ignores_added
        listed = f"{', '.join(first)} and {last}" if first else last
        click.echo(f"added {listed} to {directory / '.gitignore'}")
    # Messages and the scaffolded comments name docs/ pages: say where that folder is for this install.
    docs = docs_folder()
    where = f"{docs}/" if docs is not None else "the docs/ folder of servicebook's repository and sdist"
    click.echo(
        f"\nservicebook's docs/ pages, named below and in its messages: {where}\n"
        "The catalog's fields: docs/writing-a-catalog.md (`servicebook schema` describes each too); "
        f"templates in {directory / 'layouts'}/ override the built-in theme: docs/customising.md."
    )
    # as docs/getting-started.md says: commit, then build (the history, the releases and the
    # review_by checks come from git, so a build before the first commit has none of them)
    source = "" if directory.as_posix() in (".", "") else f" --source {directory}"
    build = f"servicebook build{source}"
    if open_repo(directory) is None:
        click.echo("Keep it in git: the site's change history, its releases and the review_by checks come from git.")
        # in the site's folder: `git init` where init was run would make that folder (the home
        # folder, often) the repository
        here = directory.as_posix() in (".", "")
        click.echo(
            "Next: git init, git add -A, git commit, then servicebook build"
            if here
            else f"Next: cd {directory}, then git init, git add -A, git commit, and servicebook build"
        )
    else:
        click.echo(f"Next: commit it (git add -A, git commit), then {build}")
    branch = current_branch(directory) if team is not None else None
    if branch is not None and branch != DEFAULT_REF:  # `git init` makes master where git is not told otherwise
        click.echo(
            f"This repository's branch is {branch}: the organisation's catalog.yaml names this team under `members:` "
            f"with `ref: {branch}` (it follows {DEFAULT_REF} otherwise; docs/federating.md)"
        )


def _current_folder() -> Path:
    """The current folder, for `servicebook init` with no folder named, where that is what was
    meant: a folder just made, or a repository just made or cloned (`git init && servicebook init`,
    as `git init` itself takes the current folder). Elsewhere (the home folder, often) init would
    scatter a site among files of other kinds, so it asks for a folder instead."""
    cwd = Path()
    try:
        entries = sorted(entry.name for entry in cwd.iterdir())
    except OSError as exc:  # a folder one may enter but not list (mode 0311), or one gone meanwhile
        raise UsageProblem(
            f"cannot read the current folder ({exc.strerror or exc}): name the folder for the new site, "
            "`servicebook init my-catalog`, somewhere you may write"
        ) from None
    if not entries or ".git" in entries:
        return cwd
    shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
    raise UsageProblem(
        "name the folder for the new site: `servicebook init my-catalog` makes it; `servicebook init .` "
        f"writes into this folder (not the top of a git repository; it already holds {shown})"
    )


def docs_folder() -> Path | None:
    """The folder holding servicebook's docs/*.md for this install: the wheel installs them under
    <prefix>/share/doc/servicebook/docs/ (pyproject's data-files), a source checkout has docs/."""
    try:
        files = importlib.metadata.files("servicebook") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "writing-a-catalog.md" and file.parent.parts[-2:] == ("servicebook", "docs"):
            installed = Path(str(file.locate())).resolve().parent
            if (installed / "writing-a-catalog.md").is_file():
                return installed
    checkout = Path(__file__).resolve().parents[3] / "docs"
    return checkout if (checkout / "writing-a-catalog.md").is_file() else None


command = init
