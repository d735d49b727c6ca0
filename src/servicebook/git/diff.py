"""Semantic diff of two states of a catalog and its policy pages: what changed, in the catalog's
own words, and whether each change weakens a commitment. Pure functions, no git, no I/O.

A state is a `Snapshot`: the checked `model.Catalog` (None when it did not validate or is missing)
and a `PageInfo` per policy page (title and a digest per section). `diff_snapshots` returns the
changes in a fixed order; `to_markdown` and `to_json` present them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.catalog.slo import (
    effective_support,
    error_budget,
    format_minutes,
    format_percent,
    hours_text,
    window_days,
)
from servicebook.catalog.validate import changed_span, minutes_text, parse_days, read_record
from servicebook.content.markdown import markdown_parser, outline, page_links
from servicebook.errors import Problem, printable
from servicebook.report import problem_dict
from servicebook.source.lookalike import alike_apart
from servicebook.source.yaml import SourceError, decode, parse_yaml, split_front_matter

Effect = Literal["weakened", "strengthened", "neutral"]
EFFECTS: tuple[Effect, ...] = ("weakened", "strengthened", "neutral")
DIFF_JSON_VERSION = 1

# How much an offering's lifecycle promises, higher is more.
_LIFECYCLE_RANK = {
    model.Lifecycle.GA: 3,
    model.Lifecycle.BETA: 2,
    model.Lifecycle.DEPRECATED: 1,
    model.Lifecycle.RETIRED: 0,
}
_LADDER = list(model.ToolStatus)  # strongest first


@dataclass(frozen=True, slots=True)
class Change:
    """One semantic change. `subject` names the entity: "offering:ci", "tool:jenkins", "support",
    "page:change-approval", "catalog"; `kind` is a stable machine name such as "slo.objective"."""

    kind: str
    subject: str
    effect: Effect
    text: str
    before: str | None = None
    after: str | None = None
    # who wrote it, when not the commit's author: a member's authors, for a lock move that brought it
    by: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str  # "" for the text before the first heading
    title: str
    digest: str


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What the diff needs to know about a policy page."""

    slug: str
    path: str  # relative to the site root, e.g. content/change-approval.md
    title: str
    sections: tuple[Section, ...]
    digest: str
    meta: model.PageMeta | None = None  # its front matter, when it reads
    # the policy pages its body links to: (the page's name, the line of the link, the link as
    # written), for a page read from its bytes (`page_info`); () from the history's outlines
    links: tuple[tuple[str, int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The catalog and pages at one revision (or in the working tree). `catalog` is None when it
    did not validate, or when there was none (`absent`: before the pull request that adds it, or
    after the one that removes it)."""

    catalog: model.Catalog | None
    pages: tuple[PageInfo, ...] = ()
    absent: bool = False
    # Site-relative path → content id of the other files that make the site: templates under
    # layouts/ and files under content/ that pages show or link to (images, PDF …).
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)


def page_info(path: str, slug: str, data: bytes) -> PageInfo:
    """Read a policy page's title and sections through the same decoder, YAML reader and Markdown
    parser as the build; a page that does not read is still a page (titled by its slug)."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        source = decode(path, data)
        front, body, offset = split_front_matter(source)
        title, meta = slug, None
        if front is not None:
            checked, _problems = read_record(source, parse_yaml(source, text=front, line_offset=1), model.PageMeta, "")
            if checked is not None:
                title, meta = checked.value.title, checked.value
    except SourceError:
        return PageInfo(slug, path, slug, (), digest)
    tokens = markdown_parser().parse(body)
    sections = tuple(Section(anchor, title, sha.hex()) for anchor, title, sha in outline(body, tokens))
    return PageInfo(slug, path, title, sections, digest, meta, page_links(tokens, slug, offset))


# --------------------------------------------------------------------------- the diff


def diff_snapshots(old: Snapshot, new: Snapshot, renames: Mapping[str, str] | None = None) -> tuple[Change, ...]:
    """Every change from `old` to `new`. `renames` maps old page paths to new ones (from git's
    rename detection); pages with identical content under a new name are paired too."""
    out: list[Change] = []
    if old.catalog is not None and new.catalog is not None:
        out += diff_catalogs(old.catalog, new.catalog)
    elif old.absent and new.catalog is not None:
        text = f"Catalog added, at version {new.catalog.version}: there was no catalog.yaml before"
        out += [Change("catalog.added", "catalog", "neutral", text, None, new.catalog.version)]
        out += added_catalog(new.catalog)
    elif old.catalog is not None and new.absent:
        # Weakens: with the catalog go the team's support hours and response targets, which no
        # removal of an offering or tool below accounts for.
        text = (
            f"Catalog removed, at version {old.catalog.version}: there is no catalog.yaml any more, and with it "
            "go the team's published support hours and response targets"
        )
        out += [Change("catalog.removed", "catalog", "weakened", text, old.catalog.version, None)]
        out += removed_catalog(old.catalog)
    out += diff_pages(old.pages, new.pages, renames or {})
    out += diff_files(old.files, new.files)
    return tuple(pages_follow_moves(out))


def added_catalog(new: model.Catalog) -> list[Change]:
    """What a catalog brings where there was none: every category, offering and tool, added."""
    return diff_catalogs(dataclasses.replace(new, categories=(), offerings=(), tools=()), new)


def _numbers(version: str) -> tuple[int, ...] | None:
    """A version made only of numbers and dots, as numbers without its trailing zeros (`1.2.0` is
    `1.2`); None for any other name (`2026.11-rc1`, `alpha`), which has no order here."""
    parts = version.split(".")
    if not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def _goes_back(old: str, new: str) -> bool:
    """Whether `new` is a lower version than `old`, both made only of numbers and dots."""
    before, after = _numbers(old), _numbers(new)
    return before is not None and after is not None and after < before


def removed_catalog(old: model.Catalog) -> list[Change]:
    """What goes with a catalog that is deleted: every category, offering and tool, removed (each
    judged as any removal is: an offering weakens, a tool that was supported or best-effort too)."""
    return diff_catalogs(old, dataclasses.replace(old, categories=(), offerings=(), tools=()))


def diff_catalogs(old: model.Catalog, new: model.Catalog, *, validated: bool = False) -> list[Change]:
    """What changed from `old` to `new`. `validated`: both passed check_catalog without an error,
    so no id is given twice in a list (spares the check of that, linear in the catalog's size)."""
    out: list[Change] = []
    if old.version != new.version:
        text = f"Catalog version {old.version} → {new.version}"
        if _goes_back(old.version, new.version):
            text += (
                f": lower than before (a release of {old.version} may exist already;"
                " a new version number is usually higher than the last)"
            )
        out.append(Change("catalog.version", "catalog", "neutral", text, old.version, new.version))
    out += _generic("catalog", "Site settings", old.site, new.site, "site")
    out += _generic("catalog", "Team", old.team, new.team, "team")
    none = model.Portals()
    out += _generic("catalog", "Portal exports", old.portals or none, new.portals or none, "portals")
    out += _keyed("category", "catalog", "Category", old.categories, new.categories)
    team = _support("support", TEAM_SUPPORT, old.support, new.support)
    out += team
    out += _offerings(old, new, team, validated)
    out += _tools(old.tools, new.tools, validated)
    return out


def _q(text: str) -> str:
    return f"\u201c{text}\u201d"


def _texts(value: object) -> Iterator[str]:
    """The texts a value shows, in order: its own, or its fields' and items' (a date, a number as written)."""
    if isinstance(value, tuple):
        for item in value:
            yield from _texts(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name))
    else:
        yield value if isinstance(value, str) else str(value)


def _alike(x: object, y: object) -> str:
    """A note for a change that a reader cannot see: `x` and `y` differ only in look-alike or invisible
    characters ('Platform Team' to 'Platform Tеam', 'copy' to Cyrillic 'сору', a zero-width space)."""
    told = alike_apart("\0".join(_texts(x)), "\0".join(_texts(y)))
    return "" if told is None else f" (only in look-alike or invisible characters: {told})"


def _offering_label(o: model.Offering) -> str:
    return f"Offering {_q(o.name)}"


def _same_ids(
    old: Sequence[model.Offering] | Sequence[model.Tool],
    new: Sequence[model.Offering] | Sequence[model.Tool],
    unique: bool,
) -> list[int] | None:
    """Where `old` and `new` differ, when every record keeps its id and its place and no id is
    given twice (as in two versions of a catalog that validated, read by records.py, which shares
    the records they have in common): the positions of the records that are not the very same
    object, which are then the only ones that can differ by id. None: compare them by id.
    `unique`: no id is given twice (else it is checked)."""
    start, old_end, new_end = changed_span(old, new)
    if old_end != new_end or any(old[i].id != new[i].id for i in range(start, old_end)):
        return None
    if not unique and len(set(map(operator.attrgetter("id"), new))) != len(new):
        return None
    return list(range(start, old_end))


def _offerings(
    old_cat: model.Catalog, new_cat: model.Catalog, team: Sequence[Change], validated: bool = False
) -> list[Change]:
    out: list[Change] = []
    same_team = old_cat.support == new_cat.support
    changed = _same_ids(old_cat.offerings, new_cat.offerings, validated) if same_team else None
    if changed is not None:  # the common case of a commit, over thousands of offerings
        for i in sorted(changed, key=lambda i: new_cat.offerings[i].id):
            a, b = old_cat.offerings[i], new_cat.offerings[i]
            if a is not b and a != b:
                out += _offering(a, b, old_cat.support, new_cat.support, team)
        return out
    old = {o.id: o for o in old_cat.offerings}
    new = {o.id: o for o in new_cat.offerings}
    removed = [old[i] for i in sorted(old.keys() - new.keys())]
    added = [new[i] for i in sorted(new.keys() - old.keys())]
    # An id change with nothing else changed is a move, not a removal plus an addition; so is one
    # the new offering declares (`renamed_from`), whatever else changed with it, which is then
    # compared as for any offering.
    for gone in list(removed):
        twin = next((a for a in added if dataclasses.replace(a, id=gone.id) == gone), None)
        declared = None if twin is not None else next((a for a in added if gone.id in a.renamed_from), None)
        moved = twin or declared
        if moved is not None:
            removed.remove(gone)
            added.remove(moved)
            out.append(
                Change(
                    "offering.id",
                    f"offering:{moved.id}",
                    "neutral",
                    f"{_offering_label(moved)} moved from id {gone.id} to {moved.id} (its page moves from "
                    f"{routes.offering(gone.id)} to {routes.offering(moved.id)}"
                    + (
                        ", and the old address sends readers on)"
                        if gone.id in moved.renamed_from
                        else f", and the old address is gone; declaring renamed_from: [{gone.id}] keeps it)"
                    ),
                    gone.id,
                    moved.id,
                )
            )
        if declared is not None:
            before = dataclasses.replace(gone, id=declared.id, renamed_from=declared.renamed_from)
            out += _offering(before, declared, old_cat.support, new_cat.support, team)
    for o in removed:  # `after`: what its replaced_by named, for the page left at its old address
        text = f"{_offering_label(o)} ({o.id}) removed" + (f"; use {o.replaced_by} instead" if o.replaced_by else "")
        out.append(Change("offering.removed", f"offering:{o.id}", "weakened", text, o.name, o.replaced_by))
    for o in added:
        out.append(
            Change(
                "offering.added",
                f"offering:{o.id}",
                "neutral",
                f"{_offering_label(o)} ({o.id}) added: {o.lifecycle.value}, tier {o.tier.value}",
                None,
                o.name,
            )
        )
    for oid in sorted(old.keys() & new.keys()):
        if same_team and (old[oid] is new[oid] or old[oid] == new[oid]):  # most offerings, in most commits
            continue
        out += _offering(old[oid], new[oid], old_cat.support, new_cat.support, team)
    return out


def _offering(
    a: model.Offering, b: model.Offering, team_a: model.Support, team_b: model.Support, team: Sequence[Change]
) -> list[Change]:
    subject = f"offering:{b.id}"
    label = _offering_label(b)
    out: list[Change] = []
    if a.name != b.name:
        out.append(
            Change(
                "offering.renamed",
                subject,
                "neutral",
                f"Offering {b.id} renamed from {_q(a.name)} to {_q(b.name)}{_alike(a.name, b.name)}",
                a.name,
                b.name,
            )
        )
    if a.lifecycle != b.lifecycle:
        rank_a, rank_b = _LIFECYCLE_RANK[a.lifecycle], _LIFECYCLE_RANK[b.lifecycle]
        effect: Effect = "weakened" if rank_b < rank_a else "strengthened"
        out.append(
            Change(
                "offering.lifecycle",
                subject,
                effect,
                f"{label} moved from {a.lifecycle.value} to {b.lifecycle.value}",
                a.lifecycle.value,
                b.lifecycle.value,
            )
        )
    if a.tier != b.tier:
        effect = "weakened" if int(b.tier.value) > int(a.tier.value) else "strengthened"
        out.append(
            Change(
                "offering.tier",
                subject,
                effect,
                f"{label} tier changed from {a.tier.value} to {b.tier.value}",
                a.tier.value,
                b.tier.value,
            )
        )
    skip = {"id", "name", "lifecycle", "tier", "slos", "support"}
    out += _generic(subject, label, a, b, "offering", skip=skip)
    out += _slos(subject, b.name, a.slos, b.slos)
    if a.support is not None or b.support is not None:
        # What the offering's users get, less what they get because the team-wide support changed
        # (listed once, as the team's): an offering whose override leaves hours to the team is not
        # listed again for a change of the team's hours, one that sets its own hours is unaffected.
        own = f"Support for {_q(b.name)}"
        inherited = {_support_key(c, TEAM_SUPPORT) for c in team}
        changes = _support(subject, own, effective_support(team_a, a.support), effective_support(team_b, b.support))
        out += [c for c in changes if _support_key(c, own) not in inherited]
    return out


TEAM_SUPPORT = "Team support"


def _support_key(change: Change, label: str) -> tuple[str, str, str | None, str | None]:
    """A support change without whose support it is (every such text starts with its label)."""
    return change.kind, change.text.removeprefix(label), change.before, change.after


def _slos(subject: str, offering: str, old: Sequence[model.SLO], new: Sequence[model.SLO]) -> list[Change]:
    out: list[Change] = []
    a = {s.id: s for s in old}
    b = {s.id: s for s in new}
    for sid in sorted(a.keys() - b.keys()):
        s = a[sid]
        out.append(
            Change(
                "slo.removed",
                subject,
                "weakened",
                f"SLO {_q(s.name)} of {_q(offering)} removed "
                f"(was {format_percent(s.objective)} over {error_budget(s).window_text})",
                format_percent(s.objective),
            )
        )
    for sid in sorted(b.keys() - a.keys()):
        s = b[sid]
        out.append(
            Change(
                "slo.added",
                subject,
                "strengthened",
                f"SLO {_q(s.name)} of {_q(offering)} added: "
                f"{format_percent(s.objective)} over {error_budget(s).window_text} "
                f"(error budget {error_budget(s).text})",
                None,
                format_percent(s.objective),
            )
        )
    for sid in sorted(a.keys() & b.keys()):
        x, y = a[sid], b[sid]
        name = f"SLO {_q(y.name)} of {_q(offering)}"
        bx, by = error_budget(x), error_budget(y)
        if x.objective != y.objective:
            lowered = y.objective < x.objective
            if x.window == y.window:
                budget = f"{'grows' if lowered else 'shrinks'} from {bx.text} to {by.text} per {by.window_text}"
            else:  # budgets over two windows: each is named
                budget = f"goes from {bx.text} per {bx.window_text} to {by.text} per {by.window_text}"
            out.append(
                Change(
                    "slo.objective",
                    subject,
                    "weakened" if lowered else "strengthened",
                    f"{name} {'lowered' if lowered else 'raised'} from {format_percent(x.objective)} to "
                    f"{format_percent(y.objective)}: the error budget {budget}",
                    format_percent(x.objective),
                    format_percent(y.objective),
                )
            )
        if x.window != y.window:
            out.append(_window_change(subject, name, x, y))
        if x.sli != y.sli:
            out.append(
                Change("slo.sli", subject, "neutral", f"{name} measures something else: SLI changed", x.sli, y.sli)
            )
        if x.name != y.name:
            out.append(
                Change(
                    "slo.renamed",
                    subject,
                    "neutral",
                    f"SLO {sid} of {_q(offering)} renamed from {_q(x.name)} to {_q(y.name)}{_alike(x.name, y.name)}",
                    x.name,
                    y.name,
                )
            )
        if x.budgeting != y.budgeting:
            out.append(_budgeting_change(subject, name, x, y))
        out += _slices(subject, name, x, y)
    return out


def _budgeting_change(subject: str, name: str, x: model.SLO, y: model.SLO) -> Change:
    """Events or time slices: the same objective spends its error budget on other things. Counted in
    events, every failed event spends it and a failure at peak spends more than one at a quiet hour;
    counted in slices, only a slice with too few good events spends it (errors spread thinly spend
    nothing), and a bad slice at a quiet hour spends as much as one at peak. Neither promise follows
    from the other, so the change is neither weaker nor stronger: the text says what it now counts."""
    if model.Budgeting.RATIO_TIMESLICES in (x.budgeting, y.budgeting):
        return _ratio_slices_change(subject, name, x, y)
    sliced = y if y.budgeting is model.Budgeting.TIMESLICES else x
    size = f" of {minutes_text(sliced.timeslice_window)}" if sliced.timeslice_window is not None else ""
    target = sliced.timeslice_target
    bad = (
        "any of its events fails"
        if target is None or target >= 100
        else f"fewer than {format_percent(target)} of its events are good"
    )
    budget = f"the error budget ({error_budget(y).text} per {error_budget(y).window_text})"
    if y.budgeting is model.Budgeting.TIMESLICES:
        why = (
            f"{budget} is now spent by bad time slices{size}, not by failed events: a slice is bad when {bad}, "
            "so errors spread thinly no longer spend it, and a bad slice at a quiet hour spends as much "
            "as one at peak"
        )
    else:
        why = (
            f"{budget} is now spent by failed events, not by bad time slices{size} (a slice was bad when {bad}): "
            "every failed event spends it, and a failure at peak spends more than one at a quiet hour"
        )
    return Change(
        "slo.budgeting",
        subject,
        "neutral",
        f"{name} budgeting changed from {x.budgeting.value} to {y.budgeting.value}: {why}",
        x.budgeting.value,
        y.budgeting.value,
    )


def _ratio_slices_change(subject: str, name: str, x: model.SLO, y: model.SLO) -> Change:
    """To or from ratio-timeslices (OpenSLO's RatioTimeslices), the mean of each slice's share of good
    events: every slice weighs the same, so a failure at a quiet hour spends more of the budget than
    one at peak, and no slice is simply good or bad. Neither weaker nor stronger, as any change of
    method: the text says what spends the budget now and what spent it before."""

    def spends(slo: model.SLO) -> str:
        size = f" of {minutes_text(slo.timeslice_window)}" if slo.timeslice_window is not None else ""
        if slo.budgeting is model.Budgeting.RATIO_TIMESLICES:
            return (
                f"each time slice{size}'s share of failed events, every slice weighing the same (a failure at a "
                "quiet hour spends more than one at peak)"
            )
        if slo.budgeting is model.Budgeting.TIMESLICES:
            target = slo.timeslice_target
            bad = (
                "any of its events fails"
                if target is None or target >= 100
                else f"fewer than {format_percent(target)} of its events are good"
            )
            return f"bad time slices{size} (a slice is bad when {bad})"
        return "failed events (a failure at peak spends more than one at a quiet hour)"

    budget = f"the error budget ({error_budget(y).text} per {error_budget(y).window_text})"
    return Change(
        "slo.budgeting",
        subject,
        "neutral",
        f"{name} budgeting changed from {x.budgeting.value} to {y.budgeting.value}: {budget} is now spent by "
        f"{spends(y)}, not by {spends(x)}",
        x.budgeting.value,
        y.budgeting.value,
    )


def _window_change(subject: str, name: str, x: model.SLO, y: model.SLO) -> Change:
    """A new window is a new promise, judged at the same objective (a new objective is a change of
    its own): over a longer window the error budget grows, so one incident may last longer before
    the promise is broken (30 days → 90 days: 3 h 36 min → 10 h 48 min at 99.5 %), and a calendar
    window judges only whole months or quarters, where a rolling one of the same length judges every
    span of it (an incident across the turn of a month is split between two months). Longer, or
    calendar instead of rolling at the same length, weakens; shorter, or rolling instead of
    calendar, strengthens. docs/reviewing-changes.md says why, with the figures."""
    bx, by = error_budget(x), error_budget(y)
    old_days, new_days = window_days(x.window)[0], window_days(y.window)[0]
    old_calendar, new_calendar = x.window.startswith("calendar-"), y.window.startswith("calendar-")
    weakened = (new_days, new_calendar) > (old_days, old_calendar)
    if new_days > old_days:
        verb, why = "lengthened", "a longer incident fits in its error budget"
    elif new_days < old_days:
        verb, why = "shortened", "a shorter incident breaks it"
    else:  # a rolling window and a calendar one of the same length
        period = (by if new_calendar else bx).window_text.removeprefix("calendar ")
        verb = "changed"
        if new_calendar:
            why = f"only whole {period}s are judged: an incident across the turn of a {period} is split in two"
        else:
            why = f"every {new_days} days are judged, not only whole {period}s"
    # With a new objective too, the budgets are in the objective's line, each with its window.
    budgets = f" (error budget {bx.text} per {bx.window_text} → {by.text} per {by.window_text})"
    return Change(
        "slo.window",
        subject,
        "weakened" if weakened else "strengthened",
        f"{name} window {verb} from {bx.window_text} to {by.window_text}: {why}"
        f"{budgets if x.objective == y.objective else ''}",
        x.window,
        y.window,
    )


def _slices(subject: str, name: str, x: model.SLO, y: model.SLO) -> list[Change]:
    """What a time slice is, and where a calendar window starts: a slice that needs fewer good
    events to count as good is a weaker promise."""
    out: list[Change] = []
    a, b = x.timeslice_target, y.timeslice_target
    if a is not None and b is not None and a != b:
        effect: Effect = "weakened" if b < a else "strengthened"
        verb = "lowered" if b < a else "raised"
        out.append(
            Change(
                "slo.timeslice_target",
                subject,
                effect,
                f"{name} time-slice target {verb} from {format_percent(a)} to {format_percent(b)}",
                format_percent(a),
                format_percent(b),
            )
        )
    if x.timeslice_window is not None and y.timeslice_window is not None and x.timeslice_window != y.timeslice_window:
        before, after = minutes_text(x.timeslice_window), minutes_text(y.timeslice_window)
        out.append(
            Change(
                "slo.timeslice_window",
                subject,
                "neutral",
                f"{name} time slice changed from {before} to {after}",
                before,
                after,
            )
        )
    if x.timezone != y.timezone and x.window == y.window:
        before, after = x.timezone or "the support time zone", y.timezone or "the support time zone"
        out.append(
            Change(
                "slo.timezone",
                subject,
                "neutral",
                f"{name} calendar window now starts in {after} (was {before})",
                x.timezone or "",
                y.timezone or "",
            )
        )
    return out


def weekly_minutes(hours: model.Hours) -> int:
    """Minutes of support per week that `hours` promise."""
    start_h, start_m = (int(p) for p in hours.start.split(":"))
    end_h, end_m = (int(p) for p in hours.end.split(":"))
    per_day = (end_h * 60 + end_m) - (start_h * 60 + start_m)
    if per_day <= 0:
        per_day += 24 * 60
    return len(parse_days(hours.days) or ()) * per_day


def _week(minutes: int) -> str:
    return f"{minutes // 60} h{f' {minutes % 60} min' if minutes % 60 else ''} a week"


def _support(subject: str, label: str, a: model.Support, b: model.Support) -> list[Change]:
    out: list[Change] = []
    if a.hours != b.hours:
        wa, wb = weekly_minutes(a.hours), weekly_minutes(b.hours)
        effect: Effect = "weakened" if wb < wa else "strengthened" if wb > wa else "neutral"
        out.append(
            Change(
                "support.hours",
                subject,
                effect,
                f"{label} hours changed from {hours_text(a.hours)} to {hours_text(b.hours)} "
                f"({_week(wa)} → {_week(wb)})",
                hours_text(a.hours),
                hours_text(b.hours),
            )
        )
    ca = {(c.kind.value, c.name): c for c in a.channels}
    cb = {(c.kind.value, c.name): c for c in b.channels}
    for key in sorted(ca.keys() - cb.keys()):
        out.append(
            Change(
                "support.channel.removed",
                subject,
                "weakened",
                f"{label}: {key[0]} channel {_q(key[1])} removed",
                key[1],
            )
        )
    for key in sorted(cb.keys() - ca.keys()):
        out.append(
            Change(
                "support.channel.added",
                subject,
                "strengthened",
                f"{label}: {key[0]} channel {_q(key[1])} added",
                None,
                key[1],
            )
        )
    for key in sorted(ca.keys() & cb.keys()):
        if ca[key] != cb[key]:
            what = ", ".join(
                f.name for f in dataclasses.fields(cb[key]) if getattr(ca[key], f.name) != getattr(cb[key], f.name)
            )
            out.append(
                Change(
                    "support.channel.changed",
                    subject,
                    "neutral",
                    f"{label}: {key[0]} channel {_q(key[1])} changed ({what})",
                )
            )
    out += _severities(subject, label, a.severities, b.severities)
    if a.oncall != b.oncall:
        if b.oncall is None:
            out.append(Change("support.oncall.removed", subject, "weakened", f"{label}: on-call removed"))
        elif a.oncall is None:
            out.append(Change("support.oncall.added", subject, "strengthened", f"{label}: on-call added"))
        else:
            text = f"{label}: on-call arrangements changed{_alike(a.oncall, b.oncall)}"
            out.append(Change("support.oncall.changed", subject, "neutral", text))
    if a.escalation != b.escalation:
        out.append(Change("support.escalation", subject, "neutral", f"{label}: escalation steps changed"))
    return out


def _severities(subject: str, label: str, old: Sequence[model.Severity], new: Sequence[model.Severity]) -> list[Change]:
    out: list[Change] = []
    sa = {s.id: s for s in old}
    sb = {s.id: s for s in new}
    for sid in sorted(sa.keys() - sb.keys()):
        s = sa[sid]
        out.append(
            Change(
                "support.severity.removed",
                subject,
                "weakened",
                f"{label}: severity {sid} ({s.name}) removed (first response was {format_minutes(s.response)})",
                format_minutes(s.response),
            )
        )
    for sid in sorted(sb.keys() - sa.keys()):
        s = sb[sid]
        out.append(
            Change(
                "support.severity.added",
                subject,
                "strengthened",
                f"{label}: severity {sid} ({s.name}) added, first response within {format_minutes(s.response)}",
                None,
                format_minutes(s.response),
            )
        )
    for sid in sorted(sa.keys() & sb.keys()):
        x, y = sa[sid], sb[sid]
        if x.response != y.response:
            slower = y.response > x.response
            out.append(
                Change(
                    "support.response",
                    subject,
                    "weakened" if slower else "strengthened",
                    f"{label}: first response for {sid} ({y.name}) {'slower' if slower else 'faster'}, "
                    f"from {format_minutes(x.response)} to {format_minutes(y.response)}",
                    format_minutes(x.response),
                    format_minutes(y.response),
                )
            )
        if x.coverage != y.coverage:
            narrower = y.coverage is model.Coverage.BUSINESS_HOURS
            out.append(
                Change(
                    "support.coverage",
                    subject,
                    "weakened" if narrower else "strengthened",
                    f"{label}: the response clock for {sid} ({y.name}) now runs "
                    f"{'during business hours only' if narrower else '24×7'} (was {x.coverage.value})",
                    x.coverage.value,
                    y.coverage.value,
                )
            )
        if (x.name, x.description) != (y.name, y.description):
            out.append(Change("support.severity.changed", subject, "neutral", f"{label}: severity {sid} reworded"))
    return out


def _tool_label(t: model.Tool) -> str:
    return f"Tool {_q(t.name)}"


def removed_name(change: Change) -> str | None:
    """The name an offering or a tool had as a change removed it: an offering's is its `before`,
    a tool's (whose `before` is its status) is the one its text quotes (`_tools_compared`)."""
    if change.kind == "offering.removed":
        return change.before
    ident = change.subject.removeprefix("tool:")
    start, end = "Tool \u201c", f"\u201d ({ident}) removed"
    if change.kind != "tool.removed" or not change.text.startswith(start) or end not in change.text:
        return None
    return change.text[len(start) : change.text.rindex(end)] or None


def _tools(old: Sequence[model.Tool], new: Sequence[model.Tool], validated: bool = False) -> list[Change]:
    changed = _same_ids(old, new, validated)
    if changed is not None:  # the common case of a commit, over thousands of tools
        return _tools_compared([old[i] for i in changed], [new[i] for i in changed])
    return _tools_compared(old, new)


def _tools_compared(old: Sequence[model.Tool], new: Sequence[model.Tool]) -> list[Change]:
    out: list[Change] = []
    a = {t.id: t for t in old}
    b = {t.id: t for t in new}
    # A tool that declares its old id (`renamed_from`) is that decision moved, compared as such.
    for tid in sorted(a.keys() - b.keys()):
        heir = next((b[n] for n in sorted(b.keys() - a.keys()) if tid in b[n].renamed_from), None)
        if heir is not None:
            out.append(
                Change(
                    "tool.id",
                    f"tool:{heir.id}",
                    "neutral",
                    f"{_tool_label(heir)} moved from id {tid} to {heir.id} (its page moves from {routes.tool(tid)} to "
                    f"{routes.tool(heir.id)}, and the old address sends readers on)",
                    tid,
                    heir.id,
                )
            )
            moved = dataclasses.replace(a.pop(tid), id=heir.id, renamed_from=heir.renamed_from)
            a[heir.id] = moved
    # An id change with nothing else changed is a move too, as for offerings: not a supported
    # decision removed (which weakens a commitment) plus one added.
    for tid in sorted(a.keys() - b.keys()):
        twin = next((b[n] for n in sorted(b.keys() - a.keys()) if dataclasses.replace(b[n], id=tid) == a[tid]), None)
        if twin is not None:
            out.append(
                Change(
                    "tool.id",
                    f"tool:{twin.id}",
                    "neutral",
                    f"{_tool_label(twin)} moved from id {tid} to {twin.id} (its page moves from {routes.tool(tid)} to "
                    f"{routes.tool(twin.id)}, and the old address is gone; declaring renamed_from: [{tid}] keeps it)",
                    tid,
                    twin.id,
                )
            )
            a[twin.id] = dataclasses.replace(a.pop(tid), id=twin.id)
    for tid in sorted(a.keys() - b.keys()):
        t = a[tid]
        dropped = t.status in (model.ToolStatus.SUPPORTED, model.ToolStatus.BEST_EFFORT)
        out.append(
            Change(
                "tool.removed",
                f"tool:{tid}",
                "weakened" if dropped else "neutral",
                f"{_tool_label(t)} ({tid}) removed from the catalog (was {t.status.value}"
                + (f"; use {t.alternative} instead)" if t.alternative else ")"),
                t.status.value,
                t.alternative,  # what to use instead, for the page left at its old address
            )
        )
    for tid in sorted(b.keys() - a.keys()):
        t = b[tid]
        out.append(
            Change(
                "tool.added",
                f"tool:{tid}",
                "neutral",
                f"{_tool_label(t)} ({tid}) added: {t.status.value}",
                None,
                t.status.value,
            )
        )
    for tid in sorted(a.keys() & b.keys()):
        x, y = a[tid], b[tid]
        if x is y or x == y:  # one object when read record by record (records.py)
            continue
        subject, label = f"tool:{tid}", _tool_label(y)
        if x.status != y.status:
            down = _LADDER.index(y.status) > _LADDER.index(x.status)
            # `since` dates the decision the site shows ("unsupported since"): one left as it was
            # dates this move by the one before, which a reviewer can fix and an auditor should know
            kept = f"; its since still says {y.since.isoformat()}, the date of the {x.status.value} decision"
            out.append(
                Change(
                    "tool.status",
                    subject,
                    "weakened" if down else "strengthened",
                    f"{label} moved {'down' if down else 'up'} the ladder from {x.status.value} to {y.status.value}"
                    + (kept if x.since == y.since else ""),
                    x.status.value,
                    y.status.value,
                )
            )
        if x.alternative != y.alternative:
            if y.alternative is None:
                text = f"{label}: alternative {x.alternative} removed"
            elif x.alternative is None:
                text = f"{label}: alternative set to {y.alternative}"
            else:
                text = f"{label}: alternative changed from {x.alternative} to {y.alternative}"
            out.append(Change("tool.alternative", subject, "neutral", text, x.alternative, y.alternative))
        if x.name != y.name:
            out.append(
                Change(
                    "tool.renamed",
                    subject,
                    "neutral",
                    f"Tool {tid} renamed from {_q(x.name)} to {_q(y.name)}{_alike(x.name, y.name)}",
                    x.name,
                    y.name,
                )
            )
        out += _generic(subject, label, x, y, "tool", skip={"id", "name", "status", "alternative"})
    return out


def _keyed(
    kind: str, subject: str, label: str, old: Sequence[model.Category], new: Sequence[model.Category]
) -> list[Change]:
    a = {c.id: c for c in old}
    b = {c.id: c for c in new}
    out = [
        Change(f"{kind}.removed", subject, "neutral", f"{label} {_q(a[k].name)} ({k}) removed")
        for k in sorted(a.keys() - b.keys())
    ]
    out += [
        Change(f"{kind}.added", subject, "neutral", f"{label} {_q(b[k].name)} ({k}) added")
        for k in sorted(b.keys() - a.keys())
    ]
    out += [
        Change(f"{kind}.changed", subject, "neutral", f"{label} {_q(b[k].name)} ({k}) changed{_alike(a[k], b[k])}")
        for k in sorted(a.keys() & b.keys())
        if a[k] != b[k]
    ]
    return out


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_show(v) for v in value) or "none"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return "none" if value is None else str(value)


