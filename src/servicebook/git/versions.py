"""Releases of the catalog as pure data: which commits are releases, the versions index, manifests.

The rule for what is a release (documented in the README):
- every git tag matching the release pattern (default `v*`) is a release of the catalog version
  found at that commit;
- without a tag, a catalog version is released by the last commit, on the first-parent history,
  that still carries it (the commit just before the version changed, or the newest one);
- a tag wins over the untagged rule for the same version; when two tags carry the same catalog
  version, the earlier one on the history wins (a published release never changes) and the later
  is reported;
- a tag whose commit does not build is skipped (and reported) for the next option: a later tag,
  then the untagged rule's commit.

Nothing here touches git or the disk; `releases.py` does, and hands these functions plain values.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servicebook import routes
from servicebook.catalog.validate import VERSION_RE
from servicebook.errors import printable
from servicebook.git.diff import Change, ordered

LATEST_ALIAS = "latest"
VERSIONS_JSON = routes.VERSIONS_JSON
MANIFEST = routes.MANIFEST


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commit on the first-parent history that touched the sources, oldest first."""

    commit: str
    date: dt.datetime
    version: str | None  # the catalog's `version`, None when it cannot be read or name a release's folder
    # the version as written when it cannot name a release's folder (`1.0.`, `CON`: folder_name)
    unnamed: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    commit: str  # the object the tag names once peeled: a commit, unless `kind` says otherwise
    kind: str = "commit"  # git's object type: "tree" or "blob" for a tag no release can be
    on: str | None = None  # the commit the tag names, where `commit` is the one whose sources it releases
    tagged: dt.datetime | None = None  # when an annotated tag was made (its tagger's date); None for a lightweight one


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    commit: str
    date: dt.datetime
    tag: str | None
    # the commit the tag names, where it changed no source and `commit` (whose sources it releases) is
    # the last before it that did: what a note about the tag names (never part of what is published)
    on: str | None = field(default=None, compare=False)
    # when its annotated tag was made (the tagger's date), which the versions page shows beside the
    # commit's; None for a lightweight tag (git records no date for one) or an untagged release
    tagged: dt.datetime | None = None

    @property
    def path(self) -> str:
        """Where the release is published, relative to the site root."""
        return routes.release(self.version)


@dataclass(frozen=True, slots=True)
class Note:
    """Something about the tags or the history that a build reports (a warning; fails --strict)."""

    message: str
    hint: str | None = None
    subject: str | None = field(default=None, compare=False)  # the tag it is about (Problem.subject)
    kind: str | None = field(default=None, compare=False)  # what kind of note it is (Problem.kind)


@dataclass(frozen=True, slots=True)
class Choice:
    """The commits that may publish one catalog version, best first: its release tags, the earliest
    on the history first, then the last commit that carries it (the untagged rule). The first that
    builds is published; a published release is never replaced by a later tag."""

    version: str
    options: tuple[Release, ...]
    misnamed: frozenset[str] = frozenset()  # tags whose name does not say `version` (names_version)
    pattern: str = "v*"  # the release-tag pattern they matched

    @property
    def release(self) -> Release:
        return self.options[0]


