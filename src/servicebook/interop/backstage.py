"""Backstage catalog entities: the catalog as a Group, a System and one Component or Resource
per offering, and a stream of entities back to a catalog fragment (docs/portals.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from servicebook import routes
from servicebook.catalog import model, portals
from servicebook.catalog.slo import effective_support, error_budget
from servicebook.catalog.validate import ID_RE, RESERVED_IDS
from servicebook.interop.fragment import Report, child, dump_stream, dump_yaml, items, location, text, texts
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceError, SourceText, parse_yaml_documents

API_VERSION = "backstage.io/v1alpha1"
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")  # what the catalog-model schemas accept
PREFIX = "servicebook.dev/"
RESOURCE_TYPE = "platform-offering"

LIFECYCLE = {  # Backstage's well-known lifecycles: experimental, production, deprecated
    model.Lifecycle.BETA: "experimental",
    model.Lifecycle.GA: "production",
    model.Lifecycle.DEPRECATED: "deprecated",
    # Backstage has no "retired": the entity stays (links to it keep working), marked deprecated,
    # and servicebook.dev/lifecycle says "retired".
    model.Lifecycle.RETIRED: "deprecated",
}
LIFECYCLE_BACK = {"experimental": model.Lifecycle.BETA, "production": model.Lifecycle.GA, "deprecated": None}
WEAK = (model.ToolStatus.DEPRECATED, model.ToolStatus.UNSUPPORTED)


def _ref(kind: str, namespace: str, name: str) -> str:
    return f"{kind}:{namespace}/{name}"


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _slos(offering: model.Offering) -> str:
    slos = []
    for slo in offering.slos:
        budget = error_budget(slo)
        entry: dict[str, Any] = {
            "id": slo.id,
            "name": slo.name,
            "sli": slo.sli,
            "objective": _decimal(slo.objective),
            "window": slo.window,
            "budgeting": slo.budgeting.value,
            "error_budget": budget.text,
            "error_budget_seconds": budget.seconds,
        }
        if slo.measurement is not None:
            entry["measurement"] = {
                k: getattr(slo.measurement, k)
                for k in ("errors", "good", "total", "error_ratio", "bool_gauge")
                if getattr(slo.measurement, k) is not None
            }
        slos.append(entry)
    return json.dumps(slos, ensure_ascii=False, separators=(",", ":"))


def _hours(hours: model.Hours) -> str:
    return f"{hours.days} {hours.start}-{hours.end} {hours.timezone}"


@dataclass(frozen=True, slots=True)
class _Context:
    """What every offering's entity looks up, worked out once per export."""

    catalog: model.Catalog
    base_url: str
    namespace: str
    system: str
    resources: frozenset[str]
    tools: dict[str, model.Tool]
    owners: dict[str, str]


def _component(context: _Context, offering: model.Offering) -> dict[str, Any]:
    catalog, base_url, ns = context.catalog, context.base_url, context.namespace
    resources, tools = context.resources, context.tools
    kind = "Resource" if offering.id in resources else "Component"
    weak = [tools[t] for t in offering.tools if t in tools and tools[t].status in WEAK]
    annotations: dict[str, str] = {
        f"{PREFIX}owner": offering.owner,
        f"{PREFIX}tier": offering.tier.value,
        f"{PREFIX}lifecycle": offering.lifecycle.value,
        f"{PREFIX}audience": ",".join(a.value for a in offering.audience),
        f"{PREFIX}request": offering.request.how,
        f"{PREFIX}support-hours": _hours(effective_support(catalog.support, offering.support).hours),
    }
    if offering.description:
        annotations[f"{PREFIX}description"] = offering.description
    if offering.slos:
        annotations[f"{PREFIX}slos"] = _slos(offering)
    if offering.tools:
        annotations[f"{PREFIX}tools"] = ",".join(offering.tools)
    if weak:
        annotations[f"{PREFIX}unsupported-tools"] = json.dumps(
            [{"id": t.id, "name": t.name, "status": t.status.value, "alternative": t.alternative} for t in weak],
            ensure_ascii=False,
            separators=(",", ":"),
        )
    if offering.policies:
        annotations[f"{PREFIX}policies"] = ",".join(offering.policies)
    if offering.replaced_by:
        annotations[f"{PREFIX}replaced-by"] = offering.replaced_by
    if offering.sunset:
        annotations[f"{PREFIX}sunset"] = offering.sunset.isoformat()
    if offering.renamed_from:
        annotations[f"{PREFIX}renamed-from"] = ",".join(offering.renamed_from)
    links: list[dict[str, str]] = [
        {
            "url": routes.absolute_url(base_url, routes.offering(offering.id)),
            "title": "Service catalog",
            "type": "servicebook-page",
        }
    ]
    if offering.request.url:
        links.append({"url": offering.request.url, "title": "Request it", "type": "servicebook-request"})
    links += [
        {"url": routes.absolute_url(base_url, routes.policy(p)), "title": f"Policy: {p}", "type": "servicebook-policy"}
        for p in offering.policies
    ]
    links += [{"url": link.url, "title": link.title} for link in offering.links]
    tags = [f"tier-{offering.tier.value}", offering.lifecycle.value, *(a.value for a in offering.audience)]
    if offering.slos:
        tags.append("slo")
    spec: dict[str, Any] = {"type": "service" if kind == "Component" else RESOURCE_TYPE}
    if kind == "Component":
        spec["lifecycle"] = LIFECYCLE[offering.lifecycle]
    spec["owner"] = context.owners[offering.owner]
    spec["system"] = _ref("system", ns, context.system)
    if offering.depends_on:
        spec["dependsOn"] = [
            _ref("resource" if dep in resources else "component", ns, dep) for dep in offering.depends_on
        ]
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {
            "name": offering.id,
            "namespace": ns,
            "title": offering.name,
            "description": offering.summary,
            "annotations": annotations,
            "tags": list(dict.fromkeys(tags)),
            "links": links,
        },
        "spec": spec,
    }