def _generic(
    subject: str, label: str, a: object, b: object, kind: str, *, skip: Iterable[str] = ()
) -> Iterator[Change]:
    """Field by field, for the parts of a record that have no special meaning for commitments."""
    skipped = set(skip)
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        if f.name in skipped:
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x == y:
            continue
        key = f.metadata.get("key", f.name)
        simple = not dataclasses.is_dataclass(x) and not dataclasses.is_dataclass(y)
        simple = simple and not any(dataclasses.is_dataclass(v) for v in (x if isinstance(x, tuple) else ()))
        simple = simple and not any(dataclasses.is_dataclass(v) for v in (y if isinstance(y, tuple) else ()))
        if simple and len(_show(x)) <= 80 and len(_show(y)) <= 80 and "\n" not in _show(x) + _show(y):
            text = f"{label}: {key} changed from {_show(x)} to {_show(y)}{_alike(x, y)}"
            yield Change(f"{kind}.{key}", subject, "neutral", text, _show(x), _show(y))
        else:
            yield Change(f"{kind}.{key}", subject, "neutral", f"{label}: {key} changed{_alike(x, y)}")


def diff_pages(old: Sequence[PageInfo], new: Sequence[PageInfo], renames: Mapping[str, str]) -> list[Change]:
    out: list[Change] = []
    a = {p.path: p for p in old}
    b = {p.path: p for p in new}
    removed = sorted(a.keys() - b.keys())
    added = sorted(b.keys() - a.keys())
    pairs: list[tuple[PageInfo, PageInfo]] = []
    for path in list(removed):
        target = renames.get(path)
        if target is None or target not in added:  # a page that declares its old name is that page, moved
            target = next((n for n in added if (m := b[n].meta) is not None and a[path].slug in m.renamed_from), None)
        if target is None:
            target = next((n for n in added if b[n].digest == a[path].digest), None)
        if target is not None:
            removed.remove(path)
            added.remove(target)
            pairs.append((a[path], b[target]))
            was, now = a[path].slug, b[target].slug
            # a new file name is a new address: readers' links and bookmarks to the old one break
            kept = b[target].meta is not None and was in b[target].meta.renamed_from  # type: ignore[union-attr]
            address = (
                ""
                if was == now
                else f" (its page moves from {routes.policy(was)} to {routes.policy(now)}, and the old address "
                + (
                    "sends readers on)"
                    if kept
                    else f"is gone; declaring renamed_from: [{was}] in its front matter keeps it)"
                )
            )
            out.append(
                Change(
                    "page.moved",
                    f"page:{now}",
                    "neutral",
                    f"Policy page {_q(b[target].title)} moved from {path} to {target}{address}",
                    path,
                    target,
                )
            )
    gone = {a[path].slug: "" for path in removed} | {x.slug: y.slug for x, y in pairs if x.slug != y.slug}
    out += _links_broken(gone, new)
    for path in removed:
        out.append(
            Change(
                "page.removed",
                f"page:{a[path].slug}",
                "neutral",
                f"Policy page {_q(a[path].title)} ({path}) removed",
                path,
            )
        )
    for path in added:
        out.append(
            Change(
                "page.added",
                f"page:{b[path].slug}",
                "neutral",
                f"Policy page {_q(b[path].title)} ({path}) added",
                None,
                path,
            )
        )
    pairs += [(a[p], b[p]) for p in sorted(a.keys() & b.keys())]
    for x, y in pairs:
        if x.digest != y.digest:
            out += _page(x, y)
    return out


