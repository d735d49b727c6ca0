"""View models: what each page template is given, derived from the model by pure functions.

Templates never compute: cross-links (who depends on whom, which offerings use a tool), error
budgets, effective support and labels are worked out here once, in a deterministic order.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servicebook import routes
from servicebook.catalog import crossrefs, model
from servicebook.catalog.slo import (
    ErrorBudget,
    effective_support,
    error_budget,
    format_minutes,
    format_percent,
    hours_text,
)
from servicebook.catalog.validate import parse_days
from servicebook.site.measured import MeasuredView, measured_views

LIFECYCLE_LABELS = {
    model.Lifecycle.BETA: "Beta",
    model.Lifecycle.GA: "Generally available",
    model.Lifecycle.DEPRECATED: "Deprecated",
    model.Lifecycle.RETIRED: "Retired",
}
STATUS_LABELS = {
    model.ToolStatus.SUPPORTED: "Supported",
    model.ToolStatus.BEST_EFFORT: "Best effort",
    model.ToolStatus.DEPRECATED: "Deprecated",
    model.ToolStatus.UNSUPPORTED: "Unsupported",
}
STATUS_MEANING = {
    model.ToolStatus.SUPPORTED: "We run it, keep it patched and answer questions about it under our response targets.",
    model.ToolStatus.BEST_EFFORT: "You may use it; we help when we can, without response targets.",
    model.ToolStatus.DEPRECATED: "Still works today; plan your move to the alternative.",
    model.ToolStatus.UNSUPPORTED: "We do not run it or help with it. Use the alternative.",
}
AUDIENCE_LABELS = {model.Audience.BUSINESS: "Business", model.Audience.DEVELOPERS: "Developers"}
CHANNEL_LABELS = {
    model.ChannelKind.CHAT: "Chat",
    model.ChannelKind.EMAIL: "E-mail",
    model.ChannelKind.TICKET: "Ticket",
    model.ChannelKind.PHONE: "Phone",
    model.ChannelKind.PAGER: "Pager",
    model.ChannelKind.WEB: "Web",
}


@dataclass(frozen=True, slots=True)
class SLOView:
    slo: model.SLO
    objective: str  # "99.9 %"
    budget: ErrorBudget
    measured: MeasuredView | None = None  # the latest snapshot's figures, if one has the SLO


@dataclass(frozen=True, slots=True)
class SeverityView:
    severity: model.Severity
    response: str  # "15 min"
    coverage: str


@dataclass(frozen=True, slots=True)
class SupportView:
    support: model.Support
    hours: str  # "Mon–Fri 08:00–18:00 (Europe/Zurich)"
    severities: tuple[SeverityView, ...]
    overridden: tuple[str, ...]  # which parts differ from the team's
    days: tuple[str, ...] = ()  # the business hours' week days ("mon" … "sun"), for "open now?"


@dataclass(frozen=True, slots=True)
class ToolRef:
    id: str
    name: str
    url: str  # site path, e.g. "tools/jest/"
    kind: str  # "tool" or "offering"
    status: str  # label


@dataclass(frozen=True, slots=True)
class ToolView:
    tool: model.Tool
    path: str
    status: str
    status_class: str
    meaning: str
    category: model.Category
    alternative: ToolRef | None
    migration: model.Page | None
    used_by: tuple[OfferingLink, ...]
    policies: tuple[model.Page, ...]


@dataclass(frozen=True, slots=True)
class OfferingLink:
    id: str
    name: str
    path: str
    lifecycle: str


@dataclass(frozen=True, slots=True)
class OfferingView:
    offering: model.Offering
    path: str
    lifecycle: str
    audience: tuple[str, ...]
    slos: tuple[SLOView, ...]
    support: SupportView
    tools: tuple[ToolView, ...] = field(default=())
    depends_on: tuple[OfferingLink, ...] = field(default=())
    used_by: tuple[OfferingLink, ...] = field(default=())
    policies: tuple[model.Page, ...] = field(default=())
    replaced_by: OfferingLink | None = None


@dataclass(frozen=True, slots=True)
class CategoryView:
    category: model.Category
    by_status: tuple[tuple[str, str, tuple[ToolView, ...]], ...]  # (status value, label, tools)


@dataclass(frozen=True, slots=True)
class SiteView:
    """Everything the templates see, built once per build."""

    site: model.SiteContent
    offerings: tuple[OfferingView, ...]
    tools: tuple[ToolView, ...]
    categories: tuple[CategoryView, ...]
    unsupported: tuple[ToolView, ...]  # unsupported first, then deprecated
    pages: tuple[model.Page, ...]  # policies index order
    support: SupportView
    lifecycle_counts: tuple[tuple[str, str, int], ...]
    status_counts: tuple[tuple[str, str, int], ...]
    # by id, so that a page template finds one entry without scanning all of them (O(1), not O(n))
    offering_by_id: Mapping[str, OfferingView] = field(default_factory=dict)
    tool_by_id: Mapping[str, ToolView] = field(default_factory=dict)
    # the SLOs page: every SLO of an offering not retired, least error budget left first (as
    # the latest snapshot measured it), then those without figures, in catalog order
    slos_by_budget: tuple[tuple[OfferingView, SLOView], ...] = ()


def support_view(team: model.Support, override: model.SupportOverride | None) -> SupportView:
    support = effective_support(team, override)
    overridden: tuple[str, ...] = ()
    if override is not None:
        overridden = tuple(
            name
            for name in ("hours", "channels", "severities", "oncall", "escalation")
            if getattr(override, name) is not None
        )
    severities = tuple(
        SeverityView(s, format_minutes(s.response), "24×7" if s.coverage is model.Coverage.ALWAYS else "business hours")
        for s in support.severities
    )
    days = parse_days(support.hours.days) or ()
    return SupportView(support, hours_text(support.hours), severities, overridden, days)


def _link(o: model.Offering) -> OfferingLink:
    return OfferingLink(o.id, o.name, routes.offering(o.id), LIFECYCLE_LABELS[o.lifecycle])


def site_view(site: model.SiteContent) -> SiteView:
    catalog = site.catalog
    measured = measured_views(site.snapshots, site.build.date, catalog.site.measurements_stale_after)
    offerings = {o.id: o for o in catalog.offerings}
    tools = {t.id: t for t in catalog.tools}
    categories = {c.id: c for c in catalog.categories}
    pages = {p.slug: p for p in site.pages}
    used_by: dict[str, list[model.Offering]] = {}
    tool_users: dict[str, list[model.Offering]] = {}
    for o in catalog.offerings:
        for dep in o.depends_on:
            used_by.setdefault(dep, []).append(o)
        for t in o.tools:
            tool_users.setdefault(t, []).append(o)
    tool_pages: dict[str, list[model.Page]] = {}
    for p in site.pages:
        for t in p.meta.tools:
            tool_pages.setdefault(t, []).append(p)

    def linked(ident: str) -> OfferingLink:
        if ident in offerings:
            return _link(offerings[ident])
        # another member team's offering (catalog/crossrefs.py): on the organisation site
        url = routes.absolute_url(catalog.organisation or "", routes.cross_team("offering", ident))
        return OfferingLink(ident, ident, url, "")

    def alternative(t: model.Tool) -> ToolRef | None:
        if t.alternative is None:
            return None
        if t.alternative not in tools and t.alternative not in offerings:  # another member team's
            kind, name = crossrefs.alternative(t.alternative)  # tool:db-team/pgbouncer is its tool
            url = routes.absolute_url(catalog.organisation or "", routes.cross_team(kind, name))
            return ToolRef(name, name, url, kind, "")
        if t.alternative in tools:
            alt = tools[t.alternative]
            return ToolRef(alt.id, alt.name, routes.tool(alt.id), "tool", STATUS_LABELS[alt.status])
        off = offerings[t.alternative]
        return ToolRef(off.id, off.name, routes.offering(off.id), "offering", LIFECYCLE_LABELS[off.lifecycle])

    tool_views = {
        t.id: ToolView(
            tool=t,
            path=routes.tool(t.id),
            status=STATUS_LABELS[t.status],
            status_class=t.status.value,
            meaning=STATUS_MEANING[t.status],
            category=categories[t.category],
            alternative=alternative(t),
            migration=pages.get(t.migration) if t.migration else None,
            used_by=tuple(_link(o) for o in sorted(tool_users.get(t.id, []), key=_name_key)),
            policies=tuple(tool_pages.get(t.id, [])),
        )
        for t in catalog.tools
    }
    ordered_tools = tuple(sorted(tool_views.values(), key=lambda v: (v.tool.name.casefold(), v.tool.id)))
    offering_views = tuple(
        OfferingView(
            offering=o,
            path=routes.offering(o.id),
            lifecycle=LIFECYCLE_LABELS[o.lifecycle],
            audience=tuple(AUDIENCE_LABELS[a] for a in o.audience),
            slos=tuple(
                SLOView(s, format_percent(s.objective), error_budget(s), measured.get((o.id, s.id))) for s in o.slos
            ),
            support=support_view(catalog.support, o.support),
            tools=tuple(sorted((tool_views[t] for t in o.tools), key=_tool_order)),
            depends_on=tuple(linked(d) for d in o.depends_on),
            used_by=tuple(_link(u) for u in sorted(used_by.get(o.id, []), key=_name_key)),
            policies=tuple(pages[p] for p in o.policies),
            replaced_by=linked(o.replaced_by) if o.replaced_by is not None else None,
        )
        for o in sorted(catalog.offerings, key=lambda o: (list(model.Lifecycle).index(o.lifecycle), _name_key(o)))
    )
    category_views = tuple(
        CategoryView(
            c,
            tuple(
                (
                    status.value,
                    STATUS_LABELS[status],
                    tuple(v for v in ordered_tools if v.tool.category == c.id and v.tool.status is status),
                )
                for status in model.ToolStatus
            ),
        )
        for c in catalog.categories
    )
    unsupported = tuple(
        sorted(
            (v for v in ordered_tools if v.tool.status in (model.ToolStatus.UNSUPPORTED, model.ToolStatus.DEPRECATED)),
            key=_tool_order,
        )
    )
    return SiteView(
        site=site,
        offerings=offering_views,
        tools=ordered_tools,
        categories=category_views,
        unsupported=unsupported,
        pages=tuple(sorted(site.pages, key=lambda p: (p.meta.order, p.meta.title.casefold(), p.slug))),
        support=support_view(catalog.support, None),
        lifecycle_counts=_counts([o.lifecycle for o in catalog.offerings], LIFECYCLE_LABELS),
        status_counts=_counts([t.status for t in catalog.tools], STATUS_LABELS),
        offering_by_id={v.offering.id: v for v in offering_views},
        tool_by_id=tool_views,
        slos_by_budget=_by_budget_left(offering_views),
    )


def _by_budget_left(offerings: Sequence[OfferingView]) -> tuple[tuple[OfferingView, SLOView], ...]:
    rows = [(o, s) for o in offerings if o.offering.lifecycle is not model.Lifecycle.RETIRED for s in o.slos]

    def left(row: tuple[OfferingView, SLOView]) -> tuple[int, float]:
        remaining = row[1].measured.budget_remaining if row[1].measured is not None else None
        return (0, remaining) if remaining is not None else (1, 0.0)

    return tuple(sorted(rows, key=left))  # stable: ties and SLOs without figures keep catalog order


def _name_key(o: model.Offering) -> tuple[str, str]:
    return (o.name.casefold(), o.id)


def _tool_order(v: ToolView) -> tuple[int, str, str]:
    return (list(model.ToolStatus).index(v.tool.status), v.tool.name.casefold(), v.tool.id)


def _counts(values: Sequence[enum.Enum], labels: Mapping[Any, str]) -> tuple[tuple[str, str, int], ...]:
    return tuple((key.value, label, sum(1 for v in values if v is key)) for key, label in labels.items())
