"""What the `portals:` settings mean: the rings and quadrants a radar draws, the Backstage names
and owner references, with their defaults. Pure functions that validation and interop/ share."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from servicebook.catalog import model
from servicebook.catalog.ascii_names import ascii_name
from servicebook.routes import ORGANISATION

# Backstage's rules for names, namespaces and entity references ("Descriptor Format of Catalog
# Entities", backstage.io/docs/features/software-catalog/descriptor-format): a name is 1-63
# characters, sequences of [a-zA-Z0-9] separated by one of -_.; a namespace is a DNS label; a
# kind is a letter followed by letters and digits.
BACKSTAGE_NAME_RE = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*")
BACKSTAGE_NAMESPACE_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
BACKSTAGE_KIND_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
MAX_NAME = 63

DEFAULT_RINGS: dict[model.ToolStatus, str] = {
    model.ToolStatus.SUPPORTED: "Adopt",
    model.ToolStatus.BEST_EFFORT: "Trial",
    model.ToolStatus.DEPRECATED: "Hold",
    model.ToolStatus.UNSUPPORTED: "Hold",
}
RADAR_QUADRANTS = 4  # every radar format draws four


def is_backstage_name(value: str) -> bool:
    return len(value) <= MAX_NAME and BACKSTAGE_NAME_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class EntityRef:
    kind: str | None
    namespace: str | None
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind.lower()}:" if self.kind else ""
        namespace = f"{self.namespace}/" if self.namespace else ""
        return f"{kind}{namespace}{self.name}"


def parse_entity_ref(value: str) -> EntityRef | str:
    """`[kind:][namespace/]name` as Backstage writes a reference, or why it is not one."""
    kind, rest = value.split(":", 1) if ":" in value else (None, value)
    namespace, name = rest.split("/", 1) if "/" in rest else (None, rest)
    if kind is not None and (len(kind) > MAX_NAME or not BACKSTAGE_KIND_RE.fullmatch(kind)):
        return f"'{kind}' is not a Backstage kind (a letter, then letters and digits)"
    if namespace is not None and (len(namespace) > MAX_NAME or not BACKSTAGE_NAMESPACE_RE.fullmatch(namespace)):
        return f"'{namespace}' is not a Backstage namespace (lower-case letters and digits separated by '-')"
    if not is_backstage_name(name):
        return (
            f"'{name}' is not a Backstage name (1-63 letters and digits, separated by one of '-', '_' or '.')"
            if name
            else "the name is empty"
        )
    return EntityRef(kind, namespace, name)


def slug(text: str) -> str:
    """`text` as an id: lower case, accents taken off its letters (`Équipe Paiements`: equipe-paiements, as
    `servicebook init` names the team's catalog; Backstage's names are ASCII), runs of anything else than
    letters and digits as one '-'."""
    return ascii_name(text, empty="team")


def group_name(catalog: model.Catalog) -> str:
    settings = catalog.portals.backstage if catalog.portals else None
    return (settings.group if settings else None) or slug(catalog.team.name)


def system_name(catalog: model.Catalog) -> str:
    settings = catalog.portals.backstage if catalog.portals else None
    return (settings.system if settings else None) or slug(catalog.team.name)


def namespace(catalog: model.Catalog) -> str:
    settings = catalog.portals.backstage if catalog.portals else None
    return settings.namespace if settings else "default"


def group_namespace(catalog: model.Catalog) -> str:
    """The namespace of the team's Group: portals.backstage.group_namespace, else the entities' own."""
    settings = catalog.portals.backstage if catalog.portals else None
    return (settings.group_namespace if settings else None) or namespace(catalog)


def group_ref(catalog: model.Catalog) -> str:
    """The reference of the team's Group, which the System and the team's own offerings are owned by."""
    return f"group:{group_namespace(catalog)}/{group_name(catalog)}"


def entity_names(catalog: model.Catalog) -> dict[str, str]:
    """The name of each offering's entity that is not its id (portals.backstage.names), by offering id."""
    settings = catalog.portals.backstage if catalog.portals else None
    return {n.offering: n.name for n in settings.names} if settings else {}


