"""What the exports for Prometheus rule generators (Sloth, Pyrra) share: which SLOs they can hold,
and the reason given for each one they cannot. Both count events over one rolling window: a
calendar window, time slices, or an SLO whose catalog entry does not say how Prometheus measures
it has no form in them. Pure functions of the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servicebook.catalog import model

PREFIX = "servicebook.dev/"
# the Prometheus label a Sloth SLO names its catalog SLO by (a label name cannot hold '/' or '.')
SLO_LABEL = "servicebook_slo"


@dataclass(frozen=True, slots=True)
class Left:
    """A catalog SLO an export does not hold, and why (said on standard error)."""

    offering: str
    slo: str
    reason: str

    def __str__(self) -> str:
        return f"{self.offering}/{self.slo}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Exported:
    """The documents of an export, how many SLOs they hold, and the SLOs left out."""

    documents: Sequence[Mapping[str, Any]]
    slos: int
    left: tuple[Left, ...]
    # SLOs exported whose rules find what the catalog measures only where the tool is run as said
    cautions: tuple[Left, ...] = ()


def cannot_hold(slo: model.SLO, tool: str) -> str | None:
    """Why `tool` (Sloth or Pyrra) has no form for `slo`, or None when it may have one."""
    if slo.measurement is None:
        return "no measurement: the catalog does not say how Prometheus counts the events (add measurement:)"
    if slo.window.startswith("calendar-"):
        return f"a {slo.window} window: {tool} has rolling windows only (export openslo keeps it)"
    if slo.budgeting is not model.Budgeting.OCCURRENCES:
        return f"budgeting: {slo.budgeting.value}: {tool} counts events, not time slices (export openslo keeps it)"
    return None
