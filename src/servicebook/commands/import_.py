"""`servicebook import FORMAT FILE…`: other tools' files as a catalog fragment to review, one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# format -> (module under servicebook.commands, one-line help)
IMPORTS: dict[str, tuple[str, str]] = {
    "backstage": ("import_backstage", "Backstage entity files as a catalog fragment (offerings, team, owners)."),
    "openslo": ("import_openslo", "OpenSLO v1 and v2alpha files (Service, SLI, SLO) as a catalog fragment."),
    "pyrra": ("import_pyrra", "Pyrra ServiceLevelObjective resources as a catalog fragment."),
    "sloth": ("import_sloth", "Sloth specs (prometheus/v1, sloth.slok.dev/v1) as a catalog fragment."),
    "techradar": (
        "import_techradar",
        "A tech radar's JSON (Backstage or Zalando), or AOE's radar folder, as categories and tools.",
    ),
}


@click.group(cls=LazyGroup, table=IMPORTS, name="import")
def import_() -> None:
    """Print a catalog fragment made from another tool's files (OpenSLO, Sloth, Pyrra, Backstage, tech radars).

    The fragment goes to standard output (or a new file with --output where a format offers it;
    nothing is written over), the report of what was skipped, dropped or guessed to standard error."""


command = import_
