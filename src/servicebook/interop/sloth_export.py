"""The catalog's SLOs as Sloth specs (`version: prometheus/v1`, one per offering), for `sloth
generate`, valid under Sloth's own checks (slok/sloth's pkg/common/validation): names that start
and end with a letter or digit, every query with `{{.window}}`, an alert name.

Sloth has one period for all the SLOs of a run (`sloth generate --default-slo-period`), so an
export holds the SLOs of one rolling window; the others are left out, each with the reason. A
query the catalog writes as a counter's selector becomes Sloth's `sum(rate(SELECTOR[{{.window}}]))`;
PromQL with `{{.window}}` goes as written, but for a bucket's bound or a quantile that Prometheus 2
and 3 may store in different spellings (`le="1"`, which Prometheus 3 stores `le="1.0"`): Sloth's
rules take the query as written, so it goes as the regular expression of every spelling
(`le=~"1|1\\.0"`), as `measure` asks for it. Each SLO carries the Prometheus label `servicebook_slo:
offering/slo`, which `check --against` and `import sloth` read back, and its alerts the annotations
`servicebook_objective`, `servicebook_window` and `servicebook_error_budget` (what `export openslo`
annotates the SLO with, as Sloth names annotations). Pure functions of the catalog.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.queries import (
    WINDOW_PLACEHOLDER,
    QueryForm,
    every_spelling,
    query_form,
    selector_text,
    with_window,
)
from servicebook.catalog.slo import window_days
from servicebook.interop.openslo import promise_annotations
from servicebook.interop.rule_generators import SLO_LABEL, Exported, Left, cannot_hold

VERSION = "prometheus/v1"
DEFAULT_PERIOD = "30d"  # sloth generate's own default
BUILT_IN_PERIODS = ("28d", "30d")  # the periods Sloth has alert windows for without a windows file
NAME = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]")  # Sloth's names: ID, service, SLO name
TOOL = "Sloth"
ANNOTATION_PREFIX = "servicebook_"  # servicebook.dev/ as a Prometheus label name (no '.' or '/')


def sloth_name(ident: str, kind: str) -> str:
    """`ident` as a Sloth name: a catalog id is one but when it has a single character."""
    return ident if NAME.fullmatch(ident) else f"{kind}-{ident}"


def alert_name(offering: model.Offering, slo: model.SLO) -> str:
    """The name of the alerts Sloth writes for the SLO, in Prometheus' style: `CiPipelinesAvailability`."""
    words = re.split(r"[^A-Za-z0-9]+", f"{offering.id} {slo.id}")
    return "".join(word[:1].upper() + word[1:] for word in words if word) + "BudgetBurn"


def alert_annotations(slo: model.SLO) -> dict[str, str]:
    """What the SLO promises, on the alerts Sloth writes for it (`export openslo`'s annotations, named
    as Sloth's validation wants an annotation named: a Prometheus label name, `servicebook_error_budget`),
    for whoever an alert pages. Not what was measured: an alert fires later than the export is made."""
    return {f"{ANNOTATION_PREFIX}{key.replace('-', '_')}": value for key, value in promise_annotations(slo).items()}


def choose_period(offerings: Iterable[model.Offering]) -> str:
    """The rolling window most of the SLOs Sloth can hold have (on a tie Sloth's default, then the
    shortest); Sloth's default when there is none."""
    counts = Counter(s.window for o in offerings for s in o.slos if cannot_hold(s, TOOL) is None)
    if not counts:
        return DEFAULT_PERIOD
    return max(counts, key=lambda w: (counts[w], w == DEFAULT_PERIOD, -window_days(w)[0]))


def _templated(query: str) -> str:
    """PromQL with the placeholder spelt as Sloth's check wants it (`{{.window}}`, no new line inside),
    a bound asked for in every spelling Prometheus 2 and 3 may store it in."""
    return every_spelling(with_window(query, WINDOW_PLACEHOLDER))


def _rate(query: str) -> str:
    if query_form(query) is QueryForm.SELECTOR:
        return f"sum(rate({every_spelling(selector_text(query))}[{WINDOW_PLACEHOLDER}]))"
    return _templated(query)


def _summed(query: str) -> str:
    """The query as one number, to subtract from another (PromQL as written may keep labels)."""
    return _rate(query) if query_form(query) is QueryForm.SELECTOR else f"sum({_templated(query)})"


def sli(measurement: model.Measurement) -> tuple[dict[str, Any] | None, str | None]:
    """Sloth's `sli` for a measurement, or why it has none."""
    m = measurement
    if m.total is not None and m.errors is not None:
        errors, total = _rate(m.errors), _rate(m.total)
    elif m.total is not None and m.good is not None:
        total = _rate(m.total)
        errors = f"{_summed(m.total)} - {_summed(m.good)}"
    elif m.error_ratio is not None:
        if query_form(m.error_ratio) is not QueryForm.TEMPLATE:
            return None, (
                "an error_ratio that is a series of the ratio over the SLO's window (a recording rule): "
                "Sloth evaluates its query over many windows (write it as PromQL with {{.window}})"
            )
        return {"raw": {"error_ratio_query": _templated(m.error_ratio)}}, None
    elif m.bool_gauge is not None:
        if query_form(m.bool_gauge) is QueryForm.SELECTOR:
            gauge = f"{every_spelling(selector_text(m.bool_gauge))}[{WINDOW_PLACEHOLDER}]"
            ratio = f"1 - (sum(sum_over_time({gauge})) / sum(count_over_time({gauge})))"
        else:
            ratio = f"1 - ({_templated(m.bool_gauge)})"
        return {"raw": {"error_ratio_query": ratio}}, None
    else:  # pragma: no cover - validation gives every measurement one shape
        return None, "a measurement of no shape Sloth reads"
    if errors == total:
        return None, "the same query for errors and total, which Sloth refuses"
    return {"events": {"error_query": errors, "total_query": total}}, None


def specs(offerings: Iterable[model.Offering], period: str) -> Exported:
    """A Sloth spec per offering with an SLO Sloth can hold over `period`, in catalog order."""
    documents: list[dict[str, Any]] = []
    left: list[Left] = []
    count = 0
    for offering in offerings:
        slos: list[dict[str, Any]] = []
        for slo in offering.slos:
            reason = cannot_hold(slo, TOOL)
            if reason is None and slo.window != period:
                reason = (
                    f"a window of {slo.window}, not this export's {period} (export again with --period {slo.window})"
                )
            indicator = None
            if reason is None:
                assert slo.measurement is not None
                indicator, reason = sli(slo.measurement)
            if reason is not None or indicator is None:
                left.append(Left(offering.id, slo.id, reason or ""))
                continue
            slos.append(
                {
                    "name": sloth_name(slo.id, "slo"),
                    "objective": slo.objective,
                    "description": slo.sli,
                    "labels": {SLO_LABEL: f"{offering.id}/{slo.id}"},
                    "sli": indicator,
                    "alerting": {"name": alert_name(offering, slo), "annotations": alert_annotations(slo)},
                }
            )
        if not slos:
            continue
        count += len(slos)
        documents.append(
            {
                "version": VERSION,
                "service": sloth_name(offering.id, "offering"),
                "labels": {"owner": offering.owner, "tier": offering.tier.value},
                "slos": slos,
            }
        )
    return Exported(documents, count, tuple(left))
