"""The snapshot file: one JSON file per run of `servicebook measure` under measurements/, named
by the time it measured up to (`2026-03-31T00-00-00Z.json`), committed like the catalog. Writing
one, and reading every one back for the site, each problem located in its file.

A snapshot holds (documented in docs/measuring.md):
  servicebook_measurements  the format's version (1)
  end                       the time measured up to, UTC
  server                    the Prometheus address
  catalog                   {commit, dirty}: the catalog the SLOs were read from
  generator                 "servicebook X.Y"
  slos                      one entry per SLO with a measurement: offering, slo, objective (as
                            text, exact), window, timezone (a calendar window's, where its
                            period began), start, end, shape, queries (as sent), and
                            either attainment, budget_consumed, budget_remaining, good, total,
                            counted_as, notes and covered (the seconds of the window with
                            data, when checked), or reason (why it was not measured)
  not_defined               "offering/slo" of the SLOs without a measurement
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.validate import is_timezone
from servicebook.errors import Problem, SourceLocation, UsageProblem
from servicebook.source import yaml as located
from servicebook.source.yaml import BIDI_CONTROLS, SourceError, SourceText, read_text
from servicebook.wholefiles import write_new

FORMAT = 1
FOLDER = "measurements"
MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024
MAX_SNAPSHOTS = 10_000
_NAME_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2})-([0-9]{2})-([0-9]{2})Z\.json")
_DECIMAL_RE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,20})?")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# what no text of a snapshot holds, written as a JSON escape ("\u001b") or not: as in any source
# file (source/text.py), control characters but tab and line feed, and bidirectional controls
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f" + "".join(sorted(BIDI_CONTROLS)) + "]")


def file_name(end: dt.datetime) -> str:
    """`2026-03-31T00-00-00Z.json`: the end time, without the colons some file systems refuse."""
    return end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ") + ".json"


def utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- writing


def document(
    snapshot: model.Snapshot,
    generator: str,
    plans: Mapping[tuple[str, str], tuple[str, Mapping[str, str]]],
    not_defined: Sequence[str],
) -> dict[str, Any]:
    """The snapshot as its JSON document; `plans` gives each SLO's shape and queries as sent."""
    slos = []
    for r in snapshot.results:
        shape, queries = plans[(r.offering, r.slo)]
        entry: dict[str, Any] = {
            "offering": r.offering,
            "slo": r.slo,
            "objective": format(r.objective.normalize(), "f"),
            "window": r.window,
            **({"timezone": r.timezone} if r.timezone is not None else {}),
            "start": utc_text(r.start),
            "end": utc_text(r.end),
            "shape": shape,
            "queries": dict(queries),
        }
        slos.append(entry | figures(r))
    return {
        "servicebook_measurements": FORMAT,
        "end": utc_text(snapshot.end),
        "server": snapshot.server,
        "catalog": {"commit": snapshot.commit, "dirty": snapshot.dirty},
        "generator": generator,
        "slos": slos,
        "not_defined": list(not_defined),
    }


def figures(r: model.MeasuredSLO) -> dict[str, Any]:
    """A result's figures as JSON, in a snapshot and in catalog.json alike: why it could not be
    measured (`reason`), or the attainment, the budget and the counts behind them."""
    if r.reason is not None:
        return {"reason": r.reason}
    return {
        "attainment": r.attainment,
        "budget_consumed": r.budget_consumed,
        "budget_remaining": r.budget_remaining,
        "good": r.good,
        "total": r.total,
        "counted_as": r.counted_as,
        "notes": list(r.notes),
        **({"covered": r.covered} if r.covered is not None else {}),
    }


def refuse_taken(root: Path, end: dt.datetime) -> Path:
    """The snapshot file for `end`, refused when one is there: `measure` asks this before it asks
    Prometheus anything, and `write` again (a snapshot is a record, never written over)."""
    target = root / FOLDER / file_name(end)
    if target.exists() or target.is_symlink():
        raise UsageProblem(
            f"{target} exists: a snapshot measured up to {utc_text(end)} was taken before; "
            "measure at another time (--at), or delete that file to measure again"
        )
    return target


