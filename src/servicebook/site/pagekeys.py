"""Each output's reuse key: a digest of the inputs it is made from, so that a rebuild renders again
only what a change touches (build.py keeps the other files of the last build, see
buildcache.BuildCache.reuse).

With the built-in theme, a page's key is what every page shows (whether the build is of a commit
and has uncommitted changes, the site's settings, the navigation, the versions, whether there is a
history, and the newest change to the page's own subject, base.html's "Last changed") and what its
own template reads. The build's commit and date are shown only by the pages that change with every
build anyway (templates.shows_build: the home page, the catalog on one page, the versions page, and
every page of a past release), and only their keys hold them: a new commit renders again what it
changed and the pages that list it, not every page. What base.html's footer shows of the build
(stamps.Footer: the catalog's version, whether it has changed since its release, whether the
working tree has uncommitted changes) is not in the keys of the pages below that are keyed by
their own inputs, nor in the lists' (but the changes list's): a release, or the first edit in a
clean working tree, fills the new footer into those it keeps (buildcache.BuildCache
.reuse_restamped, stamps.restamp) instead of rendering them.

- a policy page: its own front matter, Markdown (as rendered: the HTML's SHA-256) and headings,
  and the names of the offerings and tools it applies to;
- an offering's or a tool's page: its own view (views.py; a policy page it lists counts by its
  slug, source and front matter, which is all a list shows of it), its own history (the events of
  its subject), and its member team on an organisation site;
- a member team's page (team.html): that team's view (its name, mission, repository, locked
  commit, its offerings' and tools' names);
- the page an earlier id leads on from: its own context.

Every other page (the home page, the lists, the catalog on one page, search, the Teams page) and
every data file lists many things: its key covers every source but the policy pages' Markdown, and
what each page shows of the others (loaded.page_digests). Of the history a list shows only its own
"Last changed" (and whether there is a history), which is what its key holds of it; the changes
list, the pages that show the build and the data files not complete (below) are keyed by the
whole history and the footer. A data file whose declared inputs are complete
(outputs.DataOutput.complete: the search index's files, schema.json) is keyed by them, its path
and what every page's key holds (the code among it), not by every source. A site with `layouts/`
of its own may show anything on any page: then every page's key covers every source.

A change to `servicebook.lock`, `measurements/` or one catalog record therefore renders again the
pages that show it and the lists, not the thousands of policy pages that show none of it. The test
that policy.html, offering.html and tool.html read nothing else renders them from a context that
holds only this (tests/test_page_keys.py).
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Set
from typing import TYPE_CHECKING, Any, NamedTuple

from servicebook import routes
from servicebook.cache.digest import digest
from servicebook.catalog import model
from servicebook.site.changes import EntityEvent, EntryView, HistoryView
from servicebook.site.fresh import KeptAnswers, KeptMemo, code_digest
from servicebook.site.measured import measured_views
from servicebook.site.scaffold import LAYOUTS_README
from servicebook.site.stamps import Footer
from servicebook.site.templates import DataSpec, PageSpec, VersionContext, shows_build
from servicebook.site.views import OfferingView, ToolView, overdue_tools, shown_per_page

if TYPE_CHECKING:
    from servicebook.git.history import Timeline
    from servicebook.site.load import Loaded

# a page's file kept from the last build, or its bytes with a new footer filled in (stamps.Footer)
Reuse = Callable[["PageSpec | DataSpec"], "str | bytes | None"]
Restamp = Callable[[str, str, Footer], "str | bytes | None"]
# `reuse` of many outputs whose keys are known (buildcache.BuildCache.reuse_many)
ReuseMany = Callable[[list[str], list[str]], list["str | None"]]
# and of those the last build kept so, kept again at once (buildcache.BuildCache.reuse_again)
# the key that KeptAnswers' `keys` hold for an output told again and not kept (rendered): a dict
# that never had an entry deleted is copied by cloning its table (BuildCache `reuse_again`), and
# each such output is one the next build tells again (its spec is not the one kept: `_again`)
NOT_KEPT = ""
ReuseAgain = Callable[[object, Mapping[str, str], Set[str], list[str]], bool]


def shown(value: object, memo: dict[int, tuple[object, str]] | None = None) -> str:
    """A deterministic text of a view, as repr() writes it, except that a policy page it lists
    counts by what a list of pages shows of it (its slug, its source, its front matter), not by
    its text: an edit to a page's body does not change the pages that link to it by its title.

    `memo` keeps the text of each dataclass already shown, by identity (holding the object, so
    that its id is not given to another while the memo lives): the views of one build share
    them (every offering's view holds its tools' views, each holding the pages that apply to
    it), so each is written once, not once for every view that holds it; and a long one stands
    in the views that hold it by its digest, so an offering's text is not that of all its tools'
    pages again."""
    parts: list[str] = []
    _shown(value, parts, {} if memo is None else memo)
    return "".join(parts)


_LONG = 512  # characters: a view's text longer than this stands in the text of the views holding it by its digest
_PLAIN = (str, int, float, bool, type(None))  # written as repr() writes them


@functools.cache
def _field_names(kind: Any) -> tuple[str, ...]:  # a dataclass
    return tuple(f.name for f in dataclasses.fields(kind))


def _dataclass_shown(value: object, memo: dict[int, tuple[object, str]]) -> str:
    kind: Any = type(value)
    own: list[str] = [kind.__name__ + "("]
    for name in _field_names(kind):
        own.append(name + "=")
        _shown(getattr(value, name), own, memo)
        own.append(",")
    own.append(")")
    text = "".join(own)
    if len(text) > _LONG:  # a view held by many (a tool's, in every offering that uses it): by its digest
        text = f"{kind.__name__}#{digest(text)}"
    memo[id(value)] = (value, text)
    return text


def _values(value: object) -> tuple[object, ...]:
    """A dataclass's field values, in order (its repr() without the names, at a fraction of the cost)."""
    kind: Any = type(value)
    return _getter(kind)(value)


