"""AOE's technology radar as its authors write it: a folder of releases (`radar/<YYYY-MM-DD>/`), an
item a Markdown file with front matter (`title`, `ring`, `quadrant`, `tags`, `featured`) in each
release that changes it, read as AOE's build joins them: an item is its file name across releases,
each field the one the newest release that writes it gives."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servicebook.catalog import portals
from servicebook.catalog.validate import ID_RE, RESERVED_IDS
from servicebook.errors import Problem, SourceLocation
from servicebook.interop.fragment import Report, child, dump_fragment, items, read_file, text
from servicebook.interop.techradar import MAX_ENTRIES, alternatives, ring_status
from servicebook.source.jsontree import parse_json
from servicebook.source.yaml import Mapping, Scalar, Sequence, SourceError, SourceText, parse_yaml, split_front_matter

_RELEASE = re.compile(r"\d{4}-\d{2}-\d{2}")  # and a day of the calendar (_release)
MAX_ITEM_FILES = MAX_ENTRIES  # as a radar's JSON or sheet holds entries
_READ = frozenset({"title", "ring", "quadrant", "tags", "featured"})
# what a reason keeps of Markdown written in a body: a link as its text and address, AOE's [[item]] as its id
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_WIKI = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
_EMPHASIS = re.compile(r"(\*\*|__|`)(.+?)\1")


@dataclass(slots=True)
class _Item:
    """An item as the releases so far give it: each field with the place it was written."""

    id: str
    first: SourceLocation
    fields: dict[str, tuple[str, SourceLocation]] = field(default_factory=dict)
    ring_since: str | None = None  # the release from which it has stood in its ring
    rings: list[tuple[str, str, SourceLocation]] = field(default_factory=list)  # (release, ring, where) as written
    tags: tuple[tuple[str, ...], SourceLocation] | None = None  # the newest release's tags, and where
    body: str | None = None
    dropped: set[str] = field(default_factory=set)


def releases(folder: Path) -> Path | None:
    """The folder holding the release folders: `folder` itself, or its `radar/` (AOE's data/radar);
    None when `folder` is no folder or holds no release."""
    if not folder.is_dir():
        return None
    for candidate in (folder, folder / "radar", folder / "data" / "radar"):
        if candidate.is_dir() and any(_release(p) for p in candidate.iterdir()):
            return candidate
    return None


def _release(path: Path) -> bool:
    """Whether `path` is a release folder: named by the day of its release (YYYY-MM-DD), as AOE's build
    reads them (a folder named otherwise is not one of its releases)."""
    if not (_RELEASE.fullmatch(path.name) and path.is_dir()):
        return False
    try:
        dt.date.fromisoformat(path.name)
    except ValueError:
        return False
    return True


def import_folder(folder: Path, shown: str) -> tuple[str, Report]:
    """A catalog fragment (categories and tools) from an AOE radar's folder (one `releases` finds
    releases in): each tool's `since` is the release from which it stands in its ring."""
    report = Report()
    top = SourceLocation(shown)
    where = releases(folder)
    assert where is not None  # the command gives a folder that holds releases only
    found: dict[str, _Item] = {}
    files = sorted(
        (p for d in where.iterdir() if _release(d) for p in d.glob("*.md")),
        key=lambda p: (p.parent.name, p.name),
    )
    if len(files) > MAX_ITEM_FILES:
        report.problems.append(
            Problem(top, f"the radar has {len(files):,} item files; the limit is {MAX_ITEM_FILES:,}")
        )
        return "", report
    odd = _not_files(folder, shown, where, files)
    if odd:
        report.problems += odd
        return "", report
    config = _Config({}, None, AOE_RINGS)
    try:
        config = _config(folder, shown)
    except SourceError as exc:
        report.problems += exc.problems
    for path in files:
        name = shown.rstrip("/") + "/" + str(path.relative_to(folder))
        try:
            source = read_file(path, name)
            _revision(source, path.parent.name, path.stem, found, report)
        except SourceError as exc:
            report.problems += exc.problems
    if report.problems:
        return "", report
    tools: list[dict[str, Any]] = []
    categories: dict[str, dict[str, str]] = {}
    placed: dict[str, SourceLocation] = {}
    for item in found.values():
        tool = _tool(item, categories, config, report)
        if tool is not None:
            tools.append(tool)
            placed[tool["id"]] = item.first
    fragment: dict[str, Any] = {}
    if categories:
        fragment["categories"] = list(categories.values())
    if tools:
        fragment["tools"] = tools
        alternatives(tools, placed, report)
    else:
        report.nothing = f"no item of the AOE radar {shown} could be read as a tool"
    header = "# A catalog fragment from a tech radar (servicebook import techradar): review, then merge.\n"
    return (header + dump_fragment(fragment)) if fragment else header, report


