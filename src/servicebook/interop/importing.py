"""`servicebook import`: other tools' SLO files as a catalog fragment to start from.

The fragment is YAML text for the `offerings:` of catalog.yaml; nothing is written to a file.
Everything the files say that the catalog has no place for is reported as dropped, everything
that had to be assumed (an id made from a name, Sloth's default window) as guessed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path

from servicebook.catalog import model
from servicebook.catalog.queries import template_variables
from servicebook.catalog.validate import ID_RE, minutes_text
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.interop import openslo_read, pyrra, sloth
from servicebook.interop.foreign import DocumentReader, ForeignSLO, Reading, label_id, read_files
from servicebook.source.yaml_written import scalar

FORMAT_NAMES = {"openslo": "OpenSLO v1 or v2alpha", "sloth": "a Sloth spec", "pyrra": "a Pyrra ServiceLevelObjective"}


def read(
    paths: list[tuple[str, Path]],
    *,
    expect: str | None = None,
    sloth_period: str = sloth.DEFAULT_PERIOD,
    named: bool = False,
) -> Reading:
    """Read `paths` ((name shown, path)); with `expect` ("openslo", "sloth", "pyrra") every
    document must be of that format, else every document of a known format is read. `named`:
    files the user named on the command line (foreign.read_files)."""
    reading = Reading()
    state = openslo_read.OpenSLOState()
    readers: dict[str, DocumentReader] = {
        "openslo": partial(openslo_read.read, state=state),
        "sloth": partial(sloth.read, period=sloth_period),
        "pyrra": pyrra.read,
    }
    if expect is not None:
        readers = {expect: readers[expect]}
    if expect in (None, "sloth", "openslo"):
        # OpenSLO v1alpha as sloth generate reads it, by both imports and the drift check alike (one
        # reader, one answer): the one tool of those servicebook reads that reads v1alpha
        readers[sloth.OPENSLO_V1ALPHA] = partial(sloth.read_openslo_v1alpha, period=sloth_period)
    read_files(paths, readers, reading, expect=FORMAT_NAMES[expect] if expect else None, named=named)
    openslo_read.finish(reading, state)
    _variables(reading)
    if expect is not None:  # what finish refuses (an objective no SLO of the catalog is) fails an import
        reading.errors += [problem for problem, _ in reading.refused]
        reading.refused.clear()
    return reading


QUERY_VARIABLE = "query-variable"  # the kind of the caution `_variables` makes: the file's SLO measures nothing


def _variables(reading: Reading) -> None:
    """Say each SLO read whose queries hold a variable that another tool fills in: Prometheus reads
    `namespace="$namespace"` as the text, and the SLO measures nothing. Said by the import, and by
    the drift check where the SLO is one of the catalog's (a caution), as `check` says it of the
    catalog's own queries."""
    for slo in reading.slos:
        m = slo.measurement
        queries = (m.errors, m.good, m.total, m.error_ratio, m.bool_gauge) if m else ()
        found = list(dict.fromkeys(v for q in queries if q for v in template_variables(q)))
        if found:
            caution = Problem(
                slo.location,
                f"the queries of {slo.format} SLO '{slo.name}' hold {', '.join(found)}, a variable another tool fills "
                "in (Grafana, kustomize, envsubst, a Helm template): Prometheus reads it as the text written, and "
                "measures nothing",
                "read the file as it is applied (rendered, its variables filled in), or write the value in the "
                "catalog's measurement",
                Severity.WARNING,
                kind=QUERY_VARIABLE,
            )
            reading.notes.append(caution)
            slo.cautions.append(caution)


@dataclass(slots=True)
class _Offering:
    id: str
    fields: dict[str, str] = field(default_factory=dict)
    slos: list[tuple[str, ForeignSLO]] = field(default_factory=list)