def write(root: Path, data: dict[str, Any], end: dt.datetime) -> Path:
    """Write the document as measurements/<end>.json, atomically; never over an existing file
    (a snapshot is a record: measure again at another time, or delete it first)."""
    target = refuse_taken(root, end)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        # whole or not at all, never over a snapshot that appeared meanwhile (FileExistsError)
        write_new({target: text.encode("utf-8")}, mode=0o644)  # 0644: as git checks a file out
    except FileExistsError:
        raise UsageProblem(f"{target} exists: another run wrote it meanwhile") from None
    except OSError as exc:
        raise UsageProblem(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


# --------------------------------------------------------------------------- reading


def read_all(root: Path) -> tuple[tuple[model.Snapshot, ...], list[Problem]]:
    """Every snapshot under measurements/, oldest first, and every problem with one (a file with
    a problem is left out; the build fails on the errors as on the catalog's)."""
    folder = root / FOLDER
    problems: list[Problem] = []
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return (), problems
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        problems.append(Problem(SourceLocation(FOLDER), "measurements/ must be a folder, not a link or a file"))
        return (), problems
    names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".json") and not e.name.startswith("."))
    if len(names) > MAX_SNAPSHOTS:
        problems.append(Problem(SourceLocation(FOLDER), f"more than {MAX_SNAPSHOTS:,} snapshots"))
        return (), problems
    snapshots = []
    for name in names:
        relative = f"{FOLDER}/{name}"
        try:
            source = read_text(root, relative, max_bytes=MAX_SNAPSHOT_BYTES)
        except SourceError as exc:
            problems += exc.problems
            continue
        found = parse(source)
        if isinstance(found, list):
            problems += found
        else:
            snapshots.append(found)
    return tuple(sorted(snapshots, key=lambda s: s.end)), problems


