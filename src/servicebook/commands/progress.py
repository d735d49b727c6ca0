"""How long commands show their progress, and the report that closes a build.

On a terminal (stderr is a TTY) a phase that counts its items (the releases of a build) is a
click progress bar, any other a status line naming it; either is erased when the phase ends, so
the terminal is left with what the command prints at the end and nothing else. Anywhere else (CI
logs, pipes, files) nothing is drawn: `--verbose` adds one line per phase as it starts, and the
closing report gives the time of each. Progress never goes to stdout, and never into the text of
a failure, which reads the same with and without a terminal.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, Literal, TextIO

import click

from servicebook.progress import Phase, Phases
from servicebook.site.fresh import KINDS, Report

Verbosity = Literal["quiet", "normal", "verbose"]
ERASE = "\r\x1b[K"  # back to the start of the line and clear it
SHOW_CURSOR = "\x1b[?25h"  # click's bar hides the cursor while it draws


def verbosity_options(command: Any) -> Any:
    """--quiet and --verbose, as one `verbosity` argument."""
    command = click.option(
        "--verbose",
        "-v",
        "verbosity",
        flag_value="verbose",
        help="Also name every page rendered again and why (which input changed), and each phase as it starts.",
    )(command)
    return click.option(
        "--quiet", "-q", "verbosity", flag_value="quiet", help="Print errors only: no progress, warnings or report."
    )(command)


class Terminal:
    """Draws the phase under way on a terminal: a progress bar when it counts, a line otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None  # click's ProgressBar of the phase under way, if it counts
        self.drawn = False

    def started(self, name: str, total: int | None) -> None:
        self.clear()
        if total:
            self.expected(name, total)
        else:
            self.stream.write(f"{name}…")
            self.stream.flush()
            self.drawn = True

    def expected(self, name: str, total: int) -> None:
        if total <= 0:  # nothing to count: the phase's line stays
            return
        self.clear()
        # redrawn at most about 200 times, however many items
        every = max(1, total // 200)
        self.bar = click.progressbar(
            length=total, label=name, file=self.stream, show_pos=True, width=24, update_min_steps=every
        )
        self.bar.render_progress()
        self.drawn = True

    def advanced(self, done: int, total: int | None) -> None:  # noqa: ARG002 - the bar knows its length
        if self.bar is not None and done > self.bar.pos:
            self.bar.update(done - self.bar.pos)

    def finished(self, phase: Phase) -> None:  # noqa: ARG002 - the report shows it
        self.clear()

    def clear(self) -> None:
        if self.drawn:
            self.stream.write(ERASE + (SHOW_CURSOR if self.bar is not None else ""))
            self.stream.flush()
            self.drawn = False
        self.bar = None


class Lines:
    """`--verbose` without a terminal: one line per phase as it starts (a CI log shows where a
    build is, should it hang), nothing drawn over."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def started(self, name: str, total: int | None) -> None:
        counted = f" ({total})" if total else ""
        self.stream.write(f"{name}{counted}…\n")
        self.stream.flush()

    def expected(self, name: str, total: int) -> None:
        """Said in the report."""

    def advanced(self, done: int, total: int | None) -> None:
        """Counted in the report, not line by line."""

    def finished(self, phase: Phase) -> None:
        """Timed in the report."""


@contextlib.contextmanager
def shown(verbosity: Verbosity, stream: TextIO | None = None) -> Iterator[Phases]:
    """The phases of one command, drawn as `verbosity` and the terminal allow; whatever ends the
    command (success, a failure, Ctrl-C), the terminal's line is left clear for what comes next."""
    err = stream if stream is not None else sys.stderr
    listener: Terminal | Lines | None = None
    if verbosity != "quiet" and _is_terminal(err):
        listener = Terminal(err)
    elif verbosity == "verbose":
        listener = Lines(err)
    phases = Phases(listener)
    try:
        yield phases
    finally:
        phases.end()
        if isinstance(listener, Terminal):
            listener.clear()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


# -- the closing report ----------------------------------------------------------------------


def build_report(report: Report, *, verbose: bool = False, notices: int = 0) -> list[str]:
    """What a build says after its first line ("Built N pages …"): the files rendered again and
    kept, per kind, the releases built and reused, the warnings (`notices` more were shown before
    the build: warnings about where it runs, which --strict does not fail on), the time of each
    phase; with `verbose`, every file rendered again and why."""
    work = report.work
    phases = report.phases
    total = sum(p.seconds for p in phases)
    if work is not None and work.unchanged:
        return [f"Nothing changed since the last build: every file kept ({total:.2f} s)."]
    warnings = len(report.warnings) + notices
    rows: list[tuple[str, str, str]] = []
    if work is not None:
        rows += [(kind, str(work.rendered.get(kind, 0)), str(work.kept.get(kind, 0))) for kind in KINDS]
        if work.releases_built or work.releases_kept:
            rows.append(("releases", str(work.releases_built), str(work.releases_kept)))
    rows.append(("warnings", str(warnings), ""))
    times = [(p.name, f"{p.seconds:.2f}") for p in phases]
    if times:
        times.append(("total", f"{total:.2f}"))
    width = max(len(label) for label, *_ in [*rows, *times, ("files", "")])
    lines = [f"  {'files':<{width}}  {'rendered':>8}  {'kept':>6}"]
    lines += [f"  {label:<{width}}  {a:>8}  {b:>6}".rstrip() for label, a, b in rows]
    if times:
        lines.append(f"  {'phase':<{width}}  {'seconds':>8}")
        lines += [f"  {label:<{width}}  {seconds:>8}" for label, seconds in times]
    if verbose and work is not None:
        lines += why_lines(work.why)
    return lines


WHOLE_SITE = ("no earlier build", "the output folder is not")  # reasons that apply to every file


def why_lines(why: tuple[tuple[str, str], ...]) -> list[str]:
    """Every file rendered again and why; one line when one reason holds for all of them."""
    if not why:
        return ["Rendered again: nothing (every file kept from the last build)."]
    reasons = {reason for _, reason in why}
    if len(why) > 1 and len(reasons) == 1 and next(iter(reasons)).startswith(WHOLE_SITE):
        return [f"Rendered again: all {len(why)} files ({next(iter(reasons))})."]
    return [f"Rendered again ({len(why)}):", *(f"  {path}: {reason}" for path, reason in why)]
