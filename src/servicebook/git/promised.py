"""`servicebook promised`: what the catalog promised on a given day or at a time (SLOs with their error budgets,
support hours and response targets, unsupported tools), for auditors. Pure functions over the
catalog that `in_effect.catalog_at` finds; no git, no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence

from servicebook.catalog import model
from servicebook.catalog.slo import calendar_start, effective_support, error_budget, format_minutes, format_percent
from servicebook.catalog.validate import did_you_mean_id
from servicebook.errors import UsageProblem, printable
from servicebook.git.in_effect import CatalogAt, Moment, Stamp, utc_minute
from servicebook.git.versions import Release
from servicebook.source.day_or_time import read_day_or_time

PROMISED_JSON_VERSION = 1

# What was measured of an SLO for the day asked about (commands/promised.py reads the snapshots
# under measurements/): (offering id, SLO id) → a line for people and an object for tools, or None.
Measured = Callable[[str, str], "tuple[str, dict[str, object]] | None"]


AT_FORMS = (
    "a day (2026-03-31, up to its end, UTC) or a time with its offset (2026-03-31T14:00Z, 2026-03-31T16:00+02:00)"
)


def parse_at(text: str) -> Moment:
    """`--at`'s value: a calendar day, up to its end in UTC; or a time with its offset from UTC,
    read as `measure --at` reads them (source/day_or_time.py)."""
    written = read_day_or_time(text, AT_FORMS)
    return Moment(written.day, written.time)


def not_yet_note(at: Moment, now: dt.datetime) -> str | None:
    """A day or a time that has not come yet is answered with the catalog in force now; said, so
    that an auditor (or a year mistyped) does not read it as what was promised then."""
    if at.time is None and at.day <= now.date():
        return None
    if at.time is not None and at.time <= now:
        return None
    today = now.date().isoformat() if at.time is None else f"{now:%Y-%m-%d %H:%M} UTC"
    return (
        f"note: {at.shown} has not come yet ({'today is' if at.time is None else 'it is now'} {today}"
        f"{', UTC' if at.time is None else ''}): this is the catalog in force now, and commits made before then may "
        f"change what {'that day holds' if at.time is None else 'was in force then'}"
    )


MAX_NAMED_SNAPSHOTS = 3  # of the snapshots a note names; the rest counted


def uncommitted_note(paths: Sequence[str]) -> str | None:
    """The measured lines come from the snapshots as the working tree has them: when some differ
    from the commit it is at (one edited, removed or not yet committed), said, naming them, so that
    an answer does not pass for the repository's while it quotes a file no commit holds."""
    if not paths:
        return None
    named = ", ".join(printable(p) for p in paths[:MAX_NAMED_SNAPSHOTS])
    more = f" and {len(paths) - MAX_NAMED_SNAPSHOTS} more" if len(paths) > MAX_NAMED_SNAPSHOTS else ""
    return (
        f"note: the measurements are read from the working tree, where {named}{more} "
        f"{'differs' if len(paths) == 1 else 'differ'} from the commit it is at (edited, removed or not committed): "
        "what was measured is what those files say now; commit them, or ask in a clean checkout"
    )


def offerings_shown(
    found: CatalogAt,
    at: Moment,
    offering: str | None,
    since: Callable[[], Iterable[model.Catalog]] | None = None,
    trail: Callable[[str], tuple[Stamp | None, Stamp | None, str | None]] | None = None,
) -> tuple[tuple[model.Offering, ...], tuple[str, ...]]:
    """Every offering of the catalog, or the one asked for; and, where it was asked for by an id it had not
    then, the ids it has had since (`called_then`). An id the catalog did not have yet, whose offering
    in the catalogs `since` (asked for only then: the newest first) was renamed since, from an id the
    catalog had (`renamed_from`, followed from catalog to catalog: a→b→c where c lists b alone), is the
    offering of that id. Any other unknown id is an error naming the commit whose catalog was searched,
    with a "did you mean": the offering whose `renamed_from` lists it, as `check` says, else (where
    `trail` says when an offering of that id was removed before then or added after) when, else the
    ids spelt alike."""
    offerings = found.catalog.offerings
    if offering is None:
        return offerings, ()
    chosen = tuple(o for o in offerings if o.id == offering)
    renames: tuple[str, ...] = ()
    if not chosen and since is not None:
        renames = called_then(found.catalog, since(), offering)
        chosen = tuple(o for o in offerings if renames and o.id == renames[0])
    if not chosen:
        ids = [o.id for o in offerings]
        renamed = next((o.id for o in offerings if offering in o.renamed_from), None)
        listed = f"offerings then: {', '.join(ids)}" if ids else "it had no offerings"
        told = _trail_hint(*trail(offering)) if trail is not None and renamed is None else None
        hint = (
            f"did you mean '{renamed}'? offering {offering} is now {renamed}, as its renamed_from says: "
            "ask for it by its new id"
            if renamed is not None
            else told or did_you_mean_id(offering, ids) or listed
        )
        raise UsageProblem(
            f"--offering {offering!r}: no such offering in the catalog {at.on} (commit "
            f"{found.commit[:12]} of {utc_minute(found.date)}); {hint}"
        )
    return chosen, renames


