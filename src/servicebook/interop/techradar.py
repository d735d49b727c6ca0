"""Tech-radar data: the tool decisions as entries of the Backstage tech-radar plugin, of Zalando's
config.json and of AOE's Markdown radar, and a radar back to a catalog fragment (docs/portals.md)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from servicebook import routes
from servicebook.catalog import crossrefs, model, portals
from servicebook.catalog.validate import ID_RE, RESERVED_IDS, check_url
from servicebook.errors import Problem, SourceLocation
from servicebook.interop.fragment import Report, child, dump_fragment, dump_yaml, items, location, text
from servicebook.source import csvtree
from servicebook.source.jsontree import parse_json
from servicebook.source.yaml import Bounds, Node, Scalar, SourceError, SourceText, parse_yaml
from servicebook.source.yaml import Mapping as YamlMapping
from servicebook.source.yaml import Sequence as YamlSequence

# Colours of the rings (the Backstage plugin and Zalando's radar need one each): the usual four
# by name, any other grey.
RING_COLOURS = {"adopt": "#5ba300", "trial": "#009eb0", "assess": "#c7ba00", "hold": "#e09b96"}
OTHER_COLOUR = "#9a9a9a"


def _colour(ring: str) -> str:
    return RING_COLOURS.get(portals.slug(ring), OTHER_COLOUR)


@dataclass(frozen=True, slots=True)
class RadarEvent:
    """A tool's decision as it stood from a day on: from the catalog's git history."""

    date: dt.date
    status: model.ToolStatus
    reason: str  # why: the decision's reason then, or the commit's message


@dataclass(frozen=True, slots=True)
class Radar:
    """What every format draws: quadrants and rings (names, in order) and each tool's place."""

    quadrants: tuple[str, ...]
    rings: tuple[str, ...]
    quadrant_of: Mapping[str, str]  # category id → quadrant
    ring_of: Mapping[model.ToolStatus, str]
    quadrant_ids: Mapping[str, str]  # quadrant → its id, in the formats that name quadrants by id
    ring_ids: Mapping[str, str]  # ring → its id


def radar(catalog: model.Catalog) -> Radar:
    settings = catalog.portals.techradar if catalog.portals else None
    quadrants = tuple(portals.quadrant_order(catalog, settings))
    rings = tuple(portals.ring_order(settings))
    return Radar(
        quadrants,
        rings,
        portals.quadrants(catalog, settings),
        portals.rings(settings),
        _drawn_ids(quadrants, "quadrant"),
        _drawn_ids(rings, "ring"),
    )


def _drawn_ids(names: Sequence[str], kind: str) -> dict[str, str]:
    """An id for each quadrant or ring: its name as one (accents folded), else (`平台`: no letter a-z
    or digit, which every such name would share as `team`) `quadrant-N` of its place; never one id
    for two."""
    ids: dict[str, str] = {}
    for n, name in enumerate(names):
        base = portals.slug(_folded(name)) if _TITLE_ID.search(_folded(name).lower()) else f"{kind}-{n + 1}"
        ident, more = base, 2
        while ident in ids.values():
            ident, more = f"{base}-{more}", more + 1
        ids[name] = ident
    return ids


def refusals(catalog: model.Catalog, fmt: model.RadarFormat) -> list[str]:
    """Why `fmt` cannot draw the catalog's tools as its settings say (validation reports the same
    with a position when the catalog has portals.techradar)."""
    drawn = radar(catalog)
    out = []
    if len(drawn.quadrants) > portals.RADAR_QUADRANTS:
        out.append(
            f"a radar has {portals.RADAR_QUADRANTS} quadrants, but the tools are in {len(drawn.quadrants)} "
            f"categories: {', '.join(drawn.quadrant_of)}; map them onto four under portals.techradar.quadrants"
        )
    if fmt is model.RadarFormat.ZALANDO and len(drawn.rings) > portals.RADAR_QUADRANTS:
        out.append(f"Zalando's radar draws four rings, not {len(drawn.rings)}: map two statuses to one ring")
    return out


def _names(catalog: model.Catalog) -> dict[str, str]:
    """The name of every tool and offering by id (what an alternative names)."""
    return {t.id: t.name for t in catalog.tools} | {o.id: o.name for o in catalog.offerings}


def _description(
    names: Mapping[str, str], tool: model.Tool, base_url: str | None, text: Callable[[str], str] = str
) -> str:
    """The reason, the alternative and the review date: what a reader needs of a decision; what
    the catalog's writers wrote (the reason, a tool's name) passed through `text`."""
    parts = [f"{tool.status.value.capitalize()} since {tool.since.isoformat()}. {text(tool.reason.strip())}"]
    if tool.alternative:  # another team's is named by its id there (tool:db-team/pgbouncer: db-team/pgbouncer)
        parts.append(f"Use instead: {text(names.get(tool.alternative, crossrefs.alternative(tool.alternative)[1]))}.")
    if tool.review_by:
        parts.append(f"To be reviewed by {tool.review_by.isoformat()}.")
    if base_url:
        parts.append(f"Details: {routes.absolute_url(base_url, routes.tool(tool.id))}")
    return "\n\n".join(parts)


def _links(
    tool_ids: frozenset[str], tool: model.Tool, base_url: str | None, organisation: str | None = None
) -> list[dict[str, str]]:
    links = []
    if base_url:
        links.append(
            {"title": "Decision in the service catalog", "url": routes.absolute_url(base_url, routes.tool(tool.id))}
        )
        if tool.alternative:
            links.append(
                {"title": "Alternative", "url": _alternative_url(tool_ids, tool.alternative, base_url, organisation)}
            )
        if tool.migration:
            links.append(
                {"title": "Migration guide", "url": routes.absolute_url(base_url, routes.policy(tool.migration))}
            )
    if tool.url:
        links.append({"title": f"{tool.name} website", "url": tool.url})
    return links


def _alternative_url(tool_ids: frozenset[str], alternative: str, base_url: str, organisation: str | None) -> str:
    """Where an alternative's page is: on this site, or, for another member team's record named
    by a member (`db-team/postgres`, `tool:db-team/pgbouncer`, catalog/crossrefs.py), on the
    organisation site."""
    kind, name = crossrefs.alternative(alternative)
    if organisation is not None and "/" in name:
        return routes.absolute_url(organisation, routes.cross_team(kind, name))
    return routes.absolute_url(base_url, routes.tool(name) if name in tool_ids else routes.offering(name))