FILE_KINDS = ("template", "file", "measurement")  # kinds of changes to files the catalog does not name


def is_file_change(change: Change) -> bool:
    return change.kind.split(".", 1)[0] in FILE_KINDS


# A snapshot records one run of `servicebook measure` (the job commits it itself) and is only ever
# added: one changed or removed rewrites what the site and `promised` say was delivered then, which
# can make a broken promise read as kept, so it is flagged as a commitment weakened.
_SNAPSHOT_CHANGED = {
    "changed": "what was measured then now reads differently",
    "removed": "what was measured then is no longer shown",
}


# A snapshot committed this long after the end of what it measures was not recorded by the run
# that measured it (`measure` commits within minutes of its end time; a nightly job within hours)
LATE_SNAPSHOT = dt.timedelta(days=1)


def snapshot_change(
    path: str, what: str, committed: dt.datetime | None = None, end: dt.datetime | None = None
) -> Change:
    """A measurement snapshot `what` (added, changed or removed). One changed or removed rewrites
    what was measured; one added more than LATE_SNAPSHOT after its `end` (the end of its windows,
    as it says), by a commit of date `committed`, says what was measured then in words written
    later, by whoever made that commit: either can make a broken promise read as kept, so both are
    a commitment weakened, which a reviewer and an auditor must look at."""
    if what != "added":
        text = (
            f"Measurement snapshot {path} {what}: {_SNAPSHOT_CHANGED[what]}, and a broken promise can read "
            "as kept (snapshots are only ever added)"
        )
        return Change(f"measurement.{what}", f"measurement:{path}", "weakened", text)
    if committed is not None and end is not None and committed - end > LATE_SNAPSHOT:
        days = (committed - end) // dt.timedelta(days=1)
        text = (
            f"Measurement snapshot {path} added {days} days after the end of what it measures "
            f"({end:%Y-%m-%d %H:%M} UTC), on {committed:%Y-%m-%d}: the site and `promised` show it as measured "
            "then, and a broken promise can read as kept (`measure` commits a snapshot as it is taken)"
        )
        return Change("measurement.added", f"measurement:{path}", "weakened", text)
    text = f"Measurement snapshot {path} added: the site and `promised` show it as measured"
    return Change("measurement.added", f"measurement:{path}", "neutral", text)


