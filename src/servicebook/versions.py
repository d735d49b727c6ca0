"""Releases of the catalog as pure data: which commits are releases, the versions index, manifests.

The rule for what is a release (documented in the README):
- every git tag matching the release pattern (default `v*`) is a release of the catalog version
  found at that commit;
- without a tag, a catalog version is released by the last commit, on the first-parent history,
  that still carries it (the commit just before the version changed, or the newest one);
- a tag wins over the untagged rule for the same version; when two tags carry the same catalog
  version, the newer tag wins and the older is reported.

Nothing here touches git or the disk; `releases.py` does, and hands these functions plain values.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LATEST_ALIAS = "latest"
VERSIONS_JSON = "versions.json"
MANIFEST = "manifest.sha256"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commit on the first-parent history that touched the sources, oldest first."""

    commit: str
    date: dt.datetime
    version: str | None  # the catalog's `version`, None when it cannot be read


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    commit: str


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    commit: str
    date: dt.datetime
    tag: str | None

    @property
    def path(self) -> str:
        """Where the release is published, relative to the site root."""
        return f"v/{self.version}/"


def select_releases(
    candidates: Sequence[Candidate], tags: Iterable[Tag], pattern: str
) -> tuple[list[Release], list[str]]:
    """Releases (oldest first) and notes about tags that were passed over."""
    by_commit = {c.commit: c for c in candidates}
    order = {c.commit: i for i, c in enumerate(candidates)}
    notes: list[str] = []
    chosen: dict[str, Release] = {}
    for i, c in enumerate(candidates):
        if c.version is None:
            continue
        following = candidates[i + 1] if i + 1 < len(candidates) else None
        if following is None or following.version != c.version:
            chosen[c.version] = Release(c.version, c.commit, c.date, None)
    tagged: dict[str, Release] = {}
    for tag in sorted(tags, key=lambda t: (order.get(t.commit, -1), t.name)):
        if not fnmatch.fnmatchcase(tag.name, pattern):
            continue
        found = by_commit.get(tag.commit)
        if found is None:
            notes.append(f"tag {tag.name} is not on the first-parent history of the built branch; skipped")
            continue
        if found.version is None:
            notes.append(f"tag {tag.name}: the catalog at {tag.commit[:12]} cannot be read; skipped")
            continue
        previous = tagged.get(found.version)
        if previous is not None:
            notes.append(
                f"tags {previous.tag} and {tag.name} both carry catalog version {found.version}; "
                f"{tag.name} is published"
            )
        tagged[found.version] = Release(found.version, found.commit, found.date, tag.name)
    chosen.update(tagged)
    releases = sorted(chosen.values(), key=lambda r: (order[r.commit], r.version))
    return releases, notes


def versions_index(releases: Sequence[Release]) -> list[dict[str, object]]:
    """mike-compatible versions.json: newest first, `latest` alias on the newest."""
    out: list[dict[str, object]] = []
    for i, r in enumerate(reversed(releases)):
        out.append(
            {
                "version": r.version,
                "title": r.version,
                "aliases": [LATEST_ALIAS] if i == 0 else [],
                "commit": r.commit,
                "date": r.date.date().isoformat(),
                "tag": r.tag,
                "path": r.path,
            }
        )
    return out


def versions_json(releases: Sequence[Release]) -> bytes:
    return (json.dumps(versions_index(releases), indent=2) + "\n").encode()


def pages_by_version(files_by_version: Mapping[str, Iterable[str]]) -> bytes:
    """For the switcher: each version's HTML pages, so it can tell whether a page exists there."""
    data = {
        version: sorted(p for p in paths if p.endswith(".html")) for version, paths in sorted(files_by_version.items())
    }
    return (json.dumps(data, separators=(",", ":")) + "\n").encode()


def manifest(files: Mapping[str, bytes], known: Mapping[str, str] | None = None) -> bytes:
    """`sha256sum`-compatible list of every file (the manifest itself excluded), sorted by path.
    `known` gives the hashes of files already hashed (kept unchanged from the last build)."""
    known = known or {}
    lines = [
        f"{known.get(path) or hashlib.sha256(files[path]).hexdigest()}  {path}\n"
        for path in sorted(files)
        if path != MANIFEST
    ]
    return "".join(lines).encode()


def parse_manifest(text: str) -> dict[str, str]:
    """path → hex digest, from `manifest` output."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, path = line.partition("  ")
        if sep and len(digest) == 64:
            out[path] = digest
    return out


def compare(expected: Mapping[str, bytes], published: Mapping[str, str]) -> list[str]:
    """Differences between a rebuild (path → bytes) and published digests (path → hex)."""
    problems = []
    for path in sorted(set(expected) | set(published)):
        if path not in published:
            problems.append(f"missing from the published site: {path}")
        elif path not in expected:
            problems.append(f"not produced by a rebuild: {path}")
        elif hashlib.sha256(expected[path]).hexdigest() != published[path]:
            problems.append(f"differs from a rebuild: {path}")
    return problems


def summarize(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """One line on what changed between two releases' catalog.json documents."""
    if old is None:
        return "First release."
    parts: list[str] = []
    for key, noun in (("offerings", "offering"), ("tools", "tool decision"), ("pages", "policy page")):
        ident = "slug" if key == "pages" else "id"
        before = {item[ident]: item for item in old.get(key, [])}
        after = {item[ident]: item for item in new.get(key, [])}
        added = len(after.keys() - before.keys())
        removed = len(before.keys() - after.keys())
        changed = sum(1 for k in after.keys() & before.keys() if after[k] != before[k])
        for count, verb in ((added, "added"), (removed, "removed"), (changed, "changed")):
            if count:
                parts.append(f"{count} {noun}{'s' if count != 1 else ''} {verb}")
    if old.get("team") != new.get("team") or old.get("support") != new.get("support"):
        parts.append("team or support details changed")
    return "; ".join(parts).capitalize() + "." if parts else "No change to offerings, tools or policies."
