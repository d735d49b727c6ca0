"""`servicebook import backstage`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.commands.import_formats import FRAGMENT_OUTPUT, finish, read_all
from servicebook.commands.options import ALL_WARNINGS
from servicebook.interop.backstage import import_entities


@click.command(name="backstage")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=Path))
@FRAGMENT_OUTPUT
@ALL_WARNINGS
def import_backstage(files: tuple[Path, ...], output: Path | None, every_warning: bool) -> None:
    """Backstage entity files as a catalog fragment (offerings, team, owners).

    Files are catalog-info.yaml, one or many documents each: Components and Resources become
    offerings, the first Group the team. What has no place in
    the catalog is skipped by name; what the fragment had to guess is listed."""
    sources = read_all(files)
    fragment, report = import_entities(sources)
    finish(fragment, report, output, "backstage", every_warning)


command = import_backstage
