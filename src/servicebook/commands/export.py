"""`servicebook export FORMAT`: the catalog in formats other tools read, one module per format."""

from __future__ import annotations

import click

from servicebook.commands.lazy import LazyGroup

# format -> (module under servicebook.commands, one-line help)
EXPORTS: dict[str, tuple[str, str]] = {
    "backstage": ("export_backstage", "Backstage entities: a Group, a System and an entity per offering."),
    "openslo": ("export_openslo", "The catalog's SLOs as OpenSLO v1: a Service, SLI and SLO per objective."),
    "pyrra": ("export_pyrra", "The catalog's SLOs as Pyrra ServiceLevelObjective resources."),
    "sloth": ("export_sloth", "The catalog's SLOs as Sloth specs, one per offering, for sloth generate."),
    "techradar": ("export_techradar", "The tool decisions as tech-radar data (Backstage, Zalando or AOE)."),
}


@click.group(cls=LazyGroup, table=EXPORTS)
def export() -> None:
    """Write the catalog for another tool: OpenSLO, Sloth, Pyrra, Backstage, tech radars.

    To standard output, unless a command is told to write files."""


command = export
