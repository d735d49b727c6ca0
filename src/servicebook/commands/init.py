"""`servicebook init`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.git.repo import open_repo
from servicebook.site.scaffold import scaffold


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--example",
    is_flag=True,
    help="Write the full example catalog instead of the starter: a bank's platform team "
    "(17 offerings, 45 tool decisions, 9 policy pages).",
)
def init(directory: Path, example: bool) -> None:
    """Scaffold a new site in DIRECTORY that builds immediately."""
    done = scaffold(directory, example=example)
    for path in done.created:
        click.echo(f"created {path}")
    if done.ignores_added:
        click.echo(f"added {' and '.join(done.ignores_added)} to {directory / '.gitignore'}")
    # The docs are pages of servicebook's repository (docs/), not files of the installed package.
    click.echo(
        "\nThe catalog's fields: docs/writing-a-catalog.md in servicebook's documentation (the docs/ folder "
        f"of its repository and sdist); templates in {directory / 'layouts'}/ override the built-in theme: "
        "docs/customising.md."
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


command = init