@functools.cache
def _getter(kind: Any) -> Callable[[object], tuple[object, ...]]:  # a dataclass
    names = _field_names(kind)
    if len(names) < 2:  # attrgetter of one name gives the value itself, of none is not made
        return lambda value: tuple(getattr(value, name) for name in names)
    return operator.attrgetter(*names)


def _shown(value: object, out: list[str], memo: dict[int, tuple[object, str]]) -> None:
    kind = type(value)
    if kind in _PLAIN:
        out.append(repr(value))
    elif kind is tuple or kind is list:
        items: tuple[object, ...] | list[object] = value  # type: ignore[assignment]
        if all(type(item) in _PLAIN for item in items):  # ids, names, labels: written at once
            out.append(repr(tuple(items)))
            return
        out.append("(")
        for item in items:
            _shown(item, out, memo)
            out.append(",")
        out.append(")")
    elif kind is model.Page:
        page = memo.get(id(value))
        if page is None:
            assert isinstance(value, model.Page)
            shows = (value.slug, value.source, _values(value.meta))
            page = memo[id(value)] = (value, repr(shows))
        out.append(page[1])
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        known = memo.get(id(value))
        out.append(known[1] if known is not None else _dataclass_shown(value, memo))
    elif isinstance(value, tuple | list):
        out.append("(")
        for item in value:
            _shown(item, out, memo)
            out.append(",")
        out.append(")")
    elif isinstance(value, Mapping):
        out.append("{")
        for k, v in value.items():
            out.append(repr(k) + ":")
            _shown(v, out, memo)
            out.append(",")
        out.append("}")
    elif isinstance(value, str | int | float | enum.Enum) or kind.__module__ in ("datetime", "decimal"):
        out.append(repr(value))
    else:  # something this module does not know how to show: never reused by a stale key
        raise TypeError(f"no stable text for {kind.__name__}")


def _entry_shown(entry: EntryView) -> tuple[object, ...]:
    """What a page shows of a history entry that is not its own changes: where it is listed, its
    commit and date, the releases cut at it (the changes page shows the rest)."""
    return (entry.commit, entry.short, entry.url, entry.date, entry.page, entry.anchor, entry.releases)


def _last_shown(entry: EntryView) -> tuple[str | None, ...]:
    """What base.html's "Last changed" shows of the newest entry of a page's subject: where it is
    listed, its commit and date (not the releases cut at it: the newest entry carries the current
    version's mark, which moves to every new commit)."""
    return (entry.commit, entry.short, entry.url, entry.date, entry.page, entry.anchor)


def chrome(site: model.SiteContent) -> str:
    """What every page of the built-in theme shows of the catalog: the site's settings (title,
    address, repository), the team's name, whether there is an on-call to page, and whether the
    site has member teams (the navigation) and where they disagree (a tool decision's page shows
    every team's decision on a tool they disagree about: rare, and so in every page's key). Not
    the version: that is the footer's (stamps.Footer, see reuse_keys)."""
    catalog = site.catalog
    return digest(
        repr(catalog.site),
        catalog.team.name,
        repr(catalog.support.oncall is not None),
        repr(site.federation is not None),
        repr(site.federation.conflicts) if site.federation is not None else "",
    )


# What a long-running process (`serve`, fresh.PageMemory `keys`) keeps of its last build's keys:
# output path → (every input its key was made from, the key).
KeyMemo = dict[str, tuple[tuple[object, ...], str]]
_VIEWS = "\0views"  # the memo's entry for what the views are made from (no output path starts with NUL)
_VIEWS_PAGES = "\0views pages"  # and for the policy pages what `_VIEWS` holds of each was read from
_WHOLE = "\0whole"  # and for what the keys of most data files and of the pages below hold
_LISTED = "\0listed"  # and for what the lists' keys hold when the footer is filled in (see reuse_keys)
_HISTORY = "\0history"  # and for the text of the committed history (see `_history_text`)
_CHANGED = "\0changed\0"  # and, before a page's path, for what it shows of the history (`changed`)
# the lists that show more of the history than their own "Last changed" (every entry): keyed by `whole`
_WHOLE_TEMPLATES = frozenset({"changes.html"})


class Keys:
    """`reuse_keys`' answer: one output's (`Reuse`), or many outputs' at once (templates.ReuseAll),
    in one go for those the last build's answers hold (`carried`)."""

    def __init__(self, one: Reuse, carried: _Carried | None = None) -> None:
        self.one = one
        self.carried = carried

    def __call__(self, spec: PageSpec | DataSpec) -> str | bytes | None:
        return self.one(spec)

    def many(self, specs: list[PageSpec | DataSpec]) -> list[str | bytes | None]:
        if self.carried is None:
            return [self.one(spec) for spec in specs]
        return self.carried.many(specs, self.one)

    @property
    def taken(self) -> tuple[list[int], collections.Counter[str | None]] | None:
        """After `many`: the places it looked at, when every other one's answer is the last
        build's, an output kept; and how many of those others each template has (_Carried `taken`)."""
        return None if self.carried is None else self.carried.taken


_PATH = operator.attrgetter("path")


def _template(spec: object) -> str | None:
    """An output's template; a data file's (which has none): None."""
    return getattr(spec, "template", None)


_PAGE_SHOWS = operator.attrgetter("slug", "source", "meta")  # what a view shows of a policy page
_KEY = operator.itemgetter(1)


class _Again(NamedTuple):
    """The last build's answers taken as it left them (`_Carried._again`): every output's at its
    place (None at the places told again), and what this build's KeptMemo starts from: the kept
    outputs' keys and paths, and its `outputs` but for the places told again."""

    answers: list[str | bytes | None]
    keys: dict[str, str]
    kept: set[str]
    outputs: dict[str, tuple[object, str]]
    told: list[str]  # the paths at the places told again that `keys` and `kept` still hold