def entity_ref(catalog: model.Catalog, offering: str) -> str:
    """The reference of offering `offering`'s entity in this catalog's Backstage export:
    `component:<namespace>/<name>` (the offering's id, or its name under `names`), or `resource:`
    for an offering listed under `resources`."""
    settings = catalog.portals.backstage if catalog.portals else None
    kind = "resource" if settings is not None and offering in settings.resources else "component"
    return f"{kind}:{namespace(catalog)}/{entity_names(catalog).get(offering, offering)}"


# The Backstage namespace a member team's entities are expected in, so that another team's export
# can name them: its member id (`component:db-team/postgres` for `db-team/postgres`); the
# organisation's own (`organisation/ci`, catalog/crossrefs.py) in the default namespace.
ORGANISATION_NAMESPACE = "default"


def cross_team_ref(name: str) -> str:
    """The reference another team's offering `name` (`db-team/postgres`) is written with in a
    member's Backstage export: the component in the namespace named like the member
    (`component:db-team/postgres`; every member id is a valid namespace and every offering id a
    valid name), the organisation's own (`organisation/ci`) in the default namespace."""
    team, _, ident = name.partition("/")
    return f"component:{ORGANISATION_NAMESPACE if team == ORGANISATION else team}/{ident}"


def owner_refs(catalog: model.Catalog) -> dict[str, str]:
    """Each offering owner's Backstage reference: as portals.backstage.owners maps it, and the
    team's own name, unless mapped there, to the team's Group, which the export writes (or, with
    `existing: [group]`, refers to), as the System's owner is."""
    settings = catalog.portals.backstage if catalog.portals else None
    mapped = {o.owner: o.ref for o in settings.owners} if settings else {}
    return {catalog.team.name: group_ref(catalog), **mapped}


def unmapped_owners(catalog: model.Catalog) -> list[tuple[str, list[str]]]:
    """Each offering owner without a Backstage reference, with the offerings it owns, in catalog order."""
    mapped = owner_refs(catalog)
    missing: dict[str, list[str]] = {}
    for offering in catalog.offerings:
        if offering.owner not in mapped:
            missing.setdefault(offering.owner, []).append(offering.id)
    return list(missing.items())


def rings(settings: model.RadarPortal | None) -> dict[model.ToolStatus, str]:
    """The ring each status is drawn in."""
    chosen = {r.status: r.ring for r in settings.rings} if settings else {}
    return {status: chosen.get(status, ring) for status, ring in DEFAULT_RINGS.items()}


def ring_order(settings: model.RadarPortal | None) -> list[str]:
    """The rings from the innermost out: in the order of the ladder of statuses."""
    return list(dict.fromkeys(rings(settings)[status] for status in model.ToolStatus))


def quadrants(catalog: model.Catalog, settings: model.RadarPortal | None) -> dict[str, str]:
    """The quadrant (its name) of each category that has tools, in the catalog's order."""
    chosen = {q.category: q.quadrant for q in settings.quadrants} if settings else {}
    names = {c.id: c.name for c in catalog.categories}
    with_tools = {t.category for t in catalog.tools}
    used = [c.id for c in catalog.categories if c.id in with_tools] + sorted(with_tools - set(names))
    return {category: chosen.get(category, names.get(category, category)) for category in used}


def quadrant_order(catalog: model.Catalog, settings: model.RadarPortal | None) -> list[str]:
    return list(dict.fromkeys(quadrants(catalog, settings).values()))


def own_records(catalog: model.Catalog) -> model.Catalog:
    """The catalog without an organisation site's member records (ids `<member>/<id>`), and
    without references to them: the portal exports describe what this catalog's team provides;
    each member publishes its own (and `db-team/postgres` is not a Backstage entity name)."""
    if not catalog.members:
        return catalog
    offerings = tuple(
        dataclasses.replace(o, depends_on=tuple(d for d in o.depends_on if "/" not in d))
        for o in catalog.offerings
        if "/" not in o.id
    )
    tools = tuple(t for t in catalog.tools if "/" not in t.id)
    return dataclasses.replace(catalog, offerings=offerings, tools=tools)
