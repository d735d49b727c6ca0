"""The search records: what each result says (offerings, SLOs, tools, policy pages, pages), in the
site's order, and each record's JSON text and key (what the index is made again by)."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from itertools import chain, compress
from typing import Any, TypeVar, cast

from servicebook import routes
from servicebook.cache.digest import digest
from servicebook.catalog import model
from servicebook.site.search.carried import IndexWords, PolicyRecords, RecordTexts, SearchMemory
from servicebook.site.search.text import excerpt
from servicebook.site.views import OfferingView, SiteView, ToolView

MAX_HEADINGS = 24


_FIRST, _FOURTH = operator.itemgetter(0), operator.itemgetter(3)


_URL = operator.itemgetter("u")


_KIND = operator.itemgetter("k")


# Record kinds, spelled out once: the script and the A-Z index label results with these.
KIND_LABELS = {
    "offering": "Offering",
    "slo": "SLO",
    "tool": "Tool",
    "policy": "Policy",
    "page": "Page",
}


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
    if record["s"] != " ".join(t.tool.reason.split()):  # the whole reason, for the lines around a word
        record["d"] = " ".join(t.tool.reason.split())
    if t.alternative is not None:
        record["a"] = {"t": t.alternative.name, "u": t.alternative.url}
        if t.alternative.kind == "offering":  # "Use instead: CI pipelines (offering)", as the pages say it
            record["a"]["k"] = "offering"
    if t.migration is not None:
        record["m"] = {"t": t.migration.meta.title, "u": routes.policy(t.migration.slug)}
    return record


def _offering_records(o: OfferingView) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An offering's record, and its SLOs'."""
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
    if off.description:
        offering["d"] = " ".join(off.description.split())
    if o.replaced_by is not None:
        offering["a"] = {"t": o.replaced_by.name, "u": o.replaced_by.path}
    slos = [
        {
            "k": "slo",
            "t": f"{o.offering.name}: {s.slo.name}",
            "u": f"{o.path}#slo-{s.slo.id}",
            "s": f"{s.objective} over {s.budget.window_text}, error budget {s.budget.rounded}. {s.slo.sli}",
            "x": "slo objective error budget",
        }
        for s in o.slos
    ]
    return offering, slos


V = TypeVar("V")
R = TypeVar("R")


class _CatalogRecords:
    """The records of the offerings' and tools' views, each made of its view alone (frozen): with
    a `memory` (`serve`, whose site view keeps each view that shows the same as the last one's,
    views.ViewMemo), the very records the last index had for the very view, so that they are
    the very objects at their places (the next stages look again only at those that are not:
    350 records made and compared again a rebuild at 20,000 pages). The memory is left holding
    this index's (`done`)."""

    def __init__(self, memory: SearchMemory | None) -> None:
        self.memory = memory
        self.last = memory.catalog_records if memory is not None else {}
        self.now: dict[int, tuple[object, Any]] = {}

    def of(self, view: V, make: Callable[[V], R]) -> R:
        if self.memory is None:
            return make(view)
        known = self.last.get(id(view))
        if known is None or known[0] is not view:
            known = (view, make(view))
        self.now[id(view)] = known
        return cast(R, known[1])

    def done(self) -> None:
        if self.memory is not None:
            self.memory.catalog_records = self.now


def search_records(
    view: SiteView,
    policies: PolicyRecords | None = None,
    *,
    headings: bool = True,
    unmade: bool = False,
    memory: SearchMemory | None = None,
) -> list[dict[str, Any]]:
    """Every record, in the site's own order (offerings, SLOs, tools, policies, pages); a record's
    number in this list is its id in the index. `policies`: see `_policy_records`. Without
    `headings`, a policy page's record has none (`_record_text` writes them from the page). A
    record is never changed once made (the next index of the process may hold it). With
    `unmade`, each policy page's record is `_UNMADE` in the list, made where it is read
    (`_record_of`)."""
    records: list[dict[str, Any]] = []
    made = _CatalogRecords(memory)
    offerings = [made.of(o, _offering_records) for o in view.offerings]
    records += [offering for offering, _ in offerings]
    for _, slos in offerings:
        records += slos
    records += [made.of(t, _tool_record) for t in view.tools]
    made.done()
    records += [_UNMADE] * len(view.pages) if unmade else _policy_records(view.pages, policies, headings, memory)
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
                # whole: the way to reach on-call (a phone number) is at its end, and is the answer
                "s": " ".join(f"{support.oncall.summary} {support.oncall.how}".split()),
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
    return records


