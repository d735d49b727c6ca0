"""Sloth's SLO specs, read: the plain spec (`version: prometheus/v1`) and the Kubernetes resource
(`sloth.slok.dev/v1` `PrometheusServiceLevel`, or `ManagedPrometheusServiceLevel`, the same spec
for Google Cloud's Managed Prometheus); and the subset of OpenSLO
`openslo/v1alpha` that `sloth generate` reads (its examples/openslo-*.yml), which `import sloth` and
`check --against` read.

The two spell the same fields differently (`error_query`, `page_alert` in the plain spec since
Sloth moved it to snake case; `errorQuery`, `pageAlert` in the resource and in early plain specs):
both spellings are read in both. A Sloth spec has no window (`sloth generate` takes it from
`--default-slo-period`, 30 days unless set) and counts events: the window is assumed, the
budgeting is occurrences.
"""

from __future__ import annotations

from servicebook.catalog import model
from servicebook.catalog.queries import WINDOW_PLACEHOLDER, grouped_by, query_form
from servicebook.catalog.validate import CALENDAR_WINDOWS_TEXT
from servicebook.errors import SourceLocation
from servicebook.interop import sloth_plugins
from servicebook.interop.foreign import (
    Fields,
    ForeignSLO,
    Located,
    ObjectiveRule,
    Reading,
    bucket_under,
    number_not_text,
    objective_up_to_100,
    plain_decimal,
    range_over_expression_note,
    refuse,
    summed_text,
    under_one_percent,
    worst_group,
)
from servicebook.source.yaml import Mapping, Scalar, SourceText

DEFAULT_PERIOD = "30d"
OPENSLO_V1ALPHA = "openslo/v1alpha"
# what Sloth's validation takes (slok/sloth's SLO model: `Objective float64 validate:"gt=0,lte=100"`)
SLOTH_TAKES = ObjectiveRule("Sloth", "as Sloth's validation requires")
LABEL = "servicebook_slo"
# Sloth's contrib plugins that hold a spec's queries to VictoriaMetrics' MetricsQL (examples/victoria-metrics.yml)
METRICSQL_PLUGINS = frozenset(
    {"sloth.dev/contrib/validate_victoria_metrics/v1"}
)  # a Prometheus label name cannot hold '/' or '.': the SLO's own label


def _either(f: Fields, *keys: str) -> str | None:
    for key in keys:
        found = f.text(key)
        if found is not None:
            return found.value
    return None


def _query(f: Fields, what: str, source: SourceText, reading: Reading, *keys: str) -> str | None:
    """A query as written; one over a fixed range (`[5m]`) is said where it is, as the fragment's
    check would refuse it: the catalog measures over the SLO's window, through {{.window}}."""
    for key in keys:
        found = f.text(key)
        if found is None:
            continue
        if query_form(found.value) is None:
            reading.note(
                source,
                found.location,
                f"the {what} is neither a metric selector nor PromQL with {WINDOW_PLACEHOLDER}: the catalog refuses it",
                f"write its range as [{WINDOW_PLACEHOLDER}], as Sloth's examples do",
            )
        ranged = range_over_expression_note(what, found.value)
        if ranged is not None:
            reading.note(source, found.location, *ranged)
        return found.value
    return None


def _events(events: Fields, errors: str, total: str, source: SourceText, reading: Reading) -> model.Measurement:
    """An events SLI as the catalog's measurement. An error query that counts a histogram's bucket
    under a bound (`le="250"`) counts the requests within it, the good ones: said where it is. Queries
    summed by the same labels (`sum(…) by (host)`) give Sloth a ratio, an SLO, for each group: the
    catalog's SLO is the worst group's error ratio, said; summed otherwise, they are said too, as
    `measure` needs one value."""
    bucket = bucket_under(errors)
    if bucket is not None:
        reading.note(
            source,
            events.at("error_query" if events.has("error_query") else "errorQuery"),
            f"the error query counts {bucket[0]} under le={bucket[1]}: the requests within the bound, "
            "the good ones, which Sloth takes for errors (its error ratio is then the share of fast requests)",
            "if they are the good ones, write the errors as the total minus them (or, in the catalog, measurement: "
            "good: … and total: …)",
        )
    by_errors, by_total = grouped_by(errors), grouped_by(total)
    if by_errors is None and by_total is None:
        return model.Measurement(errors=errors, total=total)
    at = events.at("total_query" if events.has("total_query") else "totalQuery")
    if by_errors != by_total:
        reading.note(
            source,
            at,
            f"the error query {summed_text(by_errors)} and the total query {summed_text(by_total)}: a query summed by "
            "labels returns a series per group, and `measure` takes one value",
            "sum both by the same labels (an SLO for each group), or by none (one for the service)",
        )
        return model.Measurement(errors=errors, total=total)
    ratio = worst_group(errors, total)
    reading.note(
        source,
        at,
        f"measured the worst of each {', '.join(by_total or ())}: both queries are summed by it, so Sloth's ratio, "
        f"and its SLO, hold for each group on its own; the catalog's SLO is the worst group's error ratio, met when "
        f"every group meets it: {ratio}",
        "check the query: the sum over every group would be a weaker promise, met while one group fails",
    )
    return model.Measurement(error_ratio=ratio)