def _revision(source: SourceText, release: str, stem: str, found: dict[str, _Item], report: Report) -> None:
    """One release's file of an item, over what the earlier releases gave it."""
    front, body, _ = split_front_matter(source)
    node = parse_yaml(source, text=front, line_offset=1) if front is not None else None
    start = SourceLocation(source.path, 1, 1)
    item = found.setdefault(stem, _Item(stem, start))
    if front is not None and not isinstance(node, Mapping):
        report.skipped(start, f"item '{stem}' of {release}: its front matter is not a mapping of fields")
        return
    for key, value in items(node):
        written = text(value)
        if key not in _READ:
            if key not in item.dropped:
                item.dropped.add(key)
                report.dropped(value.location, f"item '{stem}': '{key}' (not part of a tool decision)")
            continue
        if key == "tags" and isinstance(value, Sequence):  # the newest release's, as AOE's build keeps them
            item.tags = (tuple(t for t in (text(v) for v in value.items) if t is not None), value.location)
        if written is None or not isinstance(value, Scalar):
            if key == "tags" and key not in item.dropped:
                item.dropped.add(key)
                report.dropped(value.location, f"item '{stem}': tags (a tool decision has none)")
            continue
        if key == "ring" and written != (item.fields.get("ring") or ("", start))[0]:
            item.ring_since = release  # a ring written otherwise, in case too, is another ring to AOE's build
        if key == "ring":
            item.rings.append((release, written, value.location))
        if key == "featured":
            continue  # how the radar draws it, not the decision
        item.fields[key] = (written, value.location)
    if body.strip():
        item.body = body


# the rings of AOE's data/config.default.json, which its build takes where config.json names none
AOE_RINGS = ("adopt", "trial", "assess", "hold")


@dataclass(frozen=True, slots=True)
class _Config:
    """What the radar's config.json says of the items' quadrants and rings: the ids AOE's build draws
    (it compares an item's with them as written, and leaves an item of another off the radar)."""

    titles: dict[str, str]  # the quadrants' titles by id
    quadrants: tuple[str, ...] | None  # the quadrants' ids; None without a config.json (not checked)
    rings: tuple[str, ...]  # the rings' ids: config.json's, else AOE's defaults
    tags: tuple[str, ...] = ()  # config.json's tags: the radar shows only the items with one of them


def _not_files(folder: Path, shown: str, where: Path, files: list[Path]) -> list[Problem]:
    """A problem for each link and each other thing than a file among what the import would read
    in `folder` (the radar's folder, its releases, their items and config.json): another team's
    repository can commit a link to any file of the machine (a key, /proc/self/environ), whose text
    would become a tool's reason, and a FIFO would keep the import waiting for ever."""
    problems = []
    looked: list[Path] = [folder / "config.json"] if (folder / "config.json").is_symlink() else []
    if where != folder:  # radar/ or data/radar/
        looked += [p for p in (folder / "data", folder / "radar") if p.is_symlink()]
        looked += [where] if where.is_symlink() and where.parent != folder else []
    looked += sorted({p.parent for p in files if p.parent.is_symlink()})
    for path in [*looked, *(p for p in files if p.parent not in looked)]:
        at = SourceLocation(shown.rstrip("/") + "/" + str(path.relative_to(folder)))
        if path.is_symlink():
            problems.append(
                Problem(
                    at,
                    f"is a symbolic link (to {str(path.readlink())[:200]}): a radar folder's files are read only "
                    "as files in it, never through a link, which can name any file of the machine",
                    "put the file itself in the folder",
                )
            )
        elif path.exists() and not path.is_file() and not path.is_dir():
            problems.append(
                Problem(
                    at,
                    "is not a regular file (a FIFO or a device): an import reads files",
                    "put the file itself in the folder",
                )
            )
    return problems


def _config(folder: Path, shown: str) -> _Config:
    """The radar's config.json beside its releases (AOE's own, or the one `export techradar --format
    aoe` writes), as AOE's build merges it over its defaults (a list it gives replaces the default's)."""
    path = folder / "config.json"
    if not path.is_file():
        return _Config({}, None, AOE_RINGS)
    node = parse_json(read_file(path, shown.rstrip("/") + "/config.json"))
    quadrants, rings = child(node, "quadrants"), child(node, "rings")
    titles, ids = {}, []
    for quadrant in quadrants.items if isinstance(quadrants, Sequence) else ():
        ident, title = text(child(quadrant, "id")), text(child(quadrant, "title"))
        if ident:
            ids.append(ident)
        if ident and title:
            titles[ident] = title
    written = (text(child(r, "id")) for r in (rings.items if isinstance(rings, Sequence) else ()))
    ring_ids = tuple(i for i in written if i)
    tags = child(node, "tags")
    shown_tags = tuple(t for t in (text(v) for v in (tags.items if isinstance(tags, Sequence) else ())) if t)
    return _Config(titles, tuple(ids) if isinstance(quadrants, Sequence) else None, ring_ids or AOE_RINGS, shown_tags)


