"""The view models of an organisation site's teams: the Teams page (its members, where they
disagree, and the tools matrix across teams), a page per team, and the team label every member
offering and tool carries. Pure functions of the model, like views.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from servicebook import routes
from servicebook.catalog import model
from servicebook.site.templates import PageSpec
from servicebook.site.views import STATUS_LABELS


@dataclass(frozen=True, slots=True)
class Entry:
    id: str  # on the organisation site: "db-team/postgres"
    name: str
    path: str  # site path of its page


@dataclass(frozen=True, slots=True)
class TeamView:
    team: model.MemberTeam
    path: str  # teams/<id>/
    short_commit: str
    offerings: tuple[Entry, ...]
    tools: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    status: str  # label, "" where the team has no decision on the tool
    status_class: str
    path: str  # the team's tool page, "" for none


@dataclass(frozen=True, slots=True)
class MatrixRow:
    id: str  # the tool's id as the teams spell it
    name: str
    cells: tuple[Cell, ...]  # one per column of TeamsView.columns
    conflict: bool


@dataclass(frozen=True, slots=True)
class TeamsView:
    own_team: str  # the organisation's own team (the site's catalog), the first column
    teams: tuple[TeamView, ...]
    conflicts: tuple[model.Conflict, ...]
    columns: tuple[str, ...]  # team names: the organisation's own, then each member's
    matrix: tuple[MatrixRow, ...]

    def of(self, ident: str) -> TeamView | None:
        """The member team an offering's or tool's id on this site belongs to; None for the
        organisation's own."""
        member, slash, _ = ident.partition("/")
        if not slash:
            return None
        return next((t for t in self.teams if t.team.id == member), None)

    def at(self, path: str) -> TeamView | None:
        """The member team whose record's or policy page's page is at the site path `path`
        (`tools/db-team/terraform/`); None for the organisation's own."""
        return self.of(path.partition("/")[2])

    def disputed(self, ident: str) -> MatrixRow | None:
        """The row of the tools matrix of a tool decision's id on this site (`db-team/terraform`,
        or the organisation's own `terraform`) when the teams disagree about that tool: each
        team's decision on it, which its page shows beside its own."""
        own = ident.partition("/")[2] if self.of(ident) is not None else ident
        return next((row for row in self.matrix if row.id == own and row.conflict), None)


def teams_view(site: model.SiteContent) -> TeamsView | None:
    """The teams of an organisation site; None for a site without members."""
    federation = site.federation
    if federation is None:
        return None
    catalog = site.catalog
    offerings = {o.id: o for o in catalog.offerings}
    tools = {t.id: t for t in catalog.tools}
    teams = tuple(
        TeamView(
            team=team,
            path=routes.team(team.id),
            short_commit=team.commit[:12],
            offerings=tuple(Entry(i, offerings[i].name, routes.offering(i)) for i in team.offerings),
            tools=tuple(Entry(i, tools[i].name, routes.tool(i)) for i in team.tools),
        )
        for team in federation.teams
    )
    columns = (catalog.team.name, *(t.team.name for t in teams))
    owners = [("", [t for t in catalog.tools if "/" not in t.id])]
    owners += [(t.team.id, [tools[i] for i in t.team.tools]) for t in teams]
    by_id: dict[str, list[Cell]] = {}
    names: dict[str, str] = {}
    for column, (member, decisions) in enumerate(owners):
        for t in decisions:
            own = t.id.partition("/")[2] if member else t.id
            names.setdefault(own, t.name)
            cells = by_id.setdefault(own, [Cell("", "", "")] * len(owners))
            cells[column] = Cell(STATUS_LABELS[t.status], t.status.value, routes.tool(t.id))
    disputed = {c.subject for c in federation.conflicts if c.kind == "tool"}
    matrix = tuple(
        MatrixRow(ident, names[ident], tuple(by_id[ident]), ident in disputed)
        for ident in sorted(by_id, key=lambda i: (names[i].casefold(), i))
    )
    return TeamsView(catalog.team.name, teams, federation.conflicts, columns, matrix)


def team_specs(site: model.SiteContent, section: str) -> Iterator[PageSpec]:
    """The page of each member team, after the Teams page."""
    view = teams_view(site)
    for team in view.teams if view is not None else ():
        yield PageSpec(routes.output_path(team.path), "team.html", team.team.name, section, {"team": team})
