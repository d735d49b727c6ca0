"""`servicebook promised`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import click

from servicebook.catalog.model import Catalog
from servicebook.commands.options import SOURCE, TEXT_OR_JSON
from servicebook.errors import UsageProblem
from servicebook.federation.lock import LOCK_FILE
from servicebook.federation.review import organisation_at
from servicebook.git.in_effect import NEWEST, CatalogAt, catalog_at, catalogs_since, offering_trail
from servicebook.git.promised import (
    not_yet_note,
    offerings_shown,
    parse_at,
    renamed_note,
    to_json,
    to_text,
    uncommitted_note,
)
from servicebook.git.repo import source_date_epoch, uncommitted_snapshots
from servicebook.measure.promised import measured_on
from servicebook.measure.snapshot import read_all


@click.command(
    epilog="""\b
Examples:
  servicebook promised --at 2026-03-31    # as the day ended (UTC)
  servicebook promised --at 2026-03-31T14:00+01:00 --offering ci
  servicebook promised --at 2026-03-31 --format json"""
)
@SOURCE
@click.option(
    "--at",
    "at",
    default=None,
    metavar="WHEN",
    help="The day (YYYY-MM-DD, up to its end, UTC) or a time with its offset (2026-03-31T14:00Z).  [required]",
)
@click.option("--offering", default=None, metavar="ID", help="Only this offering.")
@TEXT_OR_JSON
@click.argument("given", nargs=-1, metavar="")
def promised(source: Path, at: str | None, offering: str | None, fmt: str, given: tuple[str, ...]) -> None:
    """What the catalog promised on a day: SLOs, support targets, unsupported and deprecated tools, from git."""
    if given:  # `promised 2026-11-01`: the day is named with --at
        day_given = given[0] if at is None and len(given) == 1 else "DAY"
        told = f"servicebook promised --at {day_given}"
        raise UsageProblem(f"unexpected argument '{' '.join(given)}': name the day with --at, as in `{told}`")
    if at is None:
        raise UsageProblem("name the day with --at, as in `servicebook promised --at 2026-11-01`")
    when = parse_at(at)
    now = source_date_epoch(os.environ) or dt.datetime.now(dt.UTC)  # for a note only
    # with its members on an organisation site, at the commit whose catalog and lock were in effect
    found = organisation_at(source, catalog_at(source, when, also=(LOCK_FILE,)), when)
    offerings, renames = offerings_shown(
        found,
        when,
        offering,
        lambda: _since(source, found),
        lambda asked: offering_trail(source, asked, found.catalog_commit or found.commit),
    )
    snapshots, problems = read_all(source)  # as the working tree has them
    for problem in problems:  # a snapshot that cannot be read is named, and left out
        click.echo(problem.format(), err=True)
    measured = measured_on(snapshots, when)
    uncommitted = uncommitted_snapshots(found.repo)
    if fmt == "json":
        click.echo(to_json(found, when, offerings, measured, uncommitted), nl=False)
    else:
        click.echo(to_text(found, when, offerings, measured), nl=False)
    # on stderr: the answer on stdout (a JSON document too) stays as it is
    renamed = renamed_note(offering, renames, when) if offering is not None else None
    for note in (not_yet_note(when, now), renamed, uncommitted_note(uncommitted)):
        if note is not None:
            click.echo(note, err=True)


def _since(source: Path, found: CatalogAt) -> Iterator[Catalog]:
    """The catalogs since the one `found`, the newest first: the one in effect now (with its members),
    then the site's own as each commit changed it, newest first (read as they are asked for)."""
    newest = _newest(source)
    if newest is not None:
        yield newest
    yield from catalogs_since(source, found.catalog_commit or found.commit)


def _newest(source: Path) -> Catalog | None:
    """The catalog in effect now (the newest valid one, with its members), which names each
    offering by its id now and the ids it had; None when there is none."""
    try:
        return organisation_at(source, catalog_at(source, NEWEST, also=(LOCK_FILE,)), NEWEST).catalog
    except UsageProblem:  # none valid now, or none at all: the id asked for is unknown, as said
        return None


command = promised
