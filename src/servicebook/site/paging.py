"""Long lists cut into parts: which items of a paged fixed page (routes.FixedPage.paged) each of its
parts shows, so that no page of a large catalog grows past about a megabyte. A catalog whose list
fits in `PART_BYTES` keeps it on one page, exactly as before.

Items are cut by an estimate of the HTML each one becomes (its text plus the markup around it),
not by a count, so a catalog of long summaries gets more, shorter parts. Pure functions of the
view; the parts' addresses are routes.part's.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from servicebook import routes
from servicebook.site.search import IndexEntry, a_to_z
from servicebook.site.views import SiteView, shown_per_page

T = TypeVar("T")

# Estimated bytes of HTML per part: half the 1 MB ceiling, since the estimates are rough (markup,
# escaping, the page's own header and footer).
PART_BYTES = 500_000
# The search page's A to Z list is what a reader waits behind before the first result: smaller parts.
A_TO_Z_BYTES = 200_000


@dataclass(frozen=True, slots=True)
class Part(Generic[T]):
    """One page of a paged list: its items, where it is, and where the others are."""

    number: int  # from 1
    count: int  # how many parts the list has
    path: str  # its site path (routes.part)
    pages: tuple[tuple[int, str], ...]  # (number, site path) of every part, for the pager
    items: tuple[T, ...]
    first: int  # the index of its first item in the whole list
    total: int  # items in the whole list

    @property
    def previous(self) -> str | None:
        return self.pages[self.number - 2][1] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.pages[self.number][1] if self.number < self.count else None


def cut(weights: Sequence[int], budget: int) -> tuple[tuple[int, int], ...]:
    """[start, stop) of each part: items in order, a new part whenever the next item would take
    the current one past `budget` (a part has at least one item; no items make one empty part)."""
    bounds: list[tuple[int, int]] = []
    start, size = 0, 0
    for i, weight in enumerate(weights):
        if i > start and size + weight > budget:
            bounds.append((start, i))
            start, size = i, 0
        size += weight
    bounds.append((start, len(weights)))
    return tuple(bounds)


# a long-running process's last policy pages' specs (render._listed): the pages, the section,
# each page's spec and those of the pages' earlier addresses
PolicySpecs = tuple[tuple[Any, ...], str, list[Any], list[Any]]


@dataclass(slots=True)
class PartsMemo:
    """What a long-running process (`serve`, fresh.PageMemory) cut its last build's paged lists
    from, for the next build: each list's items and parts, by page name; each item's weight, by
    the item's identity; and the A to Z list's entries with what they were made from. Parts are
    pure functions of their items, so a list whose items are the very same objects, in the same
    order, has the same parts; an edit of one page's body changes none of the lists' items but
    that page's, whose weight alone is made again (at 20,000 pages, 0.11 s of every rebuild), and
    while it weighs what it did, the cut is the last one and only the part holding it is made
    again (`_patched`).
    The whole-catalog page's rows are made anew by every build: its last rows and their weights
    are kept, and a row that does not equal the last one at its place is weighed again."""

    lists: dict[str, tuple[tuple[Any, ...], tuple[Part[Any], ...]]] = field(default_factory=dict)
    # by page name, the weight of each item its last list had, at the item's place (a list's
    # weights are its own: the same object may weigh differently in another list)
    weights: dict[str, list[int]] = field(default_factory=dict)
    a_to_z: tuple[tuple[Any, ...], tuple[IndexEntry, ...]] | None = None
    # the policy pages the A to Z list's last entries were read from (`_a_to_z`)
    a_to_z_pages: tuple[Any, ...] = ()
    # the whole-catalog page's last rows, their weights and its parts (`catalog_parts`)
    catalog: tuple[tuple[Row, ...], list[int], tuple[Part[Row], ...]] | None = None
    # the policy pages those rows were made of, and their rows (one a page; `catalog_parts`)
    catalog_pages: tuple[tuple[Any, ...], tuple[Row, ...]] | None = None
    # by page name, the last weights a list was cut by, with the budget, and where it was cut (`_cut`)
    cuts: dict[str, tuple[int, list[int], tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    # by page name, the last parts of a list and the page specs made of them (render._parts)
    specs: dict[str, tuple[tuple[Part[Any], ...], list[Any]]] = field(default_factory=dict)
    # and, beside the lists, the policy pages' specs (render._policy_specs) and those of their
    # earlier addresses (render._moved_specs): (pages, section, specs, moved specs)
    policy_specs: PolicySpecs | None = None
    # the offerings' and the tools' pages' specs (render._viewed_specs), by kind: (section, the
    # views they were made of, the specs)
    viewed_specs: dict[str, tuple[str, list[Any], list[Any]]] = field(default_factory=dict)


def _same(a: Sequence[object], b: Sequence[object]) -> bool:
    """Whether `a` and `b` hold the very same objects in the same order."""
    return len(a) == len(b) and all(map(operator.is_, a, b))


def parts(
    name: str, items: Sequence[T], weight: Callable[[T], int], budget: int = PART_BYTES, memo: PartsMemo | None = None
) -> tuple[Part[T], ...]:
    """The parts of fixed page `name`'s list of `items` (with a `memo`, see PartsMemo)."""
    if memo is not None:
        last = memo.lists.get(name)
        if last is not None and _same(last[0], items):
            return last[1]
        made = tuple(items)
        found = _patched(name, made, weight, budget, memo) if last is not None else None
        if found is None:
            found = _parts(name, made, _weights(name, made, weight, memo), budget, memo)
        memo.lists[name] = (made, found)
        return found
    return _parts(name, items, [weight(item) for item in items], budget)