def snapshot_end(data: bytes | None) -> dt.datetime | None:
    """The `end` a snapshot's bytes say (None for anything measure/snapshot.py would not read; one
    larger than any source is not read)."""
    try:
        end = json.loads(data)["end"] if data is not None and len(data) <= MAX_CATALOG_BYTES else None
        return dt.datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC) if isinstance(end, str) else None
    except (ValueError, TypeError, KeyError, RecursionError):
        return None


def diff_files(
    old: Mapping[str, str],
    new: Mapping[str, str],
    committed: dt.datetime | None = None,
    ends: Mapping[str, dt.datetime | None] | None = None,
) -> list[Change]:
    """Templates (layouts/), other files (under content/) and measurement snapshots (under
    measurements/) added, changed or removed: they change what the published pages show, though
    not in terms the catalog can name. `committed`: the date of the commit `new` is, and `ends`,
    the end each snapshot it adds says (snapshot_change)."""
    out: list[Change] = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) == new.get(path):
            continue
        what = "added" if path not in old else "removed" if path not in new else "changed"
        if path.startswith("measurements/"):
            out.append(snapshot_change(path, what, committed, (ends or {}).get(path)))
            continue
        kind = "template" if path.startswith("layouts/") else "file"
        noun = "Template" if kind == "template" else "File"
        out.append(Change(f"{kind}.{what}", f"{kind}:{path}", "neutral", f"{noun} {path} {what}"))
    return out


