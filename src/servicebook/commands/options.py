"""What several commands share: the --source and --strict options, how problems are shown, and
how export and import commands write files (never over an existing one). It imports no YAML:
`build` reaches it before knowing whether there is anything to do."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import click

from servicebook.errors import (
    EVERY_WARNING,
    MAX_ALIKE,
    SHOWN_ALIKE,
    BuildFailed,
    Problem,
    UsageProblem,
    WriteFailed,
    alike,
)
from servicebook.git.repo import BUILD_INPUTS, Repo, refuse_committed_cache
from servicebook.report import shown_from
from servicebook.wholefiles import remove_unfinished, write_new


def _trusted_source(_ctx: click.Context, _param: click.Parameter, source: Path) -> Path:
    """The source, once its cache folder is known not to come from the repository (every command
    that takes one may read that cache: builds, the history, the members' heads)."""
    refuse_committed_cache(source)
    return source


SOURCE = click.option(
    "--source",
    "-s",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder holding catalog.yaml, content/ and layouts/.",
    callback=_trusted_source,
)
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
TEXT_OR_JSON = click.option(  # (as `fmt`) for the commands whose answer is for people or for tools
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json (documented, stable) for tools.",
)
ALL_WARNINGS = click.option(
    EVERY_WARNING,
    "every_warning",
    is_flag=True,
    help=f"Show each warning: of more than {MAX_ALIKE} alike (a tag's, a page's), the first {SHOWN_ALIKE} are shown "
    "and the rest counted.",
)


def show_warnings(
    warnings: Sequence[Problem], show: Callable[[str], str], *, every: bool = False, command: str = "build"
) -> None:
    """Each warning on stderr; of many alike, the first few and a count of the rest, unless `every`."""
    for warning in warnings if every else alike(warnings, f"`servicebook {command} {EVERY_WARNING}`"):
        click.echo(warning.shown_as(show).format(), err=True)


# The umask a build writes with: the site (and its releases) is published for everyone to read and
# no one but its owner to change. With the user's own, umask 000 wrote a world-writable site (any
# user of the machine could change it before it is uploaded) and 077 one the web server, another
# user, cannot read; git archive and git's checkouts of the lock give 0644 files alike.
PUBLISHED_UMASK = 0o022


@contextlib.contextmanager
def published_modes() -> Iterator[None]:
    """While a build writes: files 0644 and folders 0755, whatever the umask (PUBLISHED_UMASK)."""
    mask = os.umask(PUBLISHED_UMASK)
    try:
        yield
    finally:
        os.umask(mask)


@contextlib.contextmanager
def paths_for_people(source: Path, *, every_warning: bool = False) -> Iterator[Callable[[str], str]]:
    """Text output names files as paths the user can open from where they are (report.shown_from),
    the problems of a failed build or check included (each of its warnings, with `every_warning`)."""
    show = shown_from(source, Path.cwd())
    try:
        yield show
    except BuildFailed as exc:
        raise exc.shown_as(show, every_warning=every_warning) from None


def annotation_prefix(source: Path, repo: Repo | None) -> str:
    """The prefix of a GitHub annotation's file: the source's path from the repository's top, where
    the runner looks for it whatever folder the step runs in (`working-directory`, an absolute
    --source); outside git, the source as the user gave it."""
    return repo.prefix if repo is not None else path_prefix(source)


def path_prefix(source: Path) -> str:
    """The prefix machine-readable output puts before file names: the source as the user gave it."""
    return "" if source.is_absolute() or source.as_posix() in (".", "") else source.as_posix()


def write_new_files(folder: Path, files: Mapping[str, bytes], source: Path | None = None) -> list[Path]:
    """Write `files` (relative paths) under `folder`; refuses, writing nothing, if any exists, or
    if `folder` is (or is inside) one of the inputs of the site at `source` or its .git (an export
    into content/ made every page of the export a broken policy page).

    All or nothing (wholefiles.write_new): no file is ever seen cut short, and a failure (a full
    disk) removes what this run made, so the next run is not refused by half an export."""
    if source is not None:
        target, root = folder.resolve(), source.resolve()
        for name in (*BUILD_INPUTS, ".git"):
            if target == root / name or (root / name) in target.parents:
                raise UsageProblem(
                    f"refusing to write the export into {folder}: it is the site's {name} or inside it, "
                    "which the build reads; give another folder"
                )
    targets = {folder / name: data for name, data in files.items()}
    remove_unfinished(targets)  # what a run killed while it put its files in place had put there
    existing = sorted(str(p) for p in targets if p.exists() or p.is_symlink())
    if existing:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise UsageProblem(f"{shown} already exist{'s' if len(existing) == 1 else ''}; nothing was written")
    try:
        write_new(targets)
    except OSError as exc:
        raise UsageProblem(f"cannot write {exc.filename or folder}: {exc.strerror}; nothing was written") from None
    return list(targets)


def is_stream(path: Path) -> bool:
    """Whether `path` is written into rather than replaced by a file: a FIFO, a device or a socket
    (through links too), or anything reached through /proc/ (`/dev/stdout` and `/dev/fd/1` are
    links to standard output, whatever it is: a pipe, a terminal, the file the shell opened)."""
    try:
        info = path.stat()
    except OSError:
        return False
    if stat.S_ISDIR(info.st_mode):
        return False
    return not stat.S_ISREG(info.st_mode) or _through_proc(path)


def _through_proc(path: Path) -> bool:
    at = path.absolute()
    for _ in range(40):  # as many links as the kernel follows
        at = at.parent.resolve() / at.name
        if at.parts[1:2] == ("proc",):
            return True
        if not at.is_symlink():
            return False
        at = at.parent / at.readlink()  # (an absolute link replaces the folder)
    return False


def write_into(path: Path, data: bytes) -> None:
    """Write `data` into the stream `path` (is_stream) as the shell's `>>` would: a FIFO waits for
    its reader, and a file standard output goes to keeps what was written to it before."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise WriteFailed(f"cannot write {path}: {exc.strerror or exc}") from None