def _patched(
    name: str, items: tuple[T, ...], weight: Callable[[T], int], budget: int, memo: PartsMemo
) -> tuple[Part[T], ...] | None:
    """The last parts of list `name` with those holding an item that is not the very object at
    its place given this list's items there, the others the last parts themselves: while the list
    is as long, the budget the last one's and each such item weighs what the last item at its
    place weighed, the weights are the last ones and so is the cut (an edit of one page's body:
    the part holding it, not 20,000 items weighed, compared and sliced again). None otherwise,
    having changed nothing."""
    before, found = memo.lists[name]
    weights, cuts = memo.weights.get(name), memo.cuts.get(name)
    if len(before) != len(items) or weights is None or cuts is None or cuts[0] != budget:
        return None
    changed = list(itertools.compress(range(len(items)), map(operator.is_not, items, before)))
    if any(weight(items[i]) != weights[i] for i in changed):
        return None
    return _patched_parts(found, items, changed)


def _patched_parts(found: tuple[Part[T], ...], items: tuple[T, ...], changed: list[int]) -> tuple[Part[T], ...]:
    """`found`, cut from a list as long as `items` where they are cut the same, with each part
    holding an index of `changed` made again of `items`; the other parts the very same."""
    starts = [part.first for part in found]
    made = list(found)
    for n in {bisect.bisect_right(starts, i) - 1 for i in changed}:
        part = found[n]
        made[n] = dataclasses.replace(part, items=items[part.first : part.first + len(part.items)])
    return tuple(made)


def _cut(name: str, weights: list[int], budget: int, memo: PartsMemo | None) -> tuple[tuple[int, int], ...]:
    """`cut`, or with a `memo`, the last cut of list `name` when its weights and budget are the same."""
    if memo is None:
        return cut(weights, budget)
    last = memo.cuts.get(name)
    if last is not None and last[0] == budget and last[1] == weights:
        return last[2]
    bounds = cut(weights, budget)
    memo.cuts[name] = (budget, weights, bounds)
    return bounds


