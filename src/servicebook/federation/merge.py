"""One catalog for an organisation site: the organisation's own records, then each member's under
`<member>/<id>` (so `offering:db-team/postgres` names the database team's Postgres, and its page
is offerings/db-team/postgres/), with each member's team-wide support carried onto its offerings;
and the places where teams disagree. Pure functions of the model."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.crossrefs import alternative
from servicebook.catalog.slo import effective_support
from servicebook.source.lookalike import looks_alike

STRONG = frozenset({model.ToolStatus.SUPPORTED, model.ToolStatus.BEST_EFFORT})
AGAINST = frozenset({model.ToolStatus.DEPRECATED, model.ToolStatus.UNSUPPORTED})


scoped = routes.member_scoped  # an id of member `member`'s catalog as the organisation site names it


def merge(
    org: model.Catalog,
    members: Sequence[tuple[model.Member, str, model.Catalog]],
    org_team: str = "",
    pages: Mapping[str, Sequence[model.Page]] | None = None,
) -> tuple[model.Catalog, model.Federation]:
    """The organisation's catalog with every member's (member, locked commit, catalog) in it;
    `pages` are each member's policy pages, gathered with it (see scoped_pages). Without them
    (`promised`, which reads catalogs only) the offerings name no policy page."""
    offerings = list(org.offerings)
    tools = list(org.tools)
    categories = {c.id: c for c in org.categories}
    teams: list[model.MemberTeam] = []
    shown = team_names(org_team or org.team.name, [(m.id, c.team.name) for m, _, c in members])
    for member, commit, catalog in members:
        for o in catalog.offerings:
            offerings.append(
                dataclasses.replace(
                    o,
                    id=scoped(member.id, o.id),
                    depends_on=tuple(_named(member.id, d) for d in o.depends_on),
                    tools=tuple(scoped(member.id, t) for t in o.tools),
                    policies=tuple(scoped(member.id, p) for p in o.policies) if pages is not None else (),
                    replaced_by=_named(member.id, o.replaced_by) if o.replaced_by else None,
                    renamed_from=tuple(scoped(member.id, r) for r in o.renamed_from),
                    support=_carried(catalog.support, o.support),
                )
            )
        for t in catalog.tools:
            tools.append(
                dataclasses.replace(
                    t,
                    id=scoped(member.id, t.id),
                    alternative=_named(member.id, t.alternative) if t.alternative else None,
                    migration=None,
                    renamed_from=tuple(scoped(member.id, r) for r in t.renamed_from),
                )
            )
        for c in catalog.categories:
            categories.setdefault(c.id, c)
        teams.append(
            model.MemberTeam(
                id=member.id,
                name=shown[member.id],
                mission=catalog.team.mission,
                repository=member.repository,
                ref=member.ref,
                commit=commit,
                site=member.site,
                offerings=tuple(scoped(member.id, o.id) for o in catalog.offerings),
                tools=tuple(scoped(member.id, t.id) for t in catalog.tools),
                pages=tuple(scoped(member.id, p.slug) for p in (pages or {}).get(member.id, ())),
            )
        )
    merged = dataclasses.replace(
        org,
        offerings=tuple(offerings),
        tools=tuple(tools),
        categories=tuple(categories.values()),
    )
    owners = [("", org_team or org.team.name, org)] + [(m.id, c.team.name, c) for m, _, c in members]
    return merged, model.Federation(tuple(teams), conflicts(owners))


def team_names(own: str, members: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Member id → the name the organisation site gives its team: the one its catalog says, with
    the member id after it where a reader could take it for the organisation's own team (`own`)
    or another member's (lookalike.looks_alike): every member offering's page, its search result
    and its support say "Team: <name>", and a team named like ours made its promises read as ours."""
    names = [own, *(name for _, name in members)]
    return {
        ident: f"{name} ({ident})" if sum(looks_alike(name, other) for other in names) > 1 else name
        for ident, name in members
    }


def _named(member: str, ident: str) -> str:
    """What a member's reference names on the organisation site: its own record under its prefix;
    another member team's (`db-team/postgres`, catalog/crossrefs.py) as written, without the kind
    of an alternative (`tool:db-team/pgbouncer`); the organisation's own (`organisation/ci`) by
    its id."""
    _, name = alternative(ident)
    if "/" not in name:
        return scoped(member, name)
    team, _, own = name.partition("/")
    return own if team == routes.ORGANISATION else name


