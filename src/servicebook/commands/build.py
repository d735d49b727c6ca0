"""`servicebook build`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from servicebook.cache.folder import site_folder
from servicebook.collector import batch_collections, one_command
from servicebook.commands.options import (
    ALL_WARNINGS,
    SOURCE,
    STRICT,
    annotation_prefix,
    paths_for_people,
    published_modes,
    show_warnings,
)
from servicebook.commands.progress import Verbosity, build_report, shown, verbosity_options
from servicebook.errors import BuildFailed, Problem, Severity, alike, counted, counting_said
from servicebook.git.repo import Repo, open_repo
from servicebook.report import github_command
from servicebook.site.fresh import Options, Report, folder_outside_source, of_releases, survey, undated_review_note


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
@ALL_WARNINGS
@click.option("--no-versions", is_flag=True, help="Build only the current catalog, not past releases.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="How problems are shown: text for people; github as `check --format github` shows them (workflow "
    "commands that annotate a pull request), so a CI job that builds need not check first.",
)
@verbosity_options
def build(
    source: Path,
    output: Path | None,
    strict: bool,
    every_warning: bool,
    no_versions: bool,
    fmt: str,
    verbosity: Verbosity | None,
) -> None:
    """Check everything, then write the site (the previous one stays if anything fails)."""
    # the collector's thresholds for a build before it imports the pipeline: with the defaults,
    # the imports alone cost a rebuild ~130 collections, one of them full (bench/README.md)
    batch_collections()
    out = output if output is not None else source / "public"
    verbosity = verbosity or "normal"
    github = fmt == "github"
    with paths_for_people(source, every_warning=every_warning) as show, published_modes():
        repo = open_repo(source)  # what git says about the source, asked once for the whole build
        note = undated_review_note(source, os.environ, repo)  # about where the build runs: not subject to --strict
        notices = (note,) if note is not None else ()
        if verbosity != "quiet" and not github:
            show_warnings(notices, show, every=every_warning)
        with shown(verbosity) as progress:
            options = Options(source=source, output=out, strict=strict, versions=not no_versions, progress=progress)
            try:
                report = _build(options, repo)
            except BuildFailed as exc:
                # its count counts the notices shown (or annotated) with it
                said = counting_said(exc, len(notices) if github or verbosity != "quiet" else 0)
                if not github:
                    raise said from None
                _annotate([*_as_failed(exc.problems, strict), *notices], annotation_prefix(source, repo), every_warning)
                click.echo(said.message, err=True)
                raise SystemExit(exc.exit_code) from None
    if github:  # annotations whatever the verbosity: they are the job's findings, not its chatter
        _annotate([*report.warnings, *notices], annotation_prefix(source, repo), every_warning)
    if verbosity == "quiet":
        return
    if not github:
        show_warnings(report.warnings, show, every=every_warning)
    click.echo(f"Built {report.pages} pages ({report.files} files) into {out}{of_releases(report)}")
    for line in build_report(report, verbose=verbosity == "verbose", notices=0 if note is None else 1):
        click.echo(line)
    if report.unrecorded_output and verbosity != "verbose":  # (verbose says it among its reasons)
        click.echo(
            f"Every page was rendered again: {site_folder(source)}/ has no record of this servicebook "
            f"building {out} (the first build after servicebook was upgraded, or the cache was deleted "
            'or not restored; docs/versions-and-releases.md, "Upgrading servicebook")'
        )
    if report.removed_releases:  # (why this build took longer, and where the space came back from)
        other = counted(len(report.removed_releases), "other servicebook")
        click.echo(
            f"Removed from {site_folder(source)}/releases/ the releases {other} built, which no build uses "
            'any more (docs/versions-and-releases.md, "Upgrading servicebook")'
        )
    beside = folder_outside_source(source, out)
    if beside is not None:  # the site's cache stays in its folder: both are said, or a CI job caches the wrong one
        click.echo(
            f"Build cache: {site_folder(source)}/ (the store and the releases) and {beside}/ (the site it "
            "replaced, beside the output: rebuilds hard-link from it); both safe to delete"
        )


def _annotate(problems: list[Problem], prefix: str, every: bool) -> None:
    """A workflow command each; of many warnings alike, the first few and a count of the rest."""
    for problem in problems if every else alike(problems):
        click.echo(github_command(problem, prefix))


def _as_failed(problems: list[Problem], strict: bool) -> list[Problem]:
    """Under --strict the warnings are what failed the build: annotated as errors, as `check` does."""
    if not strict:
        return problems
    return [dataclasses.replace(p, severity=Severity.ERROR) for p in problems]


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

    with one_command():  # the process ends with this build: what it loads is held to its end (collector.py)
        return pipeline.build(options, surveyed)


command = build