def select_releases(
    candidates: Sequence[Candidate], tags: Iterable[Tag], pattern: str
) -> tuple[list[Choice], list[Note]]:
    """What may publish each version (oldest version first), and notes about tags passed over or
    named unlike the version they carry."""
    by_commit = {c.commit: c for c in candidates}
    order = {c.commit: i for i, c in enumerate(candidates)}
    notes: list[Note] = []
    untagged: dict[str, Release] = {}
    tags = list(tags)
    release_tagged = {t.commit for t in tags if fnmatch.fnmatchcase(t.name, pattern)}  # (their notes say why)
    for i, c in enumerate(candidates):
        following = candidates[i + 1] if i + 1 < len(candidates) else None
        if c.version is None:
            carried_on = following is not None and following.unnamed == c.unnamed
            if c.unnamed is not None and not carried_on and c.commit not in release_tagged:
                notes.append(_unreleased(c, c.unnamed))
            continue
        if following is None or following.version != c.version:
            untagged[c.version] = Release(c.version, c.commit, c.date, None)
    tagged: dict[str, list[Release]] = {}
    misnamed = frozenset(
        t.name
        for t in tags
        if t.commit in by_commit and not names_version(t.name, by_commit[t.commit].version or "", pattern)
    )
    # oldest first; of two tags on one commit, the one named after its version first
    for tag in sorted(tags, key=lambda t: (order.get(t.commit, -1), t.name in misnamed, t.name)):
        if not fnmatch.fnmatchcase(tag.name, pattern):
            continue
        if tag.kind != "commit":
            notes.append(
                Note(
                    f"tag {tag.name} names a {tag.kind} ({tag.commit[:12]}), not a commit, so it releases "
                    "nothing; skipped",
                    f"a release tag names the commit whose catalog it releases: `git tag -f {tag.name} <commit>` "
                    f"moves it there (`git push -f origin {tag.name}` then moves the remote's), `git tag -d "
                    f"{tag.name}` deletes it",
                    tag.name,
                    kind="tag-not-a-commit",
                )
            )
            continue
        found = by_commit.get(tag.commit)
        if found is None:
            notes.append(
                Note(
                    f"tag {tag.name} is not on the first-parent history of the built branch; skipped",
                    None,
                    tag.name,
                    kind="tag-off-first-parent",
                )
            )
            continue
        if found.version is None:
            notes.append(
                Note(
                    f"tag {tag.name}: the catalog at {tag.commit[:12]} cannot be read, or its version cannot name "
                    "a release's folder (one ending in '.', or a device name on Windows); skipped",
                    f"a release tag must be on a commit whose catalog builds: move the tag to one (`git tag -f "
                    f"{tag.name} <commit>`) or delete it",
                    tag.name,
                    kind="tag-catalog-unreadable",
                )
            )
            continue
        tagged.setdefault(found.version, []).append(
            Release(found.version, found.commit, found.date, tag.name, tag.on, tag.tagged)
        )
    notes += _unmatched_tags(tags, by_commit, untagged, tagged, pattern)
    choices = []
    for version in untagged.keys() | tagged.keys():
        options = list(tagged.get(version, []))
        last = untagged.get(version)
        if last is not None and all(o.commit != last.commit for o in options):
            options.append(last)
        choices.append(Choice(version, tuple(options), misnamed & {o.tag for o in options}, pattern))
    choices.sort(key=lambda c: (order[c.release.commit], c.version))
    return _one_folder_each(choices, notes), notes


def _unreleased(candidate: Candidate, version: str) -> Note:
    """The last commit carrying a version no release's folder can be named (written by a servicebook
    that allowed it): by the untagged rule it would have been released, and it is not."""
    if version.endswith(".") and VERSION_RE.fullmatch(version.rstrip(".")):
        why = f"Windows drops the '.' it ends in: v/{version}/ is v/{version.rstrip('.')}/ there"
    elif VERSION_RE.fullmatch(version):
        why = "Windows takes it for a device: no checkout of the site there could hold it"
    else:
        why = "it is not a version: letters, digits and . + _ - only, 40 at most, ending in no '.'"
    return Note(
        f"commit {candidate.commit[:12]}: catalog version '{printable(version[:60])}' is not released: it cannot "
        f"name a release's folder ({why})",
        "past commits are not changed: a later commit whose `version:` names a folder (e.g. 2026.11) is released",
        version,
        kind="version-not-a-folder",
    )


def _one_folder_each(choices: list[Choice], notes: list[Note]) -> list[Choice]:
    """`choices` (oldest first) less each whose version differs from an earlier one's only in case
    (1.0-rc, 1.0-RC): their folders are one on macOS and Windows, where a checkout of the site
    holds one of them. The earlier stays published (a published release never changes); a note
    says why the later is not."""
    first: dict[str, Choice] = {}
    kept: list[Choice] = []
    for choice in choices:
        earlier = first.setdefault(choice.version.casefold(), choice)
        if earlier is choice:
            kept.append(choice)
            continue
        was, now = earlier.release, choice.release
        notes.append(
            Note(
                f"catalog versions {earlier.version} ({_named(was)}) and {choice.version} ({_named(now)}) differ "
                f"only in case: {routes.release(earlier.version)} and {routes.release(choice.version)} are one "
                f"folder on macOS and Windows, so {choice.version} is not published",
                "a published release is never changed: give the catalog a version of its own (`version:` in "
                "catalog.yaml) for a new release",
                now.tag or choice.version,
                kind="versions-differ-in-case",
            )
        )
    return kept


def _named(release: Release) -> str:
    return f"tag {release.tag}" if release.tag else f"commit {release.commit[:12]}"