def _other_shape(root: Fields) -> None:
    """Refuse a document that writes the plain spec's fields in the resource's shape, or the other way round
    (a resource's `service` beside its `apiVersion`, a plain spec's under `spec:`), where they are, with the shape
    its header says."""
    if root.has("version") and not root.has("service") and root.has("spec"):
        raise refuse(
            root.source,
            root.at("spec"),
            "a plain Sloth spec (version: prometheus/v1) writes service and slos at the top, not under spec",
            "write service and slos without spec:, or the file as the Kubernetes resource (apiVersion: "
            "sloth.slok.dev/v1, kind: PrometheusServiceLevel, metadata, spec)",
        )
    if not root.has("version") and not root.has("spec") and (root.has("service") or root.has("slos")):
        written = "service" if root.has("service") else "slos"
        raise refuse(
            root.source,
            root.at(written),
            f"Sloth's Kubernetes resource writes {written} under spec, not beside apiVersion and kind",
            "indent service and slos under spec:, or write the file as a plain spec (version: prometheus/v1, "
            "then service and slos, without apiVersion, kind and metadata)",
        )


def read(root: Fields, source: SourceText, reading: Reading, *, period: str = DEFAULT_PERIOD) -> None:
    spec: Fields | None = root
    _other_shape(root)
    if root.has("version"):  # the plain spec
        root.text("version")
    else:
        root.text("apiVersion")
        root.text("kind")
        root.node_of("status")  # what Sloth's controller reports (`kubectl get -o yaml` has it), not the spec
        meta = root.fields("metadata")
        if meta is not None:
            meta.used.update(meta.items)  # name, namespace, labels: Kubernetes' own
        spec = root.fields("spec", required=True)
        root.dropped(reading, "not part of a Sloth spec's SLOs")
        assert spec is not None
        if not spec.has("service"):  # a kustomize overlay's patch of the resource, not the resource
            raise refuse(
                source,
                spec.location,
                "the resource has no spec.service: a patch of it (as a kustomize overlay's patch writes one) is not "
                "a whole Sloth resource",
                "read the resources as they are applied: kustomize build OVERLAY > slos.yaml, then read that",
            )
    assert spec is not None
    service = spec.text("service", required=True)
    assert service is not None
    labels = spec.strings("labels")
    offering = _labelled(labels, service.value, reading)
    if offering:
        said = " and ".join(f"{k} {v}" for k, v in offering.items())
        reading.note(source, spec.at("labels"), f"guessed the offering's {said} from the spec's labels")
    rest = sorted(set(labels) - set(offering) - ({"team"} if offering.get("owner") == labels.get("team") else set()))
    if rest:
        reading.note(
            source, spec.at("labels"), f"dropped 'labels' {', '.join(rest)} (Prometheus labels of the generated rules)"
        )
    _plugins(spec, source, reading, "slo_plugins", "sloPlugins")
    for item in spec.items_of("slos"):
        reading.slos.append(_slo(Fields(item, source, "an SLO"), source, reading, service.value, period))
    spec.dropped(reading, "not part of the catalog")


