"""`servicebook serve`."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click

from servicebook.commands.options import SOURCE
from servicebook.site.serve import serve as run_serve


@click.command()
@SOURCE
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
def serve(source: Path, port: int) -> None:
    """Preview the site on 127.0.0.1, rebuilding and reloading on every change."""

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        run_serve(source, port, os.environ, out=click.echo, err=lambda text: click.echo(text, err=True))
    except KeyboardInterrupt:
        click.echo("Stopped.")


command = serve
