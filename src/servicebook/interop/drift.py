"""`check --against DIR`: what the monitoring measures, compared with what the catalog promises.

Every Sloth, Pyrra and OpenSLO v1 SLO in DIR is matched to a catalog SLO, first by what it says
explicitly (the annotation `servicebook.dev/slo: offering/slo` on an OpenSLO object or a Pyrra
resource, the Prometheus label `servicebook_slo` on a Sloth SLO), then by name: its service (a
Pyrra objective's namespace) and name are the offering's and the SLO's ids, or its name is `offering-slo` or the name
`servicebook export openslo` gives it. A matched SLO whose objective, window or budgeting differs
from the catalog's is an error, reported at the catalog's line with the other file's place in
the message; one whose queries differ from the catalog's measurement a warning (same_query); a
promised SLO that nothing matches is a warning (an error under --strict). A
document servicebook cannot read or compare (another vendor's format, a version not read) is an
error (one it cannot read) or a warning (one it cannot compare) when it names an offering or SLO of
the catalog, and otherwise someone else's: a notice, shown but not failing --strict, which a
promise left unchecked fails already (nothing else measures it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from servicebook.catalog import model
from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.catalog.slo import calendar_timezone
from servicebook.catalog.validate import did_you_mean, minutes_text
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.interop import importing, openslo, same_query
from servicebook.interop.foreign import CALENDAR_PERIODS, ForeignSLO, Reading, yaml_files
from servicebook.source.yaml import Mapping as YamlMapping
from servicebook.source.yaml import Scalar, Sequence, SourceError, SourceText, parse_yaml, read_text

CATALOG = "catalog.yaml"
MAX_FILES = 10_000
Key = tuple[str, str]
AGREE = "make them agree: change the monitoring, or the promise (and tell its readers)"


@dataclass(frozen=True, slots=True)
class Compared:
    """What the drift check found: `problems` (errors, and warnings that fail --strict), and
    `notices`, warnings of documents that name nothing of the catalog and could not be compared
    (someone else's), which --strict does not make errors."""

    problems: list[Problem]
    notices: list[Problem]
    files: int = 0  # YAML files read
    promised: int = 0  # SLOs of the catalog
    agreeing: int = 0  # of them, measured in the folder with no difference found


def compare_folder(
    catalog: model.Catalog, root: Path, folder: Path, *, sloth_period: str, shown: Callable[[Path], str]
) -> Compared:
    """The drift check of `root`'s catalog against every YAML file under `folder` (at most
    MAX_FILES of them, and a warning when there are more), or against `folder` alone when it is
    a file: what could not be read or compared, and every difference `compare` finds. `shown`
    gives a path as the user can open it."""
    files = [folder] if folder.is_file() else list(itertools.islice(yaml_files(folder), MAX_FILES + 1))
    reading = importing.read([(shown(path), path) for path in files[:MAX_FILES]], sloth_period=sloth_period)
    places = catalog_places(root, MAX_CATALOG_BYTES)
    refused, notices = _not_compared(catalog, reading)
    differences, agreeing = compare(catalog, reading, places, shown(folder))
    found = [*reading.errors, *refused, *differences]
    if len(files) > MAX_FILES:
        found.append(
            Problem(
                SourceLocation(shown(folder)),
                f"more than {MAX_FILES:,} YAML files: only the first {MAX_FILES:,} were read",
                "point --against at the folder that holds the SLOs",
                Severity.WARNING,
                kind="too-many-files",
            )
        )
    promised = sum(len(o.slos) for o in catalog.offerings)
    return Compared(found, notices, min(len(files), MAX_FILES), promised, len(agreeing))


NOT_OURS = "it names no offering or SLO of the catalog"


def _not_compared(catalog: model.Catalog, reading: Reading) -> tuple[list[Problem], list[Problem]]:
    """(problems, notices) of the documents that could not be read, or read but not compared (a
    version not read, another vendor's SLO). One that names an offering or SLO of the catalog (a
    value that is its id, `offering/slo`, `offering-slo` or the name the export gives it) may be
    what measures it: a problem as found (an error for one that could not be read, a warning for
    one of a format not compared, which --strict fails: the promise is not checked). Any other is
    someone else's, left alone were it read: a notice, which --strict does not fail on, as a CI job
    checking a team's catalog against a shared monitoring folder must not fail on another team's
    file; a promise of the catalog that nothing else measures is a warning of its own."""
    ours = {o.id for o in catalog.offerings}
    ours.update(f"{o.id}{sep}{s.id}" for o in catalog.offerings for s in o.slos for sep in "/-")
    ours.update(openslo.object_names(catalog).slos.values())
    problems, notices = [], []
    for problem, node in [*reading.refused, *reading.unread]:
        if _values(node) & ours:
            problems.append(problem)
        else:
            said = problem.message.removesuffix(" (not compared)")
            message = f"{said} (not compared: {NOT_OURS})"
            notices.append(
                Problem(
                    problem.location, message, problem.hint, Severity.WARNING, problem.source_line, kind=problem.kind
                )
            )
    return problems, notices


def _values(node: object) -> set[str]:
    """Every scalar value of a tree (not its keys)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Scalar):
            found.add(item.value)
        elif isinstance(item, Sequence):
            stack.extend(item.items)
        elif isinstance(item, YamlMapping):
            stack.extend(value for _, value in item.items)
    return found


@dataclass(frozen=True, slots=True)
class Places:
    """Where each SLO of catalog.yaml and its fields are written, and the file's lines."""

    source: SourceText
    slos: Mapping[Key, Mapping[str, SourceLocation]]  # (offering, slo) → field (or "id") → place

    def problem(
        self, key: Key, field: str, message: str, hint: str | None, severity: Severity, kind: str | None = None
    ) -> Problem:
        fields = self.slos.get(key, {})
        loc = fields.get(field) or fields.get("id") or SourceLocation(self.source.path)
        return Problem(loc, message, hint, severity, self.source.line(loc.line), kind=kind)


def catalog_places(root: Path, max_bytes: int) -> Places:
    """The places of every SLO in `root`/catalog.yaml (read again: the model keeps no positions)."""
    try:
        source = read_text(root, CATALOG, max_bytes=max_bytes)
        node = parse_yaml(source)
    except SourceError:
        return Places(SourceText(CATALOG, ""), {})
    found: dict[Key, dict[str, SourceLocation]] = {}
    for offering in _items(node, "offerings"):
        o = _scalar(offering, "id")
        for slo in _items(offering, "slos"):
            s = _scalar(slo, "id")
            if o is not None and s is not None and isinstance(slo, YamlMapping):
                found[(o, s)] = {k.value: v.location for k, v in slo.items}
                for k, v in slo.items:  # each query of the measurement, where a difference in it is said
                    if k.value == "measurement" and isinstance(v, YamlMapping):
                        found[(o, s)].update((f"measurement.{q.value}", w.location) for q, w in v.items)
    return Places(source, found)


def _items(node: object, key: str) -> list[object]:
    if isinstance(node, YamlMapping):
        for k, v in node.items:
            if k.value == key and isinstance(v, Sequence):
                return list(v.items)
    return []


def _scalar(node: object, key: str) -> str | None:
    if isinstance(node, YamlMapping):
        for k, v in node.items:
            if k.value == key and isinstance(v, Scalar):
                return v.value
    return None


def _window_text(window: str, timezone: str | None = None) -> str:
    return f"{window} ({timezone})" if timezone else window


def compare(
    catalog: model.Catalog, reading: Reading, places: Places, folder: str
) -> tuple[list[Problem], frozenset[Key]]:
    """Every difference between the catalog's SLOs and those `reading` holds, and every promised
    SLO nothing measures; and the SLOs measured there with no difference found."""
    promised: dict[Key, tuple[model.Offering, model.SLO]] = {
        (o.id, s.id): (o, s) for o in catalog.offerings for s in o.slos
    }
    names = openslo.object_names(catalog).slos
    by_name: dict[str, Key] = {}
    for key, name in names.items():
        by_name.setdefault(name, key)
        by_name.setdefault(f"{key[0]}-{key[1]}", key)
    problems: list[Problem] = []
    measured: set[Key] = set()
    incomplete: dict[Key, ForeignSLO] = {}
    differing: set[Key] = set()
    for foreign in reading.slos:
        match = _match(foreign, promised, by_name, problems)
        if match is None:
            continue
        if foreign.missing_sli is None:
            measured.add(match)
        else:
            incomplete.setdefault(match, foreign)
        offering, slo = promised[match]
        problems += foreign.cautions
        differences = _differences(catalog, offering, slo, foreign, places)
        # a query holding another tool's variable measures nothing: not measured there as promised
        if differences or any(c.kind == importing.QUERY_VARIABLE for c in foreign.cautions):
            differing.add(match)
        problems += differences
    for key, foreign in incomplete.items():
        if key not in measured and foreign.missing_sli is not None:
            problems.append(
                places.problem(
                    key,
                    "id",
                    f"nothing in {folder} measures {key[0]}/{key[1]}: OpenSLO SLO '{foreign.name}' names the SLI "
                    f"'{foreign.missing_sli.value}' ({foreign.missing_sli.location}), which no file there defines",
                    "define the SLI (its metric) beside the SLO, or add measurement: to the catalog and export again",
                    Severity.WARNING,
                    kind="sli-not-defined",
                )
            )
    for key in promised:
        if key not in measured and key not in incomplete:
            problems.append(
                places.problem(
                    key,
                    "id",
                    f"nothing in {folder} measures {key[0]}/{key[1]}: no Sloth, Pyrra or OpenSLO SLO names it",
                    f"name it there: annotation servicebook.dev/slo: {key[0]}/{key[1]} (OpenSLO, Pyrra) or label "
                    f"servicebook_slo (Sloth), or service {key[0]} and name {key[1]} (Pyrra: namespace {key[0]})",
                    Severity.WARNING,
                    kind="slo-not-measured",
                )
            )
    return problems, frozenset(measured - differing)


def _match(
    foreign: ForeignSLO, promised: Mapping[Key, object], by_name: Mapping[str, Key], problems: list[Problem]
) -> Key | None:
    if foreign.explicit is not None:
        parts = tuple(foreign.explicit.value.split("/"))
        if len(parts) == 2 and parts in promised:
            return (parts[0], parts[1])
        known = [f"{o}/{s}" for o, s in promised]
        hint = did_you_mean(foreign.explicit.value, known) or "write it as offering/slo with the catalog's ids"
        problems.append(
            Problem(
                foreign.explicit.location,
                f"{foreign.format} SLO '{foreign.name}' names {foreign.explicit.value}, "
                "which the catalog does not have",
                hint,
                Severity.WARNING,
                kind="names-unknown-slo",
            )
        )
        return None
    # a Pyrra objective's namespace stands for its service, as `import pyrra` reads it: what an import
    # made an offering of is matched when checked against the same files
    if foreign.service is not None and (foreign.service, foreign.name) in promised:
        return (foreign.service, foreign.name)
    return by_name.get(foreign.name)


def _differences(
    catalog: model.Catalog, offering: model.Offering, slo: model.SLO, foreign: ForeignSLO, places: Places
) -> list[Problem]:
    key = (offering.id, slo.id)
    # OpenSLO v1alpha is read as Sloth reads it: named as written, and said how it was read
    there = f"{foreign.written_as or foreign.format} SLO '{foreign.name}'"
    read_as = f"; read as {foreign.format} reads it" if foreign.written_as else ""
    out: list[Problem] = []

    def differ(
        field: str,
        what: str,
        promised: str,
        measured: str,
        at: SourceLocation | None,
        note: str = "",
        hint: str = AGREE,
    ) -> None:
        where = f" ({at}{read_as})" if at else ""
        out.append(
            places.problem(
                key,
                field,
                f"{key[0]}/{key[1]}: the catalog's {what} is {promised}, but {there}{where} has {measured}{note}",
                hint,
                Severity.ERROR,
            )
        )

    if foreign.objective is not None and foreign.objective != slo.objective:
        differ(
            "objective",
            "objective",
            f"{format(slo.objective.normalize(), 'f')} %",
            f"{format(foreign.objective.normalize(), 'f')} %",
            foreign.objective_at,
        )
    if foreign.window is not None:
        zone = calendar_timezone(catalog, offering, slo) if slo.window.startswith("calendar-") else None
        theirs_zone = foreign.timezone if foreign.window.startswith("calendar-") else None
        if foreign.window != slo.window or (theirs_zone is not None and theirs_zone != zone):
            note = " (Sloth's default period: give --sloth-period if sloth generate runs with another)"
            # the same calendar window in another time zone: the field that differs is the zone, on
            # both sides (the catalog's own `timezone`, where it writes one)
            zone_only = foreign.window == slo.window
            written = "timezone" if zone_only and "timezone" in places.slos.get(key, {}) else "window"
            differ(
                written,
                "window",
                _window_text(slo.window, zone if theirs_zone else None),
                _window_text(foreign.window, theirs_zone),
                (foreign.timezone_at if zone_only else None) or foreign.window_at,
                note if foreign.window_assumed else "",
                _rolling_hint(foreign, slo.window),
            )
        elif foreign.window_begins is not None:
            # the same length of calendar period, but other periods: an incident the catalog counts in
            # one week the monitoring may split between two
            differ(
                "window",
                "window",
                _window_text(slo.window, zone if theirs_zone else None),
                f"{_window_text(foreign.window, theirs_zone)} with periods that begin at {foreign.window_begins}",
                foreign.window_begins_at or foreign.window_at,
                hint=f"{CALENDAR_PERIODS}: begin the monitoring's there (startTime), or promise another window",
            )
    if slo.measurement is not None and foreign.measurement is not None:
        out += _query_difference(key, slo.measurement, foreign, there, read_as, places)
    if foreign.budgeting is not None and foreign.budgeting is not slo.budgeting:
        differ("budgeting", "budgeting", slo.budgeting.value, foreign.budgeting.value, foreign.budgeting_at)
    elif slo.budgeting is not model.Budgeting.OCCURRENCES:
        # time slices: what makes one good (Timeslices) and how long one is (both) are the promise too
        if (
            slo.budgeting is model.Budgeting.TIMESLICES
            and foreign.timeslice_target is not None
            and foreign.timeslice_target != slo.timeslice_target
        ):
            promised = format(slo.timeslice_target.normalize(), "f") if slo.timeslice_target else "none"
            differ(
                "timeslice_target",
                "time-slice target",
                f"{promised} %",
                f"{format(foreign.timeslice_target.normalize(), 'f')} %",
                foreign.timeslice_target_at or foreign.budgeting_at,
            )
        if foreign.timeslice_window is not None and foreign.timeslice_window != slo.timeslice_window:
            promised = minutes_text(slo.timeslice_window) if slo.timeslice_window else "none"
            differ(
                "timeslice_window",
                "time slice",
                promised,
                minutes_text(foreign.timeslice_window),
                foreign.timeslice_window_at or foreign.budgeting_at,
            )
    return out


def _query_difference(
    key: Key, promised: model.Measurement, foreign: ForeignSLO, there: str, read_as: str, places: Places
) -> list[Problem]:
    """A warning where the file measures with other queries than the catalog's measurement (white space
    aside: the queries are compared as text, PromQL is not parsed), at the catalog's measurement: the
    monitoring then alerts on other events than `servicebook measure` counts. A warning, not an error,
    as two texts may be one query (`sum by (le)` before or after its argument)."""
    assert foreign.measurement is not None
    found = same_query.difference(promised, foreign.measurement, sloth=foreign.format == "Sloth")
    if found is None:
        return []
    at = foreign.measurement_at or foreign.location
    where = f" ({at}{read_as})"
    if found.field is None:
        message = (
            f"{key[0]}/{key[1]}: the catalog's measurement counts {found.promised}, but {there}{where} measures "
            f"{found.measured}"
        )
    else:
        message = (
            f"{key[0]}/{key[1]}: the catalog's {found.field} query{found.told} is {found.promised}, but {there}{where} "
            f"has {found.measured}"
        )
    written = f"measurement.{found.field}"  # the catalog's query that differs, where the catalog writes it
    return [
        places.problem(
            key,
            written if written in places.slos.get(key, {}) else "measurement",
            message,
            "make them agree (queries are compared as text, white space aside): change the monitoring's query, or "
            "the catalog's measurement, which `servicebook measure` counts",
            Severity.WARNING,
            kind="query-differs",
        )
    ]


def _rolling_hint(foreign: ForeignSLO, promised: str) -> str:
    """What to do when a calendar window is promised and the monitoring's rolls (Pyrra's and Sloth's
    always do: Pyrra's `1w` is the last 7 days at every instant, not the week from Monday)."""
    if foreign.window is None or foreign.window.startswith("calendar-") or not promised.startswith("calendar-"):
        return AGREE
    days = foreign.window.removesuffix("d")
    span = "day" if days == "1" else f"{days} days"
    return (
        f"{foreign.format}'s window rolls: it judges every span of {span}, the catalog's {promised} only the "
        f"calendar's; promise window: {foreign.window} if that is what is meant, or change the monitoring"
    )
