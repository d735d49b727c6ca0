"""References of a member team's catalog and pages to another member team's records,
`<member>/<id>` (`depends_on: [db-team/postgres]`, `[Postgres](offering:db-team/postgres)`): what
one is, and where each was written. A catalog that names its organisation (`organisation:`) may
make them; only the organisation site, which reads every member at its locked commit, can check
them (federation/crossrefs.py), so the member's own check accepts them as written."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection
from typing import Literal

from servicebook.catalog import model
from servicebook.errors import SourceLocation

_PART_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # an id, as validate.ID_RE
_PAGE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*")

Kind = Literal["offering", "tool", "page"]


@dataclasses.dataclass(frozen=True, slots=True)
class CrossRef:
    """One reference to another team's record: its kind, the name as written
    (`db-team/postgres`), the #anchor of a link (or ""), and where it was written."""

    kind: Kind
    name: str
    anchor: str
    location: SourceLocation
    source_line: str | None = None

    @property
    def team(self) -> str:
        return self.name.partition("/")[0]

    def shown_as(self, show: Callable[[str], str]) -> CrossRef:
        """The same reference with its path as `show` gives it (see errors.Problem.shown_as)."""
        return dataclasses.replace(self, location=dataclasses.replace(self.location, path=show(self.location.path)))


def names_another_team(value: str, kind: Kind, own_pages: Collection[str] = ()) -> bool:
    """Whether `value` names another team's record: `<member>/<id>` for an offering or a tool,
    `<member>/<path>` for a page, whose first part is not a folder of this site's own pages
    (`guides/setup` in content/guides/ stays this site's own page, and a typo in it an error)."""
    team, slash, rest = value.partition("/")
    if not slash or not _PART_RE.fullmatch(team):
        return False
    if kind == "page":
        if value in own_pages or _PAGE_RE.fullmatch(rest) is None:
            return False
        return not any(p.startswith(team + "/") for p in own_pages)
    return _PART_RE.fullmatch(rest) is not None


def catalog_refs(
    catalog: model.Catalog,
    at: Callable[..., SourceLocation],
    page_slugs: Collection[str],
    line: Callable[[int], str | None] | None = None,
) -> list[CrossRef]:
    """Every reference of a catalog to another team's records, where it was written: the
    offerings' `depends_on` and `replaced_by`, the tools' `alternative` (`at` gives where the
    value at a path was written, as validate's `Checked.at`; `page_slugs`: its own pages; `line`
    gives a source line by its number). None without `organisation:`."""
    if catalog.organisation is None:
        return []
    found: list[CrossRef] = []

    def add(kind: Kind, value: str | None, *path: str | int) -> None:
        if value is not None and names_another_team(value, kind, page_slugs):
            where = at(*path)
            found.append(CrossRef(kind, value, "", where, line(where.line) if line is not None else None))

    for i, o in enumerate(catalog.offerings):
        for j, dep in enumerate(o.depends_on):
            add("offering", dep, "offerings", i, "depends_on", j)
        add("offering", o.replaced_by, "offerings", i, "replaced_by")
    for i, t in enumerate(catalog.tools):
        add("offering", t.alternative, "tools", i, "alternative")  # another team's offering, not its tool
    return found
