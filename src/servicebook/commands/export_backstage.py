"""`servicebook export backstage`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.catalog.portals import unmapped_owners
from servicebook.commands.options import SOURCE, paths_for_people, write_new_files
from servicebook.commands.progress import shown
from servicebook.errors import BuildFailed
from servicebook.interop import backstage
from servicebook.site.portals import backstage_export_problems, load_for_export


@click.command(name="backstage")
@SOURCE
@click.option(
    "--split",
    "split_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write one file per entity into DIR, with catalog-info.yaml a Location that lists them.",
)
def export_backstage(source: Path, split_dir: Path | None) -> None:
    """Backstage entities: a Group, a System and an entity per offering.

    A Group for the team, a System for the catalog, and a Component (or a Resource) per
    offering, with SLOs, tier and support under servicebook.dev/ annotations."""
    with paths_for_people(source), shown("normal") as progress:  # on a terminal: the pages read
        site, _ = load_for_export(source, history=False, progress=progress)
        catalog = site.catalog
        if unmapped_owners(catalog) or not catalog.site.base_url:  # (a catalog with portals.backstage: never)
            raise BuildFailed(backstage_export_problems(source), action="export")
    assert catalog.site.base_url is not None
    entities = backstage.entities(catalog, catalog.site.base_url)
    if split_dir is None:
        click.echo(backstage.stream(entities).decode("utf-8"), nl=False)
        return
    written = write_new_files(split_dir, backstage.split(entities), source)
    click.echo(f"Wrote {len(written)} files to {split_dir} (register {split_dir / 'catalog-info.yaml'}).", err=True)


command = export_backstage