class _Carried:
    """Many outputs asked at once with the last build's keys (KeptMemo): `shared`, what this
    build's policy page keys share and its data files' (see `reuse_keys`); `recorded`, the keys
    the build cache records. A policy page's own input is the page itself (`serve`: the very
    object while unchanged) or, with `tokens` (a build of the command line, whose KeptMemo the
    store kept), the store key it was loaded under (load.Loaded `store_keys`), with its HTML's
    SHA-256, title and section: a page of the same store key is the same page (and its HTML the
    one it was read back with, which `StoredHtml` checks when it is read); and its own "Last
    changed" (`last_changed`), all a policy page shows of the history, so that what they share
    holds no history and a commit carries every page it did not change. An offering's or a
    tool's page (`serve`, and while a policy page is keyed by its own input: the pages do not show
    the build) has its view as its own input, told by identity alone: a view is a pure function
    of its inputs (views.ViewMemo gives the very object while they are the same), and the rest of
    its key (what every page shows, its subject's history, the member teams it names) is what
    the policy pages' keys share."""

    def __init__(
        self,
        kept: KeptMemo,
        reuse_many: ReuseMany,
        recorded: Mapping[str, str],
        shared: tuple[object, object],
        policy_by_own: bool,
        tokens: Mapping[str, str] | None = None,
        last_changed: Callable[[str], str] | None = None,
        reuse_again: ReuseAgain | None = None,
    ) -> None:
        self.kept, self.shared, self.policy_by_own = kept, shared, policy_by_own
        self.reuse_many, self.recorded, self.reuse_again = reuse_many, recorded, reuse_again
        self.tokens, self.last_changed = tokens, last_changed
        # after `many`, when it took the last build's answers as they were (`_again`): the places
        # it looked at (the others' answers are the last build's, each an output kept), and how
        # many of the others each template has (a data file's: None); for the build's report
        # (site/tally.py), which then counts the outputs at those places alone
        self.taken: tuple[list[int], collections.Counter[str | None]] | None = None

    def _page(self, spec: PageSpec) -> object:
        """A policy page's own input (see the class): None when it has none to tell it by."""
        page = spec.context.get("page")
        tokens = self.tokens
        if tokens is None or not isinstance(page, model.Page):
            return page
        key = tokens.get(page.slug)
        if key is None:
            return None
        last = "" if self.last_changed is None else self.last_changed(spec.path)
        return f"{key}\0{page.html_sha256}\0{spec.title}\0{spec.section}\0{last}"

    def _own_input(self, spec: PageSpec | DataSpec) -> tuple[object, bool]:
        """An output's own input (None: it has none, see the class), and whether it is told by
        identity alone (an offering's or a tool's view)."""
        if isinstance(spec, DataSpec):
            return (spec.inputs if spec.complete else None), False
        if not self.policy_by_own:
            return None, False
        if spec.template == "policy.html":
            return self._page(spec), False
        of_view = _viewed(spec) if self.tokens is None else None
        return (None, False) if of_view is None else (of_view[0], True)

    def many(self, specs: list[PageSpec | DataSpec], one: Reuse) -> list[str | bytes | None]:
        kept, shared = self.kept, self.shared
        pages_last = kept.outputs if kept.shared[:1] == shared[:1] else {}
        data_last = kept.outputs if kept.shared[1:] == shared[1:] else {}
        asked: list[int] = []  # asked one by one, as any build asks
        same: list[int] = []  # asked with the last build's keys
        now: dict[str, tuple[object, str]] = {}  # this build's KeptMemo outputs
        own_inputs: dict[int, object] = {}  # of the outputs keyed by one input of their own, not the same as before
        look: Iterable[int] = range(len(specs))  # the outputs to look at one by one
        paths: list[str] = []  # of `same`, in its order, and their last keys
        keys: list[str] = []
        told_last, kept.answered = kept.answered, None  # (told again below, when this build answers)
        again: _Again | None = None
        others: list[int] = []  # (`look` when `again` holds)
        if self.tokens is None and kept.shared == shared and len(kept.specs) == len(specs):
            # `serve`: a spec that is the very object the last build asked with its last key (KeptMemo
            # `specs`) has the very own input it had, so its last answer stands; found at once, not spec
            # by spec (a look at each of 40,000 outputs at 20,000 pages was ~30 ms a rebuild)
            mask = list(map(operator.is_, specs, kept.specs))
            others = list(itertools.compress(range(len(specs)), map(operator.not_, mask)))
            # while the last build's answers hold, they are taken as it left them, not told again
            again = self._again(told_last, others, specs)
            if again is not None:
                look, now = others, again.outputs
            else:
                paths = list(map(_PATH, itertools.compress(specs, mask)))
                befores = list(map(kept.outputs.get, paths))
                if None not in befores:
                    same = list(itertools.compress(range(len(specs)), mask))
                    now = dict(zip(paths, befores, strict=True))  # type: ignore[arg-type]
                    keys = list(map(_KEY, befores))  # type: ignore[arg-type]
                    look = others
                else:
                    paths = []
        carried = len(same)
        for i in look:
            spec = specs[i]
            own_input, by_identity = self._own_input(spec)
            if own_input is None:
                asked.append(i)
                continue
            before = (data_last if isinstance(spec, DataSpec) else pages_last).get(spec.path)
            if before is not None and (before[0] is own_input or (not by_identity and before[0] == own_input)):
                same.append(i)
                now[spec.path] = before  # (its key, if it is kept as it was)
            else:
                asked.append(i)
                own_inputs[i] = own_input
        # those found one by one after the carried ones (`same` is in no order an output shows: the
        # build cache's keys are looked up by path), their paths and keys told of them alone
        paths += map(_PATH, map(specs.__getitem__, same[carried:]))
        keys += map(_KEY, map(now.__getitem__, paths[carried:]))
        found = self.reuse_many(paths, keys)
        for i in itertools.compress(same, map(operator.is_, found, itertools.repeat(None))):
            # not kept as it was: asked again, as any build asks
            asked.append(i)
            own_inputs[i] = now.pop(specs[i].path)[0]
        answers: list[str | bytes | None] = [None] * len(specs) if again is None else again.answers
        _put(answers, same, found)  # (at their places at once, not through a dict by place)
        told = list(answers) if self.tokens is None else None  # (the answers below are asked for as any build asks)
        for i in sorted(asked):
            answers[i] = one(specs[i])
        recorded = self.recorded
        for i, own_input in own_inputs.items():
            key = recorded.get(path := specs[i].path)
            if key is not None:
                now[path] = (own_input, key)
        kept.shared, kept.outputs = shared, now
        self.taken = None
        if told is not None:  # the specs answered with their last key, at their places, for the next build
            answered = list(itertools.compress(same, map(operator.is_not, found, itertools.repeat(None))))
            if again is None:
                kept.specs = [None] * len(specs)
                templates: collections.Counter[str | None] = collections.Counter()
            else:  # (the others' are the very specs of the answers taken)
                templates = kept.templates  # (put right at `look` alone: see `taken`)
                # (the last specs at `look` that were answered so: those not None)
                templates.subtract(map(_template, filter(None, map(kept.specs.__getitem__, look))))
                self.taken = (others, collections.Counter(templates))
                _put(kept.specs, look, itertools.repeat(None))
            _put(kept.specs, answered, map(specs.__getitem__, answered))
            templates.update(map(_template, map(specs.__getitem__, answered)))
            kept.templates = templates
            kept.answered = self._told(told, specs, told_last, again, (same, asked), (paths, keys, found))
        return answers

    def _again(self, last: KeptAnswers | None, look: list[int], specs: list[PageSpec | DataSpec]) -> _Again | None:
        """`serve`: the last build's answers (KeptMemo `answered`) of the outputs whose spec is
        the very one it kept with its last key (all but those at `look`), taken at once by the
        build cache (BuildCache `reuse_again`) while they hold; None, and nothing taken, when
        they do not hold, or a spec at `look` has another path than the last build's there."""
        if last is None or self.reuse_again is None or len(last.paths) != len(specs):
            return None
        paths = last.paths
        if any(specs[i].path != paths[i] for i in look):
            return None
        # taken over and put right, not copied (45,000 entries each at 20,000 pages): `many` took
        # the last answers out of the memo, so they are this build's alone (as `last.answers`);
        # when they do not hold, nothing else reads them. The outputs at `look` stay in the keys,
        # which `_told` puts right, never deleting one (NOT_KEPT): a dict that never had an entry
        # deleted is copied by cloning its table (BuildCache `reuse_again`'s copy: ~1.4 ms at
        # 42,600 entries at 20,000 pages, ~4 once one was deleted)
        keys, kept = last.keys, last.kept
        told = [path for path in map(paths.__getitem__, look) if path in keys]
        if not self.reuse_again(last.recorded, keys, kept, told):
            return None
        outputs = dict(self.kept.outputs)
        for i in look:
            outputs.pop(paths[i], None)
        _put(last.answers, look, itertools.repeat(None))
        return _Again(last.answers, keys, kept, outputs, told)

    def _told(
        self,
        told: list[str | bytes | None],
        specs: list[PageSpec | DataSpec],
        last: KeptAnswers | None,
        again: _Again | None,
        places: tuple[list[int], list[int]],
        asked_so: tuple[list[str], list[str], list[str | None]],
    ) -> KeptAnswers | None:
        """What this build answered (`told`) for the next to take as it is (KeptMemo `answered`):
        the outputs taken at once (`again`) and those kept of the ones at `places` (`same`)
        asked with their last keys (`paths`, `keys`, as `found`), by path; the others were asked
        one by one (`asked`); None when two outputs have one path."""
        (same, asked), (paths, keys, found) = places, asked_so
        if again is not None and last is not None:
            every, taken, kept = last.paths, again.keys, again.kept  # (the same path at every place)
            held = again.told  # (in `taken` still: put right below)
        else:  # (each path as read once, at its place)
            every, taken, kept, held = [""] * len(specs), {}, set(), []
            _put(every, same, paths)
            for i in asked:
                every[i] = specs[i].path
        size = len(taken)
        are = list(map(operator.is_not, found, itertools.repeat(None)))
        again_kept = list(itertools.compress(paths, are))
        taken.update(zip(again_kept, itertools.compress(keys, are), strict=True))
        kept.update(dict.fromkeys(again_kept))  # (as BuildCache.reuse_many adds them)
        had = 0  # of those kept, how many `taken` held already
        if held:  # those told again and not kept so: in `taken` as not kept, not deleted (see `_again`)
            newly = set(again_kept)
            had = len(newly.intersection(held))
            for path in itertools.filterfalse(newly.__contains__, held):
                taken[path] = NOT_KEPT
                kept.discard(path)
        if len(taken) != size + sum(are) - had or (again is None and len(set(every)) != len(every)):
            return None
        return KeptAnswers(told, every, taken, kept, self.recorded)


