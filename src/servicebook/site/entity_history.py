"""`servicebook history [ID]`: the site's history as its changes page shows it, or one offering's,
tool's or policy page's as its page's History shows it, for people and for tools. Pure functions of
the history's view (changes.HistoryView); the command reads it from git."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from servicebook.catalog.validate import did_you_mean_id
from servicebook.errors import UsageProblem
from servicebook.git.diff import Change
from servicebook.site.changes import EntryView, HistoryView

HISTORY_JSON_VERSION = 1
KINDS = ("offering", "tool", "page")  # the subjects one can ask about, as the history names them


@dataclass(frozen=True, slots=True)
class Told:
    """What `history` prints: the entries (newest first) with the changes asked about."""

    subjects: tuple[str, ...]  # () for the whole history
    entries: tuple[tuple[EntryView, tuple[Change, ...]], ...]
    shallow: bool
    # the commits just before an entry whose catalog did not validate, by the entry's id(): their
    # changes are shown with it, the first commit after them whose catalog does
    carried: dict[int, tuple[EntryView, ...]]


def subjects_of(history: HistoryView, asked: str) -> tuple[str, ...]:
    """The subjects `asked` names: "offering:ci", "tool:jenkins", "page:welcome", or a bare id,
    which names each kind's that has a history (an offering and a tool may share an id). An id
    with no history is refused with the nearest ones; an offering or a tool removed long ago is
    known (its history stays)."""
    kind, sep, ident = asked.partition(":")
    wanted = (f"{kind}:{ident}",) if sep and kind in KINDS else tuple(f"{k}:{asked}" for k in KINDS)
    found = tuple(s for s in wanted if history.history_of(s))
    if found:
        return found
    known = sorted({s.partition(":")[2] for s in history.events if s.partition(":")[0] in KINDS})
    hint = did_you_mean_id(ident if sep and kind in KINDS else asked, known)
    what = f"no offering, tool or policy page '{asked}' in the history"
    if sep and kind in KINDS:
        what = f"no {kind} '{ident}' in the history"
    raise UsageProblem(
        f"{what}" + (f"; {hint}" if hint else "") + " (`servicebook history` alone prints the whole history)"
    )


def told(history: HistoryView, asked: str | None) -> Told:
    """The entries `history` prints for `asked` (None: all of them, with all their changes)."""
    carried: dict[int, tuple[EntryView, ...]] = {}
    every = history.entries
    for n, e in enumerate(every):  # newest first: the invalid ones just older than a valid one
        if e.state == "ok":
            after = list(itertools.takewhile(lambda older: older.state == "invalid", every[n + 1 :]))
            if after:
                carried[id(e)] = tuple(after)
    if asked is None:  # every entry with changes, and each that says why it has none
        shown = tuple((e, e.changes) for e in every if e.changes or e.state != "ok")
        return Told((), shown, history.shallow, carried)
    subjects = subjects_of(history, asked)
    events: dict[int, list[Change]] = {id(ev.entry): [] for s in subjects for ev in history.history_of(s)}
    for s in subjects:
        for ev in history.history_of(s):
            events[id(ev.entry)].extend(ev.changes)
    entries = tuple((e, tuple(events[id(e)])) for e in history.entries if id(e) in events)
    return Told(subjects, entries, history.shallow, carried)


def _who(entry: EntryView) -> str:
    who = f"by {entry.author}"
    if entry.coauthors:
        who += ", co-authored by " + ", ".join(entry.coauthors)
    if entry.contributors:
        who += " (merging the work of " + ", ".join(entry.contributors) + ")"
    if entry.committer:
        who += f", committed by {entry.committer}"
    return who


def to_text(found: Told) -> str:
    """For people: a heading, then each commit (date, commit, who, its subject line, the releases
    cut at it) with what it changed, newest first."""
    if found.subjects:
        named = " and ".join(s.replace(":", " ", 1) for s in found.subjects)
        lines = [f"History of {named}, newest first ({_count(len(found.entries))}):"]
    else:
        lines = [f"History of the catalog and the policy pages, newest first ({_count(len(found.entries))}):"]
    for entry, changes in found.entries:
        lines.append("")
        if entry.commit is None:
            lines.append("uncommitted changes in the working tree")
        else:
            lines.append(f"{entry.date}  commit {entry.short}  {_who(entry)}")
            lines.append(f"    {entry.message}")
            lines += [f"    {said}" for said in entry.approvals]
        lines += _state_lines(entry, found.carried.get(id(entry), ()))
        for version, path in entry.releases:
            lines.append(f"    released as {version} ({path})")
        lines += [f"    - {c.text}" + (" [weakens a commitment]" if c.effect == "weakened" else "") for c in changes]
    if found.shallow:
        lines += ["", "note: this is a shallow clone: older commits are not shown (git fetch --unshallow)"]
    return "\n".join(lines) + "\n"


def _state_lines(entry: EntryView, carried: Sequence[EntryView]) -> list[str]:
    """What the changes page says of a commit whose catalog did not validate, or that has none, and
    of one that carries the changes of such commits before it."""
    lines = []
    if entry.state == "invalid":
        errors = f"{entry.errors} error{'' if entry.errors == 1 else 's'}"
        lines.append(
            f"    (its catalog did not validate ({errors}): its changes are shown with the next commit whose does)"
        )
    elif entry.state == "missing":
        lines.append("    (there is no catalog.yaml in this commit)")
    elif entry.state == "truncated":
        lines.append("    (the history before this commit is not in this clone: the record starts here)")
    if carried:
        named = ", ".join(f"{e.short} of {e.date[:10]}" for e in carried)
        lines.append(f"    (with the changes of {named}, whose catalog did not validate)")
    return lines


def _count(n: int) -> str:
    return "1 commit" if n == 1 else f"{n} commits"


def to_json(found: Told) -> str:
    """The documented JSON document (docs/auditing.md, "The history from the command line")."""
    doc = {
        "servicebook_history": HISTORY_JSON_VERSION,
        "subjects": list(found.subjects),
        "shallow": found.shallow,
        "entries": [
            {**_entry_dict(e, changes), "carries": [c.commit for c in found.carried.get(id(e), ())]}
            for e, changes in found.entries
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _entry_dict(entry: EntryView, changes: Sequence[Change]) -> dict[str, object]:
    return {
        "commit": entry.commit,
        "date": entry.iso or None,
        "author": entry.author if entry.commit else None,
        "coauthors": list(entry.coauthors),
        "contributors": list(entry.contributors),
        "committer": (entry.committer or entry.author) if entry.commit else None,
        "approvals": list(entry.approvals),
        "message": entry.message if entry.commit else None,
        "state": entry.state,
        "releases": [version for version, _ in entry.releases],
        "changes": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "effect": c.effect,
                "text": c.text,
                "before": c.before,
                "after": c.after,
            }
            for c in changes
        ],
    }