def parse(source: SourceText) -> model.Snapshot | list[Problem]:
    """One snapshot file read and checked, or its problems, each at its place in the file."""
    name = source.path.rsplit("/", 1)[-1]
    try:
        data = json.loads(source.text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return [
            source.problem(
                exc.lineno,
                exc.colno,
                f"not valid JSON: {exc.msg}",
                "a snapshot is written by `servicebook measure`; restore it from git",
            )
        ]
    except _Duplicate as exc:
        return [_at(source, (), f"key {exc.args[0]!r} appears twice")]
    except _Constant as exc:
        return [_at(source, (), f"{exc.args[0]} is not a number JSON allows")]
    except (ValueError, RecursionError):  # an integer of over 4,300 digits; nesting deeper than json reads
        return [
            source.problem(
                1,
                1,
                "not a snapshot: a number too long or lists nested too deep for JSON",
                "a snapshot is written by `servicebook measure`; restore it from git",
            )
        ]
    reader = _Reader(source)
    if not reader.printable(data):
        return reader.problems
    snapshot = reader.snapshot(data, name)
    return reader.problems if reader.problems or snapshot is None else snapshot


class _Duplicate(ValueError):
    pass


class _Constant(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _no_constant(name: str) -> float:
    raise _Constant(name)


Path_ = tuple[str | int, ...]


class _Reader:
    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, at: Path_, message: str, hint: str | None = None) -> None:
        self.problems.append(_at(self.source, at, message, hint))

    def printable(self, data: Any) -> bool:
        """Whether no text of `data` holds a control character: a reason, a note or a query is
        published on the site and printed (a terminal escape, a NUL or a bidirectional override,
        from an edit, or from a server's answer that an earlier measure wrote as it came)."""
        todo: list[tuple[Path_, Any]] = [((), data)]
        while todo:
            at, value = todo.pop()
            if isinstance(value, dict):
                todo += [((*at, str(k)), v) for k, v in value.items()] + [((*at, str(k)), str(k)) for k in value]
            elif isinstance(value, list):
                todo += [((*at, i), v) for i, v in enumerate(value)]
            elif isinstance(value, str) and (found := _CONTROL_RE.search(value)) is not None:
                message = (
                    f"'{at[-1] if at else 'the snapshot'}' holds the control character U+{ord(found[0]):04X}, which "
                    "no text of a snapshot may (it would reach the site and the terminal as it is)"
                )
                hint = "measure again, or delete the file: a snapshot is written by `servicebook measure`"
                # at the character as the file writes it (a JSON escape, which the located reading
                # of the file, as YAML, refuses), else at the value
                text, ch = self.source.text, found[0]
                short = {"\b": "b", "\f": "f", "\r": "r"}.get(ch)
                escape = re.escape(f"\\u{ord(ch):04x}") + (f"|\\\\{short}" if short else "")
                # an escape is one where the backslash before it is not itself escaped
                written = re.search(rf"(?<!\\)(?:\\\\)*({escape}|{re.escape(ch)})", text, re.IGNORECASE)
                index = written.start(1) if written is not None else -1
                if index < 0:
                    self.fail(at, message, hint)
                else:
                    line = text.count("\n", 0, index) + 1
                    self.problems.append(self.source.problem(line, index - text.rfind("\n", 0, index), message, hint))
                return False
        return True

    def snapshot(self, data: Any, name: str) -> model.Snapshot | None:
        if not isinstance(data, dict):
            self.fail((), "a snapshot is a JSON object")
            return None
        version = data.get("servicebook_measurements")
        if version != FORMAT:
            self.fail(
                ("servicebook_measurements",) if "servicebook_measurements" in data else (),
                f"not a snapshot of format {FORMAT} (servicebook_measurements: {version!r})",
                "written by another version of servicebook? measure again with this one",
            )
            return None
        end = self.time(data, ("end",))
        server = self.text(data, ("server",))
        catalog = data.get("catalog")
        commit, dirty = None, False
        if not isinstance(catalog, dict):
            self.fail(("catalog",) if "catalog" in data else (), "'catalog' must be an object with commit and dirty")
        else:
            commit = catalog.get("commit")
            if commit is not None and not (
                isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit)
            ):
                self.fail(("catalog", "commit"), "'commit' must be a full commit id or null")
            dirty = catalog.get("dirty") is True
        slos = data.get("slos")
        results = []
        if not isinstance(slos, list):
            self.fail(("slos",) if "slos" in data else (), "'slos' must be a list")
        else:
            seen: set[tuple[str, str]] = set()
            for i, entry in enumerate(slos):
                result = self.result(entry, ("slos", i))
                if result is not None:
                    key = (result.offering, result.slo)
                    if key in seen:
                        self.fail(("slos", i, "slo"), f"{key[0]}/{key[1]} is measured twice in one snapshot")
                    seen.add(key)
                    results.append(result)
        if end is not None and (_NAME_RE.fullmatch(name) is None or file_name(end) != name):
            self.fail(
                ("end",),
                f"the file is named {name!r} but measures up to {utc_text(end)}",
                f"a snapshot is named by its end time: {file_name(end)}",
            )
        if self.problems or end is None or server is None:
            return None
        return model.Snapshot(self.source.path, end, server, commit, dirty, tuple(results))

    def result(self, entry: Any, at: Path_) -> model.MeasuredSLO | None:
        if not isinstance(entry, dict):
            self.fail(at, "each SLO of a snapshot is an object")
            return None
        before = len(self.problems)
        offering = self.text(entry, (*at, "offering"))
        slo = self.text(entry, (*at, "slo"))
        window = self.text(entry, (*at, "window"))
        timezone = self.timezone(entry, (*at, "timezone"))
        start = self.time(entry, (*at, "start"))
        end = self.time(entry, (*at, "end"))
        raw = entry.get("objective")
        # plain decimals only: Decimal() also reads "NaN", "sNaN" and "Infinity", which no
        # objective is (and NaN cannot even be compared)
        objective = Decimal(raw) if isinstance(raw, str) and _DECIMAL_RE.fullmatch(raw) else None
        if objective is None or not 0 < objective < 100:
            self.fail((*at, "objective"), "'objective' must be a percentage written as text, e.g. \"99.9\"")
        if start is not None and end is not None and start >= end:
            self.fail((*at, "start"), "the window starts after it ends")
        reason = entry.get("reason")
        fields: dict[str, Any] = {}
        if reason is not None:
            if not isinstance(reason, str) or not reason:
                self.fail((*at, "reason"), "'reason' must be text saying why the SLO was not measured")
        else:
            attainment = self.share(entry, (*at, "attainment"), upper=1.0)
            consumed = self.share(entry, (*at, "budget_consumed"), upper=None)
            remaining = _finite(entry.get("budget_remaining"))
            if consumed is not None and not (
                remaining is not None and math.isclose(remaining, 1 - consumed, abs_tol=1e-9)
            ):
                self.fail((*at, "budget_remaining"), "'budget_remaining' must be 1 − budget_consumed")
            good, total = _finite(entry.get("good")), _finite(entry.get("total"))
            for key, value in (("good", good), ("total", total)):
                if entry.get(key) is not None and (value is None or value < 0):
                    self.fail((*at, key), f"'{key}' must be a count (a number, 0 or more) or null")
            if attainment is not None and consumed is not None and objective is not None and 0 < objective < 100:
                self.agree(at, attainment, consumed, objective, good, total)
            notes = entry.get("notes", [])
            if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
                self.fail((*at, "notes"), "'notes' must be a list of text")
                notes = []
            counted = entry.get("counted_as")
            covered = self.covered(entry, at, start, end)
            fields = {
                "attainment": attainment,
                "budget_consumed": consumed,
                "good": good,
                "total": total,
                "counted_as": counted if isinstance(counted, str) else None,
                "notes": tuple(notes),
                "covered": covered,
            }
        if len(self.problems) > before:
            return None
        assert offering and slo and window and start and end and objective is not None
        return model.MeasuredSLO(offering, slo, objective, window, start, end, reason, **fields, timezone=timezone)

    def agree(
        self, at: Path_, attainment: float, consumed: float, objective: Decimal, good: float | None, total: float | None
    ) -> None:
        """`measure` works the budget out of the attainment, and the attainment out of the counts
        (budget.py): a figure that disagrees with them was edited after it was written (99.1 %
        made 99.95 %, the budget left as measured), and the site would show the edit."""
        allowed = float((Decimal(100) - objective) / Decimal(100))
        if not math.isclose(consumed, (1 - attainment) / allowed, rel_tol=1e-9, abs_tol=1e-9):
            self.fail(
                (*at, "attainment"),
                f"'attainment' {attainment!r} does not agree with 'budget_consumed' {consumed!r} for an objective of "
                f"{objective} % (the budget consumed is (1 − attainment) / (1 − objective))",
                "a snapshot is written by `servicebook measure` and never edited; restore it from git",
            )
        elif good is not None and total and not math.isclose(good / total, attainment, rel_tol=1e-9, abs_tol=1e-12):
            self.fail(
                (*at, "attainment"),
                f"'attainment' {attainment!r} is not good / total ({good:g} / {total:g})",
                "a snapshot is written by `servicebook measure` and never edited; restore it from git",
            )

    def covered(
        self, entry: dict[str, Any], at: Path_, start: dt.datetime | None, end: dt.datetime | None
    ) -> int | None:
        """The seconds of the window with data; absent from snapshots written before they said it."""
        if "covered" not in entry:
            return None
        value = entry["covered"]
        longest = int((end - start).total_seconds()) if start is not None and end is not None else None
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= 0
            and (longest is None or value <= longest)
        ):
            return value
        self.fail(
            (*at, "covered"), "'covered' must be the seconds of the window with data: a whole number, 0 to its length"
        )
        return None

    def text(self, data: dict[str, Any], at: Path_) -> str | None:
        value = data.get(str(at[-1]))
        if not isinstance(value, str) or not value:
            self.fail(at if at[-1] in data else at[:-1], f"'{at[-1]}' must be text")
            return None
        return value

    def timezone(self, data: dict[str, Any], at: Path_) -> str | None:
        """A calendar window's time zone; absent from snapshots written before they said it."""
        if str(at[-1]) not in data:
            return None
        value = data[str(at[-1])]
        if isinstance(value, str) and is_timezone(value):
            return value
        self.fail(at, f"'{at[-1]}' must be an IANA time zone such as Europe/Zurich")
        return None

    def time(self, data: dict[str, Any], at: Path_) -> dt.datetime | None:
        value = data.get(str(at[-1]))
        if isinstance(value, str) and _TIME_RE.fullmatch(value):
            try:
                return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            except ValueError:
                pass
        self.fail(at if at[-1] in data else at[:-1], f"'{at[-1]}' must be a UTC time such as 2026-03-31T00:00:00Z")
        return None

    def share(self, data: dict[str, Any], at: Path_, upper: float | None) -> float | None:
        value = _finite(data.get(str(at[-1])))
        if value is not None and value >= 0 and (upper is None or value <= upper):
            return value
        bound = f"from 0 to {upper:g}" if upper is not None else "0 or more"
        self.fail(at if at[-1] in data else at[:-1], f"'{at[-1]}' must be a number {bound}")
        return None


