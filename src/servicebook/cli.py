"""The `servicebook` program: the command group, what a crash or an interrupt prints, and what
its process leaves to the interpreter's exit.

Each command lives in its own module under `commands/`, loaded only when that command runs, so
`servicebook --help` and `--version` do not pay for importing the build pipeline (the figure is in
bench/README.md, "Start-up"). The list below is the one place a new command is registered.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from typing import Any

import click

from servicebook import __version__
from servicebook.collector import command_line
from servicebook.commands.lazy import LazyGroup
from servicebook.methods import compiled_once
from servicebook.patterns import compiled_once as patterns_compiled_once

# name -> (module under servicebook.commands, one-line help shown by `servicebook --help`); a
# command made of subcommands (`export openslo`) is a LazyGroup with a table of its own
# in its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "Check everything, then write the site (the previous one stays if anything fails)."),
    "check": ("check", "Everything `build` checks, without writing anything."),
    "export": ("export", "Write the catalog for another tool: OpenSLO, Sloth, Pyrra, Backstage, tech radars."),
    "diff": ("diff", "What changed in the catalog and policy pages from BASE to HEAD (default: the working tree)."),
    "import": (
        "import_",
        "Print a catalog fragment made from another tool's files (OpenSLO, Sloth, Pyrra, Backstage, tech radars).",
    ),
    "federate": (
        "federate",
        "Pin an organisation site's members in servicebook.lock: `update` moves them, `fetch` gets them.",
    ),
    "history": (
        "history",
        "Each change to the catalog and policy pages, or to one offering, tool or page, from git.",
    ),
    "init": ("init", "Scaffold a new site in DIRECTORY that builds immediately."),
    "measure": (
        "measure",
        "Ask Prometheus what each SLO attained over its window; write a snapshot under measurements/.",
    ),
    "promised": (
        "promised",
        "What the catalog promised on a day: SLOs, support targets, unsupported and deprecated tools, from git.",
    ),
    "schema": ("schema", "Print the catalog's JSON Schema (for editors and CI)."),
    "serve": ("serve", "Preview the site on 127.0.0.1, rebuilding and reloading on every change."),
    "verify": ("verify", "Rebuild the published site from git and compare it with a published copy, byte for byte."),
}


# Commands an auditor or a newcomer guesses that do not exist, with what answers their question.
_HISTORY = (
    "`servicebook history [ID]` prints the history (every change, or one offering's, tool's or page's), as the "
    "built site's changes/ page and each offering's and tool's History show it; `servicebook diff BASE HEAD` "
    "prints what changed between two commits, and `servicebook promised "
    "--at YYYY-MM-DD` what was promised on a day (docs/auditing.md)"
)
INSTEAD = {"log": _HISTORY, "changes": _HISTORY}


class _Group(LazyGroup):
    """Reports a crash as a bug of ours, distinct from any mistake in the user's sources."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:  # --version and --help answer here, before any command is invoked
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            if exc.errno not in _NO_ROOM:
                raise
            click.echo(_no_room(exc), err=True)
            _stdout_discarded()
            raise SystemExit(2) from None

    def invoke(self, ctx: click.Context) -> object:
        # A stop asked with SIGTERM (a CI job cancelled, `timeout`, `kill`) takes Ctrl-C's way out:
        # workers stopped, temporary folders removed, the previous site left as it was. Left to
        # its default, the process would die at once and its workers live on. (`serve` sets its
        # own handler.)
        stopped: list[int] = []

        def stop(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
            stopped.append(signum)
            raise KeyboardInterrupt

        main_thread = threading.current_thread() is threading.main_thread()  # where Python lets a handler be set
        before = signal.signal(signal.SIGTERM, stop) if main_thread else None
        command_line()  # the collector for a command (collector.py)
        compiled_once()  # the dataclasses' methods the command imports, compiled once for all processes (methods.py)
        patterns_compiled_once()  # and its regular expressions' programs (patterns.py)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            click.echo(_interrupted(exc, terminated=bool(stopped)), err=True)
            raise SystemExit(128 + signal.SIGTERM if stopped else 130) from None
        except BrokenPipeError:
            # whoever read the standard output stopped reading (`servicebook build | head -1`): what
            # the command did is done, and the rest of what it says has no reader. Ended as a program
            # that SIGPIPE ends by default (Python ignores the signal, so the write fails instead).
            _stdout_discarded()
            raise SystemExit(128 + signal.SIGPIPE) from None
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in _NO_ROOM:  # a machine fault, wherever it struck
                click.echo(_no_room(exc), err=True)
                _stdout_discarded()
                raise SystemExit(2) from None
            import traceback  # only for a crash: at the top, every command paid ~1.2 ms (-X importtime, 4 Dec 2026)

            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "internal error: this is a bug in servicebook, not a problem with your catalog. "
                "Please report it with the text above.",
                err=True,
            )
            raise SystemExit(70) from None
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, before)


# A write the file system refused for want of room, or could not make: never a bug of ours. The
# build says so itself (site/write.py); this is for what any command writes to its standard output
# (`servicebook export openslo > openslo.yaml`, `schema > schema.json`) or elsewhere.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _no_room(exc: OSError) -> str:
    where = exc.filename or "the output"
    what = "make room and run the command again" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "check the disk"
    return f"error: cannot write {where}: {exc.strerror or exc}; what was written is incomplete: {what}"


def _stdout_discarded() -> None:
    """What is left in standard output's buffer goes nowhere: flushed at the interpreter's exit
    into a full disk, it would fail again, with an 'Exception ignored' report and status 120."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured output): nothing to flush
        pass


def _interrupted(exc: KeyboardInterrupt, *, terminated: bool = False) -> str:
    word = "terminated" if terminated else "interrupted"
    replaced = getattr(exc, "replaced", None)  # set by build (build.Interrupted); absent elsewhere
    if replaced is None:
        return word
    if replaced:
        return f"{word} after the new site was in place; the next build finishes recording it"
    if not getattr(exc, "previous", True):
        return f"{word}; nothing was published"
    return f"{word}; the previous site was left as it was"


@click.group(cls=_Group, table=COMMANDS, instead=INSTEAD, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebook")
def main() -> None:
    """servicebook: publish a platform team's service catalog as a static site."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
