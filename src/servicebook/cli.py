"""The command line: click declarations; each command delegates to the pipeline.

Each command imports its back end when it runs, the one place where our own modules are imported
inside functions: importing the build pipeline takes 0.35 s, and `servicebook --help`,
`--version` and `init` would pay it (0.08 s without it; bench/README.md, "Start-up").
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from servicebook import __version__
from servicebook.errors import Problem

SOURCE = click.option(
    "--source",
    "-s",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder holding catalog.yaml, content/ and layouts/.",
)
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


class _Group(click.Group):
    """Reports a crash as a bug of ours, distinct from any mistake in the user's sources."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            click.echo(_interrupted(exc), err=True)
            raise SystemExit(130) from None
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "internal error: this is a bug in servicebook, not a problem with your catalog. "
                "Please report it with the text above.",
                err=True,
            )
            raise SystemExit(70) from None


def _interrupted(exc: KeyboardInterrupt) -> str:
    replaced = getattr(exc, "replaced", None)  # set by build (build.Interrupted); absent elsewhere
    if replaced is None:
        return "interrupted"
    if replaced:
        return "interrupted after the new site was in place; the next build finishes recording it"
    return "interrupted; the previous site was left as it was"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebook")
def main() -> None:
    """servicebook: publish a platform team's service catalog as a static site."""


def _show_warnings(warnings: tuple[Problem, ...], show: Callable[[str], str]) -> None:
    for warning in warnings:
        click.echo(warning.shown_as(show).format(), err=True)


@contextlib.contextmanager
def _paths_for_people(source: Path) -> Iterator[Callable[[str], str]]:
    """Text output names files as paths the user can open from where they are (report.shown_from),
    the problems of a failed build or check included."""
    from servicebook.errors import BuildFailed
    from servicebook.report import shown_from

    show = shown_from(source, Path.cwd())
    try:
        yield show
    except BuildFailed as exc:
        raise exc.shown_as(show) from None


@main.command()
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
    import os

    from servicebook.site.build import Options, undated_review_note
    from servicebook.site.build import build as run_build

    out = output if output is not None else source / "public"
    with _paths_for_people(source) as show:
        note = undated_review_note(source, os.environ)  # about where the build runs: not subject to --strict
        _show_warnings((note,) if note is not None else (), show)
        report = run_build(Options(source=source, output=out, strict=strict, versions=not no_versions))
    _show_warnings(report.warnings, show)
    click.echo(f"Built {report.pages} pages ({report.files} files) into {out}")
    from servicebook.site.buildcache import folder_outside_source

    cache = folder_outside_source(source, out)
    if cache is not None:
        click.echo(f"Build cache: {cache}/ (beside the output, for fast rebuilds; safe to delete)")


@main.command()
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
    import os

    from servicebook.errors import BuildFailed, Severity
    from servicebook.git.repo import shallow_warning
    from servicebook.site.build import Options, undated_review_note
    from servicebook.site.build import check as run_check

    # check reads only the working tree, which a shallow clone (the default in CI) holds whole:
    # what it checks is complete there, so the shallow notice is not subject to --strict (build's
    # is); the other is about the build's date, not the catalog
    notices = [
        n for n in (shallow_warning(source, building=False), undated_review_note(source, os.environ)) if n is not None
    ]
    options = Options(source=source, output=source / "public", strict=strict)
    if fmt == "text":
        with _paths_for_people(source) as show:
            _show_warnings(tuple(notices), show)
            _, report = run_check(options)
        _show_warnings(report.warnings, show)
        n = len(report.warnings)
        click.echo("No errors found." if not n else f"No errors; {n} warning{'s' if n != 1 else ''}.")
        return
    from servicebook.report import check_github, check_json

    failed: BuildFailed | None = None
    try:
        problems = list(run_check(options)[1].warnings)
    except BuildFailed as exc:
        failed, problems = exc, list(exc.problems)
    if strict:  # --strict makes warnings errors: annotate them as what failed the check
        problems = [dataclasses.replace(p, severity=Severity.ERROR) for p in problems]
    problems += notices
    prefix = "" if source.is_absolute() or source.as_posix() in (".", "") else source.as_posix()
    click.echo((check_json if fmt == "json" else check_github)(problems, failed is not None, prefix))
    if failed is not None:
        raise SystemExit(failed.exit_code)