def _trail_hint(removed: Stamp | None, added: Stamp | None, replaced_by: str | None = None) -> str | None:
    """When an offering missing from the catalog asked about was removed (and what its catalog
    then said to use instead), or added later (in_effect.offering_trail), and a moment to ask about instead."""
    said = []
    if removed is not None and removed.date is not None:
        last = removed.date.astimezone(dt.UTC) - dt.timedelta(seconds=1)  # git dates commits to the second
        moment = f"{last:%Y-%m-%dT%H:%M:%SZ}"
        said.append(f"it was removed by {_commit_said(removed)}: ask about a moment before, such as --at {moment}")
        if replaced_by:
            said.append(f"its replaced_by named {replaced_by} to use instead")
    if added is not None and added.date is not None:
        said.append(f"it was added later, by {_commit_said(added)}: ask about --at {added.date:%Y-%m-%d} or later")
    return "; ".join(said) or None


def _commit_said(stamp: Stamp) -> str:
    by = _by(stamp.author, stamp.coauthors)
    return f"commit {stamp.commit[:12]} of {utc_minute(stamp.date)} by {by} ({stamp.message})"


def called_then(then: model.Catalog, since: Iterable[model.Catalog], offering: str) -> tuple[str, ...]:
    """The ids offering `offering` has had since the catalog `then`, from the one `then` has to `offering`,
    when it was renamed since: each catalog of `since` (the newest first) says, by an offering's
    `renamed_from`, which ids the one it was had before, so a rename chain (a→b→c, c listing b alone) is
    followed back; () when none of them is an id `then` has."""
    ids = {o.id for o in then.offerings}
    newer: dict[str, str] = {offering: offering}  # each id reached → the id it became
    for catalog in since:
        for o in catalog.offerings:
            if o.id in newer:
                for old in o.renamed_from:
                    newer.setdefault(old, o.id)
        if len(newer) == 1:  # the newest catalog names no id it had before (an id mistyped): no history read
            return ()
        found = next((name for name in newer if name in ids and name != offering), None)
        if found is not None:
            path = [found]
            while path[-1] != offering:
                path.append(newer[path[-1]])
            return tuple(path)
    return ()


def renamed_note(asked: str, renames: Sequence[str], at: Moment) -> str | None:
    """Said when the offering asked for had another id then (`offerings_shown`): the answer is
    under that id, which an auditor must not take for another offering."""
    if len(renames) < 2:
        return None
    old = renames[0]
    how = (
        f"its renamed_from lists {old}"
        if len(renames) == 2
        else f"renamed {' → '.join(renames)} since, as the catalogs' renamed_from say"
    )
    return f"note: offering {asked} was called {old} {at.on} ({how}): this is what was promised under {old}"


def unsupported_tools(catalog: model.Catalog) -> tuple[model.Tool, ...]:
    return tuple(t for t in catalog.tools if t.status is model.ToolStatus.UNSUPPORTED)


def deprecated_tools(catalog: model.Catalog) -> tuple[model.Tool, ...]:
    """The tools on their way out then (they still work; the alternative is for anything new), so
    an auditor asking how a tool stood on a day sees a deprecated one, not only an unsupported one."""
    return tuple(t for t in catalog.tools if t.status is model.ToolStatus.DEPRECATED)


def _tool_line(t: model.Tool) -> str:
    instead = f"; use {t.alternative} instead" if t.alternative else ""
    return f"  {t.name} ({t.id}), since {t.since.isoformat()}{instead}: {' '.join(t.reason.split())}"


def _tool_dict(t: model.Tool) -> dict[str, object]:
    return {"id": t.id, "name": t.name, "since": t.since.isoformat(), "alternative": t.alternative, "reason": t.reason}


def _dated_later(earlier: Stamp, at: Moment) -> str:
    """Why the answer is uncertain where the commits' dates go backwards: the catalog in effect is
    chosen by the dates git holds, and a commit that came before the answer is dated after the moment."""
    return (
        f"commit {earlier.commit[:12]} ({earlier.message}), which changed the catalog before this one on the history, "
        f"is dated {utc_minute(earlier.date)}, after {at.shown}: the commits' dates go backwards there (a clock set "
        "wrong, or a rebase that kept old dates), so this answer follows the dates, not the order of the history"
    )


