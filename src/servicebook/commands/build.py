"""`servicebook build`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from servicebook.commands.options import SOURCE, STRICT, paths_for_people, show_warnings
from servicebook.site.build import Options, undated_review_note
from servicebook.site.build import build as run_build
from servicebook.site.buildcache import folder_outside_source


@click.command()
@SOURCE
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the site.  [default: SOURCE/public]",
)
@STRICT
@click.option("--no-versions", is_flag=True, help="Build only the current catalog, not past releases.")
def build(source: Path, output: Path | None, strict: bool, no_versions: bool) -> None:
    """Check everything, then write the site (the previous one stays if anything fails)."""
    out = output if output is not None else source / "public"
    with paths_for_people(source) as show:
        note = undated_review_note(source, os.environ)  # about where the build runs: not subject to --strict
        show_warnings((note,) if note is not None else (), show)
        report = run_build(Options(source=source, output=out, strict=strict, versions=not no_versions))
    show_warnings(report.warnings, show)
    click.echo(f"Built {report.pages} pages ({report.files} files) into {out}")
    cache = folder_outside_source(source, out)
    if cache is not None:
        click.echo(f"Build cache: {cache}/ (beside the output, for fast rebuilds; safe to delete)")


command = build