def scoped_pages(member: str, pages: Sequence[model.Page], shown: Callable[[str], str]) -> tuple[model.Page, ...]:
    """Member `member`'s policy pages as the organisation site publishes them: under its prefix
    (policies/db-team/backups/), naming its records as the site does, each source file `shown`
    as in a report (members/db-team@0123456789ab/content/backups.md). Their HTML was rendered for
    that place already (routes.member_link)."""
    return tuple(
        dataclasses.replace(
            p,
            slug=scoped(member, p.slug),
            source=shown(p.source),
            meta=dataclasses.replace(
                p.meta,
                offerings=tuple(scoped(member, o) for o in p.meta.offerings),
                tools=tuple(scoped(member, t) for t in p.meta.tools),
                renamed_from=tuple(scoped(member, r) for r in p.meta.renamed_from),
            ),
        )
        for p in pages
    )


def _carried(team: model.Support, own: model.SupportOverride | None) -> model.WholeSupport:
    """A member offering's support on the organisation site, where the team-wide support is the
    organisation's: everything the member's team offers, with the offering's own overrides, and
    nothing of the organisation's (a member team without an on-call has none, not the
    organisation's: its offerings' pages told readers to page our on-call for its incidents)."""
    support = effective_support(team, own)
    return model.WholeSupport(
        hours=support.hours,
        channels=support.channels,
        severities=support.severities,
        oncall=support.oncall,
        escalation=support.escalation,
    )


def conflicts(owners: Sequence[tuple[str, str, model.Catalog]]) -> tuple[model.Conflict, ...]:
    """Where the teams (member id, name, catalog) disagree: a tool one supports and another has
    deprecated or does not support; an offering id several teams use. In a fixed order. A team
    name that several teams have (two catalogs scaffolded by `init`) carries its member id."""
    names = [team for _, team, _ in owners]
    owners = [
        (member, f"{team} ({member or 'organisation'})" if names.count(team) > 1 else team, catalog)
        for member, team, catalog in owners
    ]
    by_tool: dict[str, list[tuple[str, str, model.Tool]]] = {}
    by_offering: dict[str, list[tuple[str, str]]] = {}
    for member, team, catalog in owners:
        for t in catalog.tools:
            by_tool.setdefault(t.id, []).append((member, team, t))
        for o in catalog.offerings:
            by_offering.setdefault(o.id, []).append((member, team))
    found: list[model.Conflict] = []
    for ident in sorted(by_tool):
        held = by_tool[ident]
        backing = [team for _, team, t in held if t.status in STRONG]
        against = [(member, team, t) for member, team, t in held if t.status in AGAINST]
        if backing and against:
            said = "; ".join(
                f"{team} lists it as {t.status.value}"
                + (
                    f" (use {_named(member, t.alternative) if member else t.alternative} instead)"
                    if t.alternative
                    else ""
                )
                for member, team, t in against
            )
            involved = tuple(member for member, _, t in held if t.status in STRONG | AGAINST)
            found.append(model.Conflict("tool", ident, f"{held[0][2].name}: {_backing(held)}; {said}", involved))
    for ident in sorted(by_offering):
        claims = by_offering[ident]
        if len(claims) > 1:
            message = f"offering id '{ident}' is claimed by {_and([team for _, team in claims])}"
            found.append(model.Conflict("offering", ident, message, tuple(member for member, _ in claims)))
    return tuple(found)


def _backing(held: Sequence[tuple[str, str, model.Tool]]) -> str:
    """Who stands behind a tool, as each decided: 'A and B support it', 'C gives it best effort'
    (a team that gives it best effort does not support it with response targets)."""
    said = []
    for status, one, many in (
        (model.ToolStatus.SUPPORTED, "supports it", "support it"),
        (model.ToolStatus.BEST_EFFORT, "gives it best effort", "give it best effort"),
    ):
        teams = [team for _, team, t in held if t.status is status]
        if teams:
            said.append(f"{_and(teams)} {one if len(teams) == 1 else many}")
    return ", ".join(said)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
