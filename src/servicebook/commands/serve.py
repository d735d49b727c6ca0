"""`servicebook serve`."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click

from servicebook.commands.options import SOURCE, paths_for_people
from servicebook.errors import BuildFailed
from servicebook.site.load import missing_catalog
from servicebook.site.serve import serve as run_serve
from servicebook.site.write import refuse_path_not_text


@click.command()
@SOURCE
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port (0: any free port).",
)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address or name to listen on; the preview answers only requests for it and for localhost.",
)
def serve(source: Path, port: int, bind: str) -> None:
    """Preview the site on 127.0.0.1, rebuilding and reloading on every change."""

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    refuse_path_not_text(source.resolve())  # before the first build: no edit of the sources mends it
    missing = missing_catalog(source)
    if missing is not None:  # not a site: say so and stop, rather than preview an error page at :8000
        with paths_for_people(source):
            raise BuildFailed([missing], action="serve")
    signal.signal(signal.SIGTERM, stop)
    # Ctrl-C stops it even where it was started with SIGINT ignored (a shell's background job)
    signal.signal(signal.SIGINT, stop)
    try:
        run_serve(source, port, os.environ, out=click.echo, err=lambda text: click.echo(text, err=True), bind=bind)
    except KeyboardInterrupt:
        click.echo("Stopped.")


command = serve