def _timeline(tool: model.Tool, history: Sequence[RadarEvent], drawn: Radar) -> list[dict[str, Any]]:
    """Newest first, as the plugin reads it (its first snapshot is where the entry is drawn); each
    change of ring with its date and reason, `moved` 1 for a ring further in, -1 further out."""
    events = list(history)
    if len(events) == 1 and events[0].status is tool.status:
        events = []  # recorded once: the decision's own date and reason say more than the commit's
    if not events or events[-1].status is not tool.status:
        events.append(RadarEvent(tool.since, tool.status, tool.reason))
    out: list[dict[str, Any]] = []
    previous: int | None = None
    for event in events:
        ring = drawn.ring_of[event.status]
        index = drawn.rings.index(ring)
        if out and out[-1]["ringId"] == drawn.ring_ids[ring]:
            continue  # a status change within one ring is not a move on the radar
        moved = 0 if previous is None else (1 if index < previous else -1)
        out.append(
            {
                "date": event.date.isoformat(),
                "ringId": drawn.ring_ids[ring],
                "moved": moved,
                "description": _plain(event.reason.strip()),
            }
        )
        previous = index
    return list(reversed(out))


def backstage_radar(catalog: model.Catalog, history: Mapping[str, Sequence[RadarEvent]], base_url: str | None) -> bytes:
    """The Backstage tech-radar plugin's data (tech-radar-common's TechRadarLoaderResponse)."""
    drawn = radar(catalog)
    names, tool_ids = _names(catalog), frozenset(t.id for t in catalog.tools)
    data = {
        "quadrants": [{"id": drawn.quadrant_ids[q], "name": q} for q in drawn.quadrants],
        "rings": [
            {"id": drawn.ring_ids[r], "name": r, "color": _colour(r), "description": _ring_text(r, drawn)}
            for r in drawn.rings
        ],
        "entries": [
            {
                "key": tool.id,
                "id": tool.id,
                "quadrant": drawn.quadrant_ids[drawn.quadrant_of[tool.category]],
                "title": tool.name,
                **(
                    {"url": routes.absolute_url(base_url, routes.tool(tool.id))}
                    if base_url
                    else {"url": tool.url}
                    if tool.url
                    else {}
                ),
                "timeline": _timeline(tool, history.get(tool.id, ()), drawn),
                # the plugin renders both descriptions as Markdown (RadarDescription, RadarTimeline)
                "description": _description(names, tool, base_url, _plain),
                "links": _links(tool_ids, tool, base_url, catalog.organisation),
            }
            for tool in catalog.tools
        ],
    }
    return _json(data)


def _ring_text(ring: str, drawn: Radar) -> str:
    statuses = [s.value for s, r in drawn.ring_of.items() if r == ring]
    return f"Tool decisions: {', '.join(statuses)}" if statuses else "No status maps here"


def zalando_radar(catalog: model.Catalog, base_url: str | None, date: dt.date | None) -> bytes:
    """Zalando's config.json: `date` and `entries` (quadrant and ring as indexes), with the
    quadrants and rings that `radar_visualization` takes beside them, in the same order, filled to
    the four of each it draws.

    `date` is the build's (SOURCE_DATE_EPOCH or the commit's), as an ISO day that the radar shows
    as written and the import reads back; without one, the newest tool decision's `since`, so the
    same catalog gives the same bytes; with neither (no tools), no date."""
    drawn = radar(catalog)
    dated = date or max((tool.since for tool in catalog.tools), default=None)
    # radar.js draws four of each whatever it is given (its legend reads quadrants[0..3] and
    # rings[0..3]: a TypeError on a shorter list); those the catalog does not use are unnamed, empty.
    four = portals.RADAR_QUADRANTS
    data = {
        **({"date": dated.isoformat()} if dated is not None else {}),
        "quadrants": [{"name": q} for q in drawn.quadrants] + [{"name": ""}] * (four - len(drawn.quadrants)),
        "rings": [{"name": r.upper(), "color": _colour(r)} for r in drawn.rings]
        + [{"name": "", "color": OTHER_COLOUR}] * (four - len(drawn.rings)),
        "entries": [
            {
                "quadrant": drawn.quadrants.index(drawn.quadrant_of[tool.category]),
                "ring": drawn.rings.index(drawn.ring_of[tool.status]),
                "label": tool.name,
                **(
                    {"link": routes.absolute_url(base_url, routes.tool(tool.id))}
                    if base_url
                    else {"link": tool.url}
                    if tool.url
                    else {}
                ),
                "active": True,
                "moved": 0,
            }
            for tool in catalog.tools
        ],
    }
    return _json(data)


def aoe_radar(
    catalog: model.Catalog, history: Mapping[str, Sequence[RadarEvent]], base_url: str | None
) -> dict[str, bytes]:
    """AOE's radar: `config.json` (quadrants and rings) and one Markdown file per tool and release
    (`radar/<date>/<id>.md`): each change of ring in the history is a release of its own, so the
    radar's own history shows it."""
    drawn = radar(catalog)
    names = _names(catalog)
    files: dict[str, bytes] = {
        "config.json": _json(
            {
                "quadrants": [
                    {"id": drawn.quadrant_ids[q], "title": q, "description": "", "color": OTHER_COLOUR}
                    for q in drawn.quadrants
                ],
                "rings": [
                    {
                        "id": drawn.ring_ids[r],
                        "title": r,
                        "description": _ring_text(r, drawn),
                        "color": _colour(r),
                        "radius": round((n + 1) / len(drawn.rings), 2),
                        "strokeWidth": 1,
                    }
                    for n, r in enumerate(drawn.rings)
                ],
            }
        )
    }
    for tool in catalog.tools:
        snapshots = list(reversed(_timeline(tool, history.get(tool.id, ()), drawn)))
        for n, snapshot in enumerate(snapshots):
            last = n == len(snapshots) - 1
            front = {
                "title": tool.name,
                "ring": snapshot["ringId"],
                "quadrant": drawn.quadrant_ids[drawn.quadrant_of[tool.category]],
                "tags": [tool.category],
            }
            body = _description(names, tool, base_url, _plain) if last else _plain(snapshot["description"])
            files[f"radar/{snapshot['date']}/{tool.id}.md"] = f"---\n{dump_yaml(front)}---\n\n{body}\n".encode()
    return dict(sorted(files.items()))


# What starts markup in the Markdown AOE's radar (and Backstage's plugin) renders: a tag or an
# entity, a link or an image (`[x](javascript:…)`), and the backslash that would escape our escapes.
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "[": "\\[", "]": "\\]"})