def _plugins(f: Fields, source: SourceText, reading: Reading, *keys: str) -> None:
    """Say what dropping Sloth's SLO plugins means for the promise: they change the rules and alerts
    `sloth generate` writes (an alert's `for`, a corrected burn rate), not the objective or the SLI."""
    for key in keys:
        if f.has(key):
            node = f.node_of(key)
            reading.note(
                source,
                f.at(key),
                f"dropped '{key}' (SLO plugins change the rules and alerts sloth generate writes, not the "
                "objective: the catalog's promise is the same without them)",
            )
            chain = Fields(node, source, f"'{key}'").items_of("chain") if isinstance(node, Mapping) else []
            ids = [i[1] for i in (Fields(c, source, "a plugin").items.get("id") for c in chain) if i is not None]
            for plugin in ids:
                if isinstance(plugin, Scalar) and plugin.value in METRICSQL_PLUGINS:
                    reading.note(
                        source,
                        plugin.location,
                        f"the plugin {plugin.value} validates the queries as VictoriaMetrics' MetricsQL, which "
                        "Prometheus may not read (histogram_share, a range of vector(1)): `servicebook measure` "
                        "asks a Prometheus API",
                        "point measure at VictoriaMetrics' Prometheus API, or write the measurement in PromQL",
                    )


def _labelled(labels: dict[str, str], service: str, reading: Reading) -> dict[str, str]:
    """The owner and tier that Sloth's own examples give a service as labels (`owner: myteam`,
    `tier: "2"`; `team: …` as many specs name the owner), for the offering the fragment makes of
    it (a tier the catalog has: 1 to 3)."""
    found = {}
    owner = labels.get("owner", "").strip() or labels.get("team", "").strip()
    if owner:
        found["owner"] = owner
    tier = labels.get("tier", "").strip().lower().removeprefix("tier-").removeprefix("tier")
    if tier in {t.value for t in model.Tier}:
        found["tier"] = tier
    if found:
        known = reading.services.setdefault(service, {})
        for key, value in found.items():
            known.setdefault(key, value)
    return found


def _slo(f: Fields, source: SourceText, reading: Reading, service: str, period: str) -> ForeignSLO:
    name = f.text("name", required=True)
    assert name is not None
    slo = ForeignSLO("Sloth", name.location, name.value, service=service)
    objective = f.text("objective", required=True)
    assert objective is not None
    number_not_text(source, objective, "objective", "Sloth")
    slo.objective, slo.objective_at = (
        objective_up_to_100(source, reading, objective, "objective", SLOTH_TAKES),
        objective.location,
    )
    under_one_percent(reading, source, objective, slo.objective, "Sloth")
    description = f.text("description")
    slo.description = description.value if description else None
    labels = f.strings("labels")
    if LABEL in labels:
        slo.explicit = f.located_in("labels", LABEL)
    if set(labels) - {LABEL}:
        reading.note(source, f.at("labels"), "dropped 'labels' (Prometheus labels of the generated rules)")
    slo.window, slo.window_at, slo.window_assumed = period, name.location, True
    slo.budgeting, slo.budgeting_at = model.Budgeting.OCCURRENCES, name.location
    sli = f.fields("sli", required=True)
    assert sli is not None
    slo.measurement_at = sli.location
    events, raw, plugin = sli.fields("events"), sli.fields("raw"), sli.fields("plugin")
    if sum(x is not None for x in (events, raw, plugin)) != 1:
        raise refuse(source, sli.location, "an SLI gives exactly one of events, raw and plugin")
    if events is not None:
        errors = _query(events, "error query", source, reading, "error_query", "errorQuery")
        total = _query(events, "total query", source, reading, "total_query", "totalQuery")
        if errors is None or total is None:
            raise refuse(source, events.location, "events needs an error query and a total query")
        slo.measurement = _events(events, errors, total, source, reading)
        events.dropped(reading, "not a Sloth events field")
    elif raw is not None:
        ratio = _query(raw, "error ratio query", source, reading, "error_ratio_query", "errorRatioQuery")
        if ratio is None:
            raise refuse(source, raw.location, "raw needs an error ratio query")
        slo.measurement = model.Measurement(error_ratio=ratio)
        raw.dropped(reading, "not a Sloth raw field")
    elif plugin is not None:
        slo.measurement = _plugin(plugin, source, reading)
        plugin.used.update(plugin.items)
    _plugins(f, source, reading, "plugins")
    if f.has("interval"):
        f.node_of("interval")
        reading.note(
            source,
            f.at("interval"),
            "dropped 'interval' (how often the rule groups sloth generate writes are evaluated, not the objective)",
        )
    if f.has("alerting"):
        f.node_of("alerting")
        reading.note(source, f.at("alerting"), "dropped 'alerting' (alerts are not part of the catalog)")
    f.dropped(reading, "not part of the catalog")
    return slo


