"""What a build of an organisation site adds to loading: its members read at their locked commits
(from the cache, never the network), merged into its catalog, and the teams' disagreements as
warnings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.catalog.crossrefs import CrossRef
from servicebook.catalog.validate import Checked
from servicebook.errors import Problem, Severity, printable
from servicebook.federation.crossrefs import backstage_disagreements, dangling, dangling_in_organisation, records
from servicebook.federation.lock import read_lock
from servicebook.federation.members import Loader, MemberSite, check_members, read_members, shown_path
from servicebook.federation.merge import merge, scoped_pages
from servicebook.routes import ORGANISATION
from servicebook.source.lookalike import looks_alike
from servicebook.source.yaml import SourceText


@dataclass(frozen=True, slots=True)
class Gathered:
    """An organisation site as its members make it: its catalog with their records, the members
    as built (None: no members, or they could not be read), every problem found, the members'
    policy pages (under their prefix: db-team/backups) and their pages' files (site path, bytes)."""

    catalog: model.Catalog
    federation: model.Federation | None
    problems: list[Problem]
    pages: tuple[model.Page, ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()
    # the members' references to the organisation's own records, (member, reference): checked
    # once its own pages are loaded (crossrefs.dangling_in_organisation)
    organisation_refs: tuple[tuple[str, CrossRef], ...] = ()
    own: model.Catalog | None = None  # the organisation's own catalog, as it wrote it

    def judged(self, problems: Sequence[Problem], own_pages: Sequence[model.Page]) -> list[Problem]:
        """What loading the organisation's own pages and catalog found (`problems`), once its
        pages are loaded: with the members' references to its own records checked against them
        (crossrefs.dangling_in_organisation), and without those about its references to a member
        that could not be read (see `unjudged`)."""
        found = unjudged(problems, self.own, self.federation)
        if self.own is not None and self.organisation_refs:
            found += dangling_in_organisation(self.organisation_refs, self.own, own_pages)
        return found


def assemble(
    root: Path,
    source: SourceText,
    checked: Checked[model.Catalog],
    generator: str,
    loader: Loader,
    cache: Path | None = None,
    store: Store | None = None,
) -> Gathered:
    """The organisation's catalog with its members' records and pages (Gathered); the catalog as
    it was when it has no members. The members are read from the .servicebook-cache/ of `cache`
    (default: `root`; a past release, exported to a scratch folder, reads the site's), what was
    found of each at its commit kept in `store`."""
    catalog = checked.value
    if not catalog.members:
        return Gathered(catalog, None, [])
    problems = check_members(source, checked)
    if any(p.severity is Severity.ERROR for p in problems):
        return Gathered(catalog, None, problems, own=catalog)
    lock, lock_problems = read_lock(root)
    problems += lock_problems
    if lock_problems:
        return Gathered(catalog, None, problems, own=catalog)
    found, member_problems = read_members(cache or root, source, checked, lock, generator, loader, store)
    problems += member_problems
    # the members' references to each other's records, against what each has at its locked commit
    teams = {m.member.id: records(m.entry.commit, m.site) for m in found}
    unread = {m.id for m in catalog.members} - set(teams)
    for m in found:
        between = [r for r in m.cross_refs if r.team != ORGANISATION]
        problems += [d.problem for d in dangling(m.member.id, between, teams, unread)]
    to_organisation = tuple((m.member.id, r) for m in found for r in m.cross_refs if r.team == ORGANISATION)
    catalogs = {ORGANISATION: catalog, **{m.member.id: m.site.catalog for m in found}}
    problems += backstage_disagreements(catalogs, {m.member.id: m.cross_refs for m in found})
    merged, federation = merge(
        catalog,
        [(m.member, m.entry.commit, m.site.catalog) for m in found],
        pages={m.member.id: m.site.pages for m in found},
    )
    index = {m.id: i for i, m in enumerate(catalog.members)}
    written = {m.member.id: m.site.catalog.team.name for m in found}
    for team in federation.teams:
        if team.name != written[team.id]:
            at = checked.at("members", index[team.id], "id")
            problems.append(
                Problem(
                    at,
                    f"{team.id}'s team is named '{printable(written[team.id])}' in its catalog, like "
                    f"{'the organisation' if looks_alike(written[team.id], catalog.team.name) else 'another member'}"
                    f"'s team: its records are labelled '{printable(team.name)}', so that readers can tell whose "
                    "promises they are",
                    "the team should give itself a name of its own (team: name: in its catalog.yaml)",
                    Severity.WARNING,
                    source.line(at.line),
                    kind="team-named-alike",
                )
            )
    problems += _owned_by_another(checked, source, catalog.team.name, found, index)
    for conflict in federation.conflicts:
        # at the entry of the first member involved (the organisation's own catalog has none)
        first = next((index[m] for m in conflict.members if m in index), None)
        at = checked.at("members", first, "id") if first is not None else checked.at("members")
        problems.append(
            Problem(
                at,
                f"teams disagree: {conflict.message}",
                "the organisation site shows this to readers on its Teams page"
                + (" and on each team's decision on the tool" if conflict.kind == "tool" else "")
                + _how_to_agree(conflict),
                Severity.WARNING,
                source.line(at.line),
                kind="teams-disagree",
            )
        )
    pages = tuple(
        p for m in found for p in scoped_pages(m.member.id, m.site.pages, shown_path(m.member.id, m.entry.commit))
    )
    files = tuple(f for m in found for f in m.files)
    return Gathered(merged, federation, problems, pages, files, to_organisation, catalog)


def _owned_by_another(
    checked: Checked[model.Catalog],
    source: SourceText,
    own: str,
    found: Sequence[MemberSite],
    index: Mapping[str, int],
) -> list[Problem]:
    """A member offering whose `owner` names another team (the organisation's, another member's)
    than its own: its page reads "Owner: Platform Team · Team: Database Team", and a reader takes
    the organisation for the one who answers for it."""
    teams = [(ORGANISATION, own), *((m.member.id, m.site.catalog.team.name) for m in found)]
    problems = []
    for m in found:
        for o in m.site.catalog.offerings:
            other = next(
                (
                    (ident, name)
                    for ident, name in teams
                    if ident != m.member.id
                    and looks_alike(o.owner, name)
                    and not looks_alike(o.owner, m.site.catalog.team.name)
                ),
                None,
            )
            if other is None:
                continue
            whose = "the organisation's team" if other[0] == ORGANISATION else f"the team of member {other[0]}"
            at = checked.at("members", index[m.member.id], "id")
            problems.append(
                Problem(
                    at,
                    f"{m.member.id}'s offering '{o.id}' names '{printable(o.owner)}', {whose}, as its owner: its page "
                    "reads as if that team answered for it",
                    f"{m.member.id} should name someone of its own team as the owner",
                    Severity.WARNING,
                    source.line(at.line),
                    kind="owned-by-another-team",
                )
            )
    return problems


# What the organisation's catalog and pages report of a reference to a record that is not there
# (catalog/validate.py `_Check.ref`, content/markdown.py `_link`), with the name referred to.
_NOT_THERE = re.compile(
    r"(?:unknown (?:offering|tool|tool or offering|policy page)|broken link: no (?:offering|tool|page)) '([^']*)'"
)


def unjudged(
    problems: Sequence[Problem], catalog: model.Catalog | None, federation: model.Federation | None
) -> list[Problem]:
    """`problems` without those about the organisation's references to the records of a member
    that could not be read (not fetched, its lock entry wrong: its own error says so and what to
    do), which would bury that one error under one per reference."""
    read = {t.id for t in federation.teams} if federation is not None else set()
    unread = {m.id for m in catalog.members} - read if catalog is not None else set()
    if not unread:
        return list(problems)
    return [
        p
        for p in problems
        if not ((m := _NOT_THERE.match(p.message)) and m[1].partition("/")[0] in unread and "/" in m[1])
    ]


def _how_to_agree(conflict: model.Conflict) -> str:
    """What the teams do about a disagreement, the end of its warning's hint: said in their own
    catalogs, taken in by `federate update` (newuser23: "should agree" said neither what nor where;
    two `init --team` starters claim the same offering id)."""
    if conflict.kind == "tool":
        return (
            "; to agree, a team changes its decision (status:) in its own catalog.yaml, "
            "then `servicebook federate update`"
        )
    keeper = next((m for m in conflict.members if m), "organisation")
    return (
        "; to agree, all teams but one rename theirs in their own catalog.yaml (renamed_from: keeps old links "
        "working), or, where it is one offering, the others drop theirs and name it "
        f"(depends_on: [{keeper}/{conflict.subject}]); then `servicebook federate update`"
    )
