"""`servicebook check`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from servicebook.catalog.model import SiteContent
from servicebook.commands.options import SOURCE, STRICT, path_prefix, paths_for_people, show_warnings
from servicebook.errors import BuildFailed, Severity
from servicebook.git.repo import shallow_warning
from servicebook.report import check_github, check_json
from servicebook.site.build import Options
from servicebook.site.build import check as run_check
from servicebook.site.fresh import undated_review_note


@click.command()
@SOURCE
@STRICT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people; json (documented, stable) or github (workflow commands that annotate a pull request).",
)
def check(source: Path, strict: bool, fmt: str) -> None:
    """Everything `build` checks, without writing anything."""
    # check reads only the working tree, which a shallow clone (the default in CI) holds whole:
    # what it checks is complete there, so the shallow notice is not subject to --strict (build's
    # is); the other is about the build's date, not the catalog
    notices = [
        n for n in (shallow_warning(source, building=False), undated_review_note(source, os.environ)) if n is not None
    ]
    options = Options(source=source, output=source / "public", strict=strict)
    if fmt == "text":
        with paths_for_people(source) as show:
            show_warnings(tuple(notices), show)
            loaded, report = run_check(options)
        show_warnings(report.warnings, show)
        assert loaded.site is not None  # run_check raises otherwise
        click.echo(ready_line(loaded.site, len(report.warnings)))
        return
    failed: BuildFailed | None = None
    try:
        problems = list(run_check(options)[1].warnings)
    except BuildFailed as exc:
        failed, problems = exc, list(exc.problems)
    if strict:  # --strict makes warnings errors: annotate them as what failed the check
        problems = [dataclasses.replace(p, severity=Severity.ERROR) for p in problems]
    problems += notices
    click.echo((check_json if fmt == "json" else check_github)(problems, failed is not None, path_prefix(source)))
    if failed is not None:
        raise SystemExit(failed.exit_code)


def ready_line(site: SiteContent, warnings: int) -> str:
    """check's verdict on sources that build: what they hold, and the warnings shown above."""
    catalog = site.catalog
    held = ", ".join(
        _count(n, one, many)
        for n, one, many in (
            (len(catalog.offerings), "offering", "offerings"),
            (sum(len(o.slos) for o in catalog.offerings), "SLO", "SLOs"),
            (len(catalog.tools), "tool decision", "tool decisions"),
            (len(site.pages), "policy page", "policy pages"),
        )
    )
    said = "no warnings" if not warnings else f"{_count(warnings, 'warning', 'warnings')} (above)"
    return f"Ready to build: {held}; no errors, {said}."


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


command = check