def _plugin(plugin: Fields, source: SourceText, reading: Reading) -> model.Measurement | None:
    """An SLI plugin's SLO: measured by the query the plugin makes, where it is one of Sloth's common plugins
    whose query is known (sloth_plugins.py); else imported without a measurement, said where it is, so that
    nobody takes it for measured."""
    named = plugin.text("id")
    options = plugin.strings("options")
    written = plugin.node_of("options")
    try:
        query = sloth_plugins.error_ratio(named.value, options) if named is not None else None
    except sloth_plugins.OptionRefused as exc:
        assert named is not None
        keys = written.items if isinstance(written, Mapping) else []
        at = next((k.location for k, _ in keys if k.value == exc.option), plugin.at("options"))
        reading.note(
            source,
            at,
            f"imported without a measurement: the plugin {named.value} refuses its options ({exc.reason}), and so "
            "sloth generate fails on the file",
            f"give the plugin the {exc.option} it takes (its README says which), or write the measurement in the "
            "catalog",
        )
        return None
    if query is not None:
        assert named is not None
        reading.note(
            source,
            named.location,
            f"read the SLI plugin {named.value} as the error ratio query it makes of its options (the measurement's "
            "error_ratio), so that `servicebook measure` measures what Sloth's rules do",
        )
        return model.Measurement(error_ratio=query)
    shown = f" {named.value}" if named is not None and named.value.strip() else ""
    reading.note(
        source,
        named.location if named is not None else plugin.location,
        f"imported without a measurement: the plugin{shown} is run by Sloth, not by `servicebook measure` (its query "
        "is made by the plugin, not written here)",
        "write the measurement as the error ratio the plugin makes (the expr of the slo:sli_error:ratio_rate5m "
        "rule `sloth generate` writes of it, its range as [{{.window}}]), or leave it out",
    )
    return None


def read_openslo_v1alpha(root: Fields, source: SourceText, reading: Reading, *, period: str = DEFAULT_PERIOD) -> None:
    """An OpenSLO v1alpha SLO as Sloth reads it (slok/sloth internal/openslo/spec.go): each
    objective is an SLO named `name-INDEX`, its ratioMetrics' good and total PromQL queries (source
    prometheus or sloth) make the error ratio `1 - (good / total)`, its target is a fraction; a
    single rolling window in days (Sloth's period when there is none), counted as occurrences."""
    root.text("apiVersion")
    kind = root.text("kind")
    if kind is None or kind.value != "SLO":  # a Service, as oslo's v1alpha files list them beside their SLOs
        shown = f"a {kind.value}" if kind is not None else "a document without kind"
        reading.note(source, root.location, f"skipped {shown} ({OPENSLO_V1ALPHA}): sloth generate reads its SLOs only")
        return
    meta = root.fields("metadata", required=True)
    assert meta is not None
    name = meta.text("name", required=True)
    assert name is not None
    meta.used.update(key for key in meta.items if key != "displayName")  # labels: Kubernetes' own and people's
    display = meta.text("displayName")
    if display is not None:
        reading.note(
            source,
            display.location,
            f"dropped displayName '{display.value}' (not read by Sloth: each objective is an SLO named "
            f"{name.value}-INDEX)",
            "give each SLO a name in the catalog's words",
        )
    spec = root.fields("spec", required=True)
    assert spec is not None
    service = spec.text("service", required=True)
    assert service is not None
    description = spec.text("description")
    budgeting = spec.text("budgetingMethod")
    if budgeting is not None and budgeting.value != "Occurrences":
        reading.note(
            source,
            budgeting.location,
            f"budgetingMethod {budgeting.value} is not read by Sloth, which counts events: read as occurrences",
        )
    window, window_at = _v1alpha_window(spec, source, reading)
    objectives = spec.items_of("objectives")
    if not objectives:
        raise refuse(source, spec.location, "the SLO has no objectives (Sloth makes an SLO of each)")
    for index, node in enumerate(objectives):
        o = Fields(node, source, "an objective")
        slo = ForeignSLO("Sloth", name.location, f"{name.value}-{index}", service=service.value)
        slo.written_as = "OpenSLO v1alpha"
        slo.description = description.value if description else None
        target = o.text("target", required=True)
        assert target is not None
        number_not_text(source, target, "target", "Sloth")
        _fraction_target(target, source)
        slo.objective, slo.objective_at = (
            objective_up_to_100(source, reading, target, "target", SLOTH_TAKES, scale=100),
            target.location,
        )
        slo.window, slo.window_at, slo.window_assumed = window or period, window_at or name.location, window is None
        slo.budgeting, slo.budgeting_at = model.Budgeting.OCCURRENCES, name.location
        slo.measurement = model.Measurement(error_ratio=_v1alpha_ratio(o, source, reading))
        slo.measurement_at = o.location
        o.dropped(reading, "not read by Sloth")
        reading.slos.append(slo)
    reading.note(
        source,
        root.location,
        f"read OpenSLO {OPENSLO_V1ALPHA} as sloth generate does: each objective is an SLO named "
        f"{name.value}-INDEX, its error ratio 1 - (good / total)",
    )
    spec.dropped(reading, "not read by Sloth")
    root.dropped(reading, "not part of an SLO")


