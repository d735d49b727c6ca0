"""`servicebook export openslo`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from servicebook.catalog.slo import latest_results
from servicebook.catalog.validate import did_you_mean
from servicebook.commands.options import SOURCE, paths_for_people
from servicebook.commands.progress import shown
from servicebook.errors import UsageProblem, WriteFailed
from servicebook.git.repo import BUILD_INPUTS
from servicebook.interop import openslo
from servicebook.site.build import Options, gather


@click.command(name="openslo")
@SOURCE
@click.option("--offering", "offerings", multiple=True, metavar="ID", help="Only this offering (repeatable).")
@click.option(
    "--output", "-o", default="-", show_default=True, metavar="FILE|-", help="Where to write the stream; - is stdout."
)
def export_openslo(source: Path, offerings: tuple[str, ...], output: str) -> None:
    """The catalog's SLOs as OpenSLO v1: a Service, SLI and SLO per objective.

    One stream: a Service per offering, an SLI per measured SLO and an SLO per objective (an
    unmeasured SLO names the SLI the monitoring must define)."""
    with paths_for_people(source), shown("normal") as progress:  # on a terminal: the pages read
        progress.enter("reading and checking")
        loaded, _ = gather(Options(source=source, output=source / "public", progress=progress), action="export")
    assert loaded.site is not None
    catalog = loaded.site.catalog
    by_id = {o.id: o for o in catalog.offerings}
    for ident in offerings:
        if ident not in by_id:
            hint = did_you_mean(ident, by_id) or f"known offerings: {', '.join(sorted(by_id)[:12])}"
            raise UsageProblem(f"there is no offering '{ident}' ({hint})")
    chosen = [o for o in catalog.offerings if not offerings or o.id in offerings]
    text = openslo.dump(openslo.documents(catalog, chosen, latest_results(loaded.site.snapshots)))
    unmeasured = [f"{o.id}/{s.id}" for o in chosen for s in o.slos if s.measurement is None]
    if unmeasured:
        click.echo(
            f"{len(unmeasured)} SLO{'s' if len(unmeasured) != 1 else ''} without a measurement: "
            "each names (indicatorRef) an SLI the stream does not define (OpenSLO's SLI needs a metric); "
            "define it in your monitoring, or add measurement: to the catalog: " + ", ".join(unmeasured),
            err=True,
        )
    if output == "-":
        click.echo(text, nl=False)
        return
    _write(Path(output), text, source)


def _write(path: Path, text: str, source: Path) -> None:
    """Replace `path` whole or not at all (a temporary file beside it, renamed over it); never
    one of the site's own inputs (`-o catalog.yaml` would put the export in place of the catalog)."""
    if path.is_dir():
        raise UsageProblem(f"--output {path} is a folder; give a file name")
    target = path.parent.resolve() / path.name
    if target.is_symlink():
        target = target.resolve()
    root = source.resolve()
    for name in (*BUILD_INPUTS, ".git"):
        if target == root / name or (root / name) in target.parents:
            where = f"it is the site's {name}" if target == root / name else f"it is inside the site's {name}/"
            raise UsageProblem(
                f"refusing to write the export to {path}: {where}, which the build reads; "
                "give --output another file (e.g. openslo.yaml), or - for standard output"
            )
    folder = path.parent if str(path.parent) else Path()
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # noqa: PTH101 - mkstemp's 0600 is for a secret; the export is a file to share
        Path(temporary).replace(path)
    except OSError as exc:
        if temporary is not None:  # a full disk: the half-written temporary file goes, not only the export
            Path(temporary).unlink(missing_ok=True)
        raise WriteFailed(f"cannot write {path}: {exc.strerror}") from None


command = export_openslo
