"""How long work shows itself: a lap timer over the phases of a command (a build's reading,
releases, history, rendering, …), with the count of items a phase goes through when it has one,
told as it happens to whoever listens (commands/progress.py draws it on a terminal) and kept for
the report that closes the command.

It imports nothing of ours and does no output itself, so any room can mark its phases: the
pipeline says *what* it is doing; the command decides whether and how to show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase as it ended: its name, the seconds it took (all its runs added up, when it was
    entered more than once) and the items it went through (None when it does not count any)."""

    name: str
    seconds: float
    count: int | None = None


class Listener(Protocol):
    """What a display is told (commands/progress.py has the terminal's)."""

    def started(self, name: str, total: int | None) -> None: ...

    def advanced(self, done: int, total: int | None) -> None: ...

    def expected(self, name: str, total: int) -> None: ...

    def finished(self, phase: Phase) -> None: ...


class Phases:
    """A lap timer: `enter(name)` ends the phase under way and starts the next, so a pipeline
    marks its stages with one line each; `end()` ends the last. Timings are by name, in the order
    the phases were first entered.

    The clock is injectable (tests never read the wall clock); the default is a monotonic one."""

    def __init__(self, listener: Listener | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.listener = listener
        self._clock = clock
        self._seconds: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._current: str | None = None
        self._started = 0.0
        self._done = 0
        self._total: int | None = None

    def enter(self, name: str, total: int | None = None) -> None:
        """End the phase under way (if any) and start `name`, going through `total` items if known."""
        self.end()
        self._current, self._started, self._done, self._total = name, self._clock(), 0, total
        self._seconds.setdefault(name, 0.0)
        if self.listener is not None:
            self.listener.started(name, total)

    def expect(self, total: int) -> None:
        """The phase under way goes through `total` items (learnt once it has begun)."""
        if self._current is None:
            return
        self._total = total
        if self.listener is not None:
            self.listener.expected(self._current, total)

    def advance(self, done: int = 1) -> None:
        """`done` more items of the phase under way are through."""
        if self._current is None:
            return
        self._done += done
        if self.listener is not None:
            self.listener.advanced(self._done, self._total)

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, advancing the phase under way by one after each."""
        for item in items:
            yield item
            self.advance()

    def end(self) -> None:
        """End the phase under way; nothing when none is."""
        name = self._current
        if name is None:
            return
        self._current = None
        seconds = self._clock() - self._started
        self._seconds[name] += seconds
        counted = self._done if self._done or self._total is not None else None
        if counted is not None:
            self._counts[name] = self._counts.get(name, 0) + counted
        if self.listener is not None:
            self.listener.finished(Phase(name, seconds, counted))

    def timings(self) -> tuple[Phase, ...]:
        """Every phase so far, the one under way up to now included."""
        now = self._clock()
        return tuple(
            Phase(
                name,
                seconds + (now - self._started if name == self._current else 0.0),
                self._counts.get(name),
            )
            for name, seconds in self._seconds.items()
        )