# a policy page's record not made yet (`search_records`' `unmade`), in place of it in the list
_UNMADE: dict[str, Any] = {"k": "policy"}


def _record_of(records: list[dict[str, Any]], pages: dict[int, model.Page], rid: int) -> dict[str, Any]:
    """Record `rid`, made now (without its headings, as a build's) and put in its place in
    `records` if it was not (`_UNMADE`)."""
    record = records[rid]
    if record is _UNMADE:
        record = records[rid] = _policy_record(pages[rid], headings=False)
    return record


def _policy_records(
    pages: tuple[model.Page, ...], last: PolicyRecords | None, headings: bool, memory: SearchMemory | None = None
) -> list[dict[str, Any]]:
    """The records of `pages`. A page that is the very object a record in `last` was made of
    (`serve` loads again only the pages that changed) has that record, the same object: the page
    is frozen, and the record is made of it alone. `last` is left holding these. With `memory`
    (whose `policies` is `last`), as many pages as the last index's are found in its order
    (SearchMemory `policy_order`) at once, and `last` put right for those that are not the very
    objects at their place alone (at 20,000 pages, not a dict of 20,000 made again a rebuild)."""
    if last is None:
        return [_policy_record(p, headings) for p in pages]
    order = memory.policy_order if memory is not None else None
    if memory is not None and order is not None and len(order[0]) == len(pages):
        olds, records = order[0], list(order[1])
        changed = list(compress(range(len(pages)), map(operator.is_not, pages, olds)))
        for i in changed:
            known = last.get(id(pages[i]))
            records[i] = known[1] if known is not None and known[0] is pages[i] else _policy_record(pages[i], headings)
        now = {id(pages[i]) for i in changed}
        for i in changed:  # (a page that left is at no place now; one that moved is at another)
            if id(olds[i]) not in now:
                last.pop(id(olds[i]), None)
        last.update((id(pages[i]), (pages[i], records[i])) for i in changed)
        memory.policy_order = (pages, records)
        return records
    now_records: PolicyRecords = {}
    for p in pages:
        known = last.get(id(p))
        now_records[id(p)] = known if known is not None and known[0] is p else (p, _policy_record(p, headings))
    last.clear()
    last.update(now_records)
    records = [record for _, record in now_records.values()]
    if memory is not None:
        memory.policy_order = (pages, records)
    return records


