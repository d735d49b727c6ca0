"""Checking the members' references to each other's records (`offering:db-team/postgres` in the
app team's page, `depends_on: [db-team/postgres]` in its catalog) against what each member has
at its locked commit: what the organisation site's build reports, and what `federate update`
refuses to lock. Pure functions of what the members' reads found (catalog/crossrefs.py)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from servicebook.cache.codec import decode, encode
from servicebook.catalog import model
from servicebook.catalog.crossrefs import CrossRef
from servicebook.catalog.portals import cross_team_ref, entity_names, entity_ref
from servicebook.catalog.validate import did_you_mean, shown
from servicebook.errors import Problem, Severity
from servicebook.routes import ORGANISATION

_SLO_ANCHOR = "slo-"  # an SLO's row on its offering's page (layouts/macros.html)


@dataclass(frozen=True, slots=True)
class Records:
    """What other teams may name of one member at one commit: its offerings (each with the anchors
    of its SLOs), its tools, its policy pages (each with its headings' anchors). The organisation's
    own records (`organisation/<id>`) have no commit; `pages` None: its pages are not known
    (`federate update` does not read them: the build checks those references)."""

    commit: str
    offerings: Mapping[str, frozenset[str]]
    tools: frozenset[str]
    pages: Mapping[str, frozenset[str]] | None


@dataclass(frozen=True, slots=True)
class Links:
    """What the check of the members' references needs of one member at one commit: its records
    and its references to other teams' records (a small part of what reading it found, kept on
    its own in the store so that `federate update` reads no whole member for it)."""

    records: Records
    refs: tuple[CrossRef, ...]


def links_json(links: Links) -> str:
    """`links` as plain JSON for the store (never pickle)."""
    r = links.records
    data = {
        "commit": r.commit,
        "offerings": {k: sorted(v) for k, v in r.offerings.items()},
        "tools": sorted(r.tools),
        "pages": {k: sorted(v) for k, v in (r.pages or {}).items()},
        "refs": encode(links.refs),
    }
    return json.dumps(data, sort_keys=True)


def links_from_json(text: str) -> Links:
    """The inverse of links_json; ValueError, TypeError, KeyError or AttributeError on a mismatch."""
    data = json.loads(text)
    records = Records(
        str(data["commit"]),
        {str(k): frozenset(map(str, v)) for k, v in data["offerings"].items()},
        frozenset(map(str, data["tools"])),
        {str(k): frozenset(map(str, v)) for k, v in data["pages"].items()},
    )
    return Links(records, decode(tuple[CrossRef, ...], data["refs"]))


def records(commit: str, site: model.SiteContent) -> Records:
    """Member records as its own site has them (unscoped ids: `postgres`, `backups`)."""
    return Records(
        commit,
        {o.id: frozenset(_SLO_ANCHOR + s.id for s in o.slos) for o in site.catalog.offerings},
        frozenset(t.id for t in site.catalog.tools),
        {p.slug: frozenset(h.anchor for h in p.headings) for p in site.pages},
    )


def organisation_records(catalog: model.Catalog, pages: Sequence[model.Page] | None) -> Records:
    """The organisation's own records, which members name as `organisation/<id>`: those of its
    catalog (without its members'), and its own `pages` (None: not known)."""
    return Records(
        "",
        {o.id: frozenset(_SLO_ANCHOR + s.id for s in o.slos) for o in catalog.offerings if "/" not in o.id},
        frozenset(t.id for t in catalog.tools if "/" not in t.id),
        None if pages is None else {p.slug: frozenset(h.anchor for h in p.headings) for p in pages},
    )


@dataclass(frozen=True, slots=True)
class Dangling:
    """A reference of member `referrer` to member `team`'s record that `team` does not have
    (`team` is not a member at all when it is not in the organisation)."""

    referrer: str
    team: str
    problem: Problem


def dangling(
    referrer: str, refs: Sequence[CrossRef], teams: Mapping[str, Records], unread: Collection[str] = ()
) -> list[Dangling]:
    """Which of member `referrer`'s references `refs` name nothing in `teams` (each member's
    records at its locked commit), as located errors naming both members and the commit. A
    reference to a member in `unread` (one that could not be read: its own error says why) is
    not judged."""
    found: list[Dangling] = []
    for ref in refs:
        team, _, ident = ref.name.partition("/")
        if team in unread:
            continue
        what = ref.kind
        theirs = teams.get(team)

        def report(message: str, hint: str, team: str = team, ref: CrossRef = ref) -> None:
            found.append(Dangling(referrer, team, Problem(ref.location, message, hint, source_line=ref.source_line)))

        if theirs is None:
            members = sorted(set(teams) - {ORGANISATION})
            report(
                f"{referrer} refers to {what} '{shown(ref.name)}', but the organisation has no member '{shown(team)}'",
                did_you_mean(team, sorted(teams))
                or f"its members: {', '.join(members) or 'none'} (and its own records: {ORGANISATION}/<id>)",
            )
            continue
        own = team == ORGANISATION
        who = "the organisation site" if own else team
        at = "" if own else f" at its locked commit {theirs.commit[:12]}"
        if what == "page" and theirs.pages is None:
            continue  # its pages are not known here (federate update): the build checks it
        known: Mapping[str, frozenset[str]] = (
            theirs.offerings
            if what == "offering"
            else (theirs.pages or {})
            if what == "page"
            else dict.fromkeys(theirs.tools, frozenset())
        )
        if ident not in known:
            names = sorted(known)
            hint = did_you_mean(ident, names) or (
                f"{who}'s {what}s: {', '.join(names[:12])}" if names else f"{who} has no {what}s"
            )
            if what == "offering" and ident in theirs.tools:
                hint = f"'{shown(ident)}' is a tool of {who}, not an offering (an alternative names it tool:…)"
            elif what == "tool" and ident in theirs.offerings:
                hint = f"'{shown(ident)}' is an offering of {who}, not a tool"
            report(f"{referrer} refers to {what} '{shown(ref.name)}', which {who} does not have{at}", hint)
            continue
        anchor = ref.anchor
        checked = what == "page" or (what == "offering" and anchor.startswith(_SLO_ANCHOR))
        if anchor and checked and anchor not in known[ident]:
            names = sorted(known[ident])
            report(
                f"{referrer} links to '#{shown(anchor)}' of {what} '{shown(ref.name)}', which {who}'s "
                f"{what} does not have{at}",
                did_you_mean(anchor, names)
                or (f"its anchors: {', '.join('#' + n for n in names[:12])}" if names else "it has none"),
            )
    return found


def dangling_in_organisation(
    refs: Sequence[tuple[str, CrossRef]], catalog: model.Catalog, pages: Sequence[model.Page]
) -> list[Problem]:
    """Which of the members' references to the organisation's own records, (member, reference),
    name nothing of its `catalog` and `pages` (its own, as the build loaded them)."""
    teams = {ORGANISATION: organisation_records(catalog, pages)}
    return [d.problem for member, ref in refs for d in dangling(member, [ref], teams)]


def backstage_disagreements(
    catalogs: Mapping[str, model.Catalog], refs: Mapping[str, Sequence[CrossRef]]
) -> list[Problem]:
    """Where a member's Backstage export names another team's offering in `dependsOn`
    (`component:db-team/postgres`, catalog/portals.py) as that team's own export does not name
    it: its entities in another namespace, or the offering a Resource. Only between teams that
    both export to Backstage. `catalogs`: each team's catalog by member id (the organisation's
    own as `organisation`); `refs`: each member's references (where its `depends_on` was written)."""
    found: list[Problem] = []
    for member, catalog in catalogs.items():
        if catalog.portals is None or catalog.portals.backstage is None:
            continue
        written: dict[str, CrossRef] = {}  # where each was first written in its catalog.yaml
        for r in refs.get(member, ()):
            if r.kind == "offering" and r.location.path.endswith("catalog.yaml"):
                written.setdefault(r.name, r)
        for dep in dict.fromkeys(d for o in catalog.offerings for d in o.depends_on if d in written):
            team, _, ident = dep.partition("/")
            theirs = catalogs.get(team)
            if theirs is None or theirs.portals is None or theirs.portals.backstage is None:
                continue
            ours, actual = cross_team_ref(dep), entity_ref(theirs, ident)
            if ours != actual:
                who = "the organisation site" if team == ORGANISATION else team
                at = written[dep]
                renamed = entity_names(theirs).get(ident)
                hint = (
                    f"{who} names its entity {renamed} (portals.backstage.names), and other teams' exports refer to "
                    f"its offerings by id: drop that name once Backstage has the entity as {ident}"
                    if renamed is not None
                    else f"{who} should export its entities in the namespace {ours.split(':')[1].split('/')[0]} "
                    "(portals.backstage.namespace), as components, so that the references meet in Backstage"
                )
                found.append(
                    Problem(
                        at.location,
                        f"{member}'s Backstage export names '{shown(dep)}' {ours}, but {who} exports it as {actual}",
                        hint,
                        Severity.WARNING,
                        at.source_line,
                        kind="backstage-namespace-mismatch",
                    )
                )
    return found
