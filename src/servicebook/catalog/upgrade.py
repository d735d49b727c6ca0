"""Older catalog formats, upgraded to the current one before validation.

Past releases must keep building after the format evolves, so the loader never refuses an old
format it knows: each step rewrites the located YAML tree of format N into format N + 1, keeping
every position, so errors in an old catalog still point at the right line.

Format 0 is the pre-release draft: no `format:` key, and SLOs written the OpenSLO way
(`target` as a fraction such as 0.999, `timeWindow`, `budgetingMethod`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from servicebook.catalog.model import FORMAT_VERSION
from servicebook.errors import Problem, Severity
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceText

Step = Callable[[Mapping], Mapping]


def _rename(mapping: Mapping, renames: dict[str, str], convert: dict[str, Callable[[Scalar], Scalar]]) -> Mapping:
    items: list[tuple[Scalar, Node]] = []
    for key, value in mapping.items:
        new_value = convert[key.value](value) if key.value in convert and isinstance(value, Scalar) else value
        new_key = Scalar(renames[key.value], key.location, key.plain) if key.value in renames else key
        items.append((new_key, new_value))
    return Mapping(tuple(items), mapping.location)


def _each_item(mapping: Mapping, key_name: str, step: Callable[[Node], Node]) -> Mapping:
    """`mapping` with `step` applied to every item of its list under `key_name`."""
    items: list[tuple[Scalar, Node]] = []
    for key, value in mapping.items:
        if key.value == key_name and isinstance(value, Sequence):
            items.append((key, Sequence(tuple(step(v) for v in value.items), value.location)))
        else:
            items.append((key, value))
    return Mapping(tuple(items), mapping.location)


def _fraction_to_percent(value: Scalar) -> Scalar:
    try:
        fraction = Decimal(value.value)
    except InvalidOperation:
        return value  # validation reports it, at this position
    if not fraction.is_finite() or not 0 < fraction < 1:
        return value
    return Scalar(format((fraction * 100).normalize(), "f"), value.location, value.plain)


def _budgeting(value: Scalar) -> Scalar:
    """OpenSLO's budgetingMethod as the catalog spells it: `Timeslices` → `timeslices`,
    `RatioTimeslices` → `ratio-timeslices`."""
    lowered = value.value.lower()
    return Scalar("ratio-timeslices" if lowered == "ratiotimeslices" else lowered, value.location, value.plain)


def _slo_0_to_1(slo: Node) -> Node:
    if not isinstance(slo, Mapping):
        return slo
    return _rename(
        slo,
        {"target": "objective", "timeWindow": "window", "budgetingMethod": "budgeting"},
        {"target": _fraction_to_percent, "budgetingMethod": _budgeting},
    )


def _offering_0_to_1(offering: Node) -> Node:
    return _each_item(offering, "slos", _slo_0_to_1) if isinstance(offering, Mapping) else offering


def _step_0_to_1(root: Mapping) -> Mapping:
    upgraded = _each_item(root, "offerings", _offering_0_to_1)
    stamp: tuple[Scalar, Node] = (Scalar("format", root.location, True), Scalar("1", root.location, True))
    return Mapping((stamp, *upgraded.items), root.location)


STEPS: dict[int, Step] = {0: _step_0_to_1}


def _small_number(value: str) -> bool:
    """Digits 0-9 that int() reads ("²" passes str.isdigit; int() refuses over 4,300 digits)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def upgrade(source: SourceText, node: Node | None) -> tuple[Node | None, list[Problem]]:
    """The tree in the current format, plus a note when it was upgraded."""
    if not isinstance(node, Mapping):
        return node, []
    declared = next((v for k, v in node.items if k.value == "format"), None)
    if declared is None:
        version = 0
    elif isinstance(declared, Scalar) and _small_number(declared.value) and int(declared.value) < FORMAT_VERSION:
        version = int(declared.value)
        node = Mapping(tuple((k, v) for k, v in node.items if k.value != "format"), node.location)
    else:
        return node, []  # current or unknown: validation judges it
    problems = []
    if declared is None:
        problems.append(
            source.problem(
                node.location.line,
                node.location.column,
                "the catalog has no 'format' key: read as format 0 (the draft format) and upgraded",
                f"add 'format: {FORMAT_VERSION}' and write SLOs with 'objective' (percent) and 'window'",
            )
        )
        problems = [
            Problem(p.location, p.message, p.hint, Severity.WARNING, p.source_line, kind=p.kind) for p in problems
        ]
    while version < FORMAT_VERSION:
        node = STEPS[version](node)
        version += 1
    return node, problems


def newer_format(source: SourceText, node: Node | None) -> Problem | None:
    """The error for a catalog in a format newer than this servicebook reads (written for a later
    release), which no other problem is reported beside: each would judge it by rules it may not
    follow."""
    if not isinstance(node, Mapping):
        return None
    declared = next((v for k, v in node.items if k.value == "format"), None)
    if not (isinstance(declared, Scalar) and _small_number(declared.value) and int(declared.value) > FORMAT_VERSION):
        return None
    return source.problem(
        declared.location.line,
        declared.location.column,
        f"catalog format {declared.value} is not supported by this servicebook: it reads format {FORMAT_VERSION} "
        "and older, and the catalog's other values were not checked",
        "install the servicebook the catalog was written for (`servicebook --version` says which one you have), "
        f"or write 'format: {FORMAT_VERSION}' if it was written for this one",
    )
