"""`servicebook check`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from servicebook.catalog.model import SiteContent
from servicebook.catalog.validate import WINDOW_RE
from servicebook.commands.options import (
    ALL_WARNINGS,
    SOURCE,
    STRICT,
    annotation_prefix,
    path_prefix,
    paths_for_people,
    show_warnings,
)
from servicebook.errors import BuildFailed, Severity, UsageProblem, counting_said
from servicebook.git.repo import open_repo, shallow_warning
from servicebook.interop import drift, sloth
from servicebook.report import check_github, check_gitlab, check_json, verdict
from servicebook.site.build import Options
from servicebook.site.build import check as run_check
from servicebook.site.fresh import undated_review_note
from servicebook.site.load import Loaded
from servicebook.site.scaffold import ignores_note


@click.command(
    epilog="""\b
Examples:
  servicebook check --source platform --strict
  servicebook check --against slos    # and the Sloth, Pyrra, OpenSLO files
  servicebook check --format github   # annotations in a GitHub workflow
  servicebook check --format gitlab   # a GitLab Code Quality report"""
)
@SOURCE
@STRICT
@ALL_WARNINGS
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "gitlab"]),
    default="text",
    show_default=True,
    help="text for people; json (documented, stable), github (workflow commands that annotate a pull request) "
    "or gitlab (a Code Quality report for a merge request; the problems as text on stderr).",
)
@click.option(
    "--against",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    metavar="DIR|FILE",
    help="Also compare the SLOs with the Sloth, Pyrra and OpenSLO v1 files in DIR, or with one such FILE "
    "(docs/slo-formats.md).",
)
@click.option(
    "--sloth-period",
    default=sloth.DEFAULT_PERIOD,
    show_default=True,
    metavar="WINDOW",
    help="The window Sloth specs are generated for (sloth generate --default-slo-period).",
)
def check(source: Path, strict: bool, every_warning: bool, fmt: str, against: Path | None, sloth_period: str) -> None:
    """Everything `build` checks, without writing anything."""
    if not WINDOW_RE.fullmatch(sloth_period) or sloth_period.startswith("calendar"):
        raise UsageProblem(f"--sloth-period '{sloth_period}' is not a rolling window such as 28d or 30d")
    # check reads only the working tree, which a shallow clone (the default in CI) holds whole:
    # what it checks is complete there, so the shallow notice is not subject to --strict (build's
    # is); the other is about the build's date, not the catalog
    repo = open_repo(source)  # what git says about the source, asked once for the whole check
    notices = [
        n
        for n in (
            shallow_warning(repo, building=False),
            undated_review_note(source, os.environ, repo),
            ignores_note(source, repo is not None),
        )
        if n is not None
    ]
    options = Options(source=source, output=source / "public", strict=strict)
    if fmt == "text":
        with paths_for_people(source, every_warning=every_warning) as show:
            show_warnings(notices, show, every=every_warning, command="check")
            try:
                loaded, report = run_check(options, repo)
                warnings = report.warnings
                compared = None
                if against is not None:
                    compared = _compared(loaded, source, against, sloth_period, strict)
                    warnings = (*warnings, *compared.problems, *compared.notices)
            except BuildFailed as exc:  # its count counts the notices shown above too
                raise counting_said(exc, len(notices)) from None
        show_warnings(warnings, show, every=every_warning, command="check")
        assert loaded.site is not None  # run_check raises otherwise
        click.echo(ready_line(loaded.site, len(warnings) + len(notices)))
        if compared is not None and against is not None:
            click.echo(compared_line(compared, _shown(against)))
        return
    failed: BuildFailed | None = None
    try:
        loaded, report = run_check(options, repo)
        problems = list(report.warnings)
        if against is not None:
            compared = _compared(loaded, source, against, sloth_period, strict)
            problems += compared.problems
            notices += compared.notices
    except BuildFailed as exc:
        failed, problems = exc, list(exc.problems)
        notices += exc.notices
    if strict:  # --strict makes warnings errors: annotate them as what failed the check
        problems = [dataclasses.replace(p, severity=Severity.ERROR) for p in problems]
    problems += notices
    if fmt == "json":
        click.echo(check_json(problems, failed is not None, path_prefix(source)))
    elif fmt == "gitlab":
        issues, said = check_gitlab(problems, annotation_prefix(source, repo), every=every_warning)
        click.echo(issues)
        for line in said:
            click.echo(line, err=True)
        click.echo(verdict(problems, failed is not None), err=True)
    else:
        click.echo(check_github(problems, failed is not None, annotation_prefix(source, repo), every=every_warning))
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


def compared_line(compared: drift.Compared, folder: str) -> str:
    """What `--against` compared, so that a check that passed says it looked: the files read, and
    the SLOs found there as the catalog promises them."""
    files = _count(compared.files, "YAML file", "YAML files")
    return (
        f"Compared with {folder} ({files}): {compared.agreeing:,} of {_count(compared.promised, 'SLO', 'SLOs')} "
        "measured there as the catalog promises."
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _compared(loaded: Loaded, source: Path, against: Path, sloth_period: str, strict: bool) -> drift.Compared:
    """The drift check's warnings and notices (after the catalog's own check passed); raises
    BuildFailed when it finds errors, or warnings under --strict (not notices: someone else's files,
    which it could not compare), with the catalog's warnings beside them, and the notices: among
    its problems, or under --strict, whose failure counts every problem as what failed, apart."""
    assert loaded.site is not None
    found = drift.compare_folder(loaded.site.catalog, source, against, sloth_period=sloth_period, shown=_shown)
    if any(p.severity is Severity.ERROR or strict for p in found.problems):
        if strict:  # every warning shown fails the check, but not the notices, said beside it
            raise BuildFailed([*loaded.problems, *found.problems], action="check", notices=found.notices)
        raise BuildFailed([*loaded.problems, *found.problems, *found.notices], action="check")
    return found


def _shown(path: Path) -> str:
    """A path as the user can open it from where they are."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


command = check
