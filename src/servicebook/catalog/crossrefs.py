"""References of a member team's catalog and pages to another member team's records,
`<member>/<id>` (`depends_on: [db-team/postgres]`, `[Postgres](offering:db-team/postgres)`), or to
the organisation's own, `organisation/<id>`: what one is, and where each was written. A tool's
alternative names another team's tool as `tool:db-team/pgbouncer` (its offering as
`db-team/postgres`). A catalog that names its organisation (`organisation:`) may make them; only
the organisation site, which reads every member at its locked commit, can check them
(federation/crossrefs.py), so the member's own check accepts them as written."""

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
# what may be named: a record of that kind, or a tool's alternative (a tool or an offering)
Named = Kind | Literal["alternative"]
Record = Literal["offering", "tool"]  # what an alternative names
_KIND_PREFIXES: dict[str, Record] = {"tool:": "tool", "offering:": "offering"}


def alternative(value: str) -> tuple[Record, str]:
    """What a tool's alternative naming another team's record names: `tool:db-team/pgbouncer` its
    tool, `db-team/postgres` (or `offering:db-team/postgres`) its offering; (kind, name)."""
    for prefix, kind in _KIND_PREFIXES.items():
        if value.startswith(prefix):
            return kind, value[len(prefix) :]
    return "offering", value


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


def names_another_team(value: str, kind: Named, own_pages: Collection[str] = ()) -> bool:
    """Whether `value` names another team's record: `<member>/<id>` for an offering or a tool
    (`organisation/<id>` for the organisation's own), `<member>/<path>` for a page, whose first
    part is not a folder of this site's own pages (`guides/setup` in content/guides/ stays this
    site's own page, and a typo in it an error); for an alternative, either kind, the tool's
    as `tool:<member>/<id>`."""
    if kind == "alternative":
        kind, value = alternative(value)
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
    gives a source line by its number). None without `organisation:`. Each is named without its
    kind (`tool:db-team/pgbouncer` is the tool `db-team/pgbouncer`)."""
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
        if t.alternative is not None:  # another team's offering, or its tool: tool:db-team/pgbouncer
            add(*alternative(t.alternative), "tools", i, "alternative")
    return found
