"""`servicebook export techradar`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook import routes
from servicebook.catalog import model
from servicebook.commands.options import SOURCE, paths_for_people, write_new_files
from servicebook.commands.progress import shown
from servicebook.errors import UsageProblem
from servicebook.interop import techradar
from servicebook.site.portals import load_for_export, radar_events, radar_files


@click.command(name="techradar")
@SOURCE
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in model.RadarFormat]),
    required=True,
    help="backstage: the tech-radar plugin's JSON; zalando: config.json; aoe: a folder of Markdown files.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write the files into DIR (the aoe format needs it) instead of standard output.",
)
@click.option("--no-history", is_flag=True, help="Do not read git history (each timeline has its current ring).")
def export_techradar(source: Path, fmt: str, output: Path | None, no_history: bool) -> None:
    """The tool decisions as tech-radar data (Backstage, Zalando or AOE).

    Status → ring, category → quadrant, reason, alternative and review date in the description;
    the Backstage format's timeline comes from git history."""
    radar_format = model.RadarFormat(fmt)
    if radar_format is model.RadarFormat.AOE and output is None:
        raise UsageProblem("the aoe format is a folder of Markdown files: give --output DIR")
    with paths_for_people(source), shown("normal") as progress:  # on a terminal: pages read, history
        site, history = load_for_export(source, history=not no_history, progress=progress)
    refused = techradar.refusals(site.catalog, radar_format)
    if refused:
        raise UsageProblem("; ".join(refused))
    build_date = site.build.date.date() if site.build.date is not None else None
    files = radar_files(site.catalog, radar_format, radar_events(history), build_date)
    aoe = radar_format is model.RadarFormat.AOE  # a folder of its own; the others are one file each
    named = {
        path.removeprefix(routes.TECHRADAR_AOE) if aoe else path.rsplit("/", 1)[-1]: data
        for path, data in files.items()
    }
    if output is None:
        (data,) = named.values()
        click.echo(data.decode("utf-8"), nl=False)
        return
    written = write_new_files(output, named, source)
    click.echo(f"Wrote {len(written)} file{'s' if len(written) != 1 else ''} to {output}.", err=True)


command = export_techradar
