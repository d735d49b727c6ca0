"""`servicebook build`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from servicebook.cache.folder import site_folder
from servicebook.commands.options import SOURCE, STRICT, paths_for_people, show_warnings
from servicebook.commands.progress import Verbosity, build_report, shown, verbosity_options
from servicebook.git.repo import Repo, open_repo
from servicebook.site.fresh import Options, Report, folder_outside_source, of_releases, survey, undated_review_note
from servicebook.site.parallel import batch_collections


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
@verbosity_options
def build(source: Path, output: Path | None, strict: bool, no_versions: bool, verbosity: Verbosity | None) -> None:
    """Check everything, then write the site (the previous one stays if anything fails)."""
    # the collector's thresholds for a build before it imports the pipeline: with the defaults,
    # the imports alone cost a rebuild ~130 collections, one of them full (bench/README.md)
    batch_collections()
    out = output if output is not None else source / "public"
    verbosity = verbosity or "normal"
    with paths_for_people(source) as show:
        repo = open_repo(source)  # what git says about the source, asked once for the whole build
        note = undated_review_note(source, os.environ, repo)  # about where the build runs: not subject to --strict
        if verbosity != "quiet":
            show_warnings((note,) if note is not None else (), show)
        with shown(verbosity) as progress:
            options = Options(source=source, output=out, strict=strict, versions=not no_versions, progress=progress)
            report = _build(options, repo)
    if verbosity == "quiet":
        return
    show_warnings(report.warnings, show)
    click.echo(f"Built {report.pages} pages ({report.files} files) into {out}{of_releases(report)}")
    for line in build_report(report, verbose=verbosity == "verbose", notices=0 if note is None else 1):
        click.echo(line)
    beside = folder_outside_source(source, out)
    if beside is not None:  # the site's cache stays in its folder: both are said, or a CI job caches the wrong one
        click.echo(
            f"Build cache: {site_folder(source)}/ (the store and the releases) and {beside}/ (the site it "
            "replaced, beside the output: rebuilds hard-link from it); both safe to delete"
        )


def _build(options: Options, repo: Repo | None) -> Report:
    """Stage 0 first (site/fresh.py: is the output still what the same inputs made?), and the
    rest of the pipeline only when there is work to do. The pipeline is imported here, once that
    is known: importing it (Jinja2, markdown-it, lxml, the renderers) is most of a no-change
    rebuild's time (1k site: 0.30 of 0.37 CPU s; bench/README.md, "No-change rebuild")."""
    options.progress.enter("looking for changes")
    surveyed = survey(options, repo)
    unchanged = surveyed.unchanged()
    if unchanged is not None:
        surveyed.close()
        options.progress.end()
        return dataclasses.replace(unchanged, phases=options.progress.timings())
    options.progress.enter("loading the pipeline")
    from servicebook.site import build as pipeline

    return pipeline.build(options, surveyed)


command = build
