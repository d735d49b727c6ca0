"""View models: what each page template is given, derived from the model by pure functions.

Templates never compute: cross-links (who depends on whom, which offerings use a tool), error
budgets, effective support and labels are worked out here once, in a deterministic order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from servicebook import routes
from servicebook.catalog import crossrefs, model
from servicebook.catalog.slo import (
    ErrorBudget,
    calendar_start,
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
    starts: str | None = None  # a calendar window's: "from Monday 00:00 (Europe/Zurich)"


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
    overdue: bool = False  # its review_by is before the build's date: the decision is due for review


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
    # the latest snapshot measured it), then those with too little data to judge, then those
    # without figures, in catalog order
    slos_by_budget: tuple[tuple[OfferingView, SLOView], ...] = ()


_V = TypeVar("_V")


class ViewMemo:
    """The views the last site view was made of, by what each was made from, so that the next
    one (the next release's: consecutive releases share most of their catalog's records as the
    very same objects, catalog/records.py) takes the same view objects wherever their inputs are
    the same; then what is kept by identity for the last release (stamps.Carried: its page keys)
    holds for the next. A view is taken only when every input is the very object it was made
    from, or the same text: views are pure functions of their inputs, so it is the view that
    would be made. Only the last site view's and the current one's are held (the inputs with
    them, so that no id is reused while they are), which bounds the memory."""

    __slots__ = ("_keys_last", "_keys_now", "_last", "_now", "pages", "site")

    def __init__(self) -> None:
        self._last: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._now: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        # the keys of the long tuples among the inputs (a tool's policy pages: `_PagesMade.by_tool`
        # keeps them), by id, with the tuple (held, so that no id is reused while it is)
        self._keys_last: dict[int, tuple[tuple[Any, ...], object]] = {}
        self._keys_now: dict[int, tuple[tuple[Any, ...], object]] = {}
        # what the last site view made of the site's pages (`_by_pages`)
        self.pages: PagesMade | None = None
        # the last site view, with what it was made of (`site_view` patches it)
        self.site: _SiteMade | None = None

    def start(self) -> None:
        """A new site view begins: the one made last is what it may share."""
        if self._now:
            self._last, self._now = self._now, {}
            self._keys_last, self._keys_now = self._keys_now, {}

    def get(self, inputs: tuple[Any, ...], make: Callable[[], _V]) -> _V:
        """The view made from `inputs` (texts by their value, anything else by identity)."""
        view: _V = self._keyed(inputs, make)[1]
        return view

    def _keyed(self, inputs: tuple[Any, ...], make: Callable[[], _V]) -> tuple[tuple[Any, ...], _V]:
        """`get`, with the key the view is held under."""
        key = tuple(map(self._identity, inputs))
        found = self._now.get(key)
        if found is None:
            found = self._last.get(key)
            if found is None:
                found = (inputs, make())
            self._now[key] = found
        view: _V = found[1]
        return key, view

    def replace(self, old: object, key: tuple[Any, ...], new_key: tuple[Any, ...], new: object) -> None:
        """A view a patched site view (`site_view`) made again in place of `old`, held under
        `key`: `old` let go (and the keys of its long tuples that `new` does not hold), so that a
        session of edits holds as many views as its catalog has, not one more for each edit."""
        if new_key != key:
            self._now.pop(key, None)
        held = set(map(id, _fields(new)))
        for value in _fields(old):
            if type(value) is tuple and len(value) >= _LONG and id(value) not in held:
                self._keys_now.pop(id(value), None)

    def _identity(self, value: object) -> object:
        """`_by_identity(value)`; of a long tuple that an input of the last view was too (the very
        object), the key it had then (a tool's policy pages, ~80 each at 20,000 pages: each id
        again for each of its tools, a rebuild)."""
        if type(value) is not tuple or len(value) < _LONG:
            return _by_identity(value)
        known = self._keys_now.get(id(value)) or self._keys_last.get(id(value))
        if known is None or known[0] is not value:
            known = (value, _by_identity(value))
        self._keys_now[id(value)] = known
        return known[1]

    def same(self, value: _V) -> _V:
        """`value`, or the object the memo holds that reads the same (type and `repr`, which
        tells 1 from 1.0 and True, and Decimal("1.0") from Decimal("1.00")): the parts of a
        catalog read again with its top-level settings (the categories, the team's support)
        are new objects in every release, though most are the same as in the release before."""
        return self.get(("same", type(value), repr(value)), lambda: value)

    def made(self, cls: Callable[..., _V], *fields: Any) -> _V:
        """`cls(*fields)`, or the view this memo holds that was made of the very same fields."""
        return self.get((cls, *fields), lambda: cls(*fields))

    def made_keyed(self, cls: Callable[..., _V], *fields: Any) -> tuple[tuple[Any, ...], _V]:
        """`made`, with the key the view is held under. The long tuples among `fields` that the
        view does not hold (it was made of others with the same items) are not kept by id: a
        patched site view (`site_view`) does not begin a new generation of the memo."""
        before = len(self._keys_now)
        key, view = self._keyed((cls, *fields), lambda: cls(*fields))
        added = len(self._keys_now) - before
        if added:
            held = set(map(id, _fields(view)))
            for known in list(itertools.islice(reversed(self._keys_now), added)):
                if known not in held:
                    del self._keys_now[known]
        return key, view


def _fields(view: object) -> tuple[Any, ...]:
    """The fields of a view (a dataclass with slots), in order."""
    return tuple(getattr(view, f.name) for f in dataclasses.fields(view))  # type: ignore[arg-type]


_LONG = 8  # a tuple input of this many items or more has its key kept (ViewMemo `_identity`)


def _by_identity(value: object) -> object:
    """How a view's input is compared: a text by its value (texts made anew, a path or a label,
    are the same text), a tuple by its items, anything else by its identity (the memo holds it)."""
    if type(value) is str:
        return value
    if type(value) is tuple:
        kinds = set(map(type, value))
        if str in kinds or tuple in kinds:
            return tuple(map(_by_identity, value))
        return tuple(map(id, value))  # (at once: a tool's policy pages, thousands at 20,000 pages)
    return id(value)


@dataclass(frozen=True, slots=True)
class PagesMade:
    """What a site view makes of the site's pages (`site.pages`, held): each by its slug, those
    that apply to each tool in the site's order, and all in the policies index's order, with each
    page's place in that order by its id (the pages are held, so the ids are theirs)."""

    pages: tuple[model.Page, ...]
    by_slug: dict[str, model.Page]
    by_tool: dict[str, tuple[model.Page, ...]]
    ordered: tuple[model.Page, ...]
    places: dict[int, int]


