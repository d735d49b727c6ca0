"""The client-side search index: what the browser's search looks through, built from the view models.

One compact JSON document (`routes.SEARCH_INDEX`) holds a record per offering, SLO, tool decision,
policy page and fixed page. Records carry only what a result shows (title, where it goes, a line of
text, a status and what to use instead), so the index stays small for large catalogs and the
search script needs nothing else. URLs are site paths ("offerings/ci/"); the script makes them
relative to the page it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servicebook import routes
from servicebook.site.views import SiteView, ToolRef, ToolView

INDEX_VERSION = 1
EXCERPT_CHARS = 240
MAX_HEADINGS = 24

# Record kinds, spelled out once: the script and the A-Z index label results with these.
KIND_LABELS = {
    "offering": "Offering",
    "slo": "SLO",
    "tool": "Tool",
    "policy": "Policy",
    "page": "Page",
}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text` with whitespace collapsed, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:—-– ")
    return cut + "…"


def _tool_record(t: ToolView) -> dict[str, Any]:
    record: dict[str, Any] = {
        "k": "tool",
        "t": t.tool.name,
        "u": t.path,
        "s": excerpt(t.tool.reason),
        "x": " ".join([t.tool.id, t.category.name, *t.tool.renamed_from]),
        "st": t.tool.status.value,
        "sl": t.status,
    }
    if t.alternative is not None:
        record["a"] = {"t": t.alternative.name, "u": t.alternative.url}
    if t.migration is not None:
        record["m"] = {"t": t.migration.meta.title, "u": routes.policy(t.migration.slug)}
    return record


def search_index(view: SiteView) -> dict[str, Any]:
    """The index document; records in the site's own order (offerings, SLOs, tools, policies, pages)."""
    catalog = view.site.catalog
    records: list[dict[str, Any]] = []
    for o in view.offerings:
        off = o.offering
        offering: dict[str, Any] = {
            "k": "offering",
            "t": off.name,
            "u": o.path,
            "s": off.summary,
            "x": " ".join([off.id, off.owner, f"tier {off.tier.value}", *o.audience, *off.renamed_from]),
            "st": off.lifecycle.value,
            "sl": o.lifecycle,
        }
        if o.replaced_by is not None:
            offering["a"] = {"t": o.replaced_by.name, "u": o.replaced_by.path}
        records.append(offering)
    for o in view.offerings:
        for s in o.slos:
            records.append(
                {
                    "k": "slo",
                    "t": f"{o.offering.name}: {s.slo.name}",
                    "u": f"{o.path}#slo-{s.slo.id}",
                    "s": f"{s.objective} over {s.budget.window_text}, error budget {s.budget.text}. {s.slo.sli}",
                    "x": "slo objective error budget",
                }
            )
    records.extend(_tool_record(t) for t in view.tools)
    for p in view.pages:
        record: dict[str, Any] = {
            "k": "policy",
            "t": p.meta.title,
            "u": routes.policy(p.slug),
            "s": excerpt(p.meta.summary or p.text),
        }
        headings = [[h.text, h.anchor] for h in p.headings if h.level in (2, 3)][:MAX_HEADINGS]
        if headings:
            record["h"] = headings
        if p.meta.owner:
            record["x"] = p.meta.owner
        records.append(record)
    channels = ", ".join(c.name for c in view.support.support.channels)
    for sev in view.support.severities:
        severity = sev.severity
        records.append(
            {
                "k": "page",
                "t": f"{severity.id}: {severity.name}",
                "u": f"{routes.page('support')}#severity-{severity.id}",
                "s": f"{severity.description} First response: {sev.response} ({sev.coverage}).",
                "x": "severity response incident",
            }
        )
    support = view.support.support
    if support.oncall is not None:  # the parts of the support page people ask for by name
        records.append(
            {
                "k": "page",
                "t": "On call: help out of hours",
                "u": f"{routes.page('support')}#on-call",
                "s": excerpt(f"{support.oncall.summary} {support.oncall.how}"),
                "x": "on-call oncall pager paging incident outage night weekend",
            }
        )
    if support.escalation:
        records.append(
            {
                "k": "page",
                "t": "Escalation: when help is not enough",
                "u": f"{routes.page('support')}#escalation",
                "s": excerpt(" ".join(support.escalation)),
                "x": "escalate escalation manager complaint",
            }
        )
    # the fixed pages that have a record (routes.py), those every build has: a release has no others
    texts = {"support": f"{view.support.hours}. {channels}."}  # made of the catalog rather than fixed
    records += [
        {
            "k": "page",
            "t": page.search.title,
            "u": page.url,
            "s": texts.get(page.name, page.search.text),
            "x": page.search.words,
        }
        for page in routes.fixed_pages(history=False, releases=False)
        if page.search is not None
    ]
    _label_teams(view, records)
    return {"servicebook_search": INDEX_VERSION, "catalog_version": catalog.version, "records": records}


def _label_teams(view: SiteView, records: list[dict[str, Any]]) -> None:
    """On an organisation site: each member's offerings, SLOs and tools say their team (two teams'
    "Kafka" are told apart), and each team's page has a record."""
    federation = view.site.federation
    if federation is None:
        return
    names = {t.id: t.name for t in federation.teams}
    for record in records:
        parts = record["u"].split("/")
        if len(parts) == 4 and parts[0] in ("offerings", "tools") and parts[1] in names:
            team = names[parts[1]]
            record["t"] = f"{record['t']} ({team})"
            record["x"] = f"{record.get('x', '')} {team}".strip()
    records += [
        {"k": "page", "t": f"Team: {t.name}", "u": routes.team(t.id), "s": excerpt(t.mission), "x": f"team {t.id}"}
        for t in federation.teams
    ]


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
            )
        )
    for t in view.tools:
        entries.append(
            IndexEntry(
                t.tool.name, t.path, "tool", t.category.name, f"status-{t.status_class}", t.status, t.alternative
            )
        )
    for p in view.pages:
        entries.append(IndexEntry(p.meta.title, routes.policy(p.slug), "policy", p.meta.summary or "", "", "", None))
    entries.sort(key=lambda e: (e.title.casefold(), e.kind, e.url))
    groups: dict[str, list[IndexEntry]] = {}
    for e in entries:
        first = e.title[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(e)
    return tuple((letter, tuple(items)) for letter, items in sorted(groups.items()))