def _unmatched_tags(
    tags: Iterable[Tag],
    by_commit: Mapping[str, Candidate],
    untagged: Mapping[str, Release],
    tagged: Mapping[str, list[Release]],
    pattern: str,
) -> list[Note]:
    """Tags named after the version their commit carries (`1.0`) that the release pattern does not
    match (`v*`), on another commit than the one that publishes that version: whoever tagged it
    meant that commit to be the release, and it silently was not."""
    notes = []
    prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    for tag in sorted(tags, key=lambda t: t.name):
        found = by_commit.get(tag.commit)
        if fnmatch.fnmatchcase(tag.name, pattern) or found is None or found.version is None:
            continue
        version, published = found.version, untagged.get(found.version)
        if version in tagged or published is None or published.commit == tag.commit:
            continue
        if not names_version(tag.name, version, ""):
            continue
        named = f"{prefix}{tag.name.removeprefix('v').removeprefix('V')}" if prefix else None
        notes.append(
            Note(
                f"tag {tag.name} names version {version}, but site.release_tags ({pattern!r}) does not match it: "
                f"{version} is published from commit {published.commit[:12]}, the last that carries it, not from "
                f"the tagged commit {(tag.on or tag.commit)[:12]}",
                (f"to publish the tagged commit, tag it {named} (`git tag {named} {tag.name}`), or " if named else "")
                + f"set site.release_tags to a glob that matches {tag.name}",
                kind="tag-not-matched",
            )
        )
    return notes


def names_version(tag: str, version: str, pattern: str) -> bool:
    """Whether a tag's name says the version it releases: the part after the pattern's fixed
    prefix (and a `v`) is the version, trailing `.0`s aside (`v1.2` and `v1.2.0` name 1.2)."""
    prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    name = tag.removeprefix(prefix)
    return any(_same_version(n, version) for n in (name, name.removeprefix("v"), name.removeprefix("V")))


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    left, right = a.split("."), b.split(".")
    if not all(part.isdigit() for part in (*left, *right)):
        return False
    width = max(len(left), len(right))
    return [int(p) for p in left] + [0] * (width - len(left)) == [int(p) for p in right] + [0] * (width - len(right))


def outcome_notes(choice: Choice, published: Release | None, failed: Mapping[str, str]) -> list[Note]:
    """What to say about the options of `choice` that were not published: tags skipped because
    their commit does not build (`failed`: commit → why), and later tags of a version an earlier
    tag already publishes."""
    notes: list[Note] = []
    seen_published = False
    for option in choice.options:
        if published is not None and option.commit == published.commit:
            seen_published = True
            if option.tag in choice.misnamed:
                notes.append(
                    Note(
                        f"tag {option.tag} is on commit {_sources_of(option)}, whose catalog carries version "
                        f"{choice.version}: the tag's name does not say the version it releases (published as "
                        f"{routes.release(choice.version)})",
                        "the catalog's `version:` names a release: delete or rename the tag (`git tag -d "
                        f"{option.tag}`, and on the remote), or narrow `site.release_tags` (now "
                        f"{choice.pattern!r}) so that it does not match",
                        option.tag,
                        kind="tag-misnamed",
                    )
                )
            continue
        if option.tag is None:
            continue
        if option.commit in failed:
            instead = (
                f"{choice.version} is published from commit {published.commit[:12]}"
                + (f" (tag {published.tag})" if published.tag else "")
                if published is not None
                else f"no commit that carries {choice.version} builds"
            )
            notes.append(
                Note(
                    f"tag {option.tag} (commit {_sources_of(option)}) was skipped: release {choice.version} there "
                    f"{failed[option.commit] or 'cannot be built'}; {instead}",
                    "a release tag must be on a commit whose catalog builds: move the tag to one "
                    f"(`git tag -f {option.tag} <commit>`) or delete it",
                    option.tag,
                    kind="tag-release-failed",
                )
            )
        elif seen_published and published is not None:
            first = published.tag or f"commit {published.commit[:12]}"
            notes.append(
                Note(
                    f"tags {first} and {option.tag} both carry catalog version {choice.version}; {first}, the "
                    f"earlier, stays published as {routes.release(choice.version)} and {option.tag} is ignored",
                    "a published release is never changed: bump `version` in catalog.yaml for a new release",
                    option.tag,
                    kind="tags-same-version",
                )
            )
    return notes


def _sources_of(release: Release) -> str:
    """The commit a release's tag names, and the one whose sources it releases where they differ."""
    if release.on is None:
        return release.commit[:12]
    return f"{release.on[:12]} (which changed no source: its sources are commit {release.commit[:12]}'s)"


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
    return listed_by_version({version: version_pages(paths) for version, paths in files_by_version.items()})