def _plain(text: str) -> str:
    """`text` (a reason, a name: the catalog holds them as plain text, and the site escapes them)
    as Markdown that shows it as written: no tag, entity, link or image of its own."""
    return text.translate(_MARKUP)


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- Import ------------------------------------------------------------------------------------

STATUS_OF_RING = {
    "adopt": model.ToolStatus.SUPPORTED,
    "trial": model.ToolStatus.BEST_EFFORT,
    "assess": model.ToolStatus.BEST_EFFORT,
    "hold": model.ToolStatus.UNSUPPORTED,
}
# Rings that companies' own radars draw instead: Backstage's tech-radar sample (USE), bcgov/nr-arch's
# BYOR sheet (explore, endure, retire), ministryofjustice's radar (REDUCE): guessed, and said so
STATUS_OF_OTHER_RING = {
    "use": model.ToolStatus.SUPPORTED,
    "explore": model.ToolStatus.BEST_EFFORT,
    "endure": model.ToolStatus.DEPRECATED,
    "reduce": model.ToolStatus.DEPRECATED,
    "retire": model.ToolStatus.UNSUPPORTED,
}

# Thoughtworks' four rings as its radar is published in Portuguese, Spanish and Chinese, and as teams
# translate them (German, French; Norwegian, as Statistics Norway's radar sheet names them: Ta i bruk,
# Prøv ut, Vurder, Avvent): read as the ring each translates, said as a guess to check
TRANSLATED_RINGS = {
    **dict.fromkeys(
        ("adote", "adotar", "adoptar", "采纳", "übernehmen", "adoptieren", "einsetzen", "adopter", "ta i bruk"), "adopt"
    ),
    **dict.fromkeys(
        ("experimente", "experimentar", "probar", "试验", "testen", "erproben", "essayer", "prøv ut"), "trial"
    ),
    **dict.fromkeys(("avalie", "avaliar", "evaluar", "评估", "bewerten", "prüfen", "évaluer", "vurder"), "assess"),
    **dict.fromkeys(
        (
            "evite",
            "evitar",
            "resistir",
            "暂缓",
            "halten",
            "zurückhalten",
            "vermeiden",
            "abwarten",
            "suspendre",
            "avvent",
        ),
        "hold",
    ),
}


_Layout = tuple[YamlSequence, Node | None, Node | None, bool]
"""Where a radar's entries, quadrants and rings are, and whether it is Build-Your-Own-Radar's (whose
entries name their quadrant and ring)."""


def import_radar(source: SourceText, today: dt.date) -> tuple[str, Report]:
    """A catalog fragment (categories and tools) from a radar's JSON: the Backstage plugin's
    (quadrants, rings, entries with a timeline), Zalando's (date, entries with indexes, or a list
    of those entries) or Build-Your-Own-Radar's list (quadrant and ring by name), or from
    Build-Your-Own-Radar's CSV sheet. JSON is read as strictly as the catalog is (a duplicate key
    is an error with its position)."""
    report = Report()
    node, layout = _read(source, report)
    if layout is None:
        return "", report
    top = location(node, _start(source))  # where what concerns the whole radar is said
    entries, quadrants_node, rings_node, byor = layout
    quadrants = _named(quadrants_node, "id" if _has(quadrants_node, "id") else None)
    rings = _named(rings_node, "id" if _has(rings_node, "id") else None)
    if byor:  # Build-Your-Own-Radar names each entry's quadrant and ring: the radar's are those named
        quadrants, rings = _byor_names(entries, "quadrant"), _byor_names(entries, "ring")
    if not quadrants:  # Zalando's config.json: the names are in the page that draws it
        quadrants = [(str(i), f"Quadrant {i + 1}") for i in range(portals.RADAR_QUADRANTS)]
        report.guessed(
            location(entries, top),
            "quadrant names 'Quadrant 1' to 'Quadrant 4' (the radar names none); rename the categories",
        )
    if not rings:
        rings = list(_ZALANDO_RINGS)
    if len(quadrants) > portals.RADAR_QUADRANTS:
        report.error(
            source,
            location(quadrants_node, top),
            f"the radar has {len(quadrants)} quadrants; a radar has {portals.RADAR_QUADRANTS}",
            "fix the radar first: its entries cannot be placed as its own tool would place them",
        )
        return "", report
    categories: dict[str, dict[str, str]] = {}
    dated = _radar_date(_key(node, "date"), report) if isinstance(node, YamlMapping) else None
    undated: list[_Undated] = []  # entries without a date of their own, dated by the radar's or today
    tools, placed = _tools(entries, quadrants, rings, categories, report, dated or today, undated, byor=byor)
    fragment: dict[str, Any] = {}
    if categories:
        fragment["categories"] = list(categories.values())
    entries_n = _entries(len(undated))
    if undated and dated is not None:
        _dated_by_the_radar(undated, dated, location(_key(node, "date"), top), report)
    elif undated:  # nothing in the file says when: the day of the import, said so
        report.guessed(
            top,
            f"since {today.isoformat()} (the day of the import) for {entries_n}: the radar gives no "
            "date; set each tool's since to the day it was decided",
        )
    if tools:
        fragment["tools"] = tools
        alternatives(tools, placed, report)
    elif entries.items:
        report.nothing = f"no entry of {source.path} could be read as a tool"
    else:
        report.nothing = f"the radar {source.path} has no entries"
    header = "# A catalog fragment from a tech radar (servicebook import techradar): review, then merge.\n"
    return (header + dump_fragment(fragment)) if fragment else header, report


_Undated = tuple[str, str | None]
"""An entry dated by its radar: its title, and how Zalando's `moved` says it came to its ring
("moved": in, out or new in that edition; "unmoved"; None when it does not say)."""
_MOVES = {"-1": "moved", "1": "moved", "2": "moved", "0": "unmoved"}  # as Zalando's radar.js draws them


def _entries(n: int) -> str:
    return f"{n} {'entry' if n == 1 else 'entries'}"


