"""Problems with a source position, and the few exceptions the CLI knows how to print."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import click


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A 1-based line and column in a file named relative to the site root."""

    path: str
    line: int = 0  # 0: the file as a whole
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, where it is, and what to do about it."""

    location: SourceLocation
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR
    source_line: str | None = None  # the offending line, shown under the message
    # what the message is about among others alike (a tag's name): `alike` names it when it counts them
    subject: str | None = dataclasses.field(default=None, compare=False)
    # what kind of warning it is, said where it is made (`decision-due-for-review`): `alike` counts
    # the warnings of one kind past the first few
    kind: str | None = dataclasses.field(default=None, compare=False)
    # where in the offending line `source_line` starts (0-based): a long line is kept as the part of
    # it `format` shows, so that thousands of problems on one line of a 256 KiB paragraph do not each
    # hold (and the cache each store) a copy of the whole line (3.8 GB for 9,000 links on one line)
    source_from: int = 0

    def __post_init__(self) -> None:
        line = self.source_line
        if line is None or len(line) <= _KEPT_LINE or self.location.line <= 0:
            return
        line = line.rstrip("\n")
        column = min(max(self.location.column - 1, 0), len(line)) - self.source_from
        start = max(0, column - MAX_SHOWN - 2)  # two more: `##[` is looked for before the first shown
        object.__setattr__(self, "source_line", line[start : column + MAX_SHOWN + 1])  # one more: the '…'
        object.__setattr__(self, "source_from", self.source_from + start)

    def format(self) -> str:
        """Compiler-style text: `path:line:col: error: message`, the line, a caret, a hint.

        Whatever the input, the result is one line per part: control characters in the
        message or the source line are shown as escapes, and a very long line is shown as a
        window around the column, so hostile input cannot forge or flood the report.
        """
        out = [f"{printable(str(self.location))}: {self.severity.value}: {_clip(printable(self.message))}"]
        if self.source_line is not None and self.location.line > 0:
            number = str(self.location.line)
            gutter = " " * len(number)
            column = max(self.location.column - 1 - self.source_from, 0)
            shown, caret_at = _excerpt(self.source_line.rstrip("\n"), column, cut=self.source_from > 0)
            out.append(f" {number} | {shown}")
            out.append(f" {gutter} | {' ' * caret_at}^")
        if self.hint:
            out.append(f"  hint: {_clip(printable(self.hint))}")
        return "\n".join(out)

    def shown_as(self, show: Callable[[str], str]) -> Problem:
        """The same problem with its path as `show` gives it (see report.shown_from)."""
        return dataclasses.replace(self, location=dataclasses.replace(self.location, path=show(self.location.path)))


MAX_SHOWN = 100  # characters of a source line shown under a message
_KEPT_LINE = 4 * MAX_SHOWN  # characters of a source line a problem keeps whole; of a longer, what is shown
MAX_MESSAGE = 400


# Letters of other scripts drawn like Latin ones (from Unicode's confusables): a Cyrillic keyboard
# layout or a pasted word puts them in a name, where they look right. source/lookalike.py folds them
# to tell look-alike names apart; here a word that mixes them with Latin letters ('Tеam', its 'е'
# Cyrillic) shows them as escapes, so that a reviewer reading `diff` or a message is not fooled
# (Trojan Source's homoglyphs): a word wholly of one script ('Команда') is shown as written.
LOOKALIKE_LETTERS = {
    **dict(zip("аеіјорсѕухһԁԛԝӏɑɡıαεινκορτυχ", "aeijopcsyxhdqwlagiaeivkoptux", strict=True)),
    **dict(zip("АВЕІЈКМНОРСЅТХУΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEIJKMHOPCSTXYABEZHIKMNOPTYX", strict=True)),
}
_LOOKALIKE_RE = re.compile("[" + "".join(LOOKALIKE_LETTERS) + "]")
_WORD_RE = re.compile(r"\w+")
_LATIN_RE = re.compile("[A-Za-z]")


def disguised(text: str) -> frozenset[int]:
    """Where `text` holds a look-alike letter in a word that has Latin letters too: 'T\u0435am'."""
    if _LOOKALIKE_RE.search(text) is None:  # the usual case, without a Python loop
        return frozenset()
    return frozenset(
        word.start() + at.start()
        for word in _WORD_RE.finditer(text)
        if _LATIN_RE.search(word.group())
        for at in _LOOKALIKE_RE.finditer(word.group())
    )


def _escape(ch: str, tab: str, look_alike: bool = False) -> str:
    if (ch.isprintable() or ch == " ") and not look_alike:
        return ch
    named = {"\t": tab, "\n": "\\n", "\r": "\\r"}.get(ch)
    if named is not None:
        return named
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


# GitHub's runner reads `##[name]data` anywhere in a line of a job's log as a workflow command
# (`##[add-mask]…` hides a word in the log, `##[stop-commands]…` every later annotation, `##[error]…`
# is an annotation of its own): a text that holds one shows its bracket as an escape.
COMMAND_MARK = "##["
COMMAND_MARK_SHOWN = "##\\u005b"


def printable(text: str, tab: str = "\\t") -> str:
    """Show control, bidi and invisible characters, and look-alike letters in a Latin word
    (`disguised`), as escapes so the terminal shows what the file holds, and the bracket of a
    workflow command's `##[` so a CI job's log does not obey it.

    In a quoted source line a tab is one space, so the caret stays under its column."""
    odd = disguised(text)
    return "".join(_escape(ch, tab, i in odd) for i, ch in enumerate(text)).replace(COMMAND_MARK, COMMAND_MARK_SHOWN)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _excerpt(line: str, column: int, *, cut: bool = False) -> tuple[str, int]:
    """The printable form of `line` and where character `column` (0-based) lands in it.

    At most MAX_SHOWN characters are shown (escapes included), a window around the column
    marked with '…' where the line goes on (`cut`: `line` is the end of a longer one).
    """
    column = min(column, len(line))
    offset = max(0, column - MAX_SHOWN)  # every character shows as one or more: look no further
    odd = disguised(line[offset : column + MAX_SHOWN])
    pieces = [
        "\\u005b" if ch == "[" and line[max(0, i - 2) : i] == "##" else _escape(ch, " ", i - offset in odd)
        for i, ch in enumerate(line[offset : column + MAX_SHOWN], offset)
    ]
    at = column - offset
    start, budget = at, MAX_SHOWN // 2
    while start > 0 and len(pieces[start - 1]) <= budget:
        start -= 1
        budget -= len(pieces[start])
    end, budget = at, MAX_SHOWN - sum(len(p) for p in pieces[start:at])
    while end < len(pieces) and len(pieces[end]) <= budget:
        budget -= len(pieces[end])
        end += 1
    while start > 0 and len(pieces[start - 1]) <= budget:  # room left over at the end: show more before
        start -= 1
        budget -= len(pieces[start])
    head = "…" if offset + start > 0 or cut else ""
    tail = "…" if offset + end < len(line) else ""
    return head + "".join(pieces[start:end]) + tail, len(head) + sum(len(p) for p in pieces[start:at])


def counted(count: int, noun: str) -> str:
    """`1 error`, `2 errors`: a count with its noun (nouns that take an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Stable, reproducible order: by file, line, column, then message."""
    return sorted(problems, key=lambda p: (p.location, p.message))


# A duplicate id hides one of the two records (an id overwritten by a copy-and-paste, most often),
# so the references to the id it replaced fail too: those consequences come after their cause.
_DUPLICATE_RE = re.compile(r"duplicate (offering|tool) id '")
_UNKNOWN_RE = re.compile(r"unknown (offering|tool) '(.*)'\Z", re.S)


def causes_first(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in `sort_problems` order, except that where an offering or tool id is duplicated,
    the duplicates come first and the unknown references of that kind follow, one problem per
    unknown id (at its first reference: "… and 4 more references to it")."""
    ordered = sort_problems(problems)
    kinds = {m[1] for p in ordered if (m := _DUPLICATE_RE.match(p.message))}
    if not kinds:
        return ordered
    causes = [p for p in ordered if _DUPLICATE_RE.match(p.message)]
    refs: dict[tuple[str, str], list[Problem]] = {}
    rest: list[Problem] = []
    for p in ordered:
        if _DUPLICATE_RE.match(p.message):
            continue
        m = _UNKNOWN_RE.match(p.message)
        if m and m[1] in kinds and p.severity is Severity.ERROR:
            refs.setdefault((m[1], m[2]), []).append(p)
        else:
            rest.append(p)
    consequences = []
    for (kind, _), found in refs.items():
        first, more = found[0], len(found) - 1
        also = f", and {more} more reference{'s' if more != 1 else ''} to it" if more else ""
        hint = f"a duplicate {kind} id above may have replaced it" + (f"; {first.hint}" if first.hint else "")
        consequences.append(dataclasses.replace(first, message=first.message + also, hint=hint))
    return [*causes, *consequences, *rest]


SHOWN_ALIKE = 3
"""Warnings of one kind (the same words, the names they are about aside) shown in full when there
are more than MAX_ALIKE of them: the rest are counted on one line (20,000 tags on one commit
printed 40,000 lines)."""
MAX_ALIKE = 5
NAMED_ALIKE = 3  # names of the counted warnings that line gives
EVERY_WARNING = "--all-warnings"  # the option of build, check and the imports that shows each warning

_QUOTED_RE = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
# what one warning of a kind quotes, counts or names by its id (a commit)
_SHAPE_RE = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|\b[0-9a-f]{7,64}\b|[0-9][0-9,.]*")


def kind_of(problem: Problem) -> tuple[str, str, str]:
    """What kind of warning `problem` is: its `kind`, said where it was made. The notes of the
    imports (skipped, dropped, guessed: a hundred places that word them) have none yet: theirs is
    the shape of their words, once what they quote, count or name by its id is set aside."""
    if problem.kind is not None:
        return problem.severity.value, "kind", problem.kind
    return problem.severity.value, "shape", _SHAPE_RE.sub("…", problem.message)


def _name(problem: Problem) -> str:
    """What a warning counted among others alike is about: its subject, what it quotes first, or
    where it is."""
    if problem.subject:
        return problem.subject
    quoted = _QUOTED_RE.search(problem.message)
    if quoted is not None:
        return quoted[1] if quoted[1] is not None else quoted[2]
    return str(problem.location)


def _names(counted: Sequence[Problem], path: str) -> tuple[list[str], int]:
    """The first NAMED_ALIKE names of the `counted` warnings by what each is about (a name two are
    about is named once), or by where each is when they are all about one name (`dropped 'alerting'`
    of 40 SLOs: its line in `path`, or its place); and how many of them those names leave out."""
    names = [_name(q) for q in counted]
    if len(set(names)) == 1 and len(counted) > 1:
        names = [
            f"line {q.location.line}" if q.location.path == path and q.location.line else str(q.location)
            for q in counted
        ]
    shown = list(dict.fromkeys(names))[:NAMED_ALIKE]
    named = set(shown)
    return shown, sum(1 for name in names if name not in named)


def alike(problems: Sequence[Problem], every: str = f"`servicebook build {EVERY_WARNING}`") -> list[Problem]:
    """`problems` in their order, except warnings of a kind (`kind_of`) that has more than MAX_ALIKE:
    the first SHOWN_ALIKE of those, then, where the next is, one warning counting the rest, naming
    the first few and saying that `every` shows each. Errors are all kept."""
    kinds = [kind_of(p) if p.severity is Severity.WARNING else None for p in problems]
    counts = Counter(k for k in kinds if k is not None)
    if all(n <= MAX_ALIKE for n in counts.values()):
        return list(problems)
    counted_ones: dict[tuple[str, str, str], list[Problem]] = {}
    for p, kind in zip(problems, kinds, strict=True):
        if kind is not None and counts[kind] > MAX_ALIKE:
            counted_ones.setdefault(kind, []).append(p)
    out: list[Problem] = []
    seen: Counter[tuple[str, str, str]] = Counter()
    for p, kind in zip(problems, kinds, strict=True):
        if kind is None or kind not in counted_ones:
            out.append(p)
            continue
        seen[kind] += 1
        if seen[kind] <= SHOWN_ALIKE:
            out.append(p)
        elif seen[kind] == SHOWN_ALIKE + 1:
            rest = counted_ones[kind][SHOWN_ALIKE:]
            names, more = _names(rest, p.location.path)
            listed = ", ".join(names) + (f" and {more:,} more" if more else "")
            message = f"{len(rest):,} more warnings like the {SHOWN_ALIKE} above, about {listed}"
            out.append(Problem(SourceLocation(p.location.path), message, f"{every} shows each", Severity.WARNING))
    return out


class ServicebookError(click.ClickException):
    """Base of every error a user can cause; the CLI prints it without a traceback."""

    exit_code = 1

    def format_message(self) -> str:
        return printable(self.message)

    def show(self, file: object = None) -> None:  # noqa: ARG002 - click's signature
        click.echo(self.format_message(), err=True)


class BuildFailed(ServicebookError):
    """The sources have errors (or warnings under --strict); a build wrote nothing."""

    def __init__(
        self,
        problems: Iterable[Problem],
        *,
        action: str = "build",
        notices: Iterable[Problem] = (),
        said_before: int = 0,
    ) -> None:
        self.problems = causes_first(problems)
        # said with the failure, and not what failed it (check --against: files that name nothing of
        # the catalog, which --strict does not fail)
        self.notices = list(notices)
        self.action = action
        # warnings the command showed before the failure, not among its problems (the undated
        # review_by notice, the shallow clone's): counted with them, as the report shows them all
        self.said_before = said_before
        errors = sum(1 for p in self.problems if p.severity is Severity.ERROR)
        warnings = len(self.problems) - errors
        counts = []
        if errors:
            counts.append(counted(errors, "error"))
            if warnings + said_before:  # beside errors, warnings are just counted
                counts.append(counted(warnings + said_before, "warning"))
        else:  # what failed it: warnings under --strict, which does not apply to those said before
            if warnings:
                counts.append(f"{counted(warnings, 'warning')} (--strict)")
            if said_before:
                counts.append(f"{said_before} more not subject to it" if warnings else counted(said_before, "warning"))
        # check and serve never write the output, so only a refused build says what it left alone
        summary = f"{action} failed: {', '.join(counts)}" + (
            "." if action in ("check", "serve") else "; nothing was written."
        )
        if self.notices:
            n = len(self.notices)
            summary += f" Not failing it: {n} warning{'s' if n != 1 else ''} of files that name nothing of the catalog."
        super().__init__(summary)

    every_warning = False  # `--all-warnings`: each warning shown, none counted with others alike (`alike`)

    def format_message(self) -> str:
        shown = [*self.problems, *self.notices]
        if not self.every_warning:
            command = self.action if self.action in ("build", "check") else "build"
            shown = alike(shown, f"`servicebook {command} {EVERY_WARNING}`")
        return "\n".join([*(p.format() for p in shown), self.message])

    def shown_as(self, show: Callable[[str], str], *, every_warning: bool = False) -> BuildFailed:
        """The same failure, its problems in the same order, with paths as `show` gives them (and
        each warning shown, with `every_warning`)."""
        failed = BuildFailed(self.problems, action=self.action, notices=self.notices, said_before=self.said_before)
        failed.problems = [p.shown_as(show) for p in self.problems]
        failed.notices = [p.shown_as(show) for p in self.notices]
        failed.every_warning = every_warning or self.every_warning
        return failed


def counting_said(failed: BuildFailed, said_before: int) -> BuildFailed:
    """`failed` counting, in its summary, `said_before` warnings the command showed before it."""
    if not said_before:
        return failed
    again = BuildFailed(failed.problems, action=failed.action, notices=failed.notices, said_before=said_before)
    again.problems = failed.problems  # in their order already (causes_first)
    again.every_warning = failed.every_warning
    return again


class UsageProblem(ServicebookError):
    """A command was asked for something it cannot do (bad output folder, bad revision…)."""

    exit_code = 2

    def format_message(self) -> str:
        # the message quotes what the command line said (a revision, a folder, an id), which can
        # hold a newline or a terminal escape: shown escaped, as in a Problem, it cannot forge a
        # line of the report or recolour the terminal
        return f"error: {printable(self.message)}"


class NotRebuilt(UsageProblem):
    """`verify` could not rebuild the site's commit: the build's problems follow the message, each
    as a build prints it (its own lines, its source line and hint), not folded into one line."""

    def __init__(self, message: str, problems: Iterable[Problem]) -> None:
        super().__init__(message)
        self.problems = causes_first(problems)

    def format_message(self) -> str:
        return "\n".join([super().format_message(), *(p.format() for p in self.problems)])


class WriteFailed(UsageProblem):
    """The file system refused the output (read-only, full, no permission); nothing was replaced."""
