"""`servicebook export sloth`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.catalog.validate import WINDOW_RE
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
from servicebook.interop import sloth_export


@click.command(name="sloth")
@SOURCE
@offering_option
@click.option(
    "--period",
    "--sloth-period",  # as `check --against` names it
    "period",
    default=None,
    metavar="WINDOW",
    help="The rolling window of the SLOs to export (sloth generate's --default-slo-period); "
    "default: the window most of them have.",
)
@output_option("slos.sloth.yaml")
def export_sloth(source: Path, offerings: tuple[str, ...], period: str | None, output: str) -> None:
    """The catalog's SLOs as Sloth specs, one per offering, for sloth generate.

    Sloth runs every SLO of a spec over one period: the SLOs of one rolling window are exported
    (--period), each other SLO is named on standard error with the reason."""
    if period is not None and (not WINDOW_RE.fullmatch(period) or period.startswith("calendar")):
        raise UsageProblem(f"--period '{period}' is not a rolling window such as 28d or 30d")
    loaded = read_site(source)
    assert loaded.site is not None
    picked = chosen(loaded.site.catalog, offerings)
    period = period or sloth_export.choose_period(picked)
    exported = sloth_export.specs(picked, period)
    run = f"sloth generate -i {file_named(output)} --default-slo-period {period}"
    if period not in sloth_export.BUILT_IN_PERIODS:
        run += " --slo-period-windows-path DIR (Sloth has alert windows for 28d and 30d only: DIR holds yours)"
    header = f"# Made by servicebook export sloth: SLOs of a {period} window (a Sloth spec has none): {run}\n"
    publish(exported, header, output, source, "slos.sloth.yaml", f"their window {period}: {run}")


command = export_sloth
