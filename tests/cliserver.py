"""A `servicebook` command for shell scripts run by the tests that starts in milliseconds: a server
process imports servicebook once, and for each command a script runs, forks a copy of itself that
takes the command's arguments, folder, environment and stdin, stdout and stderr (passed over a Unix
socket), runs the CLI as the console script would, and hands back its exit status.

Starting a `servicebook` process costs about 0.75 CPU s here, half of it importing the pipeline;
the docs' runnable blocks start dozens (tests/test_docs.py). What such a script shows is the
same: the real CLI and pipeline, real files, git, exit statuses and output streams; only the
interpreter's start and the imports are shared. The console script itself is started for real
elsewhere (test_federation builds the example organisation with it; test_dist installs the wheel).

Run as `python tests/cliserver.py SOCKET`: it prints "ready" once it listens, and on SIGTERM
waits for the commands still running and exits."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

# The command a script finds on its PATH: it connects, sends its stdin, stdout and stderr, then
# its arguments, folder and environment, and exits with the status it is sent back. (-I -S: no
# site-packages, no PYTHON* variables, so it starts in a few milliseconds.)
CLIENT = """\
#!{python} -IS
import json, os, socket, struct, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.connect({socket!r})
socket.send_fds(server, [b"x"], [0, 1, 2])
payload = json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}}).encode()
server.sendall(struct.pack("!I", len(payload)) + payload)
status = b""
while len(status) < 4:
    chunk = server.recv(4 - len(status))
    if not chunk:
        sys.exit("servicebook: the test's command server ended the command without an exit status")
    status += chunk
sys.exit(struct.unpack("!i", status)[0])
"""


@contextlib.contextmanager
def cli_server(env: dict[str, str]) -> Iterator[Path]:
    """A server for as long as the block runs; yields a folder holding `servicebook`, to put first
    on a script's PATH. `env`: the server's own environment (each command gets its script's)."""
    with tempfile.TemporaryDirectory(prefix="sb-cli-") as folder:  # short: a socket's path is limited
        where = Path(folder)
        sock = where / "socket"
        bin_dir = where / "bin"
        bin_dir.mkdir()
        client = bin_dir / "servicebook"
        client.write_text(CLIENT.format(python=sys.executable, socket=str(sock)))
        client.chmod(0o755)
        server = subprocess.Popen(  # as a script: the repository's root (build.py…) is not on its path
            [sys.executable, str(Path(__file__).resolve()), str(sock)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env={**env, "PYTHONIOENCODING": "utf-8"},
            cwd=where,
            text=True,
        )
        try:
            assert server.stdout is not None
            ready = server.stdout.readline()
            assert ready == "ready\n", f"the command server did not start: {ready!r}"
            yield bin_dir
        finally:
            server.terminate()
            server.wait(timeout=60)
            if server.stdout is not None:
                server.stdout.close()


def _import_servicebook() -> None:
    """Every module of servicebook (none does work at import), so that no command imports any."""
    import servicebook

    for module in pkgutil.walk_packages(servicebook.__path__, "servicebook."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _run_command(conn: socket.socket) -> None:
    """In the forked copy: become the command the client asked for, run it, send its status."""
    _, fds, _, _ = socket.recv_fds(conn, 1, 3)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    size = struct.unpack("!I", _receive(conn, 4))[0]
    request = json.loads(_receive(conn, size))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from servicebook.cli import main

    code = 0
    try:
        main(args=sys.argv[1:], prog_name="servicebook")
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:  # as the interpreter would: a traceback and status 1
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
    conn.sendall(struct.pack("!i", code))
    os._exit(code)


def _receive(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError("the client went away")
        data += chunk
    return data


class _Stop(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def serve(path: str) -> None:
    _import_servicebook()
    # The digest of servicebook's code that builds key their caches with (cache/digest.py) is
    # read from its files at a process's first build; a command forked from here runs the code
    # imported above, so it is read here once, before any command: every command then keys its
    # caches by the code it runs, not by what the files hold when it starts (an edited checkout).
    from servicebook.site.fresh import code_digest

    code_digest()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    running: set[int] = set()
    signal.signal(signal.SIGTERM, _stop)
    print("ready", flush=True)
    try:
        while True:
            ready, _, _ = select.select([listener], [], [], 1.0)
            for pid in list(running):  # reaped here, so their CPU is counted as this process's children's
                if os.waitpid(pid, os.WNOHANG)[0]:
                    running.discard(pid)
            if not ready:
                continue
            conn, _ = listener.accept()
            pid = os.fork()
            if pid == 0:
                listener.close()
                try:
                    _run_command(conn)
                finally:
                    os._exit(1)
            running.add(pid)
            conn.close()
    except _Stop:
        pass
    finally:
        for pid in running:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


if __name__ == "__main__":
    serve(sys.argv[1])
