"""`servicebook export backstage`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.catalog.portals import unmapped_owners
from servicebook.catalog.validate import check_url
from servicebook.commands.options import SOURCE, paths_for_people, write_new_files
from servicebook.commands.progress import shown
from servicebook.errors import BuildFailed, UsageProblem
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
@click.option(
    "--base-url",
    "base_url",
    default=None,
    metavar="URL",
    help="Where the site is published, which each entity links to (default: site.base_url of catalog.yaml), "
    "e.g. http://127.0.0.1:8000/ to try the export before the site is published.",
)
def export_backstage(source: Path, split_dir: Path | None, base_url: str | None) -> None:
    """Backstage entities: a Group, a System and an entity per offering.

    A Group for the team, a System for the catalog, and a Component (or a Resource) per
    offering, with SLOs, tier and support under servicebook.dev/ annotations."""
    if base_url is not None:
        problem = (
            check_url(base_url)
            if base_url.lower().startswith(("https://", "http://"))
            else "the site's address must be an https:// or http:// address"
        )
        if problem is not None:
            raise UsageProblem(f"--base-url {base_url!r}: {problem}")
    with paths_for_people(source), shown("normal") as progress:  # on a terminal: the pages read
        site, _ = load_for_export(source, history=False, progress=progress)
        catalog = site.catalog
        site_url = base_url or catalog.site.base_url
        if unmapped_owners(catalog) or not site_url:  # (a catalog with portals.backstage: never)
            raise BuildFailed(backstage_export_problems(source, base_url_given=base_url is not None), action="export")
    entities = backstage.entities(catalog, site_url)
    if split_dir is None:
        click.echo(backstage.stream(entities).decode("utf-8"), nl=False)
        return
    written = write_new_files(split_dir, backstage.split(entities), source)
    click.echo(f"Wrote {len(written)} files to {split_dir} (register {split_dir / 'catalog-info.yaml'}).", err=True)


command = export_backstage
