"""What a build of an organisation site adds to loading: its members read at their locked commits
(from the cache, never the network), merged into its catalog, and the teams' disagreements as
warnings."""

from __future__ import annotations

from pathlib import Path

from servicebook.catalog import model
from servicebook.catalog.validate import Checked
from servicebook.errors import Problem, Severity
from servicebook.federation.lock import read_lock
from servicebook.federation.members import Loader, check_members, read_members
from servicebook.federation.merge import merge
from servicebook.source.yaml import SourceText


def assemble(
    root: Path,
    source: SourceText,
    checked: Checked[model.Catalog],
    generator: str,
    loader: Loader,
    cache: Path | None = None,
) -> tuple[model.Catalog, model.Federation | None, list[Problem]]:
    """The organisation's catalog with its members' records, the members as built, and every
    problem found; the catalog as it was (and no federation) when it has no members. The members
    are read from the .servicebook-cache/ of `cache` (default: `root`; a past release, exported
    to a scratch folder, reads the site's)."""
    catalog = checked.value
    if not catalog.members:
        return catalog, None, []
    problems = check_members(source, checked)
    if any(p.severity is Severity.ERROR for p in problems):
        return catalog, None, problems
    lock, lock_problems = read_lock(root)
    problems += lock_problems
    if lock_problems:
        return catalog, None, problems
    found, member_problems = read_members(cache or root, source, checked, lock, generator, loader)
    problems += member_problems
    merged, federation = merge(catalog, [(m.member, m.entry.commit, m.site.catalog) for m in found])
    index = {m.id: i for i, m in enumerate(catalog.members)}
    for conflict in federation.conflicts:
        # at the entry of the first member involved (the organisation's own catalog has none)
        first = next((index[m] for m in conflict.members if m in index), None)
        at = checked.at("members", first, "id") if first is not None else checked.at("members")
        problems.append(
            Problem(
                at,
                f"teams disagree: {conflict.message}",
                "the organisation site shows this to readers on its Teams page; the teams should agree on one answer",
                Severity.WARNING,
                source.line(at.line),
            )
        )
    return merged, federation, problems
