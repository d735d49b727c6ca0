"""`servicebook history`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from servicebook.commands.options import SOURCE, TEXT_OR_JSON
from servicebook.errors import UsageProblem
from servicebook.git.history import load_timeline
from servicebook.git.repo import build_info, open_repo
from servicebook.site.changes import history_view
from servicebook.site.entity_history import to_json, to_text, told


@click.command(
    epilog="""\b
Examples:
  servicebook history                   # every change, newest first
  servicebook history ci-pipelines      # one offering's (or tool's, or policy page's)
  servicebook history tool:jenkins      # the tool, where an offering has the same id
  servicebook history jenkins --format json"""
)
@SOURCE
@click.argument("ident", required=False, metavar="[ID]")
@TEXT_OR_JSON
def history(source: Path, ident: str | None, fmt: str) -> None:
    """Each change to the catalog and policy pages, or to one offering, tool or page, from git."""
    repo = open_repo(source)
    if repo is None or repo.head is None:
        raise UsageProblem(
            f"{source} is not in a git repository with a commit: the history is read from git's commits "
            "(docs/auditing.md)"
        )
    timeline = load_timeline(repo, build_info(repo, os.environ))
    found = told(history_view(timeline, lambda _sha: None), ident)
    click.echo(to_json(found) if fmt == "json" else to_text(found), nl=False)


command = history