def _dated_by_the_radar(undated: list[_Undated], dated: dt.date, where: SourceLocation, report: Report) -> None:
    """Say which entries took the radar's date as their since: an entry that moved (or is new) in
    that edition reached its ring then; one that did not move was in its ring before."""
    day = dated.isoformat()
    said = [title for title, move in undated if move is None]
    moved = [title for title, move in undated if move == "moved"]
    unmoved = [title for title, move in undated if move == "unmoved"]
    if said:
        report.guessed(where, f"since {day} for {_entries(len(said))}, from the radar's date")
    if moved:
        report.guessed(
            where, f"since {day} for {_entries(len(moved))}, from the radar's date (moved or new in that edition)"
        )
    if unmoved:
        named = ", ".join(unmoved[:5]) + (", …" if len(unmoved) > 5 else "")
        report.guessed(
            where,
            f"since {day} for {_entries(len(unmoved))}, from the radar's date, though they did not move in that "
            f'edition ("moved": 0: {named}): each was in its ring before; set since to the day it was decided',
        )


def _tools(
    entries: YamlSequence,
    quadrants: list[tuple[str, str]],
    rings: list[tuple[str, str]],
    categories: dict[str, dict[str, str]],
    report: Report,
    dated: dt.date,
    undated: list[_Undated],
    *,
    byor: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, SourceLocation]]:
    """The tools the entries are, in order, and where each one's entry is: entries whose ids come
    out alike are both kept (the later with -2, -3 …), the same tool twice once, each said."""
    tools: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    placed: dict[str, SourceLocation] = {}
    if len(entries.items) > MAX_ENTRIES:  # each entry is written out by PyYAML's pure-Python emitter
        report.problems.append(
            Problem(
                entries.items[MAX_ENTRIES].location,
                f"the radar has {len(entries.items):,} entries; the limit is {MAX_ENTRIES:,}, here",
                "split it, by quadrant for one",
            )
        )
        return tools, placed
    drawn: dict[tuple[str, str, str], SourceLocation] = {}  # (title, quadrant, ring) → where it is first
    written = _written_ids(entries)  # an id made for a clash is none an entry gives
    for n, entry in enumerate(entries.items):
        own, own_undated = Report(), list[_Undated]()  # what a repeat says of itself is said once, at the first
        read = _tool(entry, n, quadrants, rings, categories, own, dated, own_undated, byor=byor)
        if read is not None and read[1] in drawn:  # the same tool twice (a sheet's row pasted again): once
            first = drawn[read[1]]
            report.skipped(
                entry.location,
                f"entry '{read[0]['name']}': the same title, quadrant and ring as the entry at line {first.line}",
            )
            continue
        report.notes += own.notes
        undated += own_undated
        if read is None:
            continue
        tool, place = read
        drawn[place] = entry.location
        if tool["id"] in by_id:  # "Foo" and "foo", or a written id that another's title slugs to: both kept
            taken = tool["id"]
            tool["id"] = _free_id(taken, by_id.keys() | written)
            report.guessed(
                entry.location,
                f"entry '{tool['name']}': id '{tool['id']}', as '{taken}' is the id of entry "
                f"'{by_id[taken]['name']}' at line {placed[taken].line}",
            )
        by_id[tool["id"]] = tool
        tools.append(tool)
        placed[tool["id"]] = entry.location
    return tools, placed


def _read(source: SourceText, report: Report) -> tuple[Node | None, _Layout | None]:
    """The radar's tree and where its entries, quadrants and rings are; no layout, said in the
    report, when the file cannot be read as a radar."""
    if source.path.lower().endswith((".md", ".markdown")):
        _markdown(source, report)
        return None, None
    script = _JAVASCRIPT.search(source.text)
    if script is not None or source.path.lower().endswith((".js", ".mjs", ".ts")):
        _javascript(source, script, report)
        return None, None
    sheet = _sheet_separator(source)
    try:
        if sheet is not None:
            read = csvtree.parse_csv(source, sheet, max_rows=MAX_ENTRIES + 1 + MAX_BLANK_ROWS)
            for line in read.empty_lines:  # between entries: perhaps where an entry was meant to be
                report.skipped(
                    SourceLocation(source.path, line, 1),
                    "an empty row: it has no name, ring or quadrant, so no entry is read from it",
                )
            return read.rows, _sheet_layout(source, read.header, read.rows, report)
        json_text = source.text.lstrip().startswith(("{", "["))
        node = parse_json(source, bounds=RADAR_BOUNDS) if json_text else parse_yaml(source, bounds=RADAR_BOUNDS)
    except SourceError as exc:
        if _FRONT_MATTER.match(source.text):  # not a YAML mistake to fix by removing the '---'
            _markdown(source, report)
        else:
            report.problems += exc.problems
        return None, None
    return node, _layout(source, node, report)


# Markdown under YAML front matter, as AOE's radar writes an item (radar/<release>/<item>.md)
_FRONT_MATTER = re.compile(r"---\n(?:.*\n)*?---[ \t]*(?:\n|$)")


def _markdown(source: SourceText, report: Report) -> None:
    report.error(
        source,
        SourceLocation(source.path, 1, 1),
        "an AOE radar item (Markdown with front matter) is not read alone",
        "give the AOE radar's folder (its release folders, radar/YYYY-MM-DD/, hold its items), a radar's JSON "
        "(Backstage, Zalando, Build-Your-Own-Radar, the rd.json AOE's radar builds of its items) or a "
        "Build-Your-Own-Radar sheet",
    )


# a radar kept as the script that draws it: zalando/tech-radar's `radar_visualization({...})` (its page's call,
# copied into a .js file by its forks), or a variable holding the radar's data
_JAVASCRIPT = re.compile(
    r"\A(?:\s|//[^\n]*\n|/\*.*?\*/)*(?P<call>[A-Za-z_$][\w$.]*\s*\(\s*\{|(?:export\s+)?(?:var|let|const)\s+[\w$]+"
    r"(?:\s*:\s*[\w$<>]+)?\s*=\s*[\[{])",
    re.S,
)


def _javascript(source: SourceText, script: re.Match[str] | None, report: Report) -> None:
    at = script.start("call") if script is not None else len(source.text) - len(source.text.lstrip())
    line = source.text.count("\n", 0, at) + 1
    column = at - (source.text.rfind("\n", 0, at) + 1) + 1
    report.error(
        source,
        SourceLocation(source.path, line, column),
        "a radar written as JavaScript (the call radar_visualization({...}) of zalando/tech-radar's page, or a "
        "variable holding the radar) is not read: servicebook reads a radar's data, not the script that draws it",
        'copy the object given to radar_visualization into a .json file (its keys in double quotes: "quadrants", '
        '"rings", "entries"; no comments or trailing commas), and import that: Zalando\'s config.json is read, '
        "its quadrants and rings by name",
    )


