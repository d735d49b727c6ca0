"""`servicebook import`: other tools' data as a catalog fragment to review, one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# name -> (module under servicebook.commands, one-line help)
FORMATS: dict[str, tuple[str, str]] = {
    "backstage": ("import_backstage", "Backstage entity files as a catalog fragment (offerings, team, owners)."),
    "techradar": ("import_techradar", "A tech radar's JSON (Backstage or Zalando) as categories and tools."),
}


@click.group(cls=LazyGroup, table=FORMATS, name="import")
def import_() -> None:
    """Print a catalog fragment made from another tool's data (Backstage, tech radars).

    The fragment goes to standard output (or a new file with --output; nothing is written over),
    the report of what was skipped, dropped or guessed to standard error."""


command = import_
