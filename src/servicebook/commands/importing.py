"""What the import commands share: reading their files strictly and printing the fragment and
its report (the fragment on standard output, the report on standard error)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from servicebook.commands.writing import write_new_files
from servicebook.errors import BuildFailed, Problem
from servicebook.interop.fragment import Report, read_file
from servicebook.source.yaml import SourceError, SourceText


def read_all(paths: Iterable[Path]) -> list[SourceText]:
    """Every file as strict text, or BuildFailed naming every one that cannot be read."""
    sources: list[SourceText] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            sources.append(read_file(path, str(path)))
        except SourceError as exc:
            problems += exc.problems
    if problems:
        raise BuildFailed(problems, action="import")
    return sources


def finish(fragment: str, report: Report, output: Path | None) -> None:
    if report.problems:
        raise BuildFailed(report.problems, action="import")
    click.echo(report.text(), nl=False, err=True)
    if output is None:
        click.echo(fragment, nl=False)
        return
    write_new_files(output.parent, {output.name: fragment.encode("utf-8")})
    click.echo(f"Wrote {output}.", err=True)