def _by(author: str, coauthors: Sequence[str]) -> str:
    """Who wrote a commit: its author, with whom its Co-authored-by trailers name."""
    return f"{author} with {', '.join(coauthors)}" if coauthors else author


def _stamp_dict(stamp: Stamp) -> dict[str, object]:
    return {
        "commit": stamp.commit,
        "date": stamp.date.isoformat() if stamp.date else None,
        "author": stamp.author,
        "message": stamp.message,
    }


def _passed_over(found: CatalogAt) -> list[str]:
    return [
        f"commit {commit[:12]} of {utc_minute(date)} changed the catalog too, but it did not validate "
        f"({errors} error{'s' if errors != 1 else ''}), so it was never published"
        for commit, date, errors in found.invalid
    ]


# --------------------------------------------------------------------------- text


def to_text(found: CatalogAt, at: Moment, offerings: Sequence[model.Offering], measured: Measured | None = None) -> str:
    catalog = found.catalog
    lines = [
        f"Promised {at.on}{' (up to the end of the day, UTC)' if at.time is None else ''}: catalog version "
        f"{catalog.version}",
        f"from commit {found.commit[:12]} of {utc_minute(found.date)} by {_by(found.author, found.coauthors)}: "
        f"{found.message}",
    ]
    if found.committer or found.approvals:  # who else vouched for it: the committer, the trailers
        said = ([f"committed by {found.committer}"] if found.committer else []) + list(found.approvals)
        lines.append(f"({'; '.join(said)})")
    if found.catalog_commit:
        lines.append(f"(catalog.yaml as commit {found.catalog_commit[:12]} made it; this commit moved the lock)")
    lines += [f"(note: {note})" for note in _passed_over(found)]
    if found.dated_later is not None:
        lines.append(f"(note: {_dated_later(found.dated_later, at)})")
    if found.members:
        # each member's commit named as the site's own is: who wrote that team's promise, when, why
        lines.append("Members, at their locked commits:")
        lines += [
            f"  {ident} {s.commit[:12]} of {utc_minute(s.date)} by {s.author}: {s.message}"
            for ident, s in found.members
        ]
    if found.standing is not None:
        lines.append(standing_text(found))
    lines += ["", "Team support", *_support_lines(catalog.support)]
    for o in offerings:
        lines += ["", f"Offering {o.name} ({o.id}): {o.lifecycle.value}, tier {o.tier.value}"]
        if not o.slos:
            lines.append("  no SLOs")
        for s in o.slos:
            budget = error_budget(s)
            range_text = f" ({budget.range_text})" if budget.range_text else ""
            starts = calendar_start(catalog, o, s)
            lines.append(
                f"  SLO {s.name} ({s.id}): {format_percent(s.objective)} over {budget.window_text}"
                f"{f' {starts}' if starts else ''}, "
                f"error budget {budget.text}{range_text}"
            )
            shown = measured(o.id, s.id) if measured is not None else None
            if shown is not None:
                lines.append(f"    {shown[0]}")
        if o.support is None:
            lines.append("  support: the team's")
        else:
            lines += [
                "  support, its own:",
                *("  " + line for line in _support_lines(effective_support(catalog.support, o.support))),
            ]
    tools = unsupported_tools(catalog)
    lines += ["", "Unsupported tools" if tools else "Unsupported tools: none"]
    lines += [_tool_line(t) for t in tools]
    leaving = deprecated_tools(catalog)
    if leaving:  # (a catalog without any says nothing of them)
        lines += ["", "Deprecated tools (still work; move to the alternative)", *(_tool_line(t) for t in leaving)]
    return "\n".join(lines) + "\n"


def standing_text(found: CatalogAt) -> str:
    """Whether the catalog in force was released, in words: an auditor must not take "catalog
    version 2026.12" for the release of 2026.12 when it is a later change that was not released."""
    standing = found.standing
    assert standing is not None
    r = standing.in_force
    if r is None:
        return "Not a release: no release of the catalog had been made by then."
    made = f"{'tag ' + r.tag + ', ' if r.tag else ''}commit {r.commit[:12]} of {utc_minute(r.date)}"
    if standing.released:
        said = f"Released: this catalog is the one of release {r.version} ({made}), published at {r.path}."
    else:
        said = (
            f"Not a release: the release in force was {r.version} ({made}), published at {r.path}; "
            f"this commit is a later change that had not been released."
        )
    now = standing.published_now
    if now is None:
        return said
    # an auditor who opens v/<version>/ today must not take its catalog for the one promised then
    # a tag on it: made since or moved there, git cannot tell which (a light tag has no date)
    how = f"tag {now.tag} names it now" if now.tag else "the version was not tagged: its release is its last commit"
    return (
        f"{said}\nSince then release {r.version} has moved to commit {now.commit[:12]} of {utc_minute(now.date)} "
        f"({how}): {r.path} of a site built now is not the release in force then."
    )