def version_pages(paths: Iterable[str]) -> str:
    """One version's part of `pages_by_version`: its HTML pages in order, as JSON."""
    return json.dumps(sorted(p for p in paths if p.endswith(".html")), separators=(",", ":"))


def listed_by_version(listed: Mapping[str, str]) -> bytes:
    """`pages_by_version` of each version's part (`version_pages`): the bytes `json.dumps` writes
    of the versions in order, each with its list, without separating spaces."""
    parts = [f"{json.dumps(version)}:{text}" for version, text in sorted(listed.items())]
    return ("{" + ",".join(parts) + "}\n").encode()


def manifest(
    files: Mapping[str, bytes], known: Mapping[str, str] | None = None, sha256: Callable[[str], str] | None = None
) -> bytes:
    """`sha256sum`-compatible list of every file (the manifest itself excluded), sorted by path.
    `known` gives the hashes of files already hashed (kept unchanged from the last build);
    `sha256`, the hex digest of a file by its path without reading it whole (write.SiteFiles)."""
    known = known or {}
    digest_of = sha256 or (lambda path: hashlib.sha256(files[path]).hexdigest())
    # each line as bytes of its own (small objects), joined once: 40,000 lines at 20,000 pages
    lines = [f"{known.get(path) or digest_of(path)}  {path}\n".encode() for path in sorted(files) if path != MANIFEST]
    return b"".join(lines)


def parse_manifest(text: str) -> dict[str, str]:
    """path → hex digest, from `manifest` output."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, path = line.partition("  ")
        if sep and len(digest) == 64:
            out[path] = digest
    return out


def compare(expected: Mapping[str, str], published: Mapping[str, str]) -> list[str]:
    """Differences between a rebuild's digests and published ones (path → hex)."""
    problems = []
    for path in sorted(set(expected) | set(published)):
        if path not in published:
            problems.append(f"missing from the published site: {path}")
        elif path not in expected:
            problems.append(f"not produced by a rebuild: {path}")
        elif expected[path] != published[path]:
            problems.append(f"differs from a rebuild: {path}")
    return problems


def summarize(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """One line on what changed between two releases' catalog.json documents."""
    if old is None:
        return "First release."
    parts = _counted(old, new, ("offerings", "tools", "pages"))
    if old.get("team") != new.get("team") or old.get("support") != new.get("support"):
        parts.append("team or support details changed")
    return "; ".join(parts).capitalize() + "." if parts else "No change to offerings, tools or policies."


SHOWN_CHANGES = 5  # changes a release's summary names before "and N more"


def release_summary(changes: Sequence[Change] | None, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """What changed in a release since the one before, in the words of the semantic diff
    (weakened commitments first: "Weakens a commitment: SLO … lowered from 99.95 % to 99.9 %"),
    then the policy pages counted; the counts alone (`summarize`) when the catalogs could not be
    compared (`changes` None)."""
    if old is None:
        return "First release."
    if changes is None:
        return summarize(old, new)
    said = [c for c in ordered(changes) if c.kind != "catalog.version"]
    texts = [("Weakens a commitment: " if c.effect == "weakened" else "") + c.text.rstrip(".") for c in said]
    parts = texts[:SHOWN_CHANGES]
    if len(texts) > SHOWN_CHANGES:
        more = len(texts) - SHOWN_CHANGES
        parts.append(f"and {more} more change{'s' if more != 1 else ''} to the catalog")
    parts += _counted(old, new, ("pages",))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if parts else "No change to offerings, tools or policies."


def _counted(old: Mapping[str, Any], new: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """'2 offerings added', '1 policy page changed' … between two catalog.json documents."""
    nouns = {"offerings": "offering", "tools": "tool decision", "pages": "policy page"}
    parts: list[str] = []
    for key in keys:
        noun = nouns[key]
        ident = "slug" if key == "pages" else "id"
        before = {item[ident]: item for item in old.get(key, [])}
        after = {item[ident]: item for item in new.get(key, [])}
        added = len(after.keys() - before.keys())
        removed = len(before.keys() - after.keys())
        changed = sum(1 for k in after.keys() & before.keys() if after[k] != before[k])
        for count, verb in ((added, "added"), (removed, "removed"), (changed, "changed")):
            if count:
                parts.append(f"{count} {noun}{'s' if count != 1 else ''} {verb}")
    return parts