def _drawn(item: _Item, config: _Config, report: Report) -> bool:
    """Whether AOE's build draws the item: its ring one of the radar's ring ids and its quadrant one of
    its quadrants' (where config.json names them), each as written; else it is skipped, as the build
    leaves it off the radar. A ring an earlier release writes in another case is said where the since
    of the ring starts: to the build it is another ring."""
    label = f"item '{item.id}'"
    ring, quadrant = item.fields["ring"], item.fields["quadrant"]
    for value, ids, what in ((ring, config.rings, "ring"), (quadrant, config.quadrants, "quadrant")):
        if ids is None or value[0] in ids:
            continue
        near = next((i for i in ids if i.casefold() == value[0].strip().casefold()), None)
        report.skipped(
            value[1],
            f"{label}: its {what} '{value[0]}' is none of the radar's ({', '.join(ids)}): AOE's build compares "
            f"{what} ids as written and leaves the item off the radar",
            f"write {what}: {near}"
            if near
            else f"write one of the {what}s config.json names"
            if config.quadrants is not None
            else "these are AOE's default rings, as no config.json is beside the releases: give the folder that "
            "holds the radar's config.json (and radar/), or write one of them",
        )
        return False
    tags, tags_at = item.tags or ((), item.first)
    if config.tags and not set(tags) & set(config.tags):
        report.skipped(
            tags_at,
            f"{label}: it has none of the tags the radar's config.json shows ({', '.join(config.tags)}): AOE's build "
            "leaves it off the radar",
        )
        return False
    before = [r for r in item.rings if r[0] < (item.ring_since or "") and r[1] != ring[0]]
    if before and before[-1][1].casefold() == ring[0].casefold():
        release, written, at = before[-1]
        report.guessed(
            at,
            f"{label}: since {item.ring_since}, not {release}: the ring '{written}' of {release} is another ring "
            f"than '{ring[0]}' to AOE's build, which compares ring ids as written (its history shows a move): if it "
            f"has stood in {ring[0]} since {release}, write ring: {ring[0]} there",
        )
    return True


def _tool(item: _Item, categories: dict[str, dict[str, str]], config: _Config, report: Report) -> dict[str, Any] | None:
    at = item.first
    label = f"item '{item.id}'"
    ring, quadrant = item.fields.get("ring"), item.fields.get("quadrant")
    if ring is None or quadrant is None:
        report.skipped(at, f"{label}: no release gives it a {'ring' if ring is None else 'quadrant'}")
        return None
    if not _drawn(item, config, report):
        return None
    titles = config.titles
    title = item.fields.get("title", (item.id, at))[0]
    ident = item.id if ID_RE.fullmatch(item.id) and item.id not in RESERVED_IDS else portals.slug(item.id)
    if ident != item.id:
        report.guessed(at, f"{label}: id '{ident}' from its file name (ids are lower-case slugs)")
    category = portals.slug(quadrant[0]) or "quadrant"
    if category not in categories:
        name = titles.get(quadrant[0]) or quadrant[0].replace("-", " ").replace("_", " ").strip().capitalize()
        categories[category] = {"id": category, "name": name}
        if quadrant[0] not in titles:
            report.guessed(
                quadrant[1],
                f"category '{name}' named from the quadrant id '{quadrant[0]}' (the radar's config.json, which "
                "names quadrants, is not beside its releases)",
            )
    status = ring_status((ring[0], ring[0]), label, ring[1], report)
    reason = _first_paragraph(item.body or "")
    if reason:
        report.guessed(at, f"{label}: reason from the first paragraph of its newest text")
    else:
        reason = f"On the radar's {ring[0]} ring."
        report.guessed(at, f"{label}: reason '{reason}'")
    assert item.ring_since is not None  # set by the release that wrote its ring
    return {
        "id": ident,
        "name": title,
        "category": category,
        "status": status.value,
        "reason": reason,
        "since": item.ring_since,
    }


def _first_paragraph(body: str) -> str:
    """The first paragraph of an item's Markdown, as text: a link as its text and address, `[[id]]` as
    the id, emphasis and code marks left out (a reason is text)."""
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        lines = [line.strip() for line in paragraph.splitlines()]
        if lines and not lines[0].startswith(("#", "```", "|", "<")):
            words = " ".join(lines)
            words = _LINK.sub(lambda m: f"{m[1]} ({m[2]})" if m[1] and m[1] != m[2] else m[2], words)
            words = _WIKI.sub(lambda m: m[2] or m[1], words)
            return _EMPHASIS.sub(lambda m: m[2], words)
    return ""