def _put(values: list[Any], places: Iterable[int], new: Iterable[Any]) -> None:
    """Each of `new` into `values` at its place in `places`, in one pass at C speed."""
    collections.deque(map(values.__setitem__, places, new), maxlen=0)


def _policy_key(
    own: str,
    names: Mapping[str, str],
    tool_names: Mapping[str, str],
    team: Callable[[str], str],
    changed: Callable[[str], str],
    page: model.Page,
    where: tuple[str, ...],
) -> str:
    """A policy page's key (see `reuse_keys`): what every page of the theme shows (`own`), where it
    is (`where`), its own newest change, its own slug, source, front matter and HTML, the names
    of the offerings and tools it applies to, and a member's page its team (its "Team:" label)."""
    meta = page.meta
    listed = repr(([(i, names.get(i)) for i in meta.offerings], [(i, tool_names.get(i)) for i in meta.tools]))
    # the source file is shown by the "Edit this page" link, which a member's page has not
    # (its source names the member's locked commit, which moves with every lock move)
    member = team(page.slug)
    source = None if member else page.source
    shows = repr((page.slug, source, _values(page.meta), page.html_sha256))
    return digest(own, *where, changed(where[0]), shows, listed, *((member,) if member else ()))


def _teams(site: model.SiteContent) -> dict[str, tuple[str, str, str | None]]:
    """An organisation site's member teams, by id, as a member's page shows its team."""
    return {t.id: (t.id, t.name, t.site) for t in site.federation.teams} if site.federation else {}