def _order(p: model.Page) -> tuple[int, str, str]:
    return (p.meta.order, p.meta.title.casefold(), p.slug)


def _pages_made(pages: tuple[model.Page, ...], last: PagesMade | None) -> PagesMade:
    """What a site view makes of `pages` (PagesMade). From the `last` one's, when as many pages
    are given and each that is not the very object at its place has the same slug and front
    matter (all that the three read of a page): the new pages put at the old ones' places (found
    at once; at 20,000 pages, made from nothing, they were ~25 ms of every `serve` rebuild)."""
    if last is not None and len(last.pages) == len(pages):
        changed = list(itertools.compress(range(len(pages)), map(operator.is_not, pages, last.pages)))
        if not changed:
            return dataclasses.replace(last, pages=pages)
        if all(pages[i].slug == last.pages[i].slug and pages[i].meta == last.pages[i].meta for i in changed):
            # the last one's dicts by slug and by id taken over and put right, not copied (20,000
            # entries each): the memo that gave `last` holds it alone, and replaces it by this one
            by_slug, in_order, places = last.by_slug, list(last.ordered), last.places
            tools = dict(last.by_tool)
            for i in changed:
                old, new = last.pages[i], pages[i]
                by_slug[new.slug] = new
                place = places.pop(id(old))
                in_order[place], places[id(new)] = new, place
                for t in new.meta.tools:
                    tools[t] = tuple(new if p is old else p for p in tools[t])
            return PagesMade(pages, by_slug, tools, tuple(in_order), places)
    listed: dict[str, list[model.Page]] = {}
    for p in pages:
        for t in p.meta.tools:
            listed.setdefault(t, []).append(p)
    by_tool = {t: tuple(found) for t, found in listed.items()}
    ordered = tuple(sorted(pages, key=_order))
    return PagesMade(pages, {p.slug: p for p in pages}, by_tool, ordered, {id(p): i for i, p in enumerate(ordered)})