def _sheet_separator(source: SourceText) -> str | None:
    """The separator of a Build-Your-Own-Radar sheet (a CSV file: named .csv, or a first line that
    names the column name and one of ring, quadrant, isNew, status), or None for JSON or YAML."""
    if source.text.lstrip().startswith(("{", "[")):
        return None
    header = csvtree.first_line(source.text)
    sep = csvtree.separator(header)
    if source.path.lower().endswith(".csv"):
        return sep or ","
    names = {name.strip().strip('"').strip().casefold() for name in header.split(sep)} if sep else set()
    return sep if "name" in names and names & {"ring", "quadrant", "isnew", "status"} else None


SHEET_COLUMNS = ("name", "ring", "quadrant")  # what an entry must have; description, isNew and status it may


def _sheet_layout(source: SourceText, header: tuple[Scalar, ...], rows: YamlSequence, report: Report) -> _Layout | None:
    """A Build-Your-Own-Radar sheet's rows as its JSON list's entries, or None, said in the report,
    when its header lacks a column an entry needs."""
    names = {name.value.casefold() for name in header}
    missing = [column for column in SHEET_COLUMNS if column not in names]
    if missing:
        where = header[0].location if header else _start(source)
        report.error(
            source,
            SourceLocation(source.path, where.line, 1),
            f"the sheet has no {' and no '.join(repr(m) for m in missing)} column "
            f"(its header: {', '.join(n.value for n in header)})",
            "a Build-Your-Own-Radar sheet's header is name,ring,quadrant,isNew,description "
            "(or status for isNew); a column may be in any place",
        )
        return None
    return rows, None, None, True


def _written_ids(entries: YamlSequence) -> set[str]:
    """The ids entries give themselves (`id`, `key`)."""
    return {
        written
        for entry in entries.items
        for written in (text(_key(entry, "id")) or text(_key(entry, "key")),)
        if written is not None
    }


def _free_id(taken: str, used: Set[str]) -> str:
    """`taken` with the first -2, -3 … that no tool has and no entry gives, within an id's length."""
    n = 2
    while f"{taken[:60]}-{n}" in used:
        n += 1
    return f"{taken[:60]}-{n}"


def _layout(source: SourceText, node: Node | None, report: Report) -> _Layout | None:
    """Where a radar's entries, quadrants and rings are, and whether it is a Build-Your-Own-Radar
    list (whose entries name their quadrant and ring); None, said in the report, when it has none."""
    if isinstance(node, YamlSequence) and _listed_entries(node):  # a list of entries and nothing else
        return node, None, None, any(_key(item, "name") is not None for item in node.items)
    if not isinstance(node, YamlMapping):
        report.error(
            source,
            location(node, _start(source)),
            "a radar must be a JSON object with 'entries', or a list of entries",
            "this reads the Backstage tech-radar plugin's JSON, Zalando's config.json (or its list of "
            "entries) and a Thoughtworks Build-Your-Own-Radar JSON list or CSV sheet (name, ring, quadrant)",
        )
        return None
    entries = _key(node, "entries")
    built = _key(node, "items")
    if entries is None and isinstance(built, YamlSequence) and _aoe_items(built):  # its items name their places
        return built, None, None, True
    sheets = [(key, value) for key, value in node.items if isinstance(value, YamlSequence) and _listed_entries(value)]
    if entries is None and len(sheets) == 1 == len(node.items):  # a Build-Your-Own-Radar file of one sheet
        listed = sheets[0][1]
        assert isinstance(listed, YamlSequence)
        return listed, None, None, any(_key(item, "name") is not None for item in listed.items)
    if entries is None and sheets and len(sheets) == len(node.items):  # of several, by name
        names = ", ".join(f"'{key.value}'" for key, _ in sheets[:MAX_SHEETS_SHOWN])
        more = f" and {len(sheets) - MAX_SHEETS_SHOWN} more" if len(sheets) > MAX_SHEETS_SHOWN else ""
        report.error(
            source,
            sheets[0][0].location,
            f"a Build-Your-Own-Radar file of {len(sheets)} sheets ({names}{more}): a radar is one sheet",
            "save the list of the sheet to import as a file of its own, and import that",
        )
        return None
    if not isinstance(entries, YamlSequence):
        report.error(source, location(entries, node.location), "the radar has no list of 'entries'")
        return None
    return entries, _key(node, "quadrants"), _key(node, "rings"), False


MAX_ENTRIES = 10_000  # of a radar's JSON or sheet, as of an AOE radar's item files (aoe_radar.MAX_ITEM_FILES)
MAX_BLANK_ROWS = 1_000  # a sheet's rows of nothing, beside its header and its entries
# A radar's JSON or YAML is counted as it is read, so one past the limit is refused at its entry
# past it without reading the rest (8 MB of 177,000 entries took five CPU seconds to read whole),
# and any other list as long, or a file of more values than 10,000 entries of a hundred each (a
# long timeline of moves: a Backstage entry with one holds about thirty), likewise.
RADAR_BOUNDS = Bounds(
    items=MAX_ENTRIES,
    values=100 * MAX_ENTRIES,
    what="a radar",
    hint=f"a radar holds at most {MAX_ENTRIES:,} entries: split it, by quadrant for one",
)
MAX_SHEETS_SHOWN = 5  # of a Build-Your-Own-Radar file's sheets, named in the error (then how many more)


def _aoe_items(node: YamlSequence) -> bool:
    """AOE's radar as its build writes it (`rd.json`, `data.json`): `items`, each with its title,
    ring and quadrant by name, its text (`body`, HTML), the day of its newest release and its
    `revisions`."""
    return bool(node.items) and all(
        isinstance(item, YamlMapping) and all(_key(item, key) is not None for key in ("title", "ring", "quadrant"))
        for item in node.items
    )


def _key(node: Node | None, key: str) -> Node | None:
    """The value of `key` in a mapping, written in any case (a fork's `"Date"`, a sheet's `"Name"`)
    when not as given."""
    exact = child(node, key)
    if exact is not None or not isinstance(node, YamlMapping):
        return exact
    folded = key.casefold()
    return next((value for k, value in node.items if k.value.casefold() == folded), None)


def _listed_entries(node: YamlSequence) -> bool:
    """A JSON list of entries: Zalando's (label, quadrant and ring as indexes, as its
    data/<radar>/<edition>.json) or Build-Your-Own-Radar's (name, ring, quadrant)."""
    return bool(node.items) and all(
        isinstance(item, YamlMapping)
        and _key(item, "quadrant") is not None
        and (_key(item, "label") is not None or _key(item, "name") is not None)
        for item in node.items
    )