class _Remembered:
    """The keys of one build, each taken from the last build's (`memo`) when it was made from the
    very same inputs, else made; the memo is left holding this build's (None: no memo, each made)."""

    def __init__(self, memo: KeyMemo | None) -> None:
        self.memo = memo
        self.last: KeyMemo = dict(memo) if memo is not None else {}
        if memo is not None:
            memo.clear()

    def __call__(self, path: str, inputs: tuple[object, ...], make: Callable[[], str]) -> str:
        if self.memo is None:
            return make()
        known = self.last.get(path)
        made = known[1] if known is not None and known[0] == inputs else make()
        self.memo[path] = (inputs, made)
        return made

    def same(self, path: str, inputs: tuple[object, ...], make: Callable[[], str]) -> str:
        """As a call, but the last build's taken only when made of the very same objects (by
        identity, not equality: values that compare equal may still be written otherwise, 1 and
        1.0); for what is made of objects a long-running process keeps from one build to the next
        (the history's entries and events: history.TimelineMemo, changes.HistoryMemo)."""
        if self.memo is None:
            return make()
        known = self.last.get(path)
        same = known is not None and len(known[0]) == len(inputs) and all(map(operator.is_, known[0], inputs))
        made = known[1] if known is not None and same else make()
        self.memo[path] = (inputs, made)
        return made


def _history_text(remembered: _Remembered, timeline: Timeline | None) -> tuple[str, str]:
    """What the keys that hold the whole history hold of it (`timeline_text` in `reuse_keys`, the
    two parts joined): whether there is one and is shallow, and each entry as repr() writes it,
    the working tree's first; then the digest of the committed entries as repr() writes them.
    With a memo (`serve`), the committed entries' digest is the last build's while they are the
    very same entries (history.TimelineMemo keeps them while HEAD is the same commit): one commit
    adding a catalog of 20,000 pages is 20,000 changes to write out again each rebuild. Their
    digest, not their text, so that neither the memo nor the keys made of it hold the text (2.7 MB
    at 5,000 pages in one commit, held by `serve` for the whole session)."""
    if timeline is None:
        return repr(None), ""
    entries = timeline.entries
    top = next((n for n, e in enumerate(entries) if e.commit is not None), len(entries))
    committed = entries[top:]
    head = repr((timeline.available, timeline.shallow, entries[:top]))
    return head, remembered.same(_HISTORY, committed, lambda: digest(repr(committed)))


def _page_history(
    remembered: _Remembered,
    history: HistoryView,
    views: dict[int, tuple[object, str]],
    path: str,
    subject: str | None,
) -> str:
    """`changed` in `reuse_keys`: what the page at `path` shows of the history, with its
    `subject`'s events. With a memo (`serve`), as the last build wrote it while the entry and the
    events are the very ones (changes.HistoryMemo keeps a committed history's view while HEAD is
    the same): 350 offerings' and tools' events at 5,000 pages, not written out again each rebuild."""
    last = history.last_changed(path)
    if not subject:
        return _changed_shown(last, (), views)
    events = history.history_of(subject)
    return remembered.same(_CHANGED + path, (last, events), functools.partial(_changed_shown, last, events, views))


def _changed_shown(
    last: EntryView | None, events: tuple[EntityEvent, ...], views: dict[int, tuple[object, str]]
) -> str:
    """What a page shows of the history (`changed` in `reuse_keys`): its newest entry's "Last
    changed" and the table of its subject's events, the fields those templates read."""
    return repr(
        (
            None if last is None else _last_shown(last),
            [
                (
                    _entry_shown(e.entry),
                    e.entry.author,
                    e.entry.contributors,
                    e.entry.coauthors,
                    shown(e.changes, views),
                )
                for e in events
            ],
        )
    )