def _policy_record(p: model.Page, headings: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {
        "k": "policy",
        "t": p.meta.title,
        "u": routes.policy(p.slug),
        "s": excerpt(p.meta.summary or p.text),
    }
    if headings and (found := _headings(p)):
        record["h"] = found
    keys = [p.meta.owner, *p.meta.renamed_from] if p.meta.owner else p.meta.renamed_from  # (found by its old names too)
    if keys:
        record["x"] = " ".join(keys)
    return record


def _headings(p: model.Page) -> tuple[tuple[str, str], ...]:
    """A policy page's headings as its record lists them: (text, anchor) of its first sections,
    written as JSON arrays. Tuples, as `serve` keeps its records: two-item lists were 4.1 MiB of
    what it held at 5,000 pages (55,000 of them), a tuple takes a block less each."""
    return tuple([(h.text, h.anchor) for h in p.headings if h.level in (2, 3)][:MAX_HEADINGS])


def _record_text(record: dict[str, Any], page: model.Page | None) -> str:
    """A record's JSON text; a policy page's record made without its headings (`search_records`)
    has them in its text all the same, where `_policy_record` puts them (before the owner, the
    last key even of a record `_label_teams` copied)."""
    if page is not None and "h" not in record and (headings := _headings(page)):
        owner = {"x": record["x"]} if "x" in record else {}
        record = {**{k: v for k, v in record.items() if k != "x"}, "h": headings, **owner}
    return _json(record)


# json.dumps(…, ensure_ascii=False, separators=(",", ":")) without making its encoder each time
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _record_texts(
    records: list[dict[str, Any]], pages: dict[int, model.Page], last: RecordTexts | None
) -> tuple[list[str | None], list[str]]:
    """Each record's JSON text, and its key: a digest of that text and of its page's HTML. Those
    of a record equal to one in `last` (the last index of this process, by its address), with the
    same HTML, are taken from it (`serve` makes an index after every edit, most records unchanged:
    comparing a record is cheaper than writing it out): its key, not its text (None), which
    `last` does not keep (RecordTexts). `last` is left holding these."""
    now: RecordTexts = {}
    texts: list[str | None] = []
    keys: list[str] = []
    get = (last if last is not None else {}).get
    look: Iterable[int] = range(len(records))
    if last is not None and len(last) == len(records):
        # a record that is the very object at its place is of the very page it was (`_policy_records`),
        # with the same HTML: its text and key stand (found at once: 20,000 records at 20,000 pages)
        entries = list(last.values())
        same = list(map(operator.is_, records, map(_FIRST, entries)))
        if any(same):
            texts, keys = [None] * len(records), list(map(_FOURTH, entries))
            now = dict(zip(map(_URL, records), entries, strict=True))
            look = list(compress(range(len(records)), map(operator.not_, same)))
    for rid in look:
        record = records[rid]
        page = pages.get(rid)
        html = page.html_sha256 if page is not None else ""
        known = get(record["u"])
        if known is not None and known[0] is record and known[2] == html:  # most of them, in `serve`
            now[record["u"]] = known
            text, key = known[1], known[3]
        elif known is not None and known[2] == html and known[0] == record:
            # kept as this index has it: the very object next time, when it is (`_policy_records`)
            text, key = known[1], known[3]
            now[record["u"]] = (record, None, html, key)
        else:
            text = _record_text(record, page)
            key = digest(text, html)
            if last is not None:
                now[record["u"]] = (record, None, html, key)
        if isinstance(look, range):
            texts.append(text)
            keys.append(key)
        else:
            texts[rid], keys[rid] = text, key
    if last is not None:
        last.clear()
        last.update(now)
    return texts, keys


def _texts_again(
    records: list[dict[str, Any]], pages: dict[int, model.Page], memory: SearchMemory
) -> tuple[list[str | None], list[str]] | None:
    """`serve`: each record's JSON text and key (`_record_texts`), the last index's in order
    (SearchMemory `listed`: its keys, no text) but for the records that are not the very object at their place,
    when each of those has the address of the one it replaces: `memory.records` is put right
    for them alone, at their addresses (the same places), not made again of every record's
    address (at 20,000 pages, a dict of 20,000 addresses and three passes over its entries a
    rebuild). None, and nothing changed, when they are not so (`_record_texts` then)."""
    listed, last = memory.listed, memory.records
    if listed is None or len(listed[0]) != len(records) or len(last) != len(records):
        return None  # (as many addresses as records: each record's at its place in `last`)
    old, old_keys = listed
    changed = list(compress(range(len(records)), map(operator.is_not, records, old)))
    if any(records[rid]["u"] != old[rid]["u"] for rid in changed):
        return None
    texts: list[str | None] = [None] * len(records)
    keys = list(old_keys)
    for rid in changed:
        record = records[rid]
        page = pages.get(rid)
        html = page.html_sha256 if page is not None else ""
        url = record["u"]
        known = last.get(url)  # (there: the address was at this place)
        if known is not None and known[2] == html and (known[0] is record or known[0] == record):
            # kept as this index has it: the very object next time, when it is (`_policy_records`)
            text, key = known[1], known[3]
            last[url] = (record, None, html, key)
        else:
            text = _record_text(record, page)
            key = digest(text, html)
            last[url] = (record, None, html, key)
        texts[rid], keys[rid] = text, key
    return texts, keys


def _made_of(
    count: int, pages: dict[int, model.Page], digests: Mapping[str, str], memory: SearchMemory | None = None
) -> list[str]:
    """What each of `count` records is made of, as the index's state keeps it beside its key: for
    a policy page with a summary, the digest of its slug, source, front matter and headings
    (`digests`, load.Loaded `page_digests`) and its HTML's, which are all its record and its key
    are made of (`_policy_record`, `_record_text`); "" for any other record (a page without a
    summary has the beginning of its text in its record, which neither digest covers).
    With a `memory` (`serve`), the last index's, but for the records whose page is not the very
    object it was (found at once: 20,000 pages at 20,000 pages): a page's digest is of its own
    fields (load.py `_load_page`), so the very page has the digest it had, not looked up again
    (a page's slug and a lookup for each of 20,000 pages were most of this a rebuild). `memory`
    is left holding these."""
    rids, now = list(pages), list(pages.values())
    last = memory.made if memory is not None else None
    if last is not None and last[0] == count and last[1] == rids:
        made = list(last[3])
        look: Iterable[int] = compress(range(len(rids)), map(operator.is_not, now, last[2]))
    else:
        made, look = [""] * count, range(len(rids))
    for n in look:
        page = now[n]
        made[rids[n]] = _made_one(page, digests.get(page.slug))
    if memory is not None:
        memory.made = (count, rids, now, made)
    return made


def _made_one(page: model.Page, seen: str | None) -> str:
    """What the record of `page`, given the digest `seen`, is made of (`_made_of`)."""
    return f"{seen} {page.html_sha256}" if page.meta.summary and seen else ""


def _record_keys(
    records: list[dict[str, Any]], pages: dict[int, model.Page], made: list[str] | None, base: IndexWords | None
) -> tuple[list[str | None], list[str]]:
    """Each record's JSON text and key (`_record_texts`), but for a record made of what one of the
    last index's was (`made`, `_made_of`): that one's key, and no text (None: written, by
    `_records_file_of`, only if its records file is made)."""
    known: dict[str, str] = {}
    if made is not None and base is not None and len(base.state.made) == len(base.state.records):
        known = {m: key for m, key in zip(base.state.made, base.state.records, strict=True) if m}
    if not known:
        for rid in pages:
            _record_of(records, pages, rid)
        texts, all_keys = _record_texts(records, pages, None)
        return list(texts), all_keys
    assert made is not None
    written: list[str | None] = []
    keys: list[str] = []
    for rid, m in enumerate(made):
        key = known.get(m) if m else None
        if key is not None:
            written.append(None)
            keys.append(key)
            continue
        page = pages.get(rid)
        text = _record_text(_record_of(records, pages, rid), page)
        written.append(text)
        keys.append(digest(text, page.html_sha256 if page is not None else ""))
    return written, keys


def _records_file_of(
    records: list[dict[str, Any]], pages: dict[int, model.Page], first: int, texts: list[str | None]
) -> bytes:
    """A records file whose records' texts were not all written (`_record_keys`), from record
    `first` on."""
    return _records_file(
        [
            text if text is not None else _record_text(_record_of(records, pages, first + n), pages.get(first + n))
            for n, text in enumerate(texts)
        ]
    )


def _records_file(texts: list[str]) -> bytes:
    return ('{"records":[' + ",".join(texts) + "]}\n").encode("utf-8")


def _kinds(records: list[dict[str, Any]]) -> list[list[object]]:
    """[kind, id of its first record] in the records' order, which groups them by kind: the script
    knows a record's kind from its id before it fetches the record (answer-first ranking)."""
    found = list(map(_KIND, records))  # the records where the kind changes found at once (20,000 and more)
    firsts = compress(range(1, len(found)), map(operator.ne, found[1:], found))
    return [[found[rid], rid] for rid in chain([0] if found else [], firsts)]


def _policy_ids(kinds: list[list[object]], count: int) -> list[int]:
    """The ids of the policy pages' records, in the order of view.pages: those of the runs of
    policy records in `kinds` (`_kinds` of the `count` records), not each record looked at again."""
    ends = [*(first for _, first in kinds[1:]), count] if kinds else []
    ids: list[int] = []
    for (kind, first), end in zip(kinds, ends, strict=True):
        if kind == "policy":
            ids += range(cast(int, first), cast(int, end))
    return ids


def _label_teams(view: SiteView, records: list[dict[str, Any]]) -> None:
    """On an organisation site: each member's offerings, SLOs, tools and policy pages say their
    team (two teams' "Kafka" are told apart), and each team's page has a record."""
    federation = view.site.federation
    if federation is None:
        return
    names = {t.id: t.name for t in federation.teams}

    def team_at(url: str) -> str | None:
        """The member team whose record is at the site path `url`; None for the organisation's own."""
        parts = url.split("/")
        return names.get(parts[1]) if len(parts) >= 4 and parts[0] in ("offerings", "tools", "policies") else None

    for rid, record in enumerate(records):
        team = team_at(record["u"])
        alternative = record.get("a")
        # what to use instead names its team as the pages do ("→ use PgBouncer (Database Team)"): `tm`
        instead = team_at(alternative["u"]) if alternative is not None else None
        if team is None and instead is None:
            continue
        # a copy: a record is never changed (a policy page's may be the last index's, `_policy_records`)
        labelled = dict(record)
        if team is not None:
            labelled["t"] = f"{record['t']} ({team})"
            labelled["x"] = f"{record.get('x', '')} {team}".strip()
        if alternative is not None and instead is not None:
            labelled["a"] = {**alternative, "tm": instead}
        records[rid] = labelled
    records += [
        {"k": "page", "t": f"Team: {t.name}", "u": routes.team(t.id), "s": excerpt(t.mission), "x": f"team {t.id}"}
        for t in federation.teams
    ]