def _weights(name: str, items: Sequence[T], weight: Callable[[T], int], memo: PartsMemo) -> list[int]:
    """Each item's weight in list `name`, taken from `memo` for an item that list's last version
    had (the very object): while the list is as long, the last weights with those of the items
    that are not the very object at their place made again (found at once, not item by item: a
    lookup for each of 20,000 pages cost ~5 ms a rebuild); `memo` is left holding these weights."""
    last, weights = memo.lists.get(name), memo.weights.get(name)
    if last is None or weights is None:
        out = [weight(item) for item in items]
    elif len(last[0]) == len(items):
        out = list(weights)
        for i in itertools.compress(range(len(items)), map(operator.is_not, items, last[0])):
            out[i] = weight(items[i])
    else:  # the memo's list holds its items, so their ids are theirs
        known = {id(item): (item, w) for item, w in zip(last[0], weights, strict=True)}
        out = []
        for item in items:
            found = known.get(id(item))
            out.append(found[1] if found is not None and found[0] is item else weight(item))
    memo.weights[name] = out
    return out


def _parts(
    name: str, items: Sequence[T], weights: list[int], budget: int, memo: PartsMemo | None = None
) -> tuple[Part[T], ...]:
    bounds = _cut(name, weights, budget, memo)
    pages = tuple((n + 1, routes.part(name, n + 1)) for n in range(len(bounds)))
    return tuple(
        Part(n + 1, len(bounds), pages[n][1], pages, tuple(items[start:stop]), start, len(items))
        for n, (start, stop) in enumerate(bounds)
    )


def _text(*texts: str | None) -> int:
    """The UTF-8 bytes of `texts` (None and empty count nothing). Every item of every list is
    weighed on every build: most texts are ASCII, whose length is their size without encoding
    them (three times cheaper than a generator of encodes)."""
    size = 0
    for t in texts:
        if t:
            size += len(t) if t.isascii() else len(t.encode("utf-8"))
    return size


# The markup around each item of each list (measured on the bench sites' pages), plus its text.
WEIGHTS: dict[str, Callable[[Any], int]] = {
    "offerings": lambda o: 420 + _text(o.offering.name, o.offering.summary, o.offering.owner, o.path),
    "slos": lambda row: 700 + _text(row[0].offering.name, row[1].slo.name, row[1].slo.sli, row[0].path),
    "unsupported": lambda t: 650 + _text(t.tool.name, t.tool.reason, t.category.name, t.path) + 2 * len(t.tool.id),
    "policies": lambda p: 120 + _text(p.meta.title, p.meta.summary, p.slug),
    # a tool decision in the matrix (tool_rows); the first of a category brings its heading and cells
    "tools": lambda row: 50 + (900 + _text(row[0].category.description) if row[4] else 0) + _tool_text(row[3]),
    "search": lambda e: (
        150
        + _text(e.title, e.url, e.note, *e.formerly)
        + (_text(e.alternative.name, e.alternative.url) if e.alternative else 0)
    ),
}


def _tool_text(t: Any) -> int:
    return _text(t.tool.name, t.path, t.alternative.name if t.alternative else None)


def list_of(view: SiteView, name: str, memo: PartsMemo | None = None) -> tuple[Any, ...]:
    """What the paged page `name` lists, in its order (the A to Z list's entries from `memo`
    while what they show is the same, see `_a_to_z`)."""
    if name == "offerings":
        return view.offerings
    if name == "slos":
        return view.slos_by_budget
    if name == "unsupported":
        return view.unsupported
    if name == "policies":
        return view.pages
    if name == "search":
        return _a_to_z(view, memo)
    if name == "tools":
        return tool_rows(view)
    raise KeyError(name)


_PAGE_SHOWN = operator.attrgetter("slug", "meta.title", "meta.summary", "meta.renamed_from")


