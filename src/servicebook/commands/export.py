"""`servicebook export`: the catalog in formats other tools read, one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# name -> (module under servicebook.commands, one-line help)
FORMATS: dict[str, tuple[str, str]] = {
    "backstage": ("export_backstage", "Backstage entities: a Group, a System and an entity per offering."),
    "techradar": ("export_techradar", "The tool decisions as tech-radar data (Backstage, Zalando or AOE)."),
}


@click.group(cls=LazyGroup, table=FORMATS)
def export() -> None:
    """Write the catalog in a format another tool reads (Backstage, tech radars).

    To standard output, unless a command is told to write files."""


command = export