def support_view(team: model.Support, override: model.SupportOverride | None) -> SupportView:
    support = effective_support(team, override)
    overridden: tuple[str, ...] = ()
    if override is not None:
        overridden = tuple(
            name
            for name in ("hours", "channels", "severities", "oncall", "escalation")
            # every part of a member team's own (an on-call it has not is not the organisation's)
            if getattr(override, name) is not None or isinstance(override, model.WholeSupport)
        )
    severities = tuple(
        SeverityView(s, format_minutes(s.response), "24×7" if s.coverage is model.Coverage.ALWAYS else "business hours")
        for s in support.severities
    )
    days = parse_days(support.hours.days) or ()
    return SupportView(support, hours_text(support.hours), severities, overridden, days)


def _link(o: model.Offering) -> OfferingLink:
    return OfferingLink(o.id, o.name, routes.offering(o.id), LIFECYCLE_LABELS[o.lifecycle])


@dataclass(frozen=True, slots=True)
class _SiteMade:
    """A site view (ViewMemo `site`) with what it was made of: the catalog (the very object),
    the measurements it showed, and the key each of its offering and tool views is held under
    in the memo, by the view's id (the view is held, so the id is its own)."""

    catalog: model.Catalog
    measured: Mapping[tuple[str, str], MeasuredView]
    view: SiteView
    keys: dict[int, tuple[Any, ...]]


def overdue_tools(catalog: model.Catalog, built: dt.datetime | None) -> frozenset[str]:
    """The tool decisions whose review_by is before the build's date (None: a build without a date
    judges none), which their views say: what the build's date makes of the review dates."""
    if built is None:
        return frozenset()
    today = built.date()
    return frozenset(t.id for t in catalog.tools if t.review_by is not None and t.review_by < today)