def _a_to_z(view: SiteView, memo: PartsMemo | None) -> tuple[IndexEntry, ...]:
    """The A to Z list's entries (search.a_to_z), in order; with a `memo`, its last entries (the
    very objects) while all that search.a_to_z reads is the same: of each offering's and tool's
    view, its record (the very object) and labels; of each policy page, its slug, title, summary
    and old names."""
    if memo is None:
        return tuple(e for _letter, entries in a_to_z(view) for e in entries)
    last = memo.a_to_z
    shown = (
        tuple(x for o in view.offerings for x in (o.offering, o.path, o.lifecycle)),
        tuple(x for t in view.tools for x in (t.tool, t.path, t.category, t.status_class, t.status, t.alternative)),
        shown_per_page(_PAGE_SHOWN, view.pages, memo.a_to_z_pages, last[0][2] if last is not None else None),
    )
    if last is not None and last[0] == shown:
        # this build's objects, not the last build's; the pages `shown` was read from, with it
        memo.a_to_z, memo.a_to_z_pages = (shown, last[1]), view.pages
        return last[1]
    entries = tuple(e for _letter, entries in a_to_z(view) for e in entries)
    if last is not None:  # the last entries where they are equal: one record's edit leaves the others' objects
        kept = {e: e for e in last[1]}  # (the next release's list keys carry their digests: stamps.py)
        entries = tuple(kept.get(e, e) for e in entries)
    memo.a_to_z, memo.a_to_z_pages = (shown, entries), view.pages
    return entries


def page_parts(view: SiteView, name: str, memo: PartsMemo | None = None) -> tuple[Part[Any], ...]:
    """The parts of the paged fixed page `name` of this site (with a `memo`, see PartsMemo)."""
    budget = A_TO_Z_BYTES if name == "search" else PART_BYTES
    return parts(name, list_of(view, name, memo), WEIGHTS[name], budget, memo)


def letter(entry: IndexEntry) -> str:
    """The A to Z list's group of an entry (site/search/a_to_z.py groups by the same)."""
    first = entry.title[:1].upper()
    return first if first.isalpha() else "#"


def a_to_z_part(part: Part[IndexEntry]) -> dict[str, Any]:
    """What the search page's template needs of one part of the A to Z list: its entries by letter,
    and every letter of the whole list with the part it begins in."""
    groups: dict[str, list[IndexEntry]] = {}
    for e in part.items:
        groups.setdefault(letter(e), []).append(e)
    return {"a_to_z": tuple((k, tuple(v)) for k, v in groups.items())}


def letters(all_parts: Sequence[Part[IndexEntry]]) -> tuple[tuple[str, int, str], ...]:
    """(letter, number of the part it begins in, that part's site path), in the list's order."""
    found: dict[str, tuple[int, str]] = {}
    for p in all_parts:
        for e in p.items:
            found.setdefault(letter(e), (p.number, p.path))
    return tuple((k, n, path) for k, (n, path) in found.items())


# The tools matrix: a row per tool decision, by category, then by status from the strongest
# commitment, as the page shows them.
ToolRow = tuple[Any, str, str, Any, bool]  # (CategoryView, status value, its label, ToolView, first of its category)


def tool_rows(view: SiteView) -> tuple[ToolRow, ...]:
    """Every tool decision of the matrix, in its order."""
    rows: list[ToolRow] = []
    for c in view.categories:
        decisions = [(status, label, t) for status, label, tools in c.by_status for t in tools]
        rows += [(c, status, label, t, i == 0) for i, (status, label, t) in enumerate(decisions)]
    return tuple(rows)


def tools_part(part: Part[ToolRow], all_parts: Sequence[Part[ToolRow]], view: SiteView) -> dict[str, Any]:
    """What tools.html needs of one part of the matrix: `tool_categories`, each category it shows
    as (category, continued from an earlier part, continues on a later one, its four cells: (status,
    label, the tools of this part)); and `category_parts`, (category, part number, part's site
    path) for every category in order, where it begins: the category filter and the list of
    categories lead there. A category without tool decisions is shown on the part of the next one
    that has some (else on the last part)."""
    first: dict[str, Part[ToolRow]] = {}
    last: dict[str, int] = {}
    for p in all_parts:
        for c, *_rest in p.items:
            first.setdefault(c.category.id, p)
            last[c.category.id] = p.number
    where: dict[str, Part[ToolRow]] = {}
    waiting: list[str] = []
    for c in view.categories:
        if c.category.id in first:
            where |= dict.fromkeys(waiting, first[c.category.id])
            waiting = []
            where[c.category.id] = first[c.category.id]
        else:
            waiting.append(c.category.id)
    where |= dict.fromkeys(waiting, all_parts[-1])
    tools: dict[str, dict[str, list[Any]]] = {}
    for c, status, _label, t, _first in part.items:
        tools.setdefault(c.category.id, {}).setdefault(status, []).append(t)

    def cells(c: Any) -> tuple[tuple[str, str, tuple[Any, ...]], ...]:
        here = tools.get(c.category.id, {})
        return tuple((status, label, tuple(here.get(status, ()))) for status, label, _all in c.by_status)

    shown = tuple(
        (c, where[c.category.id].number < part.number, last.get(c.category.id, 0) > part.number, cells(c))
        for c in view.categories
        if c.category.id in tools or (c.category.id not in first and where[c.category.id] is part)
    )
    return {
        "tool_categories": shown,
        "category_parts": tuple((c, where[c.category.id].number, where[c.category.id].path) for c in view.categories),
    }