def _byor_names(entries: YamlSequence, key: str) -> list[tuple[str, str]]:
    """The quadrants or rings a Build-Your-Own-Radar list names, in the order they first appear."""
    named: dict[str, tuple[str, str]] = {}
    for item in entries.items:
        value = text(_key(item, key))
        if value is not None:
            named.setdefault(value, (value, value))
    return list(named.values())


def _start(source: SourceText) -> SourceLocation:
    return SourceLocation(source.path, 1, 1)


_RADAR_DATE = re.compile(r"([0-9]{4})[.-]([0-9]{1,2})(?:[.-]([0-9]{1,2}))?")


def _radar_date(node: Node | None, report: Report) -> dt.date | None:
    """The day a radar's top-level `date` names (Zalando's `2023.10` is its edition's month: its
    first day), or None when it has none or names no day (said in the report)."""
    written = text(node)
    if node is None or written is None:
        return None
    match = _RADAR_DATE.fullmatch(written.strip())
    try:
        if match is None:
            raise ValueError(written)
        year, month, day = match.groups()
        return dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        report.dropped(node.location, f"the radar's date '{written}' (not a year and month such as 2023.10)")
        return None


def _has(node: Node | None, key: str) -> bool:
    return isinstance(node, YamlSequence) and any(_key(item, key) is not None for item in node.items)


def _named(node: Node | None, key: str | None) -> list[tuple[str, str]]:
    """(id, name) of each quadrant or ring, in order; Zalando's have only a name."""
    out = []
    if isinstance(node, YamlSequence):
        for item in node.items:
            name = text(_key(item, "name")) or text(_key(item, "title")) or ""
            ident = (text(_key(item, key)) if key else None) or name
            out.append((ident, name or ident))
    return out


def ring_status(ring: tuple[str, str], label: str, at: SourceLocation, report: Report) -> model.ToolStatus:
    """The status a ring stands for: Zalando's and Thoughtworks' four, the rings companies' radars
    name instead (a guess, said), else best-effort, to map by hand."""
    status = STATUS_OF_RING.get(portals.slug(ring[0]))
    if status is not None:
        if portals.slug(ring[0]) == "assess":
            report.guessed(at, f"{label}: status best-effort from the ring 'Assess' (servicebook has no assess)")
        return status
    meant = TRANSLATED_RINGS.get(ring[0].strip().casefold()) or TRANSLATED_RINGS.get((ring[1] or "").strip().casefold())
    if meant is not None:
        translated = STATUS_OF_RING[meant]
        report.guessed(
            at, f"{label}: status {translated.value} from the ring '{ring[1]}' (read as {meant.capitalize()}: check it)"
        )
        return translated
    other = STATUS_OF_OTHER_RING.get(portals.slug(ring[0])) or STATUS_OF_OTHER_RING.get(portals.slug(ring[1] or ""))
    if other is not None:
        report.guessed(at, f"{label}: status {other.value} from the ring '{ring[1]}' (a custom ring: check it)")
        return other
    report.guessed(at, f"{label}: status best-effort from the ring '{ring[1]}' (map custom rings by hand)")
    return model.ToolStatus.BEST_EFFORT


def _tool(
    entry: Node,
    n: int,
    quadrants: list[tuple[str, str]],
    rings: list[tuple[str, str]],
    categories: dict[str, dict[str, str]],
    report: Report,
    dated: dt.date,
    undated: list[_Undated],
    *,
    byor: bool = False,
) -> tuple[dict[str, Any], tuple[str, str, str]] | None:
    """The tool an entry is, and where the radar draws it (title, quadrant, ring); None, said in
    the report, for an entry that cannot be placed."""
    at = entry.location
    label = f"entry {n + 1}"
    if not isinstance(entry, YamlMapping):
        report.skipped(at, f"{label}: not an object")
        return None
    title = text(_key(entry, "title")) or text(_key(entry, "label")) or text(_key(entry, "name"))
    if not title:
        report.skipped(at, f"{label}: no title, label or name")
        return None
    title = _aoe_title(entry, title, report)
    if byor:
        title = _byor_name(entry, title, report)
    label = f"entry '{title}'"
    ident = _tool_id(entry, n, title, report)
    quadrant = _place(_key(entry, "quadrant"), quadrants)
    ring_node = _key(entry, "ring")
    timeline = _key(entry, "timeline")
    newest = timeline.items[0] if isinstance(timeline, YamlSequence) and timeline.items else None
    ring = _place(ring_node if ring_node is not None else _key(newest, "ringId"), rings)
    if quadrant is None or ring is None:
        what = "quadrant" if quadrant is None else "ring"
        written = _key(entry, what) if what == "quadrant" or ring_node is not None else _key(newest, "ringId")
        report.skipped(
            at,
            f"{label}: its {what} is not one of the radar's"
            if written is not None
            else f"{label}: it names no {what} (give each entry its '{what}', as Zalando's config.json does)",
        )
        return None
    category, by_place = _category_id(quadrant, quadrants)
    if category not in categories and by_place:
        report.guessed(
            at, f"category id '{category}' for the quadrant '{quadrant[1]}' (its name has no letters a-z or digits)"
        )
    categories.setdefault(category, {"id": category, "name": quadrant[1]})
    status = ring_status(ring, label, at, report)
    move = _move(entry, label, report)
    since_node = _key(newest, "date") if newest is not None else _key(entry, "release")  # release: AOE's
    since = text(since_node)
    if since is None or not _is_date(since[:10]):
        since_text = dated.isoformat()
        undated.append((title, move))
        _not_a_day(since_node, since, label, at, report)
    else:
        since_text = since[:10]
    active = _key(entry, "active")
    inactive = text(active) in ("false", "FALSE", "False")
    if inactive:  # Zalando's radar draws it greyed out, unlabelled and unlinked (unless printed)
        report.guessed(
            location(active, at),
            f'{label}: imported from the {ring[1]} ring though the radar marks it inactive ("active": false): '
            "check it is a current decision, or leave it out",
        )
    described = (_key(entry, "description"), _key(newest, "description"), _key(entry, "body"))  # body: AOE's
    reason_node = next((node for node in described if text(node)), None)
    if reason_node is not None and reason_node is _key(entry, "body"):
        reason_node = _aoe_description(entry, reason_node, ring, label, report)
    reason = _reason_text(reason_node, at, label, report)
    if not reason:
        reason = f"On the radar's {ring[1]} ring{' (inactive there)' if inactive else ''}."
        report.guessed(at, f"{label}: reason '{reason}'")
    tool: dict[str, Any] = {
        "id": ident,
        "name": title,
        "category": category,
        "status": status.value,
        "reason": reason.strip(),
        "since": since_text,
    }
    url = text(_key(entry, "url")) or text(_key(entry, "link"))
    if url and check_url(url) is None and "/tools/" not in url:
        tool["url"] = url
    elif url:
        report.dropped(at, f"{label}: url {url}")
    _history(entry, timeline, label, report)
    for key, _value in items(entry):
        if key.casefold() not in (
            "key",
            "id",
            "title",
            "label",
            "quadrant",
            "ring",
            "timeline",
            "description",
            "url",
            "link",
            "links",
            "active",
            "moved",
            "name",
            "body",
            "release",
            "revisions",
        ):
            report.dropped(at, f"{label}: '{key}'")
    return tool, (title, quadrant[0], ring[0])