def site_view(site: model.SiteContent, memo: ViewMemo | None = None) -> SiteView:
    """The site's views; with a `memo` (a release's build, see ViewMemo), the offerings' and
    tools' views that the last site view made from the same inputs are that view's objects.
    While the catalog is the very one the memo's last site view was made of and shows the same
    measurements and tool decisions overdue for review (`serve`, after an edit of pages), that
    view is patched: only the tool views
    whose pages are not the very ones, and the offering views holding those tools or pages, are
    made again (the others are what the memo would give: at 20,000 pages, the 350 views' keys
    made again were ~15 ms of a rebuild)."""
    catalog = site.catalog
    shared = memo if memo is not None else ViewMemo()  # without one: one object for each offering's link
    measured = measured_views(site.snapshots, site.build.date, catalog.site.measurements_stale_after)
    last = shared.site
    overdue = overdue_tools(catalog, site.build.date)  # each tool decision's view says whether it is
    patch = (
        last is not None
        and last.catalog is catalog
        and last.measured == measured
        and overdue_tools(last.catalog, last.view.site.build.date) == overdue
    )
    if patch:
        assert last is not None
        measured = last.measured  # (the very views the SLOs' views were made of)
    else:
        shared.start()
    keys: dict[int, tuple[Any, ...]] = {}
    tool_views: dict[str, ToolView] = {}

    def link(o: model.Offering) -> OfferingLink:
        return shared.get(("link", o), lambda: _link(o))

    def slo_view(o: model.Offering, s: model.SLO) -> SLOView:
        shown = measured.get((o.id, s.id))
        starts = calendar_start(catalog, o, s)  # the same SLO in another time zone begins elsewhere

        def make() -> SLOView:
            return SLOView(s, format_percent(s.objective), error_budget(s), shown, starts)

        return shared.get(("slo", s, shown, starts), make)

    def support(override: model.SupportOverride | None) -> SupportView:
        return shared.get(("support", team, override), lambda: support_view(team, override))

    offerings = {o.id: o for o in catalog.offerings}
    tools = {t.id: t for t in catalog.tools}
    # asked of the memo once a view, not once for each offering and tool
    team = shared.same(catalog.support)
    categories = {c.id: shared.same(c) for c in catalog.categories}
    made = _pages_made(site.pages, shared.pages)
    shared.pages = made
    pages = made.by_slug
    used_by, tool_users = _users(catalog)
    tool_pages = made.by_tool

    def linked(ident: str) -> OfferingLink:
        if ident in offerings:
            return link(offerings[ident])
        # another member team's offering (catalog/crossrefs.py): on the organisation site
        url = routes.absolute_url(catalog.organisation or "", routes.cross_team("offering", ident))
        return OfferingLink(ident, ident, url, "")

    def alternative(t: model.Tool) -> ToolRef | None:
        ref = _alternative(t, tools, offerings, catalog.organisation)
        return None if ref is None else shared.made(ToolRef, ref.id, ref.name, ref.url, ref.kind, ref.status)

    def tool_view(t: model.Tool) -> ToolView:
        key, view = shared.made_keyed(
            ToolView,
            t,  # tool
            routes.tool(t.id),  # path
            STATUS_LABELS[t.status],  # status
            t.status.value,  # status_class
            STATUS_MEANING[t.status],  # meaning
            categories[t.category],  # category
            alternative(t),
            pages.get(t.migration) if t.migration else None,  # migration
            tuple(link(o) for o in sorted(tool_users.get(t.id, []), key=_name_key)),  # used_by
            tool_pages.get(t.id, ()),  # policies (the very tuple while its pages are: `_pages_made`)
            t.id in overdue,  # overdue
        )
        keys[id(view)] = key
        return view

    def offering_view(o: model.Offering) -> OfferingView:
        key, view = shared.made_keyed(
            OfferingView,
            o,  # offering
            routes.offering(o.id),  # path
            LIFECYCLE_LABELS[o.lifecycle],  # lifecycle
            tuple(AUDIENCE_LABELS[a] for a in o.audience),  # audience
            tuple(slo_view(o, s) for s in o.slos),  # slos
            support(o.support),
            tuple(sorted((tool_views[t] for t in o.tools), key=_tool_order)),  # tools
            tuple(linked(d) for d in o.depends_on),  # depends_on
            tuple(link(u) for u in sorted(used_by.get(o.id, []), key=_name_key)),  # used_by
            tuple(pages[p] for p in o.policies),  # policies
            linked(o.replaced_by) if o.replaced_by is not None else None,  # replaced_by
        )
        keys[id(view)] = key
        return view

    if last is not None and patch:
        view = _patched(site, last, made, (tool_view, tool_views), offering_view, keys, shared)
    else:
        tool_views.update((t.id, tool_view(t)) for t in catalog.tools)
        ordered_tools = tuple(sorted(tool_views.values(), key=lambda v: (v.tool.name.casefold(), v.tool.id)))
        offering_views = tuple(
            offering_view(o)
            for o in sorted(catalog.offerings, key=lambda o: (list(model.Lifecycle).index(o.lifecycle), _name_key(o)))
        )
        view = SiteView(
            site=site,
            offerings=offering_views,
            tools=ordered_tools,
            categories=_category_views(catalog, ordered_tools),
            unsupported=_unsupported(ordered_tools),
            pages=made.ordered,
            support=support_view(catalog.support, None),
            lifecycle_counts=_counts([o.lifecycle for o in catalog.offerings], LIFECYCLE_LABELS),
            status_counts=_counts(_standings(catalog.tools, site.federation is not None), STATUS_LABELS),
            offering_by_id={v.offering.id: v for v in offering_views},
            tool_by_id=tool_views,
            slos_by_budget=_by_budget_left(offering_views),
        )
    if memo is not None:
        shared.site = _SiteMade(catalog, measured, view, keys)
    return view