# The whole catalog on one page: its sections in order, each a row that opens it (None) and then
# its rows; a part that begins inside a section shows it "(continued)".
CATALOG_SECTIONS = ("team", "offerings", "slos", "support", "tools", "policies")
Row = tuple[str, Any]


def catalog_rows(view: SiteView, policies: Sequence[Row] | None = None) -> tuple[Row, ...]:
    """Every row of the whole-catalog page, in its order: (section, None) opens a section; a tool
    decision is (category, label, tool), a category's heading (category, None, None). `policies`:
    the policy pages' rows, when made already (`catalog_parts`)."""
    rows: list[Row] = [("team", None), ("offerings", None)]
    rows += [("offerings", o) for o in view.offerings]
    rows.append(("slos", None))
    rows += [("slos", (o, s)) for o in view.offerings for s in o.slos]
    rows += [("support", None), ("tools", None)]
    for c in view.categories:
        rows.append(("tools", (c, None, None)))
        rows += [("tools", (c, label, t)) for _status, label, tools in c.by_status for t in tools]
    rows.append(("policies", None))
    rows += [("policies", p) for p in view.pages] if policies is None else policies
    return tuple(rows)


def _policy_row(page: Any) -> Row:
    return ("policies", page)


def _catalog_weight(row: Row) -> int:
    kind, item = row
    if item is None:
        return {"team": 3000, "support": 6000}.get(kind, 400)
    if kind == "offerings":
        return (
            200
            + _text(
                item.offering.name, item.offering.summary, item.offering.description, item.offering.owner, item.path
            )
            + 2 * len(item.offering.id)
        )
    if kind == "slos":
        o, s = item
        return 120 + _text(o.offering.name, s.slo.name, s.slo.sli)
    if kind == "tools":
        _c, _label, t = item
        return (
            150 if t is None else 130 + _text(t.tool.name, t.tool.reason, t.alternative.name if t.alternative else "")
        )
    return 40 + _text(item.meta.title, item.meta.owner, item.meta.summary, item.slug)


def catalog_parts(view: SiteView, memo: PartsMemo | None = None) -> tuple[Part[Row], ...]:
    """The whole-catalog page's parts; a section's or a category's heading is never the last row
    of one. With a `memo` (see PartsMemo), the last build's rows where this build's equal them
    (the same objects, or views made again from the same: what a row shows is the same), and
    their weights; the last parts when every row is so. The policy pages' rows (one a page) are
    the last ones but for the pages that are not the very page at their place (views.shown_per_page),
    and a row that is the very last one at its place is not compared."""
    if memo is None:
        rows = catalog_rows(view)
        return _catalog_parts(rows, cut([_catalog_weight(r) for r in rows], PART_BYTES))
    read, shown = memo.catalog_pages or (None, None)
    policies = shown_per_page(_policy_row, view.pages, read, shown)
    memo.catalog_pages = (view.pages, policies)
    rows = catalog_rows(view, policies)
    last = memo.catalog
    if last is not None and len(last[0]) == len(rows):
        others = itertools.compress(range(len(rows)), map(operator.is_not, rows, last[0]))
        changed = [i for i in others if rows[i] != last[0][i]]
        if not changed:
            return last[2]
        kept, weights = list(last[0]), list(last[1])
        for i in changed:
            kept[i], weights[i] = rows[i], _catalog_weight(rows[i])
        rows = tuple(kept)
        if all(weights[i] == last[1][i] and _heading(rows[i]) == _heading(last[0][i]) for i in changed):
            # the same cut, and the same headings where a part ends: the last parts, but those
            # holding a changed row, made again of this build's rows (not 20,000 rows sliced)
            found = _patched_parts(last[2], rows, changed)
            memo.catalog = (rows, last[1], found)
            return found
    else:
        weights = [_catalog_weight(r) for r in rows]
    found = _catalog_parts(rows, _cut("catalog", weights, PART_BYTES, memo))
    memo.catalog = (rows, weights, found)
    return found