def _reason_text(reason_node: Node | None, at: SourceLocation, label: str, report: Report) -> str | None:
    """A description as a reason, which is text: Build-Your-Own-Radar's (and AOE's) are HTML, whose
    text it is then, said in the report."""
    reason = text(reason_node)
    if not reason or not _HTML_TAG.search(reason):
        return reason
    links: tuple[list[str], list[str]] = ([], [])
    kept, relative = links
    reason = _html_text(reason, links)
    said = ["tags left out"] + (["a link's address in brackets after its text"] if kept else [])
    if relative:
        said.append(f"links to {', '.join(relative)} as their text: addresses relative to the radar's own site")
    report.guessed(
        location(reason_node, at), f"{label}: reason as the text of its HTML description ({'; '.join(said)})"
    )
    return reason


def _aoe_description(entry: YamlMapping, body: Node, ring: tuple[str, str], label: str, report: Report) -> Node:
    """An AOE item's description: its build gives an item the body of its newest revision that
    has one, which for a tool that moved is often only a note of the move (akka-streams in AOE's
    src/rd.json: "Updated to &quot;adopt&quot;"); the newest revision's body that is more than
    such a note, else the item's body, said in the report."""
    if not _ring_note(text(body) or "", ring):
        return body
    revisions = _key(entry, "revisions")
    for revision in revisions.items if isinstance(revisions, YamlSequence) else ():  # newest first
        written = _key(revision, "body")
        if text(written) and not _ring_note(text(written) or "", ring):
            assert written is not None
            when = text(_key(revision, "release"))
            report.guessed(
                location(body, entry.location),
                f"{label}: reason from its revision{f' of {when}' if when else ''}: its newest only says "
                f"'{_html_text(text(body) or '').strip()}'",
            )
            return written
    return body


def _ring_note(body: str, ring: tuple[str, str]) -> bool:
    """Whether a description only notes a move to the item's ring (a line that names it)."""
    note = _html_text(body).strip()
    return len(note) <= MAX_RING_NOTE and "\n" not in note and any(r and r.casefold() in note.casefold() for r in ring)


def _aoe_title(entry: YamlMapping, title: str, report: Report) -> str:
    """An AOE item's title: its build titles an item whose newest revision gives no title by its
    file (`akeneo.md`), where an earlier revision says `Akeneo`; the newest title of its revisions
    that is not a file name, else its name, said in the report."""
    name = text(_key(entry, "name"))
    revisions = _key(entry, "revisions")
    if not isinstance(revisions, YamlSequence) or title.casefold() != f"{name or ''}.md".casefold():
        return title
    written = (text(_key(revision, "title")) for revision in revisions.items)
    better = next((t for t in written if t and not t.casefold().endswith(".md")), None) or name
    assert better is not None  # the title is NAME.md
    said = "its revisions" if better != name else "its name"
    report.guessed(
        location(_key(entry, "title"), entry.location),
        f"entry '{title}': title '{better}' from {said} (AOE's build titles an item without one by its file)",
    )
    return better


def _history(entry: YamlMapping, timeline: Node | None, label: str, report: Report) -> None:
    """Say the earlier places a radar keeps of an entry (the plugin's timeline, AOE's revisions)
    dropped: the catalog's history is its git history."""
    if isinstance(timeline, YamlSequence) and len(timeline.items) > 1:
        report.dropped(
            timeline.location, f"{label}: {len(timeline.items) - 1} earlier timeline entries (git keeps history)"
        )
        _newest_first(timeline, label, report)
    revisions = _key(entry, "revisions")
    if isinstance(revisions, YamlSequence) and len(revisions.items) > 1:
        report.dropped(revisions.location, f"{label}: {len(revisions.items) - 1} earlier revisions (git keeps history)")


def _move(entry: YamlMapping, label: str, report: Report) -> str | None:
    """How an entry came to its ring, as Zalando's `moved` says (_Undated); a value its radar does
    not draw is said dropped."""
    moved = text(_key(entry, "moved"))
    move = _MOVES.get(moved.strip()) if moved is not None else None
    if moved is not None and move is None:
        report.dropped(entry.location, f"{label}: 'moved' {moved} (Zalando's radar draws -1, 0, 1 and 2)")
    return move


def _tool_id(entry: YamlMapping, n: int, title: str, report: Report) -> str:
    """The id an entry gives (`id`, `key`) when it is one, else one made of its title, else, for a
    title with no letter a-z or digit, one of its place in the radar; said in the report."""
    at, label = entry.location, f"entry '{title}'"
    written_id = text(_key(entry, "id")) or text(_key(entry, "key"))
    ident = written_id if written_id and ID_RE.fullmatch(written_id) and written_id not in RESERVED_IDS else None
    if ident is None and _TITLE_ID.search(_folded(title).lower()):
        ident = portals.slug(_folded(title))
        if ident in RESERVED_IDS:  # `nul`, `index`: names a platform or the site keeps for itself
            ident = f"{ident}-tool"
        report.guessed(at, f"{label}: id '{ident}' from its title")
    elif ident is None:  # `!!!`, `数据库`: no letter or digit of an id to make one of
        ident = f"entry-{n + 1}"
        report.guessed(
            at, f"{label}: id '{ident}' from its place in the radar (its title has no letters a-z or digits)"
        )
    return ident


_TITLE_ID = re.compile(r"[a-z0-9]")  # what portals.slug keeps of a title


