"""Backstage catalog entities: the catalog as a Group, a System and one Component or Resource
per offering, and a stream of entities back to a catalog fragment (docs/portals.md)."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import stat
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

from servicebook import routes
from servicebook.catalog import model, portals
from servicebook.catalog.slo import effective_support, error_budget
from servicebook.catalog.validate import EMAIL_RE, ID_RE, RESERVED_IDS, check_url
from servicebook.errors import Problem, SourceLocation
from servicebook.interop.fragment import (
    IMPORT_BOUNDS,
    MAX_IMPORT_BYTES,
    STDIN_NAME,
    Report,
    child,
    dump_fragment,
    dump_stream,
    items,
    listed_objects,
    location,
    read_file,
    text,
    texts,
)
from servicebook.source.jsontree import parse_json
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
# Backstage accepts any lifecycle ("an organization should take great care to establish a proper
# taxonomy"): its three well-known ones, and the words catalogs write for the same stages (its docs'
# and plugins' own examples write `development`; `Production` as a title), read without case.
LIFECYCLE_BACK = {"experimental": model.Lifecycle.BETA, "production": model.Lifecycle.GA, "deprecated": None}
LIFECYCLE_WORDS = {
    **dict.fromkeys(("development", "dev", "alpha", "beta", "preview", "staging", "incubating"), model.Lifecycle.BETA),
    **dict.fromkeys(("prod", "stable", "live", "ga", "active"), model.Lifecycle.GA),
    **dict.fromkeys(("sunset", "sunsetting", "legacy", "end-of-life", "eol"), model.Lifecycle.DEPRECATED),
    **dict.fromkeys(("retired", "decommissioned", "archived"), model.Lifecycle.RETIRED),
}
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
        if slo.timeslice_target is not None:
            entry["timeslice_target"] = _decimal(slo.timeslice_target)
        if slo.timeslice_window is not None:
            entry["timeslice_window"] = _duration(slo.timeslice_window)
        if slo.timezone is not None:
            entry["timezone"] = slo.timezone
        if slo.measurement is not None:
            entry["measurement"] = {
                k: getattr(slo.measurement, k)
                for k in ("errors", "good", "total", "error_ratio", "bool_gauge")
                if getattr(slo.measurement, k) is not None
            }
        slos.append(entry)
    return json.dumps(slos, ensure_ascii=False, separators=(",", ":"))


def _duration(minutes: int) -> str:
    """Minutes as the catalog writes a duration: 2d, 4h or 15m."""
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


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
    names: dict[str, str]  # the entity's name of an offering whose is not its id (portals.backstage.names)
    existing: str  # servicebook.dev/existing: the refs of the Group and System Backstage has


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
    name = context.names.get(offering.id, offering.id)
    if name != offering.id:  # the import reads the offering's id back from it
        annotations[f"{PREFIX}id"] = offering.id
    if context.existing:  # the import reads portals.backstage.existing, group and system back from it
        annotations[f"{PREFIX}existing"] = context.existing
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
        spec["dependsOn"] = [_dependency(context, dep) for dep in offering.depends_on]
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "title": offering.name,
            "description": offering.summary,
            "annotations": annotations,
            "tags": list(dict.fromkeys(tags)),
            "links": links,
        },
        "spec": spec,
    }


def _dependency(context: _Context, dep: str) -> str:
    """The reference of what an offering depends on: its own catalog's entity, or, for another
    member team's offering (`db-team/postgres`, a member's catalog), the one that team's export
    has when its entities are in the namespace named like the team (catalog/portals.py)."""
    if "/" in dep:
        return portals.cross_team_ref(dep)
    kind = "resource" if dep in context.resources else "component"
    return _ref(kind, context.namespace, context.names.get(dep, dep))


def entities(catalog: model.Catalog, base_url: str) -> list[dict[str, Any]]:
    """The catalog as Backstage entities: the team's Group, the catalog's System (each unless Backstage
    has it from another file: portals.backstage.existing), then one entity per offering in catalog
    order. Every offering owner must be in portals.backstage.owners
    (validation reports each one that is not; `unmapped_owners` says which)."""
    ns = portals.namespace(catalog)
    group, system = portals.group_name(catalog), portals.system_name(catalog)
    team = catalog.team
    profile: dict[str, str] = {"displayName": team.name}
    email = next((c.email for c in team.contacts if c.email), None)
    if email:
        profile["email"] = email
    settings = catalog.portals.backstage if catalog.portals else None
    existing = settings.existing if settings else ()
    out: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {
                "name": group,
                "namespace": portals.group_namespace(catalog),
                "title": team.name,
                "description": team.mission,
            },
            "spec": {"type": "team", "profile": profile, "children": []},
        },
        {
            "apiVersion": API_VERSION,
            "kind": "System",
            "metadata": {
                "name": system,
                "namespace": ns,
                "title": catalog.site.title,
                "description": f"What {team.name} provides: the service catalog, version {catalog.version}.",
                "annotations": {f"{PREFIX}catalog-version": catalog.version},
                "links": [
                    {"url": routes.absolute_url(base_url, ""), "title": "Service catalog", "type": "servicebook-page"}
                ],
            },
            "spec": {"owner": portals.group_ref(catalog)},
        },
    ]
    # the Group and System Backstage has from another file are referred to, not written again
    out = [e for e in out if model.BackstageEntity(e["kind"].lower()) not in existing]
    context = _Context(
        catalog,
        base_url,
        ns,
        system,
        frozenset(settings.resources if settings else ()),
        {t.id: t for t in catalog.tools},
        portals.owner_refs(catalog),
        portals.entity_names(catalog),
        ",".join(
            portals.group_ref(catalog) if kind is model.BackstageEntity.GROUP else _ref(kind.value, ns, system)
            for kind in existing
        ),
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
KNOWN_KINDS = (
    "API",
    "Domain",
    "Location",
    "System",
    "Template",
    "User",
    "Group",
    "Component",
    "Resource",
    "Environment",  # catalog-model's examples/environments/ (an SDLC environment)
    "AiResource",  # catalog-model's examples/ai-resources/ (a skill, rule, plugin or marketplace of AI agents)
)
MAX_TARGETS_SHOWN = 5  # of a Location's files, named in the report (then how many more)


@dataclass
class _Entity:
    kind: str
    name: str
    node: Node
    source: SourceText
    at: SourceLocation  # where its document begins


def _location(entity: _Entity) -> tuple[str, str | None]:
    """Why a Location is skipped, and what to import instead (a hint): the files it lists
    (`spec.target`, `spec.targets`, relative to the Location's own file) as the command that imports
    them; a URL is fetched by Backstage, not here, and a pattern or a discovery type finds files the
    user has to give; a Location that lists nothing has nothing to import."""
    spec = child(entity.node, "spec")
    kind_of = text(child(spec, "type")) or ""
    listed = [t for t in (text(child(spec, "target")), *texts(child(spec, "targets"))) if t]
    if not listed:
        return (
            "a Location is not followed, and this one lists no files (no spec.target or spec.targets)",
            "there is nothing of it to import: give the import the entity files themselves",
        )
    if kind_of.endswith("-discovery"):  # github-discovery, gitlab-discovery … (the providers' modules)
        return (
            f"a {kind_of} Location finds catalog files in repositories ({_shown(listed)}), which servicebook "
            "does not search",
            "import the catalog files it would find, from a clone of each repository",
        )
    urls = [t for t in listed if _URL.match(t)]
    patterns = [t for t in listed if t not in urls and ("*" in t or "?" in t)]
    files = [_beside(entity.source.path, t) for t in listed if t not in urls and t not in patterns]
    said, todo = ["a Location is not followed"], []
    if files:
        said.append(f"import the {_count(len(files), 'file')} it lists")
        todo.append(_command(files))
    if patterns:
        said.append(f"its {_count(len(patterns), 'pattern')} ({_shown(patterns)}) not expanded")
        todo.append("give the import the files each pattern matches")
    if urls:
        said.append(f"its {_count(len(urls), 'URL')} ({_shown(urls)}) not fetched")
        todo.append("servicebook reads files, not URLs: download each (its raw file) and import it")
    return "; ".join(said), "; ".join(todo)


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MAX_COMMAND = 300  # characters of the import command a Location's hint gives (then how many more files)


def _count(n: int, noun: str) -> str:
    return noun if n == 1 else f"{n} {noun}s"


def _command(files: list[str]) -> str:
    """`servicebook import backstage FILE…`, as long as a hint shows, then how many more files."""
    command = "servicebook import backstage"
    for i, name in enumerate(files):
        word = shlex.quote(name)
        if len(command) + len(word) > MAX_COMMAND:
            return f"{command} (and {len(files) - i} more)"
        command += " " + word
    return command


def _beside(location_file: str, target: str) -> str:
    """A Location's target as a path from here: relative to the Location's own file, as Backstage
    reads it (a Location read from standard input has no folder: the target as written)."""
    if location_file == STDIN_NAME or PurePath(target).is_absolute():
        return target
    return posixpath.normpath(posixpath.join(posixpath.dirname(location_file), target))


def _shown(values: list[str]) -> str:
    more = f" and {len(values) - MAX_TARGETS_SHOWN} more" if len(values) > MAX_TARGETS_SHOWN else ""
    return ", ".join(values[:MAX_TARGETS_SHOWN]) + more


def _documents(source: SourceText, report: Report, substituted: _Substituted) -> list[_Entity]:
    found: list[_Entity] = []
    try:
        documents = parse_yaml_documents(
            source, aliases=True, bounds=IMPORT_BOUNDS
        )  # as Backstage reads: no merge keys
    except SourceError as exc:
        report.problems += exc.problems
        return found
    for document in documents:
        listed = listed_objects(document.node)  # the catalog API's answer: a list or a page of entities
        unknown = [n for n in listed or () if isinstance(n, Scalar) and n.is_null]
        if unknown:  # `/entities/by-refs` answers null for each ref the catalog does not know
            report.skipped(
                unknown[0].location,
                f"{len(unknown)} null item(s) of the list of entities (the catalog API answers null "
                "for a ref it does not know)",
            )
        for node in [document.node] if listed is None else listed:
            entity = _entity(node, source, report, substituted)
            if entity is not None:
                found.append(entity)
    return found


def _entity(node: Node | None, source: SourceText, report: Report, substituted: _Substituted) -> _Entity | None:
    """The entity a document (or an item of a list of entities) is, or None, said in the report
    unless the document is empty (a trailing ---)."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return None
    start = node.location  # where the entity begins
    if not isinstance(node, Mapping):
        report.error(source, start, "a Backstage entity must be a mapping (apiVersion, kind, metadata, spec)")
        return None
    api = text(child(node, "apiVersion"))
    kind = text(child(node, "kind"))
    # the scaffolder's own, and its templates of before scaffolder.backstage.io (Backstage's
    # descriptor-format.md: "Exactly equal to backstage.io/v1beta2 and Template")
    if kind == "Template" and ((api or "").startswith("scaffolder.backstage.io/") or api == "backstage.io/v1beta2"):
        template = text(child(child(node, "metadata"), "name")) or "?"
        report.skipped(start, f"Template '{template}' ({api}): servicebook has no place for it")
        return None
    if api not in API_VERSIONS:
        report.error(
            source,
            location(child(node, "apiVersion"), start),
            f"apiVersion '{api}' is not one servicebook reads" if api else "the entity has no apiVersion",
            f"servicebook reads {', '.join(API_VERSIONS)}",
        )
        return None
    if kind is None:
        report.error(source, start, "the entity has no kind")
        return None
    if kind in FOLLOWED_KINDS:  # as Backstage does, before it reads the entity: its metadata may be one
        written = text(child(child(node, "metadata"), "name"))
        node = _substituted(node, source, report, f"{kind} '{written}'" if written else kind, substituted)
    name = text(child(child(node, "metadata"), "name"))
    if name is None:
        report.error(source, location(child(node, "metadata"), start), f"the {kind} has no metadata.name")
        return None
    if not portals.is_backstage_name(name):
        report.skipped(
            start,
            f"{kind} '{name}': not a valid Backstage name (1-63 letters and digits separated by "
            "'-', '_' or '.'); Backstage would refuse it too",
        )
        return None
    return _Entity(kind, name, node, source, start)


def _offering_id(name: str, ours: str | None, report: Report, where: SourceLocation) -> str:
    """The offering's id: the entity's name where it is one; servicebook's own annotation (its export of
    an offering whose entity has another name, portals.backstage.names); else made of the name, said."""
    if ID_RE.fullmatch(name) and name not in RESERVED_IDS:
        return name
    if ours is not None and ID_RE.fullmatch(ours) and ours not in RESERVED_IDS:
        return ours
    guess = portals.slug(name)
    if guess in RESERVED_IDS:
        guess += "-offering"
    report.guessed(
        where,
        f"id '{guess}' from the Backstage name '{name}' (ids are lower-case slugs); portals.backstage.names keeps "
        f"the name, so `export backstage` names the entity {name}, as Backstage knows it",
    )
    return guess


def _ours(annotations: dict[str, str], key: str) -> str | None:
    return annotations.get(PREFIX + key)


def _guess(value: str | None, fallback: str, report: Report, where: SourceLocation, note: str) -> str:
    """`value`, or `fallback` with `note` in the report."""
    if value is not None:
        return value
    report.guessed(where, note)
    return fallback


@dataclass(frozen=True, slots=True)
class _Owner:
    """An owner as the fragment names it: the reference it came from, as written, and where."""

    ref: str
    entity: tuple[str, str, str]  # (kind, namespace, name) the reference resolves to, as Backstage resolves it
    at: SourceLocation


def _lowered_namespace(ref: str) -> str:
    """`ref` with its namespace in lower case, where that alone makes it a reference `check` takes
    (`Group:Default/Team-A`): Backstage compares references in lower case (its stringifyEntityRef), so it
    names the same entity; else `ref` as written."""
    if not isinstance(portals.parse_entity_ref(ref), str) or "/" not in ref:
        return ref
    kind, colon, rest = ref.partition(":") if ":" in ref else ("", "", ref)
    namespace, _, name = rest.partition("/")
    lowered = f"{kind}{colon}{namespace.lower()}/{name}"
    return lowered if isinstance(portals.parse_entity_ref(lowered), portals.EntityRef) else ref


def _resolved(ref: str, namespace: str) -> tuple[str, str, str]:
    """What an owner reference names: its kind (a Group unless written) and namespace (the entity's
    own unless written), as Backstage fills them in, so `team-a` and `group:default/team-a` agree."""
    parsed = portals.parse_entity_ref(_lowered_namespace(ref))
    if isinstance(parsed, str):  # not a reference: only the same text is the same owner
        return ("", "", ref)
    return ((parsed.kind or "group").casefold(), (parsed.namespace or namespace).casefold(), parsed.name.casefold())


@dataclass
class _Owners:
    """The owners read so far: each owner's first reference, in the order read, and the owner
    each entity referenced was first given (so a later reference to it, in any case, finds it)."""

    refs: dict[str, _Owner]
    names: dict[tuple[str, str, str], str]
    ours: set[str] = field(default_factory=set)  # the offerings whose owner is servicebook's own annotation


def _same_owner(
    owners: _Owners, owner: str, ref: str, namespace: str, at: SourceLocation, report: Report, label: str
) -> str:
    """The owner an earlier reference to the same entity named, as Backstage compares references
    (without case: `Group:Team-A` and `team-a` are one group), so one team is one owner."""
    entity = _resolved(ref, namespace)
    name = owners.names.get(entity, owner)
    if name != owner:
        first = owners.refs[name]
        report.guessed(
            at,
            f"{label}: owner '{name}' for {ref}, the same {entity[0] or 'owner'} as {first.ref} at {first.at} "
            "(Backstage compares references without case)",
        )
    return name


def _owner_ref(
    owners: _Owners, owner: str, ref: str, namespace: str, at: SourceLocation, report: Report, label: str
) -> None:
    """Keep the first reference of each owner name for portals.backstage.owners; a second that
    names another entity (`group:other/team-a` beside `group:default/team-a`) is said, with both."""
    first = owners.refs.setdefault(owner, _Owner(ref, _resolved(ref, namespace), at))
    owners.names.setdefault(first.entity, owner)
    if first.entity != _resolved(ref, namespace):
        report.guessed(
            at,
            f"{label}: owner '{owner}' for {ref}, though '{owner}' is {first.ref} at {first.at} too: "
            f"portals.backstage.owners keeps {first.ref}; rename one owner, and add its ref there",
        )


def _owner(entity: _Entity, ours: str | None, owners: _Owners, report: Report, label: str) -> str:
    """The offering's owner: servicebook's own annotation, else the name spec.owner references (the
    owner an earlier reference to the same entity gave, in whatever case); its reference is kept
    for portals.backstage.owners."""
    meta, spec, at = child(entity.node, "metadata"), child(entity.node, "spec"), entity.at
    owner_ref = text(child(spec, "owner"))
    where = location(child(spec, "owner"), at)
    said = "owner from spec.owner" if owner_ref else "owner 'unknown' (it has no spec.owner, which Backstage requires)"
    owner = _guess(ours, _ref_name(owner_ref) if owner_ref else "unknown", report, where, f"{label}: {said}")
    if owner_ref:
        namespace = text(child(meta, "namespace")) or "default"
        lowered = _lowered_namespace(owner_ref)
        if lowered != owner_ref:
            report.guessed(
                where,
                f"{label}: the owner's reference {lowered} for {owner_ref}: Backstage compares references in lower "
                "case, so it is the same entity, and portals.backstage.owners takes a namespace in lower case",
            )
            owner_ref = lowered
        if ours is None:
            owner = _same_owner(owners, owner, owner_ref, namespace, where, report, label)
        _owner_ref(owners, owner, owner_ref, namespace, where, report, label)
    return owner


def _offering(entity: _Entity, report: Report, owners: _Owners) -> dict[str, Any]:
    """The offering an entity describes: exactly what servicebook exported, when it carries the
    servicebook.dev/ annotations; guesses, each in the report, for anything else."""
    meta, spec, label = (
        child(entity.node, "metadata"),
        child(entity.node, "spec"),
        f"{entity.kind} '{entity.name}'",
    )
    at = entity.at
    notes = {k: v for k, v in ((k, text(n)) for k, n in items(child(meta, "annotations"))) if v is not None}
    ours = {k.removeprefix(PREFIX): v for k, v in notes.items() if k.startswith(PREFIX)}
    owner = _owner(entity, ours.get("owner"), owners, report, label)
    name = text(child(meta, "title")) or entity.name
    out: dict[str, Any] = {
        "id": _offering_id(entity.name, ours.get("id"), report, at),
        "name": name,
        "summary": _guess(text(child(meta, "description")), name, report, at, f"{label}: summary from its title"),
        "owner": owner,
        "tier": _tier(ours.get("tier"), meta, report, at, label),
        "lifecycle": _lifecycle(ours.get("lifecycle"), child(spec, "lifecycle"), report, at, label),
        "audience": [a for a in (ours.get("audience") or "").split(",") if a in ("business", "developers")],
    }  # fmt: skip
    if ours.get("owner"):
        owners.ours.add(out["id"])
    if not out["audience"]:
        out["audience"] = ["developers"]
        report.guessed(at, f"{label}: audience developers")
    request_url, links = _links(child(meta, "links"), report, label)
    how = _guess(ours.get("request"), f"Ask {owner}.", report, at, f"{label}: request.how 'Ask {owner}.'")
    out["request"] = {"how": how, **({"url": request_url} if request_url else {})}
    if ours.get("description"):
        out["description"] = ours["description"]
    depends = _depends_on(texts(child(spec, "dependsOn")), report, location(child(spec, "dependsOn"), at), label)
    if depends:
        out["depends_on"] = depends
    if ours.get("slos"):
        out["slos"] = _read_slos(ours["slos"], report, at, label)
    for key, name_of in (("tools", "tools"), ("policies", "policies"), ("renamed-from", "renamed_from")):
        if ours.get(key):
            out[name_of] = [v for v in ours[key].split(",") if v]
    if links:
        out["links"] = links
    for key, name_of in (("replaced-by", "replaced_by"), ("sunset", "sunset")):
        if ours.get(key):
            out[name_of] = ours[key]
    if ours.get("support-hours"):
        report.dropped(at, f"{label}: support hours '{ours['support-hours']}' (set them under support)")
    for key, node in items(child(meta, "annotations")):
        if key in notes and not key.startswith(PREFIX) and key not in BACKSTAGE_OWN_ANNOTATIONS:
            report.dropped(node.location, f"{label}: annotation {key}")
    if not ours:  # servicebook's own export derives its type, system, namespace and tags from them
        _unread(meta, spec, report, label)
    return out


_TIER_LABEL = re.compile(r"(?:tier[-_ ]?)?(?P<tier>[123])", re.IGNORECASE)


def _tier(ours: str | None, meta: Node | None, report: Report, at: SourceLocation, label: str) -> str:
    """The offering's tier: servicebook's own annotation, else the entity's label `tier` (1, 2 or 3, or
    tier-1 …, as catalogs label their components; Backstage itself has no tier), else 3, guessed."""
    if ours in ("1", "2", "3"):
        return ours
    written = child(child(meta, "labels"), "tier")
    value = text(written)
    found = _TIER_LABEL.fullmatch(value.strip()) if value is not None else None
    if written is not None and found is not None:
        report.guessed(location(written, at), f"{label}: tier {found['tier']} from the label tier '{value}'")
        return found["tier"]
    why = f"the label tier '{value}' is none of 1, 2 or 3" if value is not None else "Backstage has no tier"
    report.guessed(at, f"{label}: tier 3 ({why})")
    return "3"


def _unread(meta: Node | None, spec: Node | None, report: Report, label: str) -> None:
    """Another tool's entity: what it says beside what was read, named where it is written (of its labels,
    each but a tier read as the offering's)."""
    for key, value in items(child(meta, "labels")):
        if key != "tier" or _TIER_LABEL.fullmatch((text(value) or "").strip()) is None:
            shown = f" '{text(value)}'" if text(value) is not None else ""
            report.dropped(value.location, f"{label}: metadata.labels.{key}{shown}")
    for section, node, read in (("metadata", meta, _META_READ), ("spec", spec, _SPEC_READ)):
        for key, value in items(node):
            if (section, key) == ("metadata", "labels"):
                continue
            if key not in read and not _backstages_own(section, key, value):
                shown = f" '{text(value)}'" if text(value) is not None else ""
                report.dropped(value.location, f"{label}: {section}.{key}{shown}")


def _backstages_own(section: str, key: str, value: Node) -> bool:
    """Whether `key` of `section` is what Backstage says of every entity (the default namespace,
    the uid and etag its catalog gives each): not worth a word in the report."""
    return section == "metadata" and ((key == "namespace" and text(value) == "default") or key in BACKSTAGE_OWN_META)


_META_READ = frozenset({"name", "namespace", "title", "description", "annotations", "links"})  # namespace: below
# What Backstage's catalog keeps of every entity it read (its API answers with them): not the entity's own
BACKSTAGE_OWN_META = frozenset({"uid", "etag", "generation"})
BACKSTAGE_OWN_ANNOTATIONS = frozenset(
    {
        "backstage.io/managed-by-location",
        "backstage.io/managed-by-origin-location",
        "backstage.io/view-url",
        "backstage.io/edit-url",
    }
)
# system: _entities_of_the_team; dependencyOf: _dependents; consumesApis: _api_consumers
_SPEC_READ = frozenset({"owner", "lifecycle", "dependsOn", "system", "dependencyOf", "consumesApis"})


def _ref_name(ref: str) -> str:
    """The name an entity reference ends with (`group:default/team-a`, `default/team-a` → `team-a`):
    a catalog owner is what readers call the team; the reference itself goes to portals.backstage."""
    return ref.rpartition(":")[2].rpartition("/")[2] or ref


def _lifecycle(ours: str | None, node: Node | None, report: Report, at: SourceLocation, label: str) -> str:
    if ours in {lc.value for lc in model.Lifecycle}:
        return ours
    written, at = text(node), location(node, at)
    word = (written or "").strip().casefold()
    known = word in LIFECYCLE_BACK
    mapped = (
        (LIFECYCLE_BACK[word] or model.Lifecycle.DEPRECATED) if known else LIFECYCLE_WORDS.get(word, model.Lifecycle.GA)
    )
    said = f"from spec.lifecycle '{written}'" if written else "(it has no spec.lifecycle)"
    if isinstance(node, (Mapping, Sequence)):  # Backstage's schema refuses it: a lifecycle is one word
        said = "(its spec.lifecycle is a list or a mapping, not one word)"
    if written and not known:
        said += (
            " (not one of Backstage's experimental, production, deprecated: check it)"
            if word in LIFECYCLE_WORDS
            else " (a lifecycle of the organisation's own: choose beta, ga, deprecated or retired by hand)"
        )
    report.guessed(at, f"{label}: lifecycle {mapped.value} {said}")
    return mapped.value


def _links(written: Node | None, report: Report, label: str) -> tuple[str | None, list[dict[str, str]]]:
    """The request form servicebook exported, and the links an offering had of its own (the
    links servicebook adds to its pages are not). A catalog link is a title and an address: an
    icon or a type, and a link the catalog would refuse, are named where they are written."""
    request_url = None
    links: list[dict[str, str]] = []
    for link in written.items if isinstance(written, Sequence) else ():
        url, title, kind = text(child(link, "url")), text(child(link, "title")), text(child(link, "type"))
        if kind == "servicebook-request" and url is not None:
            request_url = url
            continue
        if kind in ("servicebook-page", "servicebook-policy"):
            continue
        shown = f"link '{title or url or '?'}'"
        why = "it has no url" if url is None else check_url(url)
        if url is None or why is not None:
            report.dropped(link.location, f"{label}: {shown} ({why})")
            continue
        links.append({"title": title or url, "url": url})
        for key, value in items(link):
            if key not in ("url", "title"):
                written_as = f" '{text(value)}'" if text(value) is not None else ""
                report.dropped(
                    value.location, f"{label}: the {key}{written_as} of {shown} (a catalog link is a title and a url)"
                )
    return request_url, links


def _depends_on(refs: list[str], report: Report, at: SourceLocation, label: str) -> list[str]:
    """The Components and Resources an entity depends on (an API or anything else is dropped)."""
    kept = []
    for ref in refs:
        parsed = portals.parse_entity_ref(_lowered_namespace(ref))
        if isinstance(parsed, portals.EntityRef) and (parsed.kind or "").lower() in ("component", "resource"):
            kept.append(parsed.name)
        else:
            report.dropped(at, f"{label}: dependsOn {ref} (not a Component or Resource)")
    return kept


def _read_slos(value: str, report: Report, at: SourceLocation, label: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the json module goes
        report.dropped(at, f"{label}: {PREFIX}slos is not JSON")
        return []
    out = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        keys = (
            "id",
            "name",
            "sli",
            "objective",
            "window",
            "budgeting",
            "timeslice_target",
            "timeslice_window",
            "timezone",
        )
        slo = {k: str(item[k]) for k in keys if k in item}
        measurement = item.get("measurement")
        if isinstance(measurement, dict) and measurement:
            slo["measurement"] = {str(k): str(v) for k, v in measurement.items()}  # type: ignore[assignment]
        out.append(slo)
    return out


def _namespace(entity: _Entity) -> str:
    return text(child(child(entity.node, "metadata"), "namespace")) or "default"


def _second_entity(
    entity: _Entity, first: _Entity, offering: str, first_at: SourceLocation, label: str
) -> tuple[str, str | None]:
    """Why an entity whose offering's id an earlier one took is skipped, and what to do: Backstage tells apart
    entities of one name in two namespaces, a catalog's offering ids are one namespace."""
    said = f"{label}: a second entity with the id '{offering}' (first at {first_at})"
    if _namespace(entity) == _namespace(first):
        return said, None
    return (
        f"{said}: Backstage tells {first.kind.lower()}:{_namespace(first)}/{first.name} and "
        f"{entity.kind.lower()}:{_namespace(entity)}/{entity.name} apart by namespace, a catalog's offering ids are "
        "one namespace",
        "import each namespace's entities on their own (a catalog of each), or rename one of them in Backstage",
    )


def import_entities(sources: Seq[SourceText]) -> tuple[str, Report]:
    """A catalog fragment (YAML) from Backstage entities, and the report of what it left out or
    guessed. Nothing is written: the fragment is for a person to review and paste."""
    report = Report()
    found: list[_Entity] = []
    substituted = _Substituted()
    for source in sources:
        found += _documents(source, report, substituted)
    fragment: dict[str, Any] = {}
    owners = _Owners({}, {})
    offerings: dict[str, dict[str, Any]] = {}  # by id
    where: dict[str, SourceLocation] = {}
    depends_at: dict[str, SourceLocation] = {}  # an offering's spec.dependsOn
    resources: list[str] = []
    team_group: _Entity | None = None  # the Group read as the team
    users: list[_Entity] = []
    read: list[_Entity] = []  # the entities read as offerings
    names: list[dict[str, str]] = []  # portals.backstage.names: an entity's name that is not its offering's id
    named: dict[str, str] = {}  # an entity's name, as references name it (without case) → its offering's id
    renamed = _renamed(found)
    for entity in found:
        label = f"{entity.kind} '{entity.name}'"
        heir = renamed.get(entity.name.casefold())
        if entity.kind in OFFERING_KINDS and heir is not None and heir is not entity:
            report.skipped(
                entity.at,
                f"{label}: the old name of {heir.kind} '{heir.name}' (its {PREFIX}renamed-from, at {heir.at}): the "
                "same offering, renamed",
                "drop this entity from the files Backstage reads: the export names the offering by its new name",
            )
            continue
        if entity.kind in OFFERING_KINDS:
            kept, notes = _Owners(dict(owners.refs), dict(owners.names), set(owners.ours)), len(report.notes)
            offering = _offering(entity, report, owners)
            if offering["id"] in offerings:
                # what reading it found (its owner, its guesses) is not the fragment's: it is said skipped, no more
                owners = kept
                del report.notes[notes:]
                first = next(e for e in read if e.at == where[offering["id"]])
                report.skipped(entity.at, *_second_entity(entity, first, offering["id"], where[offering["id"]], label))
                continue
            offerings[offering["id"]], where[offering["id"]] = offering, entity.at
            read.append(entity)
            depends_at[offering["id"]] = location(child(child(entity.node, "spec"), "dependsOn"), entity.at)
            named.setdefault(entity.name.casefold(), offering["id"])
            if entity.kind == "Resource":
                resources.append(offering["id"])
            if entity.name != offering["id"]:
                names.append({"offering": offering["id"], "name": entity.name})
        elif entity.kind in TEAM_KINDS and "team" not in fragment:
            fragment["team"] = _team(entity, report, label)
            team_group = entity
        elif entity.kind == "Location":
            why, hint = _location(entity)
            report.skipped(entity.at, f"{label}: {why}", hint)
        elif entity.kind == "User":
            users.append(entity)  # a contact of the team where it is a member of its Group (_members)
        else:
            why = {
                "System": "the catalog is the system",
                "Group": "a catalog has one team, and the first Group read is it",
            }.get(entity.kind) or (
                "servicebook has no place for it" if entity.kind in KNOWN_KINDS else "an unknown kind"
            )
            report.skipped(entity.at, f"{label}: {why}")
    _members(users, team_group, fragment.get("team"), report)
    _owned_by_the_team(team_group, fragment.get("team"), owners, offerings, report)
    _dependents(read, offerings, named, report)
    _api_consumers(read, offerings, named, report)
    _dependencies(offerings, named, depends_at, report, renamed)
    if offerings:
        fragment["offerings"] = list(offerings.values())
    backstage: dict[str, Any] = {
        "owners": [{"owner": k, "ref": v.ref} for k, v in owners.refs.items()],
        "resources": resources,
        "names": names,
        **(_entities_of_the_team(read, team_group, fragment.get("team"), report) if read else {}),
    }
    _with_existing(backstage, found, read, team_group, fragment.get("team"), report)
    backstage = {key: value for key, value in backstage.items() if value}
    if backstage:
        fragment["portals"] = {"backstage": backstage}
        report.guessed(
            where[next(iter(offerings))],
            "portals.backstage (the owners' refs, resources and entity names, for an export back to Backstage): "
            "`check` refuses it without site.base_url; add base_url under site:, or leave the section out",
        )
    _nothing_read(fragment, sources, report)
    header = "# A catalog fragment from Backstage entities (servicebook import backstage): review, then merge.\n"
    return (header + dump_fragment(fragment)) if fragment else header, report


def _with_existing(
    backstage: dict[str, Any],
    found: list[_Entity],
    read: list[_Entity],
    group: _Entity | None,
    team: dict[str, Any] | None,
    report: Report,
) -> None:
    """portals.backstage.existing (and the group and system it names) as servicebook's own export says it,
    else as the entities read show it (_existing)."""
    ours = _existing_of_ours(read)
    if ours is None and group is not None and team is not None and not _refers_to(group, team, backstage, report):
        group = None  # the export's reference to the team's Group does not find this one: not claimed
    existing = list(ours) if ours is not None else _existing(found, read, group, report) if read else []
    for kind, name in (ours or {}).items():  # as the catalog exported wrote them: the Group and System it names
        backstage.setdefault(kind, name)
    existing = [kind for kind in existing if kind in ("group", "system")]
    if existing:
        backstage["existing"] = existing


def _refers_to(group: _Entity, team: dict[str, Any], backstage: dict[str, Any], report: Report) -> bool:
    """Whether the reference `export backstage` writes to the team's Group (group:NAMESPACE/NAME, of
    portals.backstage's group, else the team's name as an id, and its namespace) finds the Group read as
    the team, as Backstage compares references (in lower case). Where it does not (a name that is no
    catalog id, `Team_A`; another namespace), the Group is not claimed as existing, which would leave the
    export's System owned by a Group nobody writes: said, with what the export writes and how to map it."""
    name = backstage.get("group") or portals.slug(team["name"])
    namespace = backstage.get("namespace") or "default"
    theirs = _namespace(group)
    named = group.name.casefold() == name.casefold()
    if named and theirs.casefold() == namespace.casefold():
        return True
    if named and portals.BACKSTAGE_NAMESPACE_RE.fullmatch(theirs.lower()):
        backstage["group_namespace"] = theirs.lower()  # referred to where it is: group:THEIRS/NAME
        report.guessed(
            location(child(child(group.node, "metadata"), "namespace"), group.at),
            f"portals.backstage.group_namespace {theirs.lower()}: the team's Group '{group.name}' is in namespace "
            f"{theirs}, not the offerings' {namespace}, so `export backstage` refers to it as "
            f"group:{theirs.lower()}/{name}",
        )
        return True
    why = f"it is in namespace {theirs}" if named else "its name is no catalog id"
    owned = [o["ref"] for o in backstage.get("owners", ()) if o["owner"] == team["name"]]
    kept = f"; the team's offerings keep {owned[0]} as their owner" if owned else ""
    report.guessed(
        group.at,
        f"portals.backstage.existing without group: Group '{group.name}' is not the team's Group `export "
        f"backstage` refers to, group:{namespace}/{name} ({why}), so the export writes that Group for the team and "
        f"its System{kept}",
        (
            f"to refer to this Group instead, put the entities in its namespace (portals.backstage.namespace: "
            f"{theirs}) and add existing: [group]"
            if named
            else "to refer to this Group instead, name it with a catalog id in Backstage (lower-case letters, digits "
            "and '-'; Backstage compares names in lower case), then set portals.backstage.group to that id and "
            "existing: [group]"
        ),
    )
    return False


def _existing_of_ours(read: list[_Entity]) -> dict[str, str] | None:
    """portals.backstage.existing as servicebook's own export says it (`servicebook.dev/existing` on each
    offering: the refs of the Group and System it refers to and does not write), kind → name; None where no
    entity read says it (another tool's entities, or a catalog whose export writes both)."""
    for entity in read:
        annotations = dict(items(child(child(entity.node, "metadata"), "annotations")))
        said = text(annotations.get(f"{PREFIX}existing"))
        if said is None:
            continue
        out: dict[str, str] = {}
        for ref in said.split(","):
            parsed = portals.parse_entity_ref(ref.strip())
            kind = (parsed.kind or "").lower() if isinstance(parsed, portals.EntityRef) else ""
            if isinstance(parsed, portals.EntityRef) and kind in ("group", "system") and ID_RE.fullmatch(parsed.name):
                out.setdefault(kind, parsed.name)
                if kind == "group" and parsed.namespace not in (None, _namespace(entity)):
                    out.setdefault("group_namespace", parsed.namespace)  # the Group is in another namespace
        return dict(sorted(out.items()))  # group (and its namespace) before system, as the catalog lists them
    return None


def _existing(found: list[_Entity], read: list[_Entity], group: _Entity | None, report: Report) -> list[str]:
    """portals.backstage.existing: the Group read as the team, and the System the offerings are part of,
    are Backstage's from their own files, so `export backstage` refers to them and writes neither again;
    said where each is. Not so for servicebook's own export read back (its System carries servicebook's
    catalog-version annotation): those entities are the catalog's (what its catalog said Backstage has is
    in its offerings' servicebook.dev/existing: _existing_of_ours)."""
    for entity in found:
        annotations = child(child(entity.node, "metadata"), "annotations")
        if entity.kind == "System" and any(key == f"{PREFIX}catalog-version" for key, _ in items(annotations)):
            return []
    out = []
    if group is not None:
        out.append("group")
        report.guessed(
            group.at,
            f"portals.backstage.existing: group: Group '{group.name}' is registered in Backstage from this file, so "
            "`export backstage` refers to it and does not write it again (a second Group of its name clashes with "
            "it, or replaces its members and children)",
        )
    system = next((e for e in read if text(child(child(e.node, "spec"), "system")) is not None), None)
    written = text(child(child(system.node, "spec"), "system")) if system is not None else None
    if system is not None and written is not None and _system_id(written) is None:
        report.dropped(
            location(child(child(system.node, "spec"), "system"), system.at),
            f"{system.kind} '{system.name}': spec.system '{written}': portals.backstage.system takes a catalog id "
            "(lower-case letters, digits and '-'), so `export backstage` puts the offerings in a System of its own",
            "to keep them in this System, give it such a name in Backstage (its references compare in lower case)",
        )
    elif system is not None:
        out.append("system")
        report.guessed(
            location(child(child(system.node, "spec"), "system"), system.at),
            "portals.backstage.existing: system: the System the offerings are part of is registered in Backstage, "
            "so `export backstage` refers to it and does not write it again",
        )
    return out


def _system_id(written: str) -> str | None:
    """The catalog id portals.backstage.system keeps of a System `written` (a name or a reference): its name in
    lower case, which Backstage's references find it by, or None where that is no catalog id (`payments_v2`)."""
    parsed = portals.parse_entity_ref(_lowered_namespace(written))
    name = (parsed.name if isinstance(parsed, portals.EntityRef) else written).lower()
    return name if ID_RE.fullmatch(name) else None


def _entities_of_the_team(
    read: list[_Entity], group: _Entity | None, team: dict[str, Any] | None, report: Report
) -> dict[str, str]:
    """portals.backstage's group, system and namespace as the entities read name them, so that `export
    backstage` writes the entities Backstage has (the offerings in their System, owned by the Group read
    as the team, in their namespace) rather than new ones named after the team: the System every
    offering names (one: the catalog is one System; the others said dropped), the namespace they share."""
    out: dict[str, str] = {}
    # Backstage finds `Team-A` by team-a (its references compare in lower case); a name that is no id even so
    # (Team_A) the export cannot refer to: said where existing is guessed (_refers_to)
    lowered = group.name.lower() if group is not None else ""
    if team is not None and lowered != portals.slug(team["name"]) and ID_RE.fullmatch(lowered):
        out["group"] = lowered
    systems: dict[str, tuple[str, SourceLocation]] = {}
    for entity in read:
        spec = child(entity.node, "spec")
        written = text(child(spec, "system"))
        if written is None:
            continue
        parsed = portals.parse_entity_ref(_lowered_namespace(written))
        system = parsed.name if isinstance(parsed, portals.EntityRef) else written
        systems.setdefault(system.casefold(), (system, location(child(spec, "system"), entity.at)))
        first = next(iter(systems.values()))
        if system.casefold() != first[0].casefold():
            report.dropped(
                location(child(spec, "system"), entity.at),
                f"{entity.kind} '{entity.name}': spec.system '{written}' (the catalog is one System: "
                f"portals.backstage.system keeps {first[0]}, at {first[1]})",
            )
    if systems:
        system, at = next(iter(systems.values()))
        default = portals.slug(team["name"]) if team is not None else None
        named = _system_id(system)
        if named is not None and named != default:  # servicebook's own export names the team's
            out["system"] = named
            as_compared = f" ({system}, as Backstage compares names, in lower case)" if named != system else ""
            report.guessed(
                at,
                f"portals.backstage.system {named}, the System the offerings are part of{as_compared}, so that "
                "`export backstage` puts them there",
            )
    spaces = [text(child(child(e.node, "metadata"), "namespace")) or "default" for e in read]
    space = spaces[0]
    if space != "default" and portals.BACKSTAGE_NAMESPACE_RE.fullmatch(space):
        out["namespace"] = space
    for entity, other in zip(read, spaces, strict=True):
        if other != space:  # the catalog's entities are in one namespace
            at = location(child(child(entity.node, "metadata"), "namespace"), entity.at)
            report.dropped(at, f"{entity.kind} '{entity.name}': metadata.namespace '{other}' (the export's is {space})")
    return out


def _owned_by_the_team(
    group: _Entity | None,
    team: dict[str, Any] | None,
    owners: _Owners,
    offerings: dict[str, dict[str, Any]],
    report: Report,
) -> None:
    """The offerings whose spec.owner is the Group read as the team are owned by the team as the
    fragment names it (its displayName or title), not by the Group's id beside it: one team, one
    spelling on every page; portals.backstage.owners maps that name to the Group's reference, so the
    export names the same Group. An offering whose owner is servicebook's own annotation keeps it."""
    if group is None or team is None:
        return
    namespace = text(child(child(group.node, "metadata"), "namespace")) or "default"
    old = owners.names.get(("group", namespace.casefold(), group.name.casefold()))
    new = team["name"]
    if old is None or old == new:
        return
    if new in owners.refs:
        report.guessed(
            owners.refs[old].at,
            f"owner '{old}' for Group '{group.name}', read as the team '{new}': '{new}' is the owner "
            f"{owners.refs[new].ref} names too",
        )
        return
    owned = [o["id"] for o in offerings.values() if o.get("owner") == old and o["id"] not in owners.ours]
    if not owned:
        return
    for ident in owned:
        offerings[ident]["owner"] = new
        if offerings[ident]["request"]["how"] == f"Ask {old}.":  # guessed of the owner: said as guessed
            offerings[ident]["request"]["how"] = f"Ask {new}."
    guessed = f": request.how 'Ask {old}.'"  # the guess said of each, as the fragment now has it
    report.notes[:] = [
        replace(n, message=n.message.replace(guessed, f": request.how 'Ask {new}.'"))
        if n.message.endswith(guessed)
        else n
        for n in report.notes
    ]
    if any(o.get("owner") == old for o in offerings.values()):  # servicebook's own, as annotated: both map
        owners.refs[new] = owners.refs[old]
    else:
        owners.refs = {(new if key == old else key): value for key, value in owners.refs.items()}
    owners.names = {entity: (new if name == old else name) for entity, name in owners.names.items()}
    report.guessed(
        owners.refs[new].at,
        f"owner '{new}' for {owners.refs[new].ref} ({', '.join(owned)}): the team's name, as Group '{group.name}' "
        "is read as the team; portals.backstage.owners maps it to the Group",
    )


def _members(users: list[_Entity], group: _Entity | None, team: dict[str, Any] | None, report: Report) -> None:
    """Each User that is a member of the Group read as the team (in its spec.members, or the Group in
    the User's spec.memberOf) as a contact of the team: its profile's displayName and e-mail, said where
    the User is; any other User is skipped, said."""
    ours: set[str] = set()
    taken = 0
    if group is not None and team is not None:
        ours = {_ref_name(m).casefold() for m in texts(child(child(group.node, "spec"), "members"))}
    for user in users:
        spec = child(user.node, "spec")
        member_of = {_ref_name(g).casefold() for g in texts(child(spec, "memberOf"))}
        if (
            group is None
            or team is None
            or (user.name.casefold() not in ours and group.name.casefold() not in member_of)
        ):
            report.skipped(user.at, f"User '{user.name}': servicebook has no place for it")
            continue
        profile = child(spec, "profile")
        contact = {
            "name": text(child(profile, "displayName"))
            or text(child(child(user.node, "metadata"), "title"))
            or user.name
        }
        email = text(child(profile, "email"))
        if email is not None and EMAIL_RE.fullmatch(email):
            contact["email"] = email
        contacts = team.setdefault("contacts", [])
        if contact not in contacts:
            contacts.append(contact)
        report.guessed(user.at, f"User '{user.name}': a contact of the team, as a member of Group '{group.name}'")
        _contact_left_out(user, "email" in contact, report)
        taken += 1
    if ours and taken:  # the Group's members read as contacts: not said dropped
        said = f"dropped Group '{group.name}': spec.members" if group is not None else ""
        report.notes[:] = [n for n in report.notes if not n.message.startswith(said)]


_USER_READ = {
    "metadata": frozenset({"name", "title"}),
    "spec": frozenset({"profile", "memberOf"}),
    "spec.profile": frozenset({"displayName"}),
}


def _contact_left_out(user: _Entity, email: bool, report: Report) -> None:
    """What a User taken as a contact says beside its name and e-mail (its picture, description,
    annotations …), said once, where the first of it is written: the catalog's contact has no place
    for it."""
    meta, spec = child(user.node, "metadata"), child(user.node, "spec")
    read = {**_USER_READ, "spec.profile": _USER_READ["spec.profile"] | ({"email"} if email else set())}
    left: list[tuple[str, SourceLocation]] = []
    for section, node in (("metadata", meta), ("spec", spec), ("spec.profile", child(spec, "profile"))):
        for key, value in items(node):
            if key not in read[section] and not _backstages_own(section, key, value):
                left.append((f"{section}.{key}", value.location))
    if left:
        report.dropped(
            left[0][1],
            f"User '{user.name}': {', '.join(name for name, _ in left)} (a contact of the team is a name and an "
            "e-mail)",
        )


OFFERING_REFS = ("component", "resource")


def _dependents(
    read: list[_Entity], offerings: dict[str, dict[str, Any]], named: dict[str, str], report: Report
) -> None:
    """An entity's spec.dependencyOf, the other side of dependsOn (`dependencyOf: [component:checkout]` on
    a database), as the depends_on of each offering read that it names, said where it is written: the
    export writes the relation on that offering's dependsOn, where Backstage shows it the same. One that
    names no offering read is said dropped."""
    for entity in read:
        spec = child(entity.node, "spec")
        at = location(child(spec, "dependencyOf"), entity.at)
        this = named[entity.name.casefold()]
        for ref in texts(child(spec, "dependencyOf")):
            parsed = portals.parse_entity_ref(_lowered_namespace(ref))
            dependent = None
            if isinstance(parsed, portals.EntityRef) and (parsed.kind or "component").lower() in OFFERING_REFS:
                dependent = named.get(parsed.name.casefold())
            if dependent is None:
                report.dropped(at, f"{entity.kind} '{entity.name}': dependencyOf {ref} (no offering read)")
                continue
            depends = offerings[dependent].setdefault("depends_on", [])
            if this not in depends and dependent != this:
                depends.append(this)
                report.guessed(
                    at, f"offering '{dependent}' depends on {this}: {entity.kind} '{entity.name}' is a dependencyOf it"
                )


def _api_refs(entity: _Entity, key: str) -> list[tuple[str, tuple[str, str]]]:
    """The APIs an entity's spec.providesApis or spec.consumesApis names: (as written, (namespace, name)),
    a reference's kind `api` unless written and its namespace the entity's own, as Backstage fills them in."""
    namespace = text(child(child(entity.node, "metadata"), "namespace")) or "default"
    out = []
    for ref in texts(child(child(entity.node, "spec"), key)):
        parsed = portals.parse_entity_ref(_lowered_namespace(ref))
        if isinstance(parsed, portals.EntityRef) and (parsed.kind or "api").casefold() == "api":
            out.append((ref, ((parsed.namespace or namespace).casefold(), parsed.name.casefold())))
        else:
            out.append((ref, ("", "")))
    return out


def _api_consumers(
    read: list[_Entity], offerings: dict[str, dict[str, Any]], named: dict[str, str], report: Report
) -> None:
    """An offering whose spec.consumesApis names an API another offering read provides (its
    spec.providesApis) depends on that offering, said where it is written: the relation Backstage shows
    between the two, which the export writes as its dependsOn (servicebook has no APIs). An API no
    offering read provides is said dropped."""
    providers: dict[tuple[str, str], _Entity] = {}
    for entity in read:
        for _, api in _api_refs(entity, "providesApis"):
            providers.setdefault(api, entity)
    for entity in read:
        this = named[entity.name.casefold()]
        at = location(child(child(entity.node, "spec"), "consumesApis"), entity.at)
        for ref, api in _api_refs(entity, "consumesApis"):
            provider = providers.get(api)
            if provider is None:
                why = "no offering read provides it" if api[1] else "not a reference to an API"
                report.dropped(at, f"{entity.kind} '{entity.name}': consumesApis {ref} ({why})")
                continue
            target = named[provider.name.casefold()]
            depends = offerings[this].setdefault("depends_on", [])
            if target != this and target not in depends:
                depends.append(target)
                report.guessed(
                    at,
                    f"offering '{this}' depends on {target}: it consumes API {ref}, which {provider.kind} "
                    f"'{provider.name}' provides",
                )
        if not offerings[this].get("depends_on"):
            offerings[this].pop("depends_on", None)


def _renamed(found: list[_Entity]) -> dict[str, _Entity]:
    """The old names of the entities servicebook's export annotates `servicebook.dev/renamed-from`
    (an offering's renamed_from), without case as Backstage compares names → the entity renamed."""
    out: dict[str, _Entity] = {}
    for entity in found:
        if entity.kind not in OFFERING_KINDS:
            continue
        annotations = dict(items(child(child(entity.node, "metadata"), "annotations")))
        for old in (text(annotations.get(f"{PREFIX}renamed-from")) or "").split(","):
            if old.strip() and old.strip().casefold() != entity.name.casefold():
                out.setdefault(old.strip().casefold(), entity)
    return out


def _dependencies(
    offerings: dict[str, dict[str, Any]],
    named: dict[str, str],
    depends_at: dict[str, SourceLocation],
    report: Report,
    renamed: dict[str, _Entity],
) -> None:
    """Each offering's depends_on as the ids of the offerings read (`Component:Payments` is the
    Component payments, as Backstage compares references); a reference to an old name of an offering
    read (another team's export, written before the rename) is that offering, said; one not read is
    said dropped, at the entity's dependsOn."""
    for offering in offerings.values():
        if "depends_on" not in offering:
            continue
        depends = []
        for written in offering["depends_on"]:
            target = named.get(written.casefold())
            heir = renamed.get(written.casefold())
            if target is None and heir is not None and heir.name.casefold() in named:
                target = named[heir.name.casefold()]
                report.guessed(
                    depends_at[offering["id"]],
                    f"offering '{offering['id']}' depends on {target}: {written} is its old name ({PREFIX}renamed-from "
                    f"of {heir.kind} '{heir.name}', at {heir.at})",
                )
            depends.append(target or written)
        depends = list(dict.fromkeys(depends))
        missing = [d for d in depends if d not in offerings]
        if missing:
            report.dropped(
                depends_at[offering["id"]],
                f"offering '{offering['id']}': depends_on {', '.join(missing)} (not in the import)",
            )
        offering["depends_on"] = [d for d in depends if d in offerings]
        if not offering["depends_on"]:
            del offering["depends_on"]


def _nothing_read(fragment: dict[str, Any], sources: Seq[SourceText], report: Report) -> None:
    if not fragment:
        kinds = f"{', '.join(OFFERING_KINDS)} or {', '.join(TEAM_KINDS)}"
        report.nothing = f"no {kinds} in {', '.join(s.path for s in sources)}"


SUBSTITUTIONS = ("$text", "$json", "$yaml")
# the kinds whose fields the import reads, and so whose substitutions it follows
FOLLOWED_KINDS = (*OFFERING_KINDS, *TEAM_KINDS, "User")


@dataclass
class _Substituted:
    """The bytes the substitutions of one import have read so far. They are held to what one import
    may read (MAX_IMPORT_BYTES) together, each file counted each time it is read: Backstage reads a
    file for each entity that names it, so one of 8 MB named by 200 entities would be a fragment of
    1.6 GB, and a `$yaml` of 8 MB of short values is 790 MB of nodes each time it is read."""

    read: int = 0


def _substituted(node: Node, source: SourceText, report: Report, label: str, substituted: _Substituted) -> Node:
    """`node` with each substitution in it replaced by what Backstage's placeholder processor puts there: a
    mapping of one key `$text`, `$json` or `$yaml` whose value is a text, read as the file it names relative
    to the entity's own file (the text, or its one JSON or YAML document); any other mapping with a `$` key
    is left as it is, as Backstage leaves it (a JSON Schema's `$ref`). Only a file inside the folder of the
    file imported is read: a URL, an absolute path or one outside it is not followed, said where it is."""
    if isinstance(node, Sequence):
        return Sequence(
            tuple(_substituted(item, source, report, label, substituted) for item in node.items), node.location
        )
    if not isinstance(node, Mapping):
        return node
    if not any(key.value.startswith("$") for key, _ in node.items):
        return Mapping(
            tuple((k, _substituted(v, source, report, label, substituted)) for k, v in node.items), node.location
        )
    key, value = node.items[0]
    if len(node.items) != 1 or key.value not in SUBSTITUTIONS or not isinstance(value, Scalar) or value.is_null:
        return node
    return _followed(key, value, source, report, label, substituted) or node


def _followed(
    key: Scalar, value: Scalar, source: SourceText, report: Report, label: str, substituted: _Substituted
) -> Node | None:
    """What the substitution `key: value` stands for, or None (said: not followed, or an error)."""
    target = value.value.strip()
    said = f"{label}: {key.value} {target}"
    if _URL.match(target):
        why = "a URL is not fetched"
        todo = f"download it into the folder of {source.path} and write {key.value}: ./NAME, or write the value"
    elif source.path == STDIN_NAME or not Path(source.path).is_file():
        why, todo = "read from standard input or a pipe, there is no folder to read it from", "import the file itself"
    elif PurePath(target).is_absolute():
        why, todo = "an absolute path", f"write it relative to {source.path}, inside its folder"
    else:
        path = _beside(source.path, target)
        inside = Path(source.path).parent.resolve()
        try:
            outside = not Path(path).resolve().is_relative_to(inside)  # `..`, or a link leading out
        except (OSError, RuntimeError):  # a name too long, a loop of links: Backstage could not read it either
            outside = False
        if outside:
            why = f"{target} is outside the folder of {source.path}"
            todo = "copy the file into that folder, or write the value"
        else:
            return _read_substitution(key, path, source, report, said, substituted)
    report.dropped(key.location, f"{said} (a substitution not followed: {why})", todo)
    return None


def _not_a_file(path: Path) -> str | None:
    """Why `path` is no file a substitution reads (a folder, a pipe, which would wait to be written, a
    device; a name too long), or None (a regular file, or none at all, which read_file says)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    return None if stat.S_ISREG(mode) else "is not a regular file"


def _over_budget(path: Path, substituted: _Substituted) -> str | None:
    """Why reading `path` would take the import's substitutions past what one import reads, or None."""
    try:
        size = path.stat().st_size
    except OSError:  # read_file says why
        return None
    if substituted.read + size <= MAX_IMPORT_BYTES:
        return None
    before = f", after {substituted.read:,} read by the substitutions before it" if substituted.read else ""
    return f"{path} is {size:,} bytes{before}: more than one import reads ({MAX_IMPORT_BYTES:,} bytes)"


def _read_substitution(
    key: Scalar, path: str, source: SourceText, report: Report, said: str, substituted: _Substituted
) -> Node | None:
    """The file at `path` as `$text` (its text), `$json` or `$yaml` (its one document) reads it, as Backstage
    does; a file that cannot be read or parsed is an error at the substitution, as Backstage refuses the entity."""
    try:
        unfit = _not_a_file(Path(path))
        if unfit is not None:
            raise SourceError([Problem(SourceLocation(path), unfit)])
        over = _over_budget(Path(path), substituted)
        if over is not None:
            report.error(
                source,
                key.location,
                f"{said}: {over}",
                "write the value, or import the entities that name the file in parts",
            )
            return None
        read = read_file(Path(path), path)
        substituted.read += len(read.text.encode("utf-8"))
        if key.value == "$text":
            # without the file's last line end, which a one-line description written in a file has
            return Scalar(read.text.rstrip("\n"), SourceLocation(path, 1, 1), False)
        if key.value == "$json":
            return parse_json(read, bounds=IMPORT_BOUNDS)
        documents = [
            d.node for d in parse_yaml_documents(read, aliases=True, bounds=IMPORT_BOUNDS) if d.node is not None
        ]
    except SourceError as exc:
        first = exc.problems[0]
        hint = "Backstage refuses the entity too: fix the file, or write the value"
        report.error(source, key.location, f"{said}: {first.location}: {first.message}", hint)
        return None
    if len(documents) != 1:
        report.error(
            source,
            key.location,
            f"{said}: {path} holds {len(documents)} YAML documents, and a $yaml substitution reads exactly one",
            "as Backstage does: keep one document in the file",
        )
        return None
    return documents[0]


def _team(entity: _Entity, report: Report, label: str) -> dict[str, Any]:
    """The team: its name, mission and (its profile's e-mail) contact; what else the Group says
    (its picture, parent, children, members) is named where it is written."""
    meta = child(entity.node, "metadata")
    spec = child(entity.node, "spec")
    profile = child(spec, "profile")
    name = text(child(profile, "displayName")) or text(child(meta, "title")) or entity.name
    mission = _guess(
        text(child(meta, "description")), f"What {name} is for.", report, entity.at, f"{label}: team mission"
    )
    team: dict[str, Any] = {"name": name, "mission": mission}
    email = text(child(profile, "email"))
    if email is not None and EMAIL_RE.fullmatch(email):
        team["contacts"] = [{"name": name, "email": email}]
    read = {
        "metadata": frozenset({"name", "title", "description"}),
        "spec": frozenset({"profile"}),
        "spec.profile": frozenset({"displayName"}),
    }
    if "contacts" in team:
        read["spec.profile"] = frozenset({"displayName", "email"})
    for section, node in (("metadata", meta), ("spec", spec), ("spec.profile", profile)):
        for key, value in items(node):
            if key not in read[section] and not _backstages_own(section, key, value):
                shown = f" '{text(value)}'" if text(value) is not None else ""
                report.dropped(value.location, f"{label}: {section}.{key}{shown}")
    return team