def _links_broken(gone: Mapping[str, str], new: Sequence[PageInfo]) -> list[Change]:
    """The links of the pages now that name a page no longer there (`gone`: its name → its new
    name, "" for a page removed), one change per page linking: `check` refuses them, and a
    reviewer reading the diff sees what the move or removal breaks."""
    if not gone:
        return []
    there = {p.slug for p in new}
    out: list[Change] = []
    for page in sorted(new, key=operator.attrgetter("path")):
        broken = [(t, line, href) for t, line, href in page.links if t in gone and t not in there]
        if not broken:
            continue
        names = sorted({t for t, _, _ in broken})
        where = ", ".join(f"line {line} ({href})" for _, line, href in broken)
        instead = "; ".join(f"link to {gone[t]} instead of {t}" if gone[t] else f"{t} was removed" for t in names)
        text = f"Policy page {_q(page.title)} ({page.path}) links to a page that is no longer there: {where}; {instead}"
        out.append(Change("page.links.broken", f"page:{page.slug}", "neutral", text, ", ".join(names), None))
    return out


def _page(x: PageInfo, y: PageInfo) -> list[Change]:
    subject, label = f"page:{y.slug}", f"Policy page {_q(y.title)}"
    out: list[Change] = []
    if x.title != y.title:
        out.append(
            Change(
                "page.title",
                subject,
                "neutral",
                f"Policy page retitled from {_q(x.title)} to {_q(y.title)}{_alike(x.title, y.title)}",
                x.title,
                y.title,
            )
        )
    sa = {s.anchor: s for s in x.sections}
    sb = {s.anchor: s for s in y.sections}

    def name(s: Section) -> str:
        return f"section {_q(s.title)}" if s.anchor else "introduction"

    for s in y.sections:
        if s.anchor not in sa:
            out.append(Change("page.section.added", subject, "neutral", f"{label}: {name(s)} added", None, s.title))
        elif sa[s.anchor].digest != s.digest:
            out.append(
                Change("page.section.changed", subject, "neutral", f"{label}: {name(s)} changed", s.title, s.title)
            )
    for s in x.sections:
        if s.anchor not in sb:
            out.append(Change("page.section.removed", subject, "neutral", f"{label}: {name(s)} removed", s.title))
    declared = y.meta is not None and x.slug != y.slug and x.slug in y.meta.renamed_from  # said with its move
    if x.meta is not None and y.meta is not None:
        out += _page_meta(subject, label, x.meta, y.meta, x.slug)
    if not out and not declared:
        out.append(Change("page.changed", subject, "neutral", f"{label}: front matter changed"))
    return out