def _catalog_parts(rows: tuple[Row, ...], cuts: tuple[tuple[int, int], ...]) -> tuple[Part[Row], ...]:
    bounds = list(cuts)
    for n in range(len(bounds) - 1):  # a heading left at the end of a part goes to the next
        start, stop = bounds[n]
        while stop - start > 1 and _heading(rows[stop - 1]):
            stop -= 1
        bounds[n], bounds[n + 1] = (start, stop), (stop, bounds[n + 1][1])
    pages = tuple((n + 1, routes.part("catalog", n + 1)) for n in range(len(bounds)))
    return tuple(
        Part(n + 1, len(bounds), pages[n][1], pages, rows[start:stop], start, len(rows))
        for n, (start, stop) in enumerate(bounds)
    )


def _heading(row: Row) -> bool:
    return row[1] is None or (row[0] == "tools" and row[1][2] is None)


def catalog_part(
    part: Part[Row], all_parts: Sequence[Part[Row]], starts: dict[str, tuple[int, str]] | None = None
) -> dict[str, Any]:
    """What catalog.html needs of one part: its sections (kind, continued, items; a tool
    decisions section's items are (category, continued, ((label, tool), ...))), and the part
    each section begins in (`starts`, when made already: catalog_starts)."""
    sections: list[tuple[str, bool, list[Any]]] = []
    for kind, item in part.items:
        if item is None:
            sections.append((kind, False, []))
            continue
        if not sections or sections[-1][0] != kind:
            sections.append((kind, True, []))
        items = sections[-1][2]
        if kind != "tools":
            items.append(item)
            continue
        category, label, tool = item
        if tool is None:
            items.append((category, False, []))
        elif not items or items[-1][0] is not category:
            items.append((category, True, [(label, tool)]))
        else:
            items[-1][2].append((label, tool))
    return {
        "sections": tuple((k, c, tuple(i)) for k, c, i in sections),
        "starts": catalog_starts(all_parts) if starts is None else starts,
    }


def catalog_starts(all_parts: Sequence[Part[Row]]) -> dict[str, tuple[int, str]]:
    """The part each section of the whole-catalog page begins in: (number, site path), by section."""
    starts: dict[str, tuple[int, str]] = {}
    for p in all_parts:
        for kind, item in p.items:
            if item is None:
                starts.setdefault(kind, (p.number, p.path))
    return starts


# The home page shows what the team provides and what it does not support "at a glance": on a
# large catalog the first of each, up to this many estimated bytes, and a link to the whole list.
GLANCE_BYTES = 150_000


def at_a_glance(view: SiteView) -> dict[str, Any]:
    """The home page's two lists, cut short on a large catalog: (shown, how many more)."""
    provided = [o for o in view.offerings if o.offering.lifecycle.value != "retired"]
    offerings = cut([WEIGHTS["offerings"](o) - 250 for o in provided], GLANCE_BYTES)[0][1]
    tools = cut([WEIGHTS["unsupported"](t) - 350 - len(t.tool.reason) for t in view.unsupported], GLANCE_BYTES)[0][1]
    return {
        "provided": (tuple(provided[:offerings]), len(provided) - offerings),
        "leaving": (view.unsupported[:tools], len(view.unsupported) - tools),
    }