def entities(catalog: model.Catalog, base_url: str) -> list[dict[str, Any]]:
    """The catalog as Backstage entities: the team's Group, the catalog's System, then one entity
    per offering in catalog order. Every offering owner must be in portals.backstage.owners
    (validation reports each one that is not; `unmapped_owners` says which)."""
    ns = portals.namespace(catalog)
    group = portals.group_name(catalog)
    team = catalog.team
    profile: dict[str, str] = {"displayName": team.name}
    email = next((c.email for c in team.contacts if c.email), None)
    if email:
        profile["email"] = email
    out: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {"name": group, "namespace": ns, "title": team.name, "description": team.mission},
            "spec": {"type": "team", "profile": profile, "children": []},
        },
        {
            "apiVersion": API_VERSION,
            "kind": "System",
            "metadata": {
                "name": portals.system_name(catalog),
                "namespace": ns,
                "title": catalog.site.title,
                "description": f"What {team.name} provides: the service catalog, version {catalog.version}.",
                "annotations": {f"{PREFIX}catalog-version": catalog.version},
                "links": [
                    {"url": routes.absolute_url(base_url, ""), "title": "Service catalog", "type": "servicebook-page"}
                ],
            },
            "spec": {"owner": _ref("group", ns, group)},
        },
    ]
    settings = catalog.portals.backstage if catalog.portals else None
    context = _Context(
        catalog,
        base_url,
        ns,
        portals.system_name(catalog),
        frozenset(settings.resources if settings else ()),
        {t.id: t for t in catalog.tools},
        portals.owner_refs(catalog),
    )
    out += [_component(context, offering) for offering in catalog.offerings]
    return out


def stream(documents: Seq[dict[str, Any]]) -> bytes:
    """One multi-document YAML file, as Backstage reads a catalog-info.yaml."""
    return dump_stream(list(documents)).encode("utf-8")


def split(documents: Seq[dict[str, Any]]) -> dict[str, bytes]:
    """One file per entity (`component-ci.yaml` …) and `catalog-info.yaml`, a Location that lists them."""
    files: dict[str, bytes] = {}
    for entity in documents:
        name = f"{entity['kind'].lower()}-{entity['metadata']['name']}.yaml"
        files[name] = dump_stream([entity]).encode("utf-8")
    first = documents[0]["metadata"] if documents else {"name": "servicebook", "namespace": "default"}
    location = {
        "apiVersion": API_VERSION,
        "kind": "Location",
        "metadata": {"name": f"{first['name']}-servicebook", "namespace": first["namespace"]},
        "spec": {"type": "url", "targets": [f"./{name}" for name in files]},
    }
    return {"catalog-info.yaml": dump_stream([location]).encode("utf-8"), **files}


# --- Import ------------------------------------------------------------------------------------

TEAM_KINDS = ("Group",)
OFFERING_KINDS = ("Component", "Resource")
KNOWN_KINDS = ("API", "Domain", "Location", "System", "Template", "User", "Group", "Component", "Resource")


@dataclass
class _Entity:
    kind: str
    name: str
    node: Node
    source: SourceText
    where: str  # "file:line"