def fragment(reading: Reading, *, offering: str | None = None) -> str:
    """The catalog fragment for what `reading` holds; its notes gain what was guessed or left out."""
    offerings: dict[str, _Offering] = {}
    taken: set[tuple[str, str]] = set()
    for slo in reading.slos:
        where, ident = _ids(slo, reading, offering)
        target = offerings.setdefault(where, _Offering(where))
        if (where, ident) in taken:
            n = 2
            while (where, f"{ident[:60]}-{n}") in taken:
                n += 1
            new = f"{ident[:60]}-{n}"
            _guess(reading, slo, f"guessed the id '{new}': '{where}/{ident}' is taken by another SLO read")
            ident = new
        taken.add((where, ident))
        target.slos.append((ident, slo))
        _unmatched(reading, slo, where, ident)
    _unnamed_services(reading, offerings)
    lines = [
        "# A starting point made by `servicebook import`: check every value; the report on stderr",
        "# says what was dropped or guessed. Paste the items below (each `- id:` and what follows it)",
        "# into the `offerings:` list of catalog.yaml, without the `offerings:` line itself.",
        "offerings:",
    ]
    for item in offerings.values():
        lines += _offering_lines(item, reading)
    return "\n".join(lines) + "\n"


def _unnamed_services(reading: Reading, offerings: dict[str, _Offering]) -> None:
    """An OpenSLO Service no SLO names describes the offering of its name where the fragment has one
    (`--offering NAME`, or an SLO's servicebook.dev/slo annotation, names it): taken, said where the
    Service is, with what its labels gave; else it is left out, its owner with it, as its note says."""
    for name, (skip, owner_notes) in reading.unnamed.items():
        if name not in offerings:
            reading.services.pop(name, None)
            continue
        at = next(i for i, n in enumerate(reading.notes) if n is skip)
        reading.notes[at : at + 1] = [
            dataclasses.replace(
                skip,
                message=f"took Service '{name}' for the offering {name}: no SLO in the files read names it as its "
                "service, and the fragment's offering has its name",
            ),
            *owner_notes,
        ]


def _unmatched(reading: Reading, slo: ForeignSLO, where: str, ident: str) -> None:
    """Say where the fragment's SLO is not what `check --against` finds in the file it came from (its
    service or namespace and name, `offering-slo`, or the annotation), with what to write there:
    the check would say nothing measures the promise the import made of it."""
    if slo.explicit is not None:
        if slo.explicit.value == f"{where}/{ident}":
            return
    elif (slo.service, slo.name) == (where, ident) or slo.name == f"{where}-{ident}":
        return
    pyrra = slo.format == "Pyrra"
    if slo.service is None:
        named = "the file names no offering for it" + (" (no namespace, or default)" if pyrra else "")
    else:
        named = f"the file names it {slo.service}/{slo.name} (its {'namespace' if pyrra else 'service'} and name)"
    tag = "the label servicebook_slo" if slo.format == "Sloth" else "the annotation servicebook.dev/slo"
    hint = f"name it there: {tag}: {where}/{ident}"
    if slo.written_as is not None:  # OpenSLO v1alpha has neither: Sloth reads its service and name
        hint = (
            f"{slo.written_as} has no place for it: write the file's service and name (NAME-INDEX) in the "
            f"catalog, or write the SLO as a Sloth spec with the label servicebook_slo: {where}/{ident}"
        )
    _guess(reading, slo, f"`check --against` will not find {where}/{ident} in this file: {named}", hint)


def _guess(
    reading: Reading, slo: ForeignSLO, message: str, hint: str | None = None, at: SourceLocation | None = None
) -> None:
    place = at or slo.location
    reading.notes.append(Problem(place, message, hint, Severity.WARNING, reading.lines.get(place)))