def reuse_keys(
    reuse: Callable[[str, str], str | None],
    hashes: Mapping[str, str],
    loaded: Loaded,
    versioning: VersionContext,
    timeline: Timeline | None,
    history: HistoryView | None,
    restamp: Restamp | None = None,
    memo: KeyMemo | None = None,
    kept: KeptMemo | None = None,
    reuse_many: ReuseMany | None = None,
    recorded: Mapping[str, str] | None = None,
    tokens: Mapping[str, str] | None = None,
    reuse_again: ReuseAgain | None = None,
) -> Reuse:
    """`reuse(path, key)` (buildcache.BuildCache.reuse) asked with each output's key; `history`
    is the view of `timeline` that the pages show (render.site_history).

    With `restamp(path, key, footer)` (BuildCache.reuse_restamped), the pages keyed by their own
    inputs (policy, offering, tool, member team and moved pages) are keyed without what base.html's
    footer shows of the build (stamps.Footer), which they show nowhere else: a new version (a
    release), or uncommitted changes in the working tree, fills it into the kept page
    (stamps.restamp) instead of rendering every page again.

    With a `memo` of the last build's keys (`serve`), a policy page's and a data file's key is
    taken from it when every input it is made from is the one that key was made from (the
    page's own slug, source, front matter and HTML; what all of them share, below, as one
    digest): a one-page edit makes again the keys of the pages it changed, and of those whose
    shared inputs changed, not every page's. The memo is left holding this build's keys.

    With a `kept` memo of the last build's answers (KeptMemo; `serve`), `reuse_many` (BuildCache
    .reuse_many) and the keys the build cache records (`recorded`: BuildCache.keys), the outputs
    asked for all at once (the answer's `many`) whose own input and shared inputs are those of
    the last build are asked for with the last build's keys in one go; `kept` is left holding
    this build's. With `tokens` (load.Loaded `store_keys`: a build of the command line, whose
    `kept` memo the store keeps between builds, buildcache.BuildCache `kept_memo`), a policy page
    is told unchanged by the store key it was loaded under, not by the very object. With
    `reuse_again` (BuildCache.reuse_again; `serve`), the outputs the last build kept so are
    kept again in one go while that build's answers hold (`kept`'s `answered`)."""
    site = loaded.site
    assert site is not None
    # (at once, not path by path: 20,000 sources at 20,000 pages)
    own_layouts = sum(map(str.startswith, hashes, itertools.repeat("layouts/"))) > (LAYOUTS_README in hashes)
    # what every page shows: of the build, whether it is of a commit (its commit and date only on
    # the pages that shows_build names, below), the versions, whether there is a history (the
    # navigation, the feed's link); of the history itself, a page shows the newest change to its
    # own subject, and an offering's or a tool's page that subject's history
    build = site.build
    frame = None if timeline is None else (timeline.available, timeline.shallow)
    # and base.html's footer: the catalog's version, whether it has changed since its release, and
    # whether a build of a commit has uncommitted changes (`footer`: in `whole`, the key of the
    # changes list, of the pages that show the build and of the data files that are not
    # `complete`; filled into the lists and the pages keyed by their own inputs when they are
    # kept, see `restamp`). A build of no commit says whether it is in git in other words.
    dirty, root = build.dirty and build.commit is not None, routes.not_found_root(site.catalog.site.base_url)
    footer = Footer(site.catalog.version, versioning.unreleased, dirty, root)
    # of the versions, every page shows whether it is a release's and whether there are releases
    # (the version bar); the lists show the releases themselves (untagged releases move with every
    # new commit)
    versions = (versioning.current, bool(versioning.releases))
    made_in = (build.commit is None, build.dirty and build.commit is None, build.generator)
    every = digest(code_digest(), repr(made_in), repr(versions), repr(frame))
    # the lists show what the build's date makes of the measurements (stale or not, views.py)
    measured = measured_views(site.snapshots, build.date, site.catalog.site.measurements_stale_after)
    remembered = _Remembered(memo)
    history_parts = _history_text(remembered, timeline)  # what `whole`'s memo entry holds of the history
    timeline_text = "".join(history_parts)  # what the keys hold of it
    # what the lists' and the other data files' keys hold: with a memo (serve), the last build's
    # digest while the sources they read (not the pages' Markdown) and what each page shows of
    # itself to the others are the same (a body edit), not 10,000 lines sorted and digested again
    sources = (
        dict(hashes)
        if own_layouts
        else dict(
            itertools.compress(hashes.items(), map(operator.not_, map(str.endswith, hashes, itertools.repeat(".md"))))
        )
    )  # (found at once: 20,000 pages' sources at 20,000 pages)
    stale = repr(sorted((k, v.stale) for k, v in measured.items()))
    shows = loaded.page_digests
    # every source's hash and what every page shows of itself, each digested once for the keys
    # that hold them (`whole`, `listed`, the views' token), when one of them is first made
    named = _Named(sources, shows)
    whole = remembered(
        _WHOLE,
        (every, footer.text, repr(versioning), stale, history_parts, sources, shows),
        lambda: digest(every, footer.text, repr(versioning), stale, timeline_text, named.sources(), named.pages()),
    )
    # what a list's key holds when the footer is filled into it (`restamp`): `whole` but for the
    # footer (the release the catalog has changed since is shown only there and on the versions
    # page, which shows the build) and the history, of which a list shows only its own "Last
    # changed" (`changed`, in its key) and whether there is one (`frame`): the first edit in a
    # clean working tree adds the working tree's entry to the history and turns the footer, and
    # renders again only the lists whose "Last changed" it is
    listed = _listed(remembered, every, stale, sources, shows, named) if restamp is not None else None
    names = {o.id: o.name for o in site.catalog.offerings}
    tool_names = {t.id: t.name for t in site.catalog.tools}
    teams = _teams(site)
    own = digest(every, chrome(site), "" if restamp is not None else footer.text)
    views: dict[int, tuple[object, str]] = {}  # each view's text, written once (see `shown`)
    # what every policy page's key is made from besides the page itself: `own`, the history
    # (`changed`: the timeline and the releases it is shown with), the names of the offerings and
    # tools (`listed`) and the member teams (`team`)
    named_lists = (repr(sorted(names.items())), repr(sorted(tool_names.items())), repr(sorted(teams.items())))
    shared = digest(own, timeline_text, repr(versioning.releases), *named_lists)
    # a build of the command line (`tokens`) tells a policy page's own "Last changed", all it shows
    # of the history, by its own input (`_Carried`, `last_changed`): what they share then holds no
    # history, and a commit carries the pages it did not change ("Last changed" and where it is listed)
    by_own = shared if tokens is None else digest(own, *named_lists)
    views_token = _views_token(remembered, site, measured)
    # a build of the command line (`tokens`): the offering and tool pages' keys the store kept, by
    # what each is made from with a token of every view's inputs (KeptMemo `viewed`)
    # a build of the command line (`tokens`): by the keys the store kept (KeptMemo `viewed`)
    cli_token = None if tokens is None or kept is None else _cli_views_token(site, measured, named)
    viewed_keys = _Viewed(remembered, views_token, kept, cli_token)

    def team(ident: str) -> str:
        member, slash, _ = ident.partition("/")
        return repr(teams.get(member)) if slash else ""

    def key(spec: PageSpec) -> tuple[str, Footer | None]:
        """The page's key, and the footer it is keyed without (`own`, see `restamp`): a list's
        with its own "Last changed" (Footer `changed`), which its key leaves out too."""
        where = (spec.path, spec.template, spec.title, spec.section)
        if own_layouts:  # a site's own templates may show the build's commit and date anywhere
            return digest(whole, repr(build), *where), None
        if shows_build(versioning, spec.template):
            return digest(whole, repr(build), *where), None
        try:
            found = _own(spec, where)
        except TypeError:  # a view this module cannot show (see `shown`): keyed by every input
            return digest(whole, *where), None
        # not a list keyed without its "Last changed" either: by every input (made only then)
        return (
            (found, footer)
            if found is not None
            else _list_key(spec, where, listed, footer, history)
            or (
                digest(whole, *where),
                None,
            )
        )

    def changed(path: str, subject: str | None = None) -> str:
        """What the page at `path` shows of the history (base.html's "Last changed", and with a
        `subject` history_macros.html's table of its events): the fields those templates read."""
        return "" if history is None else _page_history(remembered, history, views, path, subject)

    def _own(spec: PageSpec, where: tuple[str, ...]) -> str | None:
        context = spec.context
        if spec.template == "policy.html" and isinstance(page := context.get("page"), model.Page):
            if remembered.memo is None:  # no memo (the CLI): made, without the inputs a memo compares
                return _policy_key(own, names, tool_names, team, changed, page, where)
            inputs = (shared, where, page.slug, page.source, page.meta, page.html_sha256)
            made = functools.partial(_policy_key, own, names, tool_names, team, changed, page, where)
            return remembered(spec.path, inputs, made)
        if (of_view := _viewed(spec)) is not None:  # an offering's or a tool's page: by its view
            view, subject, ident = of_view
            its_history, member = changed(spec.path, f"{subject}:{ident}"), _teams_shown(team, view, ident)
            made = functools.partial(_view_key, own, where, its_history, view, views, member)
            return viewed_keys(spec.path, own, where, its_history, member, made)
        # a member team's page: its own member (name, mission, where and at which commit it was
        # read, its offerings and tools by name), not the others, which only the Teams page lists
        if spec.template in ("moved.html", "team.html"):
            return digest(own, *where, changed(spec.path), shown(context, views))
        if spec.template == "gone.html":  # a removed offering's or tool's: its history table too
            return digest(own, *where, changed(spec.path, context["subject"]), shown(context, views))
        return None

    # a data file whose declared inputs are complete is keyed by them (and the code), not by every source
    data_base = {True: every, False: whole}
    ask = _asker(reuse, restamp)

    def reuse_one(spec: PageSpec | DataSpec) -> str | bytes | None:
        if isinstance(spec, DataSpec):
            base = data_base[spec.complete]
            made = functools.partial(digest, base, spec.path, "data", spec.inputs)
            return reuse(spec.path, remembered(spec.path, (base, spec.inputs), made))
        return ask(spec.path, *key(spec))

    # what a policy page's and a complete data file's answer depend on besides their own input
    # (see KeptMemo); a site's own layouts key every page by every source (a data file's key is
    # the same with them)
    policy_by_own = not own_layouts and not shows_build(versioning, "policy.html")
    carried = ((by_own, footer.text, restamp is not None, policy_by_own), every)
    carry = None if kept is None or reuse_many is None or recorded is None else (kept, reuse_many, recorded)
    last_changed = _last_changed(history)
    return Keys(
        reuse_one,
        None if carry is None else _Carried(*carry, carried, policy_by_own, tokens, last_changed, reuse_again),
    )