def _finite(value: object) -> float | None:
    """A JSON number as a float; None for anything else (text, true, an integer too large for a
    float, which json reads exactly)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _at(source: SourceText, at: Path_, message: str, hint: str | None = None) -> Problem:
    """A problem at the value `at` names in the file (found by reading the JSON as located
    YAML, of which it is a part), or at the file when it cannot be placed."""
    location = SourceLocation(source.path, 1, 1)
    try:
        node = located.parse_yaml(source)
    except SourceError:
        node = None
    for key in at:
        if node is None:
            break
        child = _child(node, key)
        if child is None:
            break
        node = child
    if node is not None:
        location = node.location
    return Problem(location, message, hint, source_line=source.line(location.line))


def _child(node: located.Node, key: str | int) -> located.Node | None:
    if isinstance(node, located.Mapping) and isinstance(key, str):
        return next((value for k, value in node.items if k.value == key), None)
    if isinstance(node, located.Sequence) and isinstance(key, int) and key < len(node.items):
        return node.items[key]
    return None


def latest(snapshots: Sequence[model.Snapshot]) -> Iterator[tuple[model.Snapshot, model.MeasuredSLO]]:
    """Each SLO's result in the last snapshot that has it (newest first is not implied)."""
    last: dict[tuple[str, str], tuple[model.Snapshot, model.MeasuredSLO]] = {}
    for snapshot in snapshots:
        for result in snapshot.results:
            last[(result.offering, result.slo)] = (snapshot, result)
    yield from last.values()


def covering(
    snapshots: Sequence[model.Snapshot], offering: str, slo: str, day_start: dt.datetime, day_end: dt.datetime
) -> tuple[model.Snapshot, model.MeasuredSLO] | None:
    """The measurement of an SLO whose window holds the day [day_start, day_end): of those, the
    one whose window ends nearest the day's end (the window that ends with the day, when a run
    measured up to it), the later on a tie."""
    best: tuple[float, model.Snapshot, model.MeasuredSLO] | None = None
    for snapshot in snapshots:
        for r in snapshot.results:
            if r.offering != offering or r.slo != slo or r.start >= day_end or r.end < day_start:
                continue
            distance = abs((r.end - day_end).total_seconds())
            if best is None or distance <= best[0]:
                best = (distance, snapshot, r)
    return None if best is None else (best[1], best[2])
