"""`servicebook export FORMAT`: the catalog in a format other tools read; one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# format -> (module under servicebook.commands, one-line help)
EXPORTS: dict[str, tuple[str, str]] = {
    "openslo": ("export_openslo", "The catalog's SLOs as OpenSLO v1: a Service, SLI and SLO per objective."),
}


@click.group(cls=LazyGroup, table=EXPORTS)
def export() -> None:
    """The catalog in a format other tools read (OpenSLO)."""


command = export