def _ids(slo: ForeignSLO, reading: Reading, offering: str | None) -> tuple[str, str]:
    if slo.explicit is not None:
        parts = slo.explicit.value.split("/")
        if len(parts) == 2 and all(ID_RE.fullmatch(p) for p in parts):
            return parts[0], parts[1]
        _guess(reading, slo, f"'{slo.explicit.value}' does not name an SLO as offering/slo; ids are guessed")
    where = offering or (label_id(slo.service) if slo.service else None)
    if where is None:
        where = "imported"
    if offering is None and (where != slo.service or slo.service_guessed):
        _guess(reading, slo, f"guessed the offering id '{where}'", "give --offering ID to choose it")
    ident = label_id(slo.name) or "slo"
    if ident != slo.name:
        _guess(reading, slo, f"guessed the SLO id '{ident}' from '{slo.name}'")
    return where, ident


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _service_fields(item: _Offering, reading: Reading) -> dict[str, str]:
    """What the services of an offering's SLOs say of it (owner, tier, summary …): an offering named
    by --offering or an annotation takes them too; where two services differ, the first is kept."""
    fields = dict(reading.services.get(item.id, {}))
    given = dict.fromkeys(fields, item.id)
    said: set[tuple[str, str]] = set()
    for _, slo in item.slos:
        if slo.service is None or slo.service == item.id:
            continue
        for key, value in reading.services.get(slo.service, {}).items():
            if key not in fields:
                fields[key], given[key] = value, slo.service
            elif fields[key] != value and (key, slo.service) not in said:
                said.add((key, slo.service))
                _guess(
                    reading,
                    slo,
                    f"offering '{item.id}' keeps {key} {fields[key]} of service '{given[key]}'; "
                    f"service '{slo.service}' says {value}",
                )
    return fields


def _offering_lines(item: _Offering, reading: Reading) -> list[str]:
    service = _service_fields(item, reading)
    out = [f"  - id: {item.id}"]
    out.append(f"    name: {scalar(service.get('display', item.id), 4)}")
    summary = service.get("summary")
    if summary:
        out.append(f"    summary: {scalar(summary, 4)}")
    for key in ("owner", "tier", "lifecycle"):
        if key in service:
            out.append(f"    {key}: {scalar(service[key], 4)}")
    if "audience" in service:
        out.append(f"    audience: [{', '.join(service['audience'].split(','))}]")
    missing = [k for k in ("summary", "owner", "tier", "lifecycle", "audience") if k not in service]
    missing.append("request")
    first = item.slos[0][1]
    reading.notes.append(
        Problem(
            first.location,
            f"offering '{item.id}' needs {', '.join(missing)} (not in the files read)",
            None,
            Severity.WARNING,
            reading.lines.get(first.location),
            kind="offering-incomplete",
        )
    )
    out.append("    slos:")
    for ident, slo in item.slos:
        out += _slo_lines(ident, slo, reading)
    return out


def _slo_lines(ident: str, slo: ForeignSLO, reading: Reading) -> list[str]:
    out = [f"      - id: {ident}", f"        name: {scalar(slo.display_name or slo.name, 8)}"]
    if slo.description:
        out.append(f"        sli: {scalar(slo.description, 8)}")
    else:
        _guess(reading, slo, "no description to say what is measured: add 'sli:' in the catalog's words")
    if slo.objective is not None:
        out.append(f"        objective: {_number(slo.objective)}")
    if slo.window is not None:
        out.append(f"        window: {slo.window}")
        if slo.window_assumed:
            _guess(
                reading,
                slo,
                f"guessed the window {slo.window}: a Sloth spec has none (sloth generate --default-slo-period; "
                "import sloth --sloth-period says it)",
            )
    else:
        _guess(reading, slo, "no time window: add 'window:' (28d, 30d, calendar-month …)")
    if slo.budgeting is not None and slo.budgeting is not model.Budgeting.OCCURRENCES:
        out.append(f"        budgeting: {slo.budgeting.value}")
        if slo.timeslice_target is not None and slo.budgeting is model.Budgeting.TIMESLICES:
            out.append(f"        timeslice_target: {_number(slo.timeslice_target)}")
        if slo.timeslice_window is not None:
            out.append(f"        timeslice_window: {minutes_text(slo.timeslice_window)}")
    if slo.timezone is not None and slo.window and slo.window.startswith("calendar-"):
        out.append(f"        timezone: {slo.timezone}")
    m = slo.measurement
    if m is not None:
        out.append("        measurement:")
        for key in ("errors", "good", "total", "error_ratio", "bool_gauge"):
            value = getattr(m, key)
            if value is not None:
                out.append(f"          {key}: {scalar(value, 10)}")
    return out