def _patched(
    site: model.SiteContent,
    last: _SiteMade,
    made: PagesMade,
    tools_made: tuple[Callable[[model.Tool], ToolView], dict[str, ToolView]],
    offering_view: Callable[[model.Offering], OfferingView],
    keys: dict[int, tuple[Any, ...]],
    memo: ViewMemo,
) -> SiteView:
    """`site_view` of `site` from the `last` one, made of the very same catalog and showing the
    same measurements: the tool views whose pages (`made`) are not the very ones they hold, and
    the offering views holding those tools or pages, made again (the memo lets the old ones go);
    the others, the orders and what is counted of the catalog, as they were. `tools_made`: how a
    tool view is made, and the dict of tool views by id to fill in."""
    catalog, was = site.catalog, last.view
    pages, tool_pages = made.by_slug, made.by_tool
    tool_view, tool_views = tools_made  # (the views `offering_view` takes its tools' from)
    tool_views.update(was.tool_by_id)
    keys.update(last.keys)
    changed_tools: set[str] = set()
    for t in catalog.tools:
        old = tool_views[t.id]
        migration = pages.get(t.migration) if t.migration else None
        # (the view may hold an earlier tuple of the very same pages, which the memo gave it)
        if _same_items(tool_pages.get(t.id, ()), old.policies) and migration is old.migration:
            continue
        tool_views[t.id] = new = tool_view(t)
        if new is not old:
            memo.replace(old, keys.pop(id(old)), keys[id(new)], new)
            changed_tools.add(t.id)
    offering_views = list(was.offerings)
    changed_offerings = False
    for n, old_offering in enumerate(was.offerings):
        o = old_offering.offering
        if changed_tools.isdisjoint(o.tools) and _same_items(
            tuple(map(pages.__getitem__, o.policies)), old_offering.policies
        ):
            continue
        offering_views[n] = new_offering = offering_view(o)
        if new_offering is not old_offering:
            memo.replace(old_offering, keys.pop(id(old_offering)), keys[id(new_offering)], new_offering)
            changed_offerings = True
    # (a tool's places in the lists are those of its name, status and category: the catalog's)
    swap = {id(was.tool_by_id[t]): tool_views[t] for t in changed_tools}
    offered = tuple(offering_views) if changed_offerings else was.offerings
    return dataclasses.replace(
        was,
        site=site,
        offerings=offered,
        tools=_swapped(was.tools, swap),
        categories=tuple(
            CategoryView(
                c.category, tuple((value, label, _swapped(views, swap)) for value, label, views in c.by_status)
            )
            for c in was.categories
        )
        if swap
        else was.categories,
        unsupported=_swapped(was.unsupported, swap),
        pages=made.ordered,
        offering_by_id={v.offering.id: v for v in offered} if changed_offerings else was.offering_by_id,
        tool_by_id=tool_views if changed_tools else was.tool_by_id,
        slos_by_budget=_by_budget_left(offered) if changed_offerings else was.slos_by_budget,
    )


def _swapped(views: tuple[ToolView, ...], swap: Mapping[int, ToolView]) -> tuple[ToolView, ...]:
    """`views` with each view whose id `swap` holds replaced by the one it gives (the very tuple
    when none is)."""
    if not swap or not any(map(swap.__contains__, map(id, views))):
        return views
    return tuple(swap.get(id(v), v) for v in views)


def _same_items(now: tuple[object, ...], was: tuple[object, ...]) -> bool:
    """Whether two tuples hold the very same objects, in order."""
    return now is was or (len(now) == len(was) and all(map(operator.is_, now, was)))


def _users(catalog: model.Catalog) -> tuple[dict[str, list[model.Offering]], dict[str, list[model.Offering]]]:
    """The offerings that depend on each offering, and those that use each tool, in catalog order."""
    used_by: dict[str, list[model.Offering]] = {}
    tool_users: dict[str, list[model.Offering]] = {}
    for o in catalog.offerings:
        for dep in o.depends_on:
            used_by.setdefault(dep, []).append(o)
        for t in o.tools:
            tool_users.setdefault(t, []).append(o)
    return used_by, tool_users


