"""What several commands share: the --source and --strict options, and how problems are shown."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from servicebook.errors import BuildFailed, Problem
from servicebook.report import shown_from

SOURCE = click.option(
    "--source",
    "-s",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder holding catalog.yaml, content/ and layouts/.",
)
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def show_warnings(warnings: tuple[Problem, ...], show: Callable[[str], str]) -> None:
    for warning in warnings:
        click.echo(warning.shown_as(show).format(), err=True)


@contextlib.contextmanager
def paths_for_people(source: Path) -> Iterator[Callable[[str], str]]:
    """Text output names files as paths the user can open from where they are (report.shown_from),
    the problems of a failed build or check included."""
    show = shown_from(source, Path.cwd())
    try:
        yield show
    except BuildFailed as exc:
        raise exc.shown_as(show) from None


def path_prefix(source: Path) -> str:
    """The prefix machine-readable output puts before file names: the source as the user gave it."""
    return "" if source.is_absolute() or source.as_posix() in (".", "") else source.as_posix()