def _fraction_target(target: Located, source: SourceText) -> None:
    """Refuse a percent written where Sloth reads a fraction (`target: 99.9`, read as 9,990 %)."""
    number = plain_decimal(target.value)
    if number is None:
        return  # not a number, or none within reach: percent() says so
    if number > 1:  # 1 is 100 %, which Sloth takes
        raise refuse(
            source,
            target.location,
            f"target {target.value} is not a fraction below 1 (Sloth reads OpenSLO's target as 0.999 for 99.9 %)",
            # a percent written where the fraction goes, or no objective at all
            f"write target: {format((number / 100).normalize(), 'f')}" if number <= 100 else "write e.g. target: 0.999",
        )


def _v1alpha_window(spec: Fields, source: SourceText, reading: Reading) -> tuple[str | None, SourceLocation | None]:
    """The one rolling window Sloth reads (`timeWindows: [{count: 30, unit: Day}]`), or none."""
    windows = spec.items_of("timeWindows")
    if not windows:
        return None, None
    if len(windows) != 1:
        raise refuse(source, spec.at("timeWindows"), "Sloth reads one time window, not several")
    w = Fields(windows[0], source, "a time window")
    count, unit = w.text("count", required=True), w.text("unit", required=True)
    assert count is not None and unit is not None
    rolling = w.text("isRolling")  # Sloth's windows roll, whatever it says: said when it says otherwise
    w.dropped(reading, "not read by Sloth")
    if unit.value.lower() != "day" or not count.value.strip().isdigit():
        raise refuse(
            source, w.location, f"a window of {count.value} {unit.value}: Sloth reads a count of days (unit: Day)"
        )
    if rolling is not None and rolling.value.strip().lower() in ("false", "no", "off", "n"):
        reading.note(
            source,
            rolling.location,
            f"isRolling {rolling.value} is not read by Sloth, whose windows roll: read as a rolling "
            f"{int(count.value)}d",
            f"for a calendar window, write window: {CALENDAR_WINDOWS_TEXT} in the catalog",
        )
    return f"{int(count.value)}d", count.location


def _v1alpha_ratio(o: Fields, source: SourceText, reading: Reading) -> str:
    """The error ratio Sloth makes of an objective's ratioMetrics: 1 - (good / total)."""
    ratio = o.fields("ratioMetrics")
    if ratio is None:
        raise refuse(source, o.location, "Sloth reads an objective's ratioMetrics (good and total), which this has not")
    queries = []
    for key in ("good", "total"):
        m = ratio.fields(key, required=True)
        assert m is not None
        where, kind = m.text("source", required=True), m.text("queryType", required=True)
        assert where is not None and kind is not None
        if where.value not in ("prometheus", "sloth") or kind.value != "promql":
            raise refuse(
                source,
                m.location,
                f"the {key} query is a {where.value} {kind.value} query: Sloth reads source prometheus (or sloth) "
                "with queryType promql",
                "write the SLO's queries in PromQL, or write it in the catalog without a measurement",
            )
        query = _query(m, f"{key} query", source, reading, "query")
        if query is None:
            raise refuse(source, m.location, f"the {key} metric has no query")
        m.dropped(reading, "not read by Sloth")
        queries.append(query.strip())
    ratio.dropped(reading, "not read by Sloth")
    return f"1 - (({queries[0]}) / ({queries[1]}))"