def _category_views(catalog: model.Catalog, ordered_tools: tuple[ToolView, ...]) -> tuple[CategoryView, ...]:
    return tuple(
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


def _unsupported(ordered_tools: tuple[ToolView, ...]) -> tuple[ToolView, ...]:
    return tuple(
        sorted(
            (v for v in ordered_tools if v.tool.status in (model.ToolStatus.UNSUPPORTED, model.ToolStatus.DEPRECATED)),
            key=_tool_order,
        )
    )


def _alternative(
    t: model.Tool, tools: Mapping[str, model.Tool], offerings: Mapping[str, model.Offering], organisation: str | None
) -> ToolRef | None:
    if t.alternative is None:
        return None
    if t.alternative not in tools and t.alternative not in offerings:  # another member team's
        kind, name = crossrefs.alternative(t.alternative)  # tool:db-team/pgbouncer is its tool
        url = routes.absolute_url(organisation or "", routes.cross_team(kind, name))
        return ToolRef(name, name, url, kind, "")
    if t.alternative in tools:
        alt = tools[t.alternative]
        return ToolRef(alt.id, alt.name, routes.tool(alt.id), "tool", STATUS_LABELS[alt.status])
    off = offerings[t.alternative]
    return ToolRef(off.id, off.name, routes.offering(off.id), "offering", LIFECYCLE_LABELS[off.lifecycle])


def _by_budget_left(offerings: Sequence[OfferingView]) -> tuple[tuple[OfferingView, SLOView], ...]:
    rows = [(o, s) for o in offerings if o.offering.lifecycle is not model.Lifecycle.RETIRED for s in o.slos]

    def left(row: tuple[OfferingView, SLOView]) -> tuple[int, float]:
        measured = row[1].measured
        remaining = measured.budget_remaining if measured is not None else None
        if remaining is None:
            return (2, 0.0)
        # figures from too little of the window judge nothing: after those that do
        return (1, remaining) if measured is not None and measured.too_little else (0, remaining)

    return tuple(sorted(rows, key=left))  # stable: ties and SLOs without figures keep catalog order


def _name_key(o: model.Offering) -> tuple[str, str]:
    return (o.name.casefold(), o.id)


def _tool_order(v: ToolView) -> tuple[int, str, str]:
    return (list(model.ToolStatus).index(v.tool.status), v.tool.name.casefold(), v.tool.id)


def _standings(tools: Sequence[model.Tool], federated: bool) -> list[model.ToolStatus]:
    """The status each tool counts under in the home page's "At a glance": each decision's; on an
    organisation site (`federated`) each tool once (one id across the teams), as the organisation
    decided it, organisation-wide, or as its member teams did where the organisation has not
    (each status they gave it once). A member team's support for a tool the organisation does not
    support made the organisation's home page count it among the supported tools; a tool each
    team leaves counted once a team."""
    if not federated:
        return [t.status for t in tools]
    own = {t.id: t.status for t in tools if "/" not in t.id}  # a member's is <member>/<id> (routes.member_scoped)
    members: dict[str, set[model.ToolStatus]] = {}
    for t in tools:
        ident = t.id.partition("/")[2]
        if ident and ident not in own:
            members.setdefault(ident, set()).add(t.status)
    return [*own.values(), *(status for given in members.values() for status in given)]


def _counts(values: Sequence[enum.Enum], labels: Mapping[Any, str]) -> tuple[tuple[str, str, int], ...]:
    return tuple((key.value, label, sum(1 for v in values if v is key)) for key, label in labels.items())


def shown_per_page(
    show: Callable[[Any], Any], pages: Sequence[Any], read: Sequence[Any] | None, last: tuple[Any, ...] | None
) -> tuple[Any, ...]:
    """`show` of each page, in order: the `last` tuple (what `show` made of the pages `read`) with
    the pages that are not the very page at their place (found at once) shown again, and the very
    tuple while each of those shows the same (a page is immutable): an edit of one page's body
    makes no tuple of every page (the views' token, the A to Z list: 20,000 at 20,000 pages)."""
    if last is None or read is None or not len(read) == len(last) == len(pages):
        return tuple(map(show, pages))
    changed = list(itertools.compress(range(len(pages)), map(operator.is_not, pages, read)))
    now = [show(pages[i]) for i in changed]
    if all(map(operator.eq, now, map(last.__getitem__, changed))):
        return last
    patched = list(last)
    for i, shown in zip(changed, now, strict=True):
        patched[i] = shown
    return tuple(patched)
