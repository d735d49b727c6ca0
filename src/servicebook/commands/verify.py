"""`servicebook verify`."""

from __future__ import annotations

from pathlib import Path

import click

from servicebook.commands.options import SOURCE
from servicebook.commands.progress import shown
from servicebook.errors import printable
from servicebook.site.verify import verify as run_verify


@click.command(
    epilog="""\b
Examples (in a full clone, with the release tags):
  servicebook verify                       # public/, as the build wrote it
  servicebook verify --site /srv/catalog   # a copy, with all its releases
  servicebook verify --site /srv/catalog --version 1.0"""
)
@SOURCE
@click.option(
    "--site",
    type=click.Path(path_type=Path),  # a file (an archive) is refused with what to do instead
    default=None,
    help="The published site to check.  [default: SOURCE/public]",
)
@click.option("--version", "versions", multiple=True, help="Only this release (repeatable).  [default: all]")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="For a site built from uncommitted changes: check its current catalog only against its own manifest.",
)
@click.option(
    "--no-versions", is_flag=True, help="For a site built with `build --no-versions`: rebuild it without past releases."
)
def verify(source: Path, site: Path | None, versions: tuple[str, ...], allow_dirty: bool, no_versions: bool) -> None:
    """Rebuild the published site from git and compare it with a published copy, byte for byte."""
    where = site if site is not None else source / "public"
    with shown("normal") as progress:  # drawn on a terminal only; the result below is the same either way
        result = run_verify(
            source, where, versions, allow_dirty=allow_dirty, versions=not no_versions, progress=progress
        )
    # the differences quote the published copy (its files' names), which a host or anyone served:
    # a terminal escape or a bidirectional override there is shown escaped, line by line
    for line in result.lead:  # what explains every difference below: read first
        click.echo(f"hint: {_shown(line)}", err=True)
    for line in result.differences:
        click.echo(f"error: {_shown(line)}", err=True)
    for line in result.advice:
        click.echo(f"  hint: {_shown(line)}", err=True)
    if result.hosting:
        click.echo(
            f"note: not compared, as a publishing job adds them: {', '.join(result.hosting)}; the host obeys them "
            "(a redirect or a rewrite can serve readers another site at the site's own addresses, a header can drop "
            "its Content-Security-Policy): review what they say",
            err=True,
        )
    if result.differences:
        raise SystemExit(1)
    releases = f"{len(result.checked)} release(s)" + (f" ({', '.join(result.checked)})" if result.checked else "")
    commit = result.commit[:12]
    if result.root == "not checked":  # --version
        click.echo(f"Verified {releases} against a rebuild from commit {commit}: every file matches a rebuild.")
        return
    if result.root == "manifest":
        click.echo(
            f"Verified {releases} against a rebuild from commit {commit}: every file matches a rebuild. The current "
            "catalog was built from uncommitted changes: it was only checked against its own manifest (--allow-dirty)."
        )
        return
    if no_versions:
        click.echo(
            f"Verified the current catalog, without releases (--no-versions), against a rebuild of commit {commit}: "
            "every file matches a rebuild."
        )
        return
    click.echo(
        f"Verified the current catalog and {releases} against a rebuild of commit {commit}: "
        "every file matches a rebuild."
    )


def _shown(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))


command = verify
