"""Work that outlives the process that starts it (removing a replaced site, a stopped preview): a
program run in a session of its own, adopted by init so that no one has to wait for it, holding
none of this process's descriptors.

It is started without forking this process: `serve` runs threads (the HTTP server's, the
watcher), and a fork copies only the forking thread, so a lock another thread held (the import
lock, a logging or I/O lock, malloc's) stays held in the child for ever. A shell is spawned
(`posix_spawn`: no code of this process runs in between) and starts the program in the
background, says its process id and exits; the program, its parent gone, is adopted by init.

Besides git/runner.py (which starts git), the one module that starts a program
(tests/test_git_door.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

# The program's descriptors 0-2 are /dev/null: a caller reading a serve's output (a pipe) never
# waits for a removal's end (and a removal may wait for that serve's lock). The shell's output is
# the program's id.
_IN_BACKGROUND = '"$@" </dev/null >/dev/null 2>&1 & echo $!'
SHELL = "/bin/sh"


def start(argv: Sequence[str]) -> int | None:
    """Run `argv` detached (see the module), in a session of its own (Ctrl-C in the terminal does
    not reach it); its process id, None where it could not be started."""
    if not hasattr(os, "posix_spawn") or not Path(SHELL).exists():  # pragma: no cover - not POSIX
        return None
    read, write = os.pipe()
    try:
        shell = os.posix_spawn(
            SHELL,
            [SHELL, "-c", _IN_BACKGROUND, "sh", *argv],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
            setsid=True,
        )
    except OSError:
        os.close(read)
        return None
    finally:
        os.close(write)
    said = b""
    try:
        while chunk := os.read(read, 64):  # to its end: the shell exits once the program has started
            said += chunk
    finally:
        os.close(read)
        os.waitpid(shell, 0)
    return int(said) if said.strip().isdigit() else None


def remove_tree(tree: Path) -> bool:
    """Start removing the folder `tree` in a detached process; whether it started (where it did
    not, nothing was removed)."""
    return start(["rm", "-rf", "--", str(tree)]) is not None
