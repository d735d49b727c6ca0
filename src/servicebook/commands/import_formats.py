"""What the `servicebook import` commands share: read the files, print the fragment on stdout (or
write it to a new file) and what was dropped or guessed on stderr; refuse (exit 1, nothing on
stdout) when a file cannot be read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from servicebook.catalog.validate import ID_RE, WINDOW_RE
from servicebook.commands.import_ import IMPORTS
from servicebook.commands.options import ALL_WARNINGS, is_stream, write_into, write_new_files
from servicebook.errors import (
    EVERY_WARNING,
    BuildFailed,
    Problem,
    ServicebookError,
    UsageProblem,
    alike,
    sort_problems,
)
from servicebook.interop import importing, sloth
from servicebook.interop.fragment import STDIN, Report, read_file, shown_name
from servicebook.source.text import SourceError, SourceText


def import_command(fmt: str) -> click.Command:
    def run(
        files: tuple[Path, ...], offering: str | None, every_warning: bool, period: str = sloth.DEFAULT_PERIOD
    ) -> None:
        once(files)
        if not WINDOW_RE.fullmatch(period) or period.startswith("calendar"):
            raise UsageProblem(f"--period '{period}' is not a rolling window such as 28d or 30d")
        reading = importing.read([(shown_name(f), f) for f in files], expect=fmt, named=True, sloth_period=period)
        if reading.errors:
            raise BuildFailed(reading.errors, action="import")
        if offering is not None and not ID_RE.fullmatch(offering):
            raise UsageProblem(f"--offering '{offering}' is not a catalog id (lower-case letters, digits and '-')")
        every = f"`servicebook import {fmt} {EVERY_WARNING}`"
        if not reading.slos:
            notes = sort_problems(reading.notes)
            for note in notes if every_warning else alike(notes, every):
                click.echo(note.format(), err=True)
            raise ServicebookError(  # said as every other error is, with what to look at
                f"error: no SLO in {', '.join(shown_name(f) for f in files)}: nothing to import"
                + (" (the notes above say what each document is)" if reading.notes else "")
            )
        text = importing.fragment(reading, offering=offering)  # (which notes what it guessed)
        notes = sort_problems(reading.notes)
        for note in notes if every_warning else alike(notes, every):
            click.echo(note.format(), err=True)
        click.echo(text, nl=False)

    command = click.option(
        "--offering", default=None, metavar="ID", help="The offering for SLOs that do not name theirs."
    )(ALL_WARNINGS(run))
    if fmt == "sloth":  # a Sloth spec has no window: sloth generate runs it with a period
        command = click.option(
            "--period",
            "--sloth-period",  # as `check --against` names it
            "period",
            default=sloth.DEFAULT_PERIOD,
            show_default=True,
            metavar="WINDOW",
            help="The period sloth generate runs the specs with (--default-slo-period): their SLOs' window.",
        )(command)
    command = click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=Path))(
        command
    )
    return click.command(
        name=fmt, help=IMPORTS[fmt][1] + "\n\nThe fragment goes to stdout; what was dropped or guessed, to stderr."
    )(command)


def once(paths: Sequence[Path]) -> None:
    """Standard input can be read once: `-` given twice is a usage error."""
    if paths.count(STDIN) > 1:
        raise UsageProblem("- (standard input) is given more than once: it can be read once")


def read_all(paths: Sequence[Path]) -> list[SourceText]:
    """Every file as strict text (`-`: standard input), or BuildFailed naming every one that
    cannot be read."""
    once(paths)
    sources: list[SourceText] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            sources.append(read_file(path, shown_name(path)))
        except SourceError as exc:
            problems += exc.problems
    if problems:
        raise BuildFailed(problems, action="import")
    return sources


def _skipped(note: Problem) -> bool:
    return note.message.startswith("skipped ")


FRAGMENT_OUTPUT = click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    metavar="FILE|-",
    help="Write the fragment to this new file (never over an existing one) instead of standard output (-).",
)
"""The --output of an import that writes a catalog fragment (`finish` writes it)."""


def finish(fragment: str, report: Report, output: Path | None, fmt: str, every_warning: bool) -> None:
    if output is not None and output == Path():  # `--output ''`: Path("") is the current folder
        raise UsageProblem("--output '' names no file: give a new file's name, or - for standard output")
    if report.problems:
        raise BuildFailed(report.problems, action="import")
    click.echo(
        report.text(None if every_warning else f"`servicebook import {fmt} {EVERY_WARNING}`"), nl=False, err=True
    )
    if report.nothing is not None:  # an empty fragment would read as a successful import
        raise ServicebookError(
            f"error: {report.nothing}: nothing to import"
            + (" (the warnings above say why each was skipped)" if any(_skipped(n) for n in report.notes) else "")
        )
    if output is None or output == Path("-"):
        click.echo(fragment, nl=False)
        return
    if is_stream(output):  # a FIFO or a device (`--output /dev/stdout`): written into, as by the shell
        write_into(output, fragment.encode("utf-8"))
        return
    write_new_files(output.parent, {output.name: fragment.encode("utf-8")})
    click.echo(f"Wrote {output}.", err=True)