def _last_changed(history: HistoryView | None) -> Callable[[str], str] | None:
    """What the page at a path shows of its newest change (`changed` in `reuse_keys` without a
    subject), as a digest of `_last_shown`: each entry's made once (by identity: `history` holds
    them all while the build lasts). None where no page shows one (no history, or one without a
    change: a site outside git), so that no page's path is looked up in it."""
    if history is None or not history.newest:
        return None
    texts: dict[int, str] = {}

    def last_changed(path: str) -> str:
        last = history.last_changed(path)
        if last is None:
            return ""
        text = texts.get(id(last))
        if text is None:
            text = texts[id(last)] = digest(repr(_last_shown(last)))
        return text

    return last_changed


def _teams_shown(team: Callable[[str], str], view: object, ident: str) -> str:
    """What an offering's or a tool's page shows of the member teams (`team`, of an id): its own
    team, a tool's the team of its alternative, and an offering's the teams of the offerings it
    links and of its tools' alternatives (offering.html and the `alternative` macro label each)."""
    if isinstance(view, ToolView):
        return team(ident) + (team(view.alternative.id) if view.alternative else "")
    if not isinstance(view, OfferingView):
        return team(ident)
    linked = [*view.depends_on, *view.used_by, *((view.replaced_by,) if view.replaced_by else ())]
    instead = [t.alternative for t in view.tools if t.alternative]
    return team(ident) + "".join(team(link.id) for link in linked) + "".join(team(alt.id) for alt in instead)


def _view_key(
    own: str, where: tuple[str, ...], history: str, view: object, views: dict[int, tuple[object, str]], member: str
) -> str:
    """An offering's or a tool's page key (see `reuse_keys`): what every page of the theme shows
    (`own`), where it is, its subject's history, its view and its member team."""
    return digest(own, *where, history, shown(view, views), member)


class _Viewed:
    """The keys of the offering and tool pages: with a `memo` of the last build's (`serve`), as
    `remembered` keeps them, by every input but the view, and the `views_token`; in a build of
    the command line (`cli_token`, what every view is made from, see `_cli_views_token`), each
    the last build's (`kept`, KeptMemo `viewed`) when made from the same inputs but its view and
    with every view made from the same, `kept` left holding this build's; else each made."""

    def __init__(self, remembered: _Remembered, views_token: str, kept: KeptMemo | None, cli_token: str | None) -> None:
        self.remembered, self.views_token, self.cli_token = remembered, views_token, cli_token
        self.last: dict[str, tuple[str, str]] = {}
        self.now: dict[str, tuple[str, str]] = {}
        if kept is not None and cli_token is not None:
            self.last, kept.viewed = kept.viewed, self.now

    def __call__(
        self, path: str, own: str, where: tuple[str, ...], history: str, member: str, make: Callable[[], str]
    ) -> str:
        if self.cli_token is None:
            return self.remembered(path, (self.views_token, own, where, history, member), make)
        inputs = digest(self.cli_token, own, *where, history, member)
        known = self.last.get(path)
        made = known[1] if known is not None and known[0] == inputs else make()
        self.now[path] = (inputs, made)
        return made


