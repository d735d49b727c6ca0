"""`servicebook export openslo`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.catalog.slo import latest_results
from servicebook.commands.export_stream import chosen, emit, offering_option, output_option, read_site
from servicebook.commands.options import SOURCE
from servicebook.interop import openslo


@click.command(name="openslo")
@SOURCE
@offering_option
@output_option("openslo.yaml")
def export_openslo(source: Path, offerings: tuple[str, ...], output: str) -> None:
    """The catalog's SLOs as OpenSLO v1: a Service, SLI and SLO per objective.

    One stream: a Service per offering, an SLI per measured SLO and an SLO per objective (an
    unmeasured SLO names the SLI the monitoring must define)."""
    loaded = read_site(source)
    assert loaded.site is not None
    catalog = loaded.site.catalog
    picked = chosen(catalog, offerings)
    text = openslo.dump(openslo.documents(catalog, picked, latest_results(loaded.site.snapshots)))
    unmeasured = [f"{o.id}/{s.id}" for o in picked for s in o.slos if s.measurement is None]
    if unmeasured:
        click.echo(
            f"{len(unmeasured)} SLO{'s' if len(unmeasured) != 1 else ''} without a measurement: "
            "each names (indicatorRef) an SLI the stream does not define (OpenSLO's SLI needs a metric); "
            "define it in your monitoring, or add measurement: to the catalog: " + ", ".join(unmeasured),
            err=True,
        )
    emit(output, text, source, "openslo.yaml")


command = export_openslo