def _standing_dict(found: CatalogAt) -> dict[str, object] | None:
    standing = found.standing
    if standing is None:
        return None
    r = standing.in_force
    return {
        "released": standing.released,
        "in_force": None if r is None else _release_dict(r),
        "published_now": None if standing.published_now is None else _release_dict(standing.published_now),
    }


def _release_dict(r: Release) -> dict[str, object]:
    return {"version": r.version, "tag": r.tag, "commit": r.commit, "date": r.date.isoformat(), "path": r.path}


def _support_lines(support: model.Support) -> list[str]:
    h = support.hours
    lines = [f"  hours: {h.days} {h.start}-{h.end} {h.timezone}"]
    for c in support.channels:
        use = f" ({' '.join(c.use_for.split())})" if c.use_for else ""
        where = f" <{c.url}>" if c.url else ""
        lines.append(f"  channel: {c.kind.value} {c.name}{where}{use}")
    for s in support.severities:
        lines.append(f"  {s.id} ({s.name}): first response within {format_minutes(s.response)}, {s.coverage.value}")
    lines.append(f"  on-call: {' '.join(support.oncall.summary.split())}" if support.oncall else "  on-call: none")
    return lines


# --------------------------------------------------------------------------- json


def to_json(
    found: CatalogAt,
    at: Moment,
    offerings: Sequence[model.Offering],
    measured: Measured | None = None,
    uncommitted: Sequence[str] = (),
) -> str:
    """The answer as the documented JSON document; `uncommitted`: the snapshots under
    measurements/ that differ from the commit (uncommitted_note's, in `measurements_uncommitted`)."""
    catalog = found.catalog
    doc = {
        "servicebook_promised": PROMISED_JSON_VERSION,
        "at": at.iso,
        "commit": {
            "id": found.commit,
            "date": found.date.isoformat() if found.date else None,
            "author": found.author,
            "coauthors": list(found.coauthors),
            "committer": found.committer or found.author,
            "approvals": list(found.approvals),
            "message": found.message,
        },
        "catalog_commit": found.catalog_commit or found.commit,
        "members": [{"id": ident, **_stamp_dict(s)} for ident, s in found.members],
        "passed_over": [
            {"commit": commit, "date": date.isoformat() if date else None, "errors": errors}
            for commit, date, errors in found.invalid
        ],
        # the text's note where the dates go backwards (_dated_later): that commit, or null
        "dated_later": None if found.dated_later is None else _stamp_dict(found.dated_later),
        # the snapshots the measured lines were read from that no commit holds as they are (uncommitted_note)
        "measurements_uncommitted": list(uncommitted),
        "catalog_version": catalog.version,
        "release": _standing_dict(found),
        "support": _support_dict(catalog.support),
        "offerings": [
            {
                "id": o.id,
                "name": o.name,
                "lifecycle": o.lifecycle.value,
                "tier": o.tier.value,
                "slos": [_slo_dict(s, o.id, measured) for s in o.slos],
                "support": None if o.support is None else _support_dict(effective_support(catalog.support, o.support)),
            }
            for o in offerings
        ],
        "unsupported_tools": [_tool_dict(t) for t in unsupported_tools(catalog)],
        "deprecated_tools": [_tool_dict(t) for t in deprecated_tools(catalog)],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _slo_dict(s: model.SLO, offering: str, measured: Measured | None) -> dict[str, object]:
    budget = error_budget(s)
    shown = measured(offering, s.id) if measured is not None else None
    return {
        "id": s.id,
        "name": s.name,
        "objective": format(s.objective.normalize(), "f"),
        "window": s.window,
        "error_budget_seconds": budget.seconds,
        "error_budget": budget.text,
        "window_text": budget.window_text,
        "measured": shown[1] if shown is not None else None,
    }


def _support_dict(support: model.Support) -> dict[str, object]:
    h = support.hours
    return {
        "hours": {"days": h.days, "start": h.start, "end": h.end, "timezone": h.timezone},
        "channels": [
            {"kind": c.kind.value, "name": c.name, "url": c.url, "use_for": c.use_for} for c in support.channels
        ],
        "response_targets": [
            {"severity": s.id, "name": s.name, "response_minutes": s.response, "coverage": s.coverage.value}
            for s in support.severities
        ],
        "oncall": None if support.oncall is None else support.oncall.summary,
    }