def _documents(source: SourceText, report: Report) -> list[_Entity]:
    found: list[_Entity] = []
    try:
        documents = parse_yaml_documents(source)
    except SourceError as exc:
        report.problems += exc.problems
        return found
    for start, node in documents:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            continue  # an empty document (a trailing ---)
        where = f"{start.path}:{start.line}"
        if not isinstance(node, Mapping):
            report.error(source, start, "a Backstage entity must be a mapping (apiVersion, kind, metadata, spec)")
            continue
        api = text(child(node, "apiVersion"))
        kind = text(child(node, "kind"))
        if api not in API_VERSIONS:
            report.error(
                source,
                location(child(node, "apiVersion"), start),
                f"apiVersion '{api}' is not one servicebook reads" if api else "the entity has no apiVersion",
                f"servicebook reads {', '.join(API_VERSIONS)}",
            )
            continue
        if kind is None:
            report.error(source, start, "the entity has no kind")
            continue
        name = text(child(child(node, "metadata"), "name"))
        if name is None:
            report.error(source, location(child(node, "metadata"), start), f"the {kind} has no metadata.name")
            continue
        if not portals.is_backstage_name(name):
            report.skipped.append(
                f"{kind} '{name}' ({where}): not a valid Backstage name (1-63 letters and digits separated by "
                "'-', '_' or '.'); Backstage would refuse it too"
            )
            continue
        found.append(_Entity(kind, name, node, source, where))
    return found


def _offering_id(name: str, report: Report, where: str) -> str:
    if ID_RE.fullmatch(name) and name not in RESERVED_IDS:
        return name
    guess = portals.slug(name)
    if guess in RESERVED_IDS:
        guess += "-offering"
    report.guessed.append(f"{where}: id '{guess}' from the Backstage name '{name}' (ids are lower-case slugs)")
    return guess


def _ours(annotations: dict[str, str], key: str) -> str | None:
    return annotations.get(PREFIX + key)


def _offering(entity: _Entity, report: Report, owners: dict[str, str]) -> dict[str, Any] | None:  # noqa: C901 - field by field
    node, where = entity.node, entity.where
    meta = child(node, "metadata")
    spec = child(node, "spec")
    annotations = {k: v for k, v in ((k, text(n)) for k, n in items(child(meta, "annotations"))) if v is not None}
    ident = _offering_id(entity.name, report, where)
    label = f"{entity.kind} '{entity.name}' ({where})"
    owner_ref = text(child(spec, "owner"))
    owner = _ours(annotations, "owner")
    if owner is None:
        owner = owner_ref or "unknown"
        report.guessed.append(f"{label}: owner '{owner}' from spec.owner")
    if owner_ref:
        owners.setdefault(owner, owner_ref)
    out: dict[str, Any] = {
        "id": ident,
        "name": text(child(meta, "title")) or entity.name,
        "summary": text(child(meta, "description")) or "",
        "owner": owner,
    }
    if not out["summary"]:
        out["summary"] = out["name"]
        report.guessed.append(f"{label}: summary from its title (it has no description)")
    tier = _ours(annotations, "tier")
    if tier not in ("1", "2", "3"):
        tier = "3"
        report.guessed.append(f"{label}: tier 3 (Backstage has no tier)")
    out["tier"] = tier
    lifecycle = _ours(annotations, "lifecycle")
    if lifecycle not in {lc.value for lc in model.Lifecycle}:
        written = text(child(spec, "lifecycle"))
        mapped = LIFECYCLE_BACK.get(written or "")
        lifecycle = (mapped or (model.Lifecycle.DEPRECATED if written == "deprecated" else model.Lifecycle.GA)).value
        report.guessed.append(f"{label}: lifecycle {lifecycle} from spec.lifecycle '{written or '(none)'}'")
    out["lifecycle"] = lifecycle
    audience = [a for a in (_ours(annotations, "audience") or "").split(",") if a in ("business", "developers")]
    if not audience:
        audience = ["developers"]
        report.guessed.append(f"{label}: audience developers")
    out["audience"] = audience
    how = _ours(annotations, "request")
    request_url = None
    links: list[dict[str, str]] = []
    written_links = child(meta, "links")
    for link in written_links.items if isinstance(written_links, Sequence) else ():
        url, title, kind = text(child(link, "url")), text(child(link, "title")), text(child(link, "type"))
        if url is None:
            continue
        if kind == "servicebook-request":
            request_url = url
        elif kind not in ("servicebook-page", "servicebook-policy"):
            links.append({"title": title or url, "url": url})
    if how is None:
        how = f"Ask {owner}."
        report.guessed.append(f"{label}: request.how '{how}'")
    out["request"] = {"how": how, **({"url": request_url} if request_url else {})}
    if _ours(annotations, "description"):
        out["description"] = _ours(annotations, "description")
    depends = [portals.parse_entity_ref(r) for r in texts(child(spec, "dependsOn"))]
    if depends:
        out["depends_on"] = [
            d.name
            for d in depends
            if isinstance(d, portals.EntityRef) and (d.kind or "").lower() in ("component", "resource")
        ]
        other = [
            r
            for r, d in zip(texts(child(spec, "dependsOn")), depends, strict=True)
            if r and (isinstance(d, str) or (d.kind or "").lower() not in ("component", "resource"))
        ]
        if other:
            report.dropped.append(f"{label}: dependsOn {', '.join(other)} (not a Component or Resource)")
        if not out["depends_on"]:
            del out["depends_on"]
    slos = _ours(annotations, "slos")
    if slos:
        out["slos"] = _read_slos(slos, report, label)
    for key, field in (("tools", "tools"), ("policies", "policies"), ("renamed-from", "renamed_from")):
        value = _ours(annotations, key)
        if value:
            out[field] = [v for v in value.split(",") if v]
    if links:
        out["links"] = links
    for key, field in (("replaced-by", "replaced_by"), ("sunset", "sunset")):
        value = _ours(annotations, key)
        if value:
            out[field] = value
    if _ours(annotations, "support-hours"):
        report.dropped.append(
            f"{label}: support hours '{_ours(annotations, 'support-hours')}' (set them under support)"
        )
    for key in sorted(annotations):
        if not key.startswith(PREFIX):
            report.dropped.append(f"{label}: annotation {key}")
    return out


