"""`servicebook diff`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.commands.options import SOURCE, path_prefix
from servicebook.errors import UsageProblem
from servicebook.federation.lock import LOCK_FILE
from servicebook.federation.review import disagreement_changes, lock_changes
from servicebook.git.diff import to_json, to_json_failure, to_markdown, to_markdown_failure
from servicebook.git.revisions import RevisionInvalid, diff_revisions, head_named


@click.command(
    epilog="""\b
Examples (BASE and HEAD: a tag, a branch, a commit; a day, as promised --at):
  servicebook diff HEAD                 # what the uncommitted changes do
  servicebook diff 1.0 1.1              # between two release tags
  servicebook diff 2026-01-31 2026-06-30  # the days' last commits (UTC)
  servicebook diff origin/main...HEAD   # what a branch (a pull request) does
  servicebook diff HEAD~1 HEAD --fail-on weakened"""
)
@SOURCE
@click.argument("base", required=False, metavar="BASE")
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
def diff(source: Path, base: str | None, head: str | None, fmt: str, fail_on: str) -> None:
    """What changed in the catalog and policy pages from BASE to HEAD (default: the working tree)."""
    if base is None:  # `servicebook diff` alone: what to compare with, as the examples say
        raise UsageProblem(
            "name what to compare with: `servicebook diff HEAD` for the uncommitted changes, "
            "`servicebook diff origin/main...HEAD` for a branch, `servicebook diff 1.0 1.1` between two releases"
        )
    try:
        changes, old, new = diff_revisions(source, base, head, also=(LOCK_FILE,))
    except UsageProblem as exc:
        if fmt == "json":  # a document saying why, for the CI step that saves it; stderr says it too
            invalid = exc if isinstance(exc, RevisionInvalid) else RevisionInvalid(exc.message)
            problems, revision = invalid.problems, invalid.revision
            click.echo(
                to_json_failure(
                    exc.message, exc.exit_code, problems, revision, base, head_named(base, head), path_prefix(source)
                ),
                nl=False,
            )
        elif fmt == "markdown":  # the pull-request comment says why rather than nothing
            problems = exc.problems if isinstance(exc, RevisionInvalid) else []
            click.echo(to_markdown_failure(exc.message, problems, base, head_named(base, head)), nl=False)
        raise
    # an organisation site: what each member that moved in servicebook.lock changed (federation/review.py)
    locks = old.also.get(LOCK_FILE), new.also.get(LOCK_FILE)
    changes = (
        *changes,
        *lock_changes(source, *locks, base, new.name),
        *disagreement_changes(source, old.catalog, new.catalog, locks),
    )
    if fmt == "json":
        click.echo(to_json(changes, old.as_dict(), new.as_dict()), nl=False)
    else:
        click.echo(to_markdown(changes, old.label(), new.label()), nl=False)
    weakened = sum(1 for c in changes if c.effect == "weakened")
    if (fail_on == "weakened" and weakened) or (fail_on == "any" and changes):
        if fail_on == "weakened":
            what = "1 change weakens" if weakened == 1 else f"{weakened} changes weaken"
            what += " a commitment"
        else:
            what = "1 change" if len(changes) == 1 else f"{len(changes)} changes"
        click.echo(f"diff: {what} (--fail-on {fail_on})", err=True)
        raise SystemExit(3)


command = diff
