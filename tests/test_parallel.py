"""The worker pools: results in input order whatever the number of workers, and Ctrl-C stops a
build at once (no hang waiting for workers, no crash report); and `halves`, the halves of lists
in two processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from servicebook.site.parallel import IN_FLIGHT, MAX_CHUNK, beside, halves, map_shared


def _square(offset: int, item: int) -> int:
    return item * item + offset


def test_results_come_in_input_order_whatever_the_workers() -> None:
    items = list(range(200))
    expected = [i * i + 1 for i in items]
    assert map_shared(_square, 1, items, workers=1) == expected
    assert map_shared(_square, 1, items, workers=3) == expected


def test_what_is_kept_of_each_result_is_decided_as_it_comes_in() -> None:
    # A build keeps a page's HTML in its spool as the page arrives (load.BodySpool), so `keep`
    # sees each result once, with its index, in the parent, whatever the number of workers.
    import os

    for workers in (1, 3):
        seen: list[tuple[int, int, int]] = []

        def keep(i: int, result: int, seen: list[tuple[int, int, int]] = seen) -> int:
            seen.append((i, result, os.getpid()))
            return -result

        items = list(range(200))
        assert map_shared(_square, 0, items, workers=workers, keep=keep) == [-i * i for i in items]
        assert seen == [(i, i * i, os.getpid()) for i in items]


def test_a_large_job_is_handed_out_a_few_chunks_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # A result that has come back and is not yet taken is held whole by this process (a page with
    # its HTML): what is handed out at once, not the number of items, bounds what it holds.
    submitted: list[int] = []
    real = ProcessPoolExecutor.submit

    def counting(self: ProcessPoolExecutor, fn: object, /, *args: object, **kwargs: object) -> object:
        submitted.append(len(args[0]))  # type: ignore[arg-type]
        return real(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counting)
    handed_out: list[int] = []
    told: list[int] = []

    def keep(i: int, result: int) -> int:
        handed_out.append(sum(submitted))
        return result

    items = list(range(5000))
    assert map_shared(_square, 0, items, workers=2, keep=keep, done=told.append) == [i * i for i in items]
    assert sum(submitted) == sum(told) == len(items)  # and progress is told of every one
    assert max(submitted) <= MAX_CHUNK
    assert max(handed - taken for taken, handed in enumerate(handed_out)) <= (2 * IN_FLIGHT + 1) * MAX_CHUNK


def _pid(_shared: None, _item: int) -> int:
    import os

    return os.getpid()


def test_the_parent_does_other_work_while_workers_run_and_only_then() -> None:
    # A build compiles its templates while workers render Markdown: `meanwhile` runs in the
    # parent, once, after the work was handed out; with no workers there is nothing to wait for.
    import os

    calls: list[int] = []
    pids = map_shared(_pid, None, list(range(200)), workers=2, meanwhile=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()] and os.getpid() not in pids
    calls.clear()
    assert map_shared(_square, 0, [1, 2], workers=2, meanwhile=lambda: calls.append(1)) == [1, 4]
    assert calls == []


def test_an_interrupt_stops_the_workers_and_reaches_the_caller() -> None:
    # A worker interrupts its parent, as Ctrl-C would; the parent must raise KeyboardInterrupt at
    # once, kill its workers and exit (multiprocessing's exit handler used to wait for them forever).
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        from servicebook.site.parallel import map_shared

        # Ctrl-C as a terminal delivers it to a command started there. A suite started in the
        # background of a script (`pytest &`: POSIX shells ignore SIGINT in such jobs) passes
        # SIGINT down ignored, and Python leaves an ignored SIGINT ignored: this process would
        # then never see the interrupt, whatever map_shared does.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # (a failure shows the rest of how it started: a blocked SIGINT would be the environment)
        with open("/proc/self/status") as status:
            print(*(line for line in status if line.startswith(("SigBlk", "SigIgn"))), sep="", file=sys.stderr)

        def work(_shared, item):
            if item == 0:
                os.kill(os.getppid(), signal.SIGINT)
            time.sleep(0.05)
            return item

        try:
            map_shared(work, None, list(range(400)), workers=2)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
        print("finished", flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "interrupted", done.stderr
    assert done.returncode == 130
    assert "Traceback" not in done.stderr, done.stderr


def test_workers_ignore_ctrl_c_themselves() -> None:
    # Ctrl-C reaches the whole process group; only the parent may act on it.
    assert map_shared(_handler_of_sigint, None, list(range(100)), workers=2) == ["ignored"] * 100


def _handler_of_sigint(_shared: None, _item: int) -> str:
    handler = signal.getsignal(signal.SIGINT)
    return "ignored" if handler is signal.SIG_IGN else repr(handler)


def test_workers_leave_a_stop_asked_of_the_group_to_the_parent() -> None:
    # `kill -TERM -PGID` (a CI runner cancelling a job) reaches the workers too; the parent stops them.
    assert map_shared(_handler_of_sigterm, None, list(range(100)), workers=2) == ["ignored"] * 100


def _handler_of_sigterm(_shared: None, _item: int) -> str:
    handler = signal.getsignal(signal.SIGTERM)
    return "ignored" if handler is signal.SIG_IGN else repr(handler)


def test_workers_die_with_a_parent_killed_outright(tmp_path) -> None:
    # SIGKILL (the OOM killer, a CI runner's last word) gives the parent no chance to stop its
    # workers: the kernel must, or they wait for work forever.
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        """
        import os, sys, time
        from servicebook.site.parallel import map_shared

        def work(_shared, item):
            with open(sys.argv[1], "a") as out:
                out.write(f"{os.getpid()}\\n")
            time.sleep(3600)

        map_shared(work, None, list(range(400)), workers=2)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(pids)])
    deadline = time.monotonic() + 60
    while len(_lines(pids)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = {int(pid) for pid in _lines(pids)}
    assert len(workers) == 2
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # not to leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert left == []


def _lines(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has died, awaiting its reaper


def _tagged(_: int, part: Sequence[int]) -> bytes:
    """Each item with the process that made its bytes (16 bytes an item)."""
    return b"".join(f"{os.getpid():>7}:{item:>8}".encode() for item in part)


def _makers(made: bytes | None) -> list[tuple[int, int]]:
    assert made is not None
    return [(int(made[at : at + 7]), int(made[at + 8 : at + 16])) for at in range(0, len(made), 16)]


def test_halves_does_the_second_half_of_each_long_list_in_one_other_process_and_gives_all_in_order() -> None:
    lists = [list(range(11)), list(range(3)), list(range(100, 120))]
    made = [_makers(part) for part in halves(_tagged, lists, [16] * 3, workers=2, at=10)]
    assert [[item for _, item in part] for part in made] == lists
    here = os.getpid()
    assert [pid for pid, _ in made[0][:5]] == [here] * 5
    assert [pid for pid, _ in made[1]] == [here] * 3  # shorter than `at`: all here
    assert [pid for pid, _ in made[2][:10]] == [here] * 10
    there = {pid for pid, _ in made[0][5:] + made[2][10:]}
    assert len(there) == 1 and here not in there  # one process for both lists


def test_halves_with_one_worker_or_short_lists_does_it_all_here() -> None:
    lists = [list(range(11)), list(range(30))]
    assert list(halves(_tagged, lists, [16, 16], workers=1, at=10)) == [_tagged(0, items) for items in lists]
    assert list(halves(_tagged, lists, [16, 16], workers=2, at=31)) == [_tagged(0, items) for items in lists]


def _fails_on(bad: int) -> Callable[[int, Sequence[int]], bytes]:
    def fn(_: int, part: Sequence[int]) -> bytes:
        if bad in part:
            raise OSError(f"no {bad}")
        return bytes(part)

    return fn


def test_halves_answers_none_once_the_other_process_failed_and_raises_what_fails_here() -> None:
    lists = [list(range(11)), list(range(20, 31))]
    assert list(halves(_fails_on(9), lists, [1, 1], workers=2, at=2)) == [None, None]
    assert list(halves(_fails_on(29), lists, [1, 1], workers=2, at=2)) == [bytes(range(11)), None]
    with pytest.raises(OSError, match="no 2"):
        list(halves(_fails_on(2), lists, [1, 1], workers=2, at=2))
    assert list(halves(_fails_on(99), lists, [1, 1], workers=2, at=2)) == [bytes(items) for items in lists]


def _stuck_after_first(i: int, part: Sequence[int]) -> bytes:
    if i > 0:
        signal.pause()  # (in the other process) until it is ended: the caller stops after the first list
    return _tagged(i, part)


def test_a_caller_that_stops_asking_ends_the_other_process() -> None:
    lists = [list(range(11)), list(range(11))]
    found = halves(_stuck_after_first, lists, [16, 16], workers=2, at=2)
    there = {pid for pid, _ in _makers(next(found))} - {os.getpid()}
    found.close()  # would wait for ever for a process it did not end
    assert len(there) == 1
    with pytest.raises(ProcessLookupError):  # ended and waited for
        os.kill(there.pop(), 0)


def _say_pid(write: int) -> None:
    os.write(write, str(os.getpid()).encode())


def test_beside_does_its_work_in_another_process_while_the_caller_goes_on() -> None:
    read, write = os.pipe()
    try:
        with beside(partial(_say_pid, write), workers=2) as other:
            mine = os.getpid()  # the caller's own work, meanwhile
            assert other.wait()
        assert int(os.read(read, 32)) != mine
    finally:
        os.close(read)
        os.close(write)


def _fail() -> None:
    raise OSError("no space left on device")


def test_beside_says_when_its_work_failed_and_does_none_with_one_worker() -> None:
    with beside(_fail, workers=2) as other:
        assert not other.wait()
    read, write = os.pipe()
    try:
        with beside(partial(_say_pid, write), workers=1) as other:
            assert not other.wait()  # not done: the caller does it
        os.set_blocking(read, False)
        with pytest.raises(BlockingIOError):
            os.read(read, 32)
    finally:
        os.close(read)
        os.close(write)


def _say_pid_and_wait(write: int) -> None:
    _say_pid(write)
    signal.pause()


def test_leaving_beside_without_waiting_ends_its_process() -> None:
    read, write = os.pipe()
    try:
        pid = 0
        with (
            pytest.raises(RuntimeError, match="the caller's own work failed"),
            beside(partial(_say_pid_and_wait, write), workers=2),
        ):
            pid = int(os.read(read, 32))
            raise RuntimeError("the caller's own work failed")
        with pytest.raises(ProcessLookupError):  # killed and reaped
            os.kill(pid, 0)
    finally:
        os.close(read)
        os.close(write)