def _cli_views_token(site: model.SiteContent, measured: Mapping[Any, object], named: _Named) -> str:
    """What every offering's and tool's view (views.site_view) is made from, as a digest that a
    build of the command line can compare with the last build's (`_Viewed`): the catalog, what
    the build's date makes of the measurements, and what a view shows of each policy page, in
    order (its slug, source and front matter: the page's digest, load.PageResult `digest`, of
    those and its headings, for every page of the site in the order of their slugs, which is
    theirs in `site.pages`; an organisation's members' pages, which have none, after them as
    they are; `serve` compares the objects instead, `_views_token`)."""
    shows = named.shows
    others = (repr((p.slug, p.source, p.meta)) for p in site.pages if p.slug not in shows)
    overdue = repr(sorted(overdue_tools(site.catalog, site.build.date)))  # what the build's date makes of review_by
    return digest("views", repr(site.catalog), repr(measured), overdue, named.pages(), *others)


class _Named:
    """Every source's hash (`sources`, by path) and what each page shows of itself to the others
    (`shows`, by slug), each as one digest of its lines in order, made once when first asked."""

    def __init__(self, sources: Mapping[str, str], shows: Mapping[str, str]) -> None:
        self.shows = shows
        self._sources = sources
        self._made: dict[str, str] = {}

    def sources(self) -> str:
        made = self._made.get("sources")
        if made is None:
            made = self._made["sources"] = digest(*(f"{path}\0{h}" for path, h in sorted(self._sources.items())))
        return made

    def pages(self) -> str:
        made = self._made.get("pages")
        if made is None:
            made = self._made["pages"] = digest(*(f"{slug}\0{h}" for slug, h in sorted(self.shows.items())))
        return made


def _listed(
    remembered: _Remembered,
    every: str,
    stale: str,
    sources: Mapping[str, str],
    shows: Mapping[str, str],
    named: _Named,
) -> str:
    """What a list's key holds besides where it is and its own "Last changed" when the footer is
    filled into it (see `reuse_keys`): what `whole` holds but the footer, the history and the
    releases (the release the catalog has changed since is shown only in the footer and on the
    versions page, which shows the build; of the releases a list shows only whether there are
    any and whether it is one's, which `every` holds: a tag, or an untagged release moving to a
    new commit, leaves its bytes as they were)."""
    return remembered(
        _LISTED,
        (every, stale, sources, shows),
        lambda: digest(every, stale, named.sources(), named.pages()),
    )


def _list_key(
    spec: PageSpec, where: tuple[str, ...], listed: str | None, footer: Footer, history: HistoryView | None
) -> tuple[str, Footer] | None:
    """A list's key when the footer, with the list's own "Last changed" (Footer `changed`), is
    filled into it (`listed`, see `_listed`; None: it is not), and that footer; None for the
    lists that show more of the history than their own "Last changed"."""
    if listed is None or spec.template in _WHOLE_TEMPLATES:
        return None
    last = None if history is None else history.last_changed(spec.path)
    return digest(listed, *where), dataclasses.replace(footer, changed=() if last is None else _last_shown(last))


def _viewed(spec: PageSpec) -> tuple[object, str, str] | None:
    """An offering's or a tool's page: its view, the kind of its subject and its id."""
    if spec.template == "offering.html" and (o := spec.context.get("o")) is not None:
        return o, "offering", o.offering.id
    if spec.template == "tool.html" and (t := spec.context.get("t")) is not None:
        return t, "tool", t.tool.id
    return None


def _views_token(remembered: _Remembered, site: model.SiteContent, measured: Mapping[Any, object]) -> str:
    """What the offering and tool pages' views (views.site_view) are made from, as a token: the
    catalog, what the build's date makes of the measurements (`measured`), and what a view shows of
    each policy page (slug, source, front matter), in order. With a memo (`serve`) it is the last
    build's token while all of that is the same, so that those pages' keys are taken from the memo
    without writing their views out again (`shown`: 350 views of the 5k site, each holding its
    tools' and pages'); a new one otherwise."""
    last = remembered.last.get(_VIEWS)
    overdue = overdue_tools(site.catalog, site.build.date)  # what the build's date makes of review_by
    inputs = (site.catalog, measured, _page_shows(remembered, site.pages, last), overdue)  # shows: [2]
    return remembered(_VIEWS, inputs, lambda: digest("views", last[1] if last is not None else ""))


def _page_shows(
    remembered: _Remembered, pages: tuple[model.Page, ...], last: tuple[tuple[object, ...], str] | None
) -> tuple[object, ...]:
    """What a view shows of each policy page (`_PAGE_SHOWS`: slug, source, front matter), in order;
    with a memo (`serve`), the last build's tuple patched by the pages that changed
    (views.shown_per_page)."""
    memo = remembered.memo
    if memo is None:
        return tuple(map(_PAGE_SHOWS, pages))
    before = remembered.last.get(_VIEWS_PAGES)
    memo[_VIEWS_PAGES] = ((pages,), "")  # (a page is immutable: the very one shows the same)
    shows = last[0][2] if last is not None else None
    read = before[0][0] if before is not None else None
    if not isinstance(shows, tuple) or not isinstance(read, tuple):
        return tuple(map(_PAGE_SHOWS, pages))
    return shown_per_page(_PAGE_SHOWS, pages, read, shows)


def _asker(
    reuse: Callable[[str, str], str | None], restamp: Restamp | None
) -> Callable[[str, str, Footer | None], str | bytes | None]:
    """How the build cache is asked for a page: by its key, or, for a page keyed without its
    `footer`, through `restamp`, which fills the footer in."""

    def ask(path: str, key: str, footer: Footer | None) -> str | bytes | None:
        if footer is not None and restamp is not None:
            return restamp(path, key, footer)
        return reuse(path, key)

    return ask