def _noun(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _page_meta(subject: str, label: str, x: model.PageMeta, y: model.PageMeta, was: str) -> list[Change]:
    """What a page's front matter says differently (its title is reported with the page; the
    old name `was`, when the page moved, is said with the move)."""
    out: list[Change] = []
    for name in y.renamed_from:
        if name not in x.renamed_from and name != was:
            text = f"{label}: its old address {routes.policy(name)} now sends readers on to it"
            out.append(Change("page.renamed_from", subject, "neutral", text, None, name))
    for name in x.renamed_from:
        if name not in y.renamed_from:
            text = f"{label}: its old address {routes.policy(name)} no longer sends readers on (links to it break)"
            out.append(Change("page.renamed_from", subject, "neutral", text, name, None))
    if x.summary != y.summary:
        out.append(Change("page.summary", subject, "neutral", f"{label}: summary changed", x.summary, y.summary))
    if x.owner != y.owner:
        text = f"{label}: owner changed from {_q(x.owner or 'nobody')} to {_q(y.owner or 'nobody')}"
        out.append(Change("page.owner", subject, "neutral", text, x.owner, y.owner))
    for noun, before, after in (("offering", x.offerings, y.offerings), ("tool", x.tools, y.tools)):
        added = [i for i in after if i not in before]
        removed = [i for i in before if i not in after]
        if added:
            text = f"{label}: now applies to {_noun(len(added), noun)} {', '.join(_q(i) for i in added)}"
            out.append(Change(f"page.{noun}s", subject, "neutral", text, None, ", ".join(added)))
        if removed:
            text = f"{label}: no longer applies to {_noun(len(removed), noun)} {', '.join(_q(i) for i in removed)}"
            out.append(Change(f"page.{noun}s", subject, "neutral", text, ", ".join(removed), None))
    if x.order != y.order:
        text = f"{label}: its place in the list of policies changed (order {x.order} → {y.order})"
        out.append(Change("page.order", subject, "neutral", text, str(x.order), str(y.order)))
    return out


def pages_follow_moves(changes: Sequence[Change]) -> list[Change]:
    """`changes` with a policy page that follows an offering or a tool to the new id it moved to in
    the same changes (`offerings: [payment-api]` → `[card-payments]`) said once, as following it,
    rather than as applying to one and no longer to the other, two changes of one rename."""
    moved = {
        (c.kind.partition(".")[0], c.before): c.after
        for c in changes
        if c.kind in ("offering.id", "tool.id") and c.before and c.after
    }
    if not moved:
        return list(changes)
    added = {(c.subject, c.kind): i for i, c in enumerate(changes) if c.kind in _PAGE_REFS and c.after and not c.before}
    instead: dict[int, list[Change]] = {}  # a page's change, by its index → what it is said as
    for i, c in enumerate(changes):
        at = added.get((c.subject, c.kind))
        if c.kind not in _PAGE_REFS or not c.before or c.after or at is None:
            continue
        noun, now = c.kind[len("page.") : -1], changes[at]
        new_ids = (now.after or "").split(", ")
        follows = {old: moved[noun, old] for old in c.before.split(", ") if moved.get((noun, old)) in new_ids}
        if not follows:
            continue
        label = c.text.rsplit(": no longer applies to ", 1)[0]
        gone = [old for old in c.before.split(", ") if old not in follows]
        came = [new for new in new_ids if new not in follows.values()]
        text = f"{label}: no longer applies to {_noun(len(gone), noun)} {', '.join(_q(x) for x in gone)}"
        instead[i] = [dataclasses.replace(c, text=text, before=", ".join(gone))] if gone else []
        instead[i] += [
            Change(c.kind, c.subject, "neutral", f"{label}: follows {noun} {_q(old)} to its new id {_q(new)}", old, new)
            for old, new in follows.items()
        ]
        text = f"{label}: now applies to {_noun(len(came), noun)} {', '.join(_q(x) for x in came)}"
        instead[at] = [dataclasses.replace(now, text=text, after=", ".join(came))] if came else []
    return [x for i, c in enumerate(changes) for x in instead.get(i, [c])]


_PAGE_REFS = ("page.offerings", "page.tools")


# --------------------------------------------------------------------------- presenting it


def counts(changes: Sequence[Change]) -> dict[str, int]:
    return {"changes": len(changes), **{e: sum(1 for c in changes if c.effect == e) for e in EFFECTS}}


def ordered(changes: Sequence[Change]) -> list[Change]:
    """Weakened first, then strengthened, then the rest, each in diff order."""
    return sorted(changes, key=lambda c: EFFECTS.index(c.effect))


def summary_line(changes: Sequence[Change]) -> str:
    n = counts(changes)
    if not changes:
        return "No changes to the catalog, the policy pages or the templates."
    plural = "s" if n["changes"] != 1 else ""
    weak = n["weakened"]
    return (
        f"{n['changes']} change{plural}: {weak} weaken{'s' if weak == 1 else ''} a commitment, "
        f"{n['strengthened']} strengthen{'s' if n['strengthened'] == 1 else ''}, {n['neutral']} other"
    )


MARKERS = {"weakened": "⚠️ **Weakens a commitment:**", "strengthened": "⬆️"}


def _marker(change: Change) -> tuple[str, ...]:
    return (MARKERS[change.effect],) if change.effect in MARKERS else ()


# A zero-width space after the sign, as an entity: GitHub and GitLab see "@\u200bacme", which is
# no mention, and "#\u200b123" or "GH-\u200b123", which are no issue references; readers see
# "@acme", "#123" and "GH-123".
_MENTION = re.compile(r"(?<![0-9A-Za-z])@(?=[0-9A-Za-z])")
_ISSUE = re.compile(r"(?<!&)#(?=[0-9])")  # `&#` starts an entity of ours: a user's & is &amp;
_GH_ISSUE = re.compile(r"(?<![0-9A-Za-z])(GH-)(?=[0-9])", re.IGNORECASE)
# and "https\u200b://…" or "www\u200b.…", which GitHub does not make a link of: a bare address of
# an issue or a pull request, made a link, puts "mentioned this" on that issue's timeline, as #123 does
_AUTOLINK = re.compile(r"(?<![0-9A-Za-z])(https?(?=://)|ftp(?=://)|www(?=\.))", re.IGNORECASE)
_ZWSP = "&#8203;"


def markdown_escape(text: str) -> str:
    """Escape what Markdown (and GitHub) would otherwise interpret in user-written names, and
    neutralise @mentions, #123 or GH-123 references and bare addresses (which GitHub makes links
    of: one of an issue is a reference to it), which would notify people when the diff is posted
    on a pull request. `&` is escaped too, so that an entity in a name (`&#64;team`) stays
    text, and `$` is written as an entity, which no formula starts or ends at."""
    out = []
    for ch in text:
        if ch in "\\`*_[]<>|~":
            out.append("\\" + ch)
        elif ch == "&":
            out.append("&amp;")
        elif ch == "$":  # GitHub renders $…$ as a TeX formula (in which a % hides the rest)
            out.append("&#36;")
        else:
            out.append(ch)
    # a newline would end the line it is on; another control character (a terminal escape in a
    # revision name given on the command line) is shown as an escape, as a Problem shows it
    escaped = printable("".join(out).replace("\n", " "), tab="\t")
    escaped = _AUTOLINK.sub(r"\1" + _ZWSP, escaped)
    return _MENTION.sub("@" + _ZWSP, _GH_ISSUE.sub(r"\1" + _ZWSP, _ISSUE.sub("#" + _ZWSP, escaped)))


# GitHub refuses a comment longer than 65,536 characters (GitLab a note longer than 1,000,000),
# and a job whose comment fails to post leaves the last push's comment on the pull request, which
# reads as the change: the comment is kept under that whatever the pull request holds, the rows
# that do not fit counted by section. Counted in UTF-16 code units, as GitHub counts; the rest is
# room for what a workflow adds.
MAX_COMMENT = 60_000
MAX_ROW = 1_000  # characters of one change's text before escaping (a heading may be a page long)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ROW else text[: MAX_ROW - 1] + "…"


def _row(change: Change) -> str:
    return " ".join(("-", *_marker(change), markdown_escape(_cut(change.text))))


def to_markdown(changes: Sequence[Change], base: str, head: str) -> str:
    lines = [
        f"### servicebook diff: {markdown_escape(base)} → {markdown_escape(head)}",
        "",
        f"**{summary_line(changes)}**",
        "",
    ]
    files = [c for c in changes if is_file_change(c) and c.effect == "neutral"]
    sections = (
        ("#### Weakened commitments", [c for c in changes if c.effect == "weakened"]),
        ("#### Strengthened commitments", [c for c in ordered(changes) if c.effect == "strengthened"]),
        ("#### Other changes", [c for c in ordered(changes) if c.effect == "neutral" and not is_file_change(c)]),
        ("#### Templates and other files", files),
    )
    room = MAX_COMMENT - _NOTE_ROOM - sum(_units(line) + 1 for line in lines)
    left: list[tuple[str, int]] = []  # of each section, how many rows did not fit
    for heading, listed in sections:
        if not listed:
            continue
        if left:
            left.append((heading, len(listed)))
            continue
        opening = [heading, ""]
        if listed is files and any(c.kind.startswith("template.") for c in files):
            opening += ["Templates decide what every page shows, beyond the catalog: review them like code.", ""]
        rows: list[str] = []
        for n, change in enumerate(listed):
            row = _row(change)
            cost = _units(row) + 1 + (sum(_units(line) + 1 for line in opening) if not rows else 0)
            if cost > room:
                left.append((heading, len(listed) - n))
                break
            room -= cost
            rows.append(row)
        if rows:
            lines += [*opening, *rows, ""]
    if left:
        lines += [_left_out(left), ""]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


_NOTE_ROOM = 600  # what the note on the rows left out takes at most


def _left_out(left: Sequence[tuple[str, int]]) -> str:
    total = sum(count for _, count in left)
    parts = "; ".join(f"{heading.removeprefix('#### ').lower()}: {count}" for heading, count in left)
    return (
        f"**{total} more change{'s' if total != 1 else ''} not shown ({parts}): a pull-request comment holds "
        f"at most {MAX_COMMENT:,} characters. `servicebook diff --format json` lists every change.**"
    )


def to_markdown_failure(message: str, problems: Sequence[Problem], base: str, head: str) -> str:
    """The Markdown of a diff that could not be made, for the pull-request comment: why, and each
    problem with where it is (a comment saying nothing would read as "no changes")."""
    lines = [
        f"### servicebook diff: {markdown_escape(base)} → {markdown_escape(head)}",
        "",
        f"**The catalogs could not be compared:** {markdown_escape(message)}",
        "",
    ]
    for p in problems[:MAX_FAILURE_PROBLEMS]:
        # a path's newline would end the list item, and what follows it be the comment's own Markdown
        where = printable(p.location.path) + (f":{p.location.line}:{p.location.column}" if p.location.line else "")
        hint = f" ({markdown_escape(_cut(p.hint))})" if p.hint else ""
        lines.append(f"- `{_cut(where).replace('`', '')}`: {markdown_escape(_cut(p.message))}{hint}")
    if len(problems) > MAX_FAILURE_PROBLEMS:
        lines.append(f"- and {len(problems) - MAX_FAILURE_PROBLEMS} more: run `servicebook check` to see them all")
    return "\n".join(lines).rstrip("\n") + "\n"


MAX_FAILURE_PROBLEMS = 20  # a comment, not a report: `check` lists them all


def change_dict(c: Change) -> dict[str, object]:
    return {
        "kind": c.kind,
        "subject": c.subject,
        "effect": c.effect,
        "weakens": c.effect == "weakened",
        "text": c.text,
        "before": c.before,
        "after": c.after,
    }


def to_json(changes: Sequence[Change], base: Mapping[str, object], head: Mapping[str, object]) -> str:
    doc = {
        "servicebook_diff": DIFF_JSON_VERSION,
        "base": dict(base),
        "head": dict(head),
        "error": None,
        "summary": counts(changes),
        "changes": [change_dict(c) for c in ordered(changes)],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_json_failure(
    message: str,
    exit_code: int,
    problems: Sequence[Problem],
    revision: str | None,
    base: str,
    head: str,
    prefix: str = "",
) -> str:
    """The JSON document of a diff that could not be made (a catalog that is missing or does not
    validate, an unknown revision …): the same keys, with `error` saying why and no changes, so a
    CI step that saves it keeps a readable file. `revision` is whose catalog the problems are in
    (None: the working tree's); their paths are given without it, as `check --format json` does."""
    listed = []
    for p in problems:
        located = p.location.path.removeprefix(f"{revision}:") if revision is not None else p.location.path
        moved = dataclasses.replace(p, location=dataclasses.replace(p.location, path=located))
        listed.append({"revision": revision, **problem_dict(moved, prefix)})
    doc = {
        "servicebook_diff": DIFF_JSON_VERSION,
        "base": {"revision": base},
        "head": {"revision": head},
        "error": {"message": message, "exit_code": exit_code, "problems": listed},
        "summary": None,
        "changes": [],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
