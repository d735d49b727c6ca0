"""`servicebook import FORMAT FILE…`: other tools' files as a catalog fragment; one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# format -> (module under servicebook.commands, one-line help)
IMPORTS: dict[str, tuple[str, str]] = {
    "openslo": ("import_openslo", "OpenSLO v1 files (Service, SLI, SLO) as a catalog fragment."),
    "pyrra": ("import_pyrra", "Pyrra ServiceLevelObjective resources as a catalog fragment."),
    "sloth": ("import_sloth", "Sloth specs (prometheus/v1, sloth.slok.dev/v1) as a catalog fragment."),
}


@click.group(cls=LazyGroup, table=IMPORTS, name="import")
def import_() -> None:
    """Other tools' SLO files (OpenSLO, Sloth, Pyrra) as a catalog fragment to start from.

    The fragment is printed, with what was dropped or guessed on stderr; no file is written."""


command = import_
