"""`servicebook export pyrra`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.catalog.slo import latest_results
from servicebook.catalog.validate import ID_RE
from servicebook.commands.export_stream import (
    chosen,
    file_named,
    offering_option,
    output_option,
    publish,
    read_site,
)
from servicebook.commands.options import SOURCE
from servicebook.errors import UsageProblem
from servicebook.interop import pyrra_export
from servicebook.interop.openslo import object_names


@click.command(name="pyrra")
@SOURCE
@offering_option
@click.option(
    "--namespace",
    default=None,
    metavar="NAME",
    help="The Kubernetes namespace of every resource; default: each offering's id.",
)
@output_option("slos.pyrra.yaml")
def export_pyrra(source: Path, offerings: tuple[str, ...], namespace: str | None, output: str) -> None:
    """The catalog's SLOs as Pyrra ServiceLevelObjective resources.

    A resource per SLO measured with metric selectors over a rolling window; each other SLO is
    named on standard error with the reason."""
    if namespace is not None and not ID_RE.fullmatch(namespace):
        raise UsageProblem(
            f"--namespace '{namespace}' is not a Kubernetes namespace: lower-case letters, digits and '-', "
            "at most 63, a letter or digit at both ends"
        )
    loaded = read_site(source)
    assert loaded.site is not None
    catalog = loaded.site.catalog
    exported = pyrra_export.objectives(
        chosen(catalog, offerings), object_names(catalog), namespace, latest_results(loaded.site.snapshots)
    )
    how = f"kubectl apply -f {file_named(output)} where Pyrra watches"
    publish(exported, f"# Made by servicebook export pyrra: {how}\n", output, source, "slos.pyrra.yaml", how)


command = export_pyrra