def _read_slos(value: str, report: Report, label: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(value)
    except ValueError:
        report.dropped.append(f"{label}: {PREFIX}slos is not JSON")
        return []
    out = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        slo = {k: str(item[k]) for k in ("id", "name", "sli", "objective", "window", "budgeting") if k in item}
        measurement = item.get("measurement")
        if isinstance(measurement, dict) and measurement:
            slo["measurement"] = {str(k): str(v) for k, v in measurement.items()}  # type: ignore[assignment]
        out.append(slo)
    return out


def import_entities(sources: Seq[SourceText]) -> tuple[str, Report]:  # noqa: C901 - kind by kind
    """A catalog fragment (YAML) from Backstage entities, and the report of what it left out or
    guessed. Nothing is written: the fragment is for a person to review and paste."""
    report = Report()
    entities_found: list[_Entity] = []
    for source in sources:
        entities_found += _documents(source, report)
    fragment: dict[str, Any] = {}
    owners: dict[str, str] = {}
    offerings: list[dict[str, Any]] = []
    resources: list[str] = []
    seen: dict[str, str] = {}
    for entity in entities_found:
        if entity.kind in OFFERING_KINDS:
            offering = _offering(entity, report, owners)
            if offering is None:
                continue
            if offering["id"] in seen:
                report.skipped.append(
                    f"{entity.kind} '{entity.name}' ({entity.where}): a second entity with the id '{offering['id']}' "
                    f"(first at {seen[offering['id']]})"
                )
                continue
            seen[offering["id"]] = entity.where
            offerings.append(offering)
            if entity.kind == "Resource":
                resources.append(offering["id"])
        elif entity.kind in TEAM_KINDS and "team" not in fragment:
            meta = child(entity.node, "metadata")
            name = text(child(child(child(entity.node, "spec"), "profile"), "displayName")) or text(
                child(meta, "title")
            )
            fragment["team"] = {"name": name or entity.name, "mission": text(child(meta, "description")) or ""}
            if not fragment["team"]["mission"]:
                fragment["team"]["mission"] = f"What {fragment['team']['name']} is for."
                report.guessed.append(f"Group '{entity.name}' ({entity.where}): team mission (it has no description)")
        elif entity.kind == "System":
            report.skipped.append(f"System '{entity.name}' ({entity.where}): the catalog is the system")
        elif entity.kind in KNOWN_KINDS:
            report.skipped.append(f"{entity.kind} '{entity.name}' ({entity.where}): servicebook has no place for it")
        else:
            report.skipped.append(f"{entity.kind} '{entity.name}' ({entity.where}): an unknown kind")
    if offerings:
        fragment["offerings"] = offerings
    known = {o["id"] for o in offerings}
    for offering in offerings:
        missing = [d for d in offering.get("depends_on", []) if d not in known]
        if missing:
            report.dropped.append(f"offering '{offering['id']}': depends_on {', '.join(missing)} (not in the import)")
            offering["depends_on"] = [d for d in offering["depends_on"] if d in known]
            if not offering["depends_on"]:
                del offering["depends_on"]
    if owners or resources:
        backstage: dict[str, Any] = {}
        if owners:
            backstage["owners"] = [{"owner": k, "ref": v} for k, v in owners.items()]
        if resources:
            backstage["resources"] = resources
        fragment["portals"] = {"backstage": backstage}
    header = "# A catalog fragment from Backstage entities (servicebook import backstage): review, then merge.\n"
    return (header + dump_yaml(fragment)) if fragment else header, report