def _folded(name: str) -> str:
    """`name` without its accents (`Técnicas` → `Tecnicas`, `Übernehmen` → `Ubernehmen`), so an id
    made of it keeps its letters; a letter of no Latin form (`平台`) stays and is no letter of an id."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))


def _category_id(quadrant: tuple[str, str], quadrants: list[tuple[str, str]]) -> tuple[str, bool]:
    """The category a quadrant becomes, and whether its id is of its place: its name as an id, else
    (`平台`, `工具`: no letter a-z or digit) `quadrant-N` of its place among the radar's quadrants, so
    quadrants whose names give no id are never one category."""
    name = quadrant[1] or quadrant[0]
    if _TITLE_ID.search(_folded(name).lower()):
        return portals.slug(_folded(name)), False
    return f"quadrant-{quadrants.index(quadrant) + 1}", True


MAX_RING_NOTE = 80  # characters: "Updated to "adopt"", "Moved to trial." — a description says more
_HTML_TAG = re.compile(  # a tag of the HTML a description is written in (not `Optional<T>`)
    r"</?(?:p|a|b|i|em|strong|br|ul|ol|li|code|pre|div|span|h[1-6]|blockquote|sup|sub|small|hr|img)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_HTML_BREAKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"})


class _HTMLText(HTMLParser):
    """The text of an HTML fragment: a paragraph (or list item, or line break) a line of its own; a
    link's web address (http, https) in brackets after its text, which a reason (plain text) keeps
    only so. A link to an address relative to the radar's own site (`/radar/platforms/redis`, as
    Thoughtworks' blips write them) has nothing to be relative to here: its text alone, listed."""

    def __init__(self, *, addresses: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses = addresses  # a name is its text alone, as Build-Your-Own-Radar shows it
        self.parts: list[str] = []
        self.link: tuple[str, int] | None = None  # the open <a>'s href and where its text begins
        self.kept: list[str] = []
        self.relative: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_BREAKS:
            self.parts.append("\n" if tag == "br" else "\n\n")
        href = dict(attrs).get("href") if tag == "a" and self.addresses else None
        if href and href.strip():
            self.link = (href.strip(), len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_BREAKS:
            self.parts.append("\n\n")
        if tag == "a" and self.link is not None:
            href, start = self.link
            self.link = None
            shown = " ".join("".join(self.parts[start:]).split())
            if href.lower().startswith(("http://", "https://")) and check_url(href) is None:
                if href not in (shown, shown.rstrip("/") + "/"):
                    self.parts.append(f" ({href})")
                self.kept.append(href)
            elif not _SCHEME.match(href):  # mailto:, javascript: … are no web page to point to
                self.relative.append(href)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _byor_name(entry: YamlMapping, title: str, report: Report) -> str:
    """An entry's name as Build-Your-Own-Radar shows it: its sanitizer trims every cell and keeps a
    name's text only (sanitize-html, no tag allowed), an entity as its character."""
    shown = _html_text(title) if _HTML_TAG.search(title) or "&" in title else title.strip()
    if shown != title.strip() and shown:
        report.guessed(
            location(_key(entry, "name"), entry.location),
            f"entry '{shown}': name '{shown}', the text Build-Your-Own-Radar shows of '{title.strip()}'",
        )
    return shown or title.strip()


def _html_text(html: str, links: tuple[list[str], list[str]] | None = None) -> str:
    """The text a browser shows of `html`: tags left out, entities as characters, paragraphs
    apart by one blank line and spaces within them as one; a link's web address after its text
    (_HTMLText) when `links` is given, which gains the addresses of the links kept, and of those
    relative to the radar's own site, not kept."""
    parser = _HTMLText(addresses=links is not None)
    parser.feed(html)
    parser.close()
    if links is not None:
        links[0].extend(parser.kept)
        links[1].extend(parser.relative)
    paragraphs = re.split(r"\n[ \t]*\n\s*", "".join(parser.parts))
    tidy = ("\n".join(" ".join(line.split()) for line in p.split("\n") if line.strip()) for p in paragraphs)
    return "\n\n".join(p for p in tidy if p)


def _newest_first(timeline: YamlSequence, label: str, report: Report) -> None:
    """The plugin draws an entry where its first timeline item puts it, as this import reads it:
    a later item dated after the first (a timeline written oldest first) is said, at that item."""
    first = text(_key(timeline.items[0], "date")) or ""
    for item in timeline.items[1:]:
        date = text(_key(item, "date")) or ""
        if _is_date(first[:10]) and _is_date(date[:10]) and date[:10] > first[:10]:
            ring = text(_key(timeline.items[0], "ringId"))
            report.guessed(
                item.location,
                f"{label}: ring '{ring}' and since {first[:10]} from the timeline's first item, as the plugin "
                f"draws it, though this one is newer ({date[:10]}): write the timeline newest first",
            )
            return


def _place(node: Node | None, named: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The quadrant or ring an entry names: by id (Backstage) or index (Zalando)."""
    value = text(node)
    if value is None:
        return None
    for ident, name in named:
        if value == ident:
            return ident, name
    if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) < len(named):  # not "²"
        return named[int(value)]
    if isinstance(node, Scalar) and node.plain and _JSON_INDEX.fullmatch(value):
        # a JSON number JavaScript indexes by as the whole number it is: Zalando's radar.js takes
        # `"ring": 1.0` (as a script's floats write it) as ring 1
        whole = float(value)
        if whole.is_integer() and 0 <= whole < len(named):
            return named[int(whole)]
    return None


_JSON_INDEX = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?(?:[eE][+-]?[0-9]{1,2})?")


_ZALANDO_RINGS = [("adopt", "Adopt"), ("trial", "Trial"), ("assess", "Assess"), ("hold", "Hold")]  # its default


def _not_a_day(node: Node | None, written: str | None, label: str, at: SourceLocation, report: Report) -> None:
    """Say a date written that is no day of the calendar (`2024-02-30`, `06/02/2022`), where it is: the entry
    is dated as one without a date, not by what its radar meant."""
    if written is None or not written.strip():
        return
    report.dropped(
        location(node, at),
        f"{label}: the date '{written}', not a day of the calendar as YYYY-MM-DD: the tool's since is guessed as for "
        "an entry without a date",
        "write the day it was decided as YYYY-MM-DD",
    )


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def alternatives(tools: list[dict[str, Any]], placed: Mapping[str, SourceLocation], report: Report) -> None:
    """A radar has no alternatives: a weak decision needs one, so the fragment asks for it."""
    for tool in tools:
        if tool["status"] in ("deprecated", "unsupported"):
            report.guessed(
                placed[tool["id"]],
                f"tool '{tool['id']}': no alternative (the radar has none); add 'alternative:' before using it",
            )
