"""The A to Z list of the search page: every offering, tool decision and policy page by first
letter (what readers without JavaScript get)."""

from __future__ import annotations

from dataclasses import dataclass

from servicebook import routes
from servicebook.site.views import SiteView, ToolRef


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One line of the A-Z index on the search page (what readers without JavaScript get)."""

    title: str
    url: str
    kind: str  # a KIND_LABELS key
    note: str  # status, summary or SLO list
    status: str  # CSS class suffix for the badge ("" for none)
    status_label: str
    alternative: ToolRef | None
    formerly: tuple[str, ...] = ()  # its old ids or slugs (renamed_from), so a find for an old name finds it


def a_to_z(view: SiteView) -> tuple[tuple[str, tuple[IndexEntry, ...]], ...]:
    """Every offering, tool decision and policy page, alphabetically, grouped by first letter."""
    entries: list[IndexEntry] = []
    for o in view.offerings:
        entries.append(
            IndexEntry(
                o.offering.name,
                o.path,
                "offering",
                o.offering.summary,
                f"lifecycle-{o.offering.lifecycle.value}",
                o.lifecycle,
                None,
                o.offering.renamed_from,
            )
        )
    for t in view.tools:
        entries.append(
            IndexEntry(
                t.tool.name,
                t.path,
                "tool",
                t.category.name,
                f"status-{t.status_class}",
                t.status,
                t.alternative,
                t.tool.renamed_from,
            )
        )
    for p in view.pages:
        entries.append(
            IndexEntry(
                p.meta.title, routes.policy(p.slug), "policy", p.meta.summary or "", "", "", None, p.meta.renamed_from
            )
        )
    entries.sort(key=lambda e: (e.title.casefold(), e.kind, e.url))
    groups: dict[str, list[IndexEntry]] = {}
    for e in entries:
        first = e.title[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(e)
    return tuple((letter, tuple(items)) for letter, items in sorted(groups.items()))