@main.command()
@SOURCE
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown for a pull-request comment; json (documented, stable) for tools.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "weakened", "any"]),
    default="never",
    show_default=True,
    help="Exit with status 3 when a change weakens a commitment (weakened) or on any change (any).",
)
def diff(source: Path, base: str, head: str | None, fmt: str, fail_on: str) -> None:
    """What changed in the catalog and policy pages from BASE to HEAD (default: the working tree)."""
    from servicebook.errors import UsageProblem
    from servicebook.git.diff import to_json, to_json_failure, to_markdown, to_markdown_failure
    from servicebook.git.revisions import RevisionInvalid, diff_revisions, head_named

    try:
        changes, old, new = diff_revisions(source, base, head)
    except UsageProblem as exc:
        if fmt == "json":  # a document saying why, for the CI step that saves it; stderr says it too
            prefix = "" if source.is_absolute() or source.as_posix() in (".", "") else source.as_posix()
            invalid = exc if isinstance(exc, RevisionInvalid) else RevisionInvalid(exc.message)
            problems, revision = invalid.problems, invalid.revision
            click.echo(
                to_json_failure(exc.message, exc.exit_code, problems, revision, base, head_named(base, head), prefix),
                nl=False,
            )
        elif fmt == "markdown":  # the pull-request comment says why rather than nothing
            problems = exc.problems if isinstance(exc, RevisionInvalid) else []
            click.echo(to_markdown_failure(exc.message, problems, base, head_named(base, head)), nl=False)
        raise
    if fmt == "json":
        click.echo(to_json(changes, old.as_dict(), new.as_dict()), nl=False)
    else:
        click.echo(to_markdown(changes, old.label(), new.label()), nl=False)
    weakened = sum(1 for c in changes if c.effect == "weakened")
    if (fail_on == "weakened" and weakened) or (fail_on == "any" and changes):
        what = f"{weakened} change(s) weaken a commitment" if fail_on == "weakened" else f"{len(changes)} change(s)"
        click.echo(f"diff: {what} (--fail-on {fail_on})", err=True)
        raise SystemExit(3)


@main.command()
@click.option("--front-matter", is_flag=True, help="Print the schema of policy-page front matter instead.")
def schema(front_matter: bool) -> None:
    """Print the catalog's JSON Schema (for editors and CI)."""
    from servicebook.catalog.schema import front_matter_schema, json_schema

    data = front_matter_schema() if front_matter else json_schema()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))  # the bytes the build publishes as schema.json


@main.command()
@SOURCE
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The published site to check.  [default: SOURCE/public]",
)
@click.option("--version", "versions", multiple=True, help="Only this release (repeatable).  [default: all]")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="For a site built from uncommitted changes: check its current catalog only against its own manifest.",
)
@click.option(
    "--no-versions", is_flag=True, help="For a site built with `build --no-versions`: rebuild it without past releases."
)
def verify(source: Path, site: Path | None, versions: tuple[str, ...], allow_dirty: bool, no_versions: bool) -> None:
    """Rebuild the published site from git and compare it with a published copy, byte for byte."""
    from servicebook.site.verify import verify as run_verify

    where = site if site is not None else source / "public"
    result = run_verify(source, where, versions, allow_dirty=allow_dirty, versions=not no_versions)
    for line in result.differences:
        click.echo(f"error: {line}", err=True)
    for line in result.advice:
        click.echo(f"  hint: {line}", err=True)
    if result.differences:
        raise SystemExit(1)
    releases = f"{len(result.checked)} release(s)" + (f" ({', '.join(result.checked)})" if result.checked else "")
    commit = result.commit[:12]
    if result.root == "not checked":  # --version
        click.echo(f"Verified {releases} against a rebuild from commit {commit}: every file matches a rebuild.")
        return
    if result.root == "manifest":
        click.echo(
            f"Verified {releases} against a rebuild from commit {commit}: every file matches a rebuild. The current "
            "catalog was built from uncommitted changes: it was only checked against its own manifest (--allow-dirty)."
        )
        return
    if no_versions:
        click.echo(
            f"Verified the current catalog, without releases (--no-versions), against a rebuild of commit {commit}: "
            "every file matches a rebuild."
        )
        return
    click.echo(
        f"Verified the current catalog and {releases} against a rebuild of commit {commit}: "
        "every file matches a rebuild."
    )


@main.command()
@SOURCE
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
def serve(source: Path, port: int) -> None:
    """Preview the site on 127.0.0.1, rebuilding and reloading on every change."""
    import os
    import signal

    from servicebook.site.serve import serve as run_serve

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        run_serve(source, port, os.environ, out=click.echo, err=lambda text: click.echo(text, err=True))
    except KeyboardInterrupt:
        click.echo("Stopped.")


@main.command()
@SOURCE
@click.option("--at", "at", required=True, metavar="YYYY-MM-DD", help="The day (up to its end, UTC).")
@click.option("--offering", default=None, metavar="ID", help="Only this offering.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json (documented, stable) for tools.",
)
def promised(source: Path, at: str, offering: str | None, fmt: str) -> None:
    """What the catalog promised on a day: SLOs, support targets and unsupported tools, from git."""
    from servicebook.git.in_effect import catalog_at
    from servicebook.git.promised import offerings_shown, parse_day, to_json, to_text

    day = parse_day(at)
    found = catalog_at(source, day)
    offerings = offerings_shown(found, day, offering)
    click.echo((to_json if fmt == "json" else to_text)(found, day, offerings), nl=False)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--example",
    is_flag=True,
    help="Write the full example catalog instead of the starter: a bank's platform team "
    "(17 offerings, 45 tool decisions, 9 policy pages).",
)
def init(directory: Path, example: bool) -> None:
    """Scaffold a new site in DIRECTORY that builds immediately."""
    from servicebook.site.scaffold import scaffold

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
    source = "" if directory.as_posix() in (".", "") else f" --source {directory}"
    click.echo(f"Next: servicebook build{source}")
    from servicebook.git.repo import top_level

    if top_level(directory) is None:
        click.echo(
            "Keep it in git (git init, then commit): the site's change history, its releases and the "
            "review_by checks come from git."
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
