"""What the exports that write one stream share (`export openslo`, `sloth`, `pyrra`): the catalog
read and checked, the offerings chosen with --offering, and the stream written to standard output
or replacing a file whole, never one the build reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from servicebook.catalog import model
from servicebook.catalog.validate import did_you_mean
from servicebook.commands.options import is_stream, paths_for_people, write_into
from servicebook.commands.progress import shown
from servicebook.errors import ServicebookError, UsageProblem, WriteFailed
from servicebook.git.repo import BUILD_INPUTS
from servicebook.interop.rule_generators import Exported
from servicebook.interop.yaml12 import dump_stream
from servicebook.site.build import Options, gather
from servicebook.site.load import Loaded
from servicebook.wholefiles import replace_whole

F = TypeVar("F", bound=Callable[..., object])


def offering_option(function: F) -> F:
    return click.option(
        "--offering", "offerings", multiple=True, metavar="ID", help="Only this offering (repeatable)."
    )(function)


def output_option(example: str) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        return click.option(
            "--output",
            "-o",
            default="-",
            show_default=True,
            metavar="FILE|-",
            help=f"Where to write the stream ({example}); - is stdout.",
        )(function)

    return decorate


def read_site(source: Path) -> Loaded:
    """The site in `source`, read and checked (BuildFailed when it has errors)."""
    with paths_for_people(source), shown("normal") as progress:  # on a terminal: the pages read
        progress.enter("reading and checking")
        loaded, _ = gather(Options(source=source, output=source / "public", progress=progress), action="export")
    assert loaded.site is not None
    return loaded


def chosen(catalog: model.Catalog, offerings: tuple[str, ...]) -> list[model.Offering]:
    """The offerings named by --offering, in catalog order (every one when none is named)."""
    by_id = {o.id: o for o in catalog.offerings}
    for ident in offerings:
        if ident not in by_id:
            hint = did_you_mean(ident, by_id) or f"known offerings: {', '.join(sorted(by_id)[:12])}"
            raise UsageProblem(f"there is no offering '{ident}' ({hint})")
    return [o for o in catalog.offerings if not offerings or o.id in offerings]


def file_named(output: str) -> str:
    """The file an export's header tells the next tool to read (`sloth generate -i FILE`): `output`
    when the export is left in it, else FILE (standard output, a pipe or a device such as
    `-o /dev/stdout` keeps nothing to read again)."""
    return output if output != "-" and not is_stream(Path(output)) else "FILE"


def emit(output: str, text: str, source: Path, example: str) -> None:
    """`text` to standard output (`-`) or into the file `output`."""
    if output == "-":
        click.echo(text, nl=False)
        return
    write(Path(output), text, source, example)


def write(path: Path, text: str, source: Path, example: str) -> None:
    """Replace `path` whole or not at all (a temporary file beside it, renamed over it); never
    one of the site's own inputs (`-o catalog.yaml` would put the export in place of the catalog).
    A FIFO or a device (`-o /dev/stdout`, a named pipe) is written into, never replaced."""
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
                f"give --output another file (e.g. {example}), or - for standard output"
            )
    if is_stream(path):
        write_into(path, text.encode("utf-8"))
        return
    try:
        replace_whole(path, text.encode("utf-8"))  # 0644: a file to share, as the shell writes one
    except OSError as exc:
        raise WriteFailed(f"cannot write {path}: {exc.strerror}") from None


def publish(exported: Exported, header: str, output: str, source: Path, example: str, how: str) -> None:
    """Write the export (`header`, a comment, first) and say on standard error what it holds and,
    grouped by reason, the SLOs it holds with a caution and those it left out; an export of no SLO is
    an error that writes nothing (an empty stream applied as the monitoring's would remove what it
    measures)."""
    if exported.slos:
        emit(output, header + dump_stream(exported.documents), source, example)
        n = exported.slos
        click.echo(f"Exported {n} SLO{'s' if n != 1 else ''}; {how}.", err=True)
    for said, items in (("exported with a caution", exported.cautions), ("left out", exported.left)):
        if not items:
            continue
        k = len(items)
        click.echo(f"{k} SLO{'s' if k != 1 else ''} {said}:", err=True)
        by_reason: dict[str, list[str]] = {}
        for item in items:
            by_reason.setdefault(item.reason, []).append(f"{item.offering}/{item.slo}")
        for reason, slos in by_reason.items():
            click.echo(f"  {reason}: {', '.join(slos)}", err=True)
    if not exported.slos:
        raise ServicebookError(
            "error: no SLO to export"
            + (" (the reasons above); nothing was written" if exported.left else ": the offerings chosen have none")
        )
