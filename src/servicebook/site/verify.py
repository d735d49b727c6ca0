"""`servicebook verify`: rebuild a published site from git and compare it with the copy, byte for byte.

The published copy is trusted for one thing only, the commit it says its current catalog was
built from (which is what is being checked). Which releases exist and which commit each one comes
from are worked out from the repository, exactly as `build` does (tags and history, release.py),
and the whole site is rebuilt from that commit in a temporary clone that shares the repository's
objects, with no cache: a `versions.json` or a manifest rewritten to match edited files cannot
make a difference pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from servicebook import __version__, routes
from servicebook.cache.releases import ReleaseTrees
from servicebook.errors import BuildFailed, NotRebuilt, Severity, UsageProblem, counted
from servicebook.federation.members import share_members
from servicebook.git.clone import clone_at
from servicebook.git.releases import DEFAULT_PATTERN, discover
from servicebook.git.repo import Repo, find_commit, not_in_git, open_repo
from servicebook.git.versions import MANIFEST, VERSIONS_JSON, compare, parse_manifest, versions_index
from servicebook.progress import Phases
from servicebook.site.build import Options, build
from servicebook.site.load import load
from servicebook.site.releases import build_releases, read_tree, stored_file
from servicebook.site.write import MARKER

RootCheck = Literal["rebuilt", "manifest", "not checked"]
MAX_SHOWN_PROBLEMS = 10  # of a rebuild that failed, each printed as the build prints it
SHOWN_PER_FOLDER = 10  # file differences listed per release (or for the root) before "and N more"
FETCH_ALL = "`git fetch --unshallow --tags` (in CI: fetch-depth: 0)"
# The largest published file verify reads: far more than any a build makes (at 20,000 offerings the
# largest is catalog.json, about 8 MB). A larger one (a host's fault, a forged or sparse file) is a
# difference named by its size, never read: read whole it exhausted the memory (a MemoryError).
LARGEST_FILE = 1024**3
LARGEST_SHOWN = 64 * 1024**2  # the largest published file whose first differing line is shown
LARGEST_INDEX = 256 * 1024**2  # catalog.json, versions.json and the manifest, read as JSON or text


@dataclass(frozen=True, slots=True)
class Claim:
    """What the published site says about its own build (catalog.json's `build`)."""

    commit: str | None
    dirty: bool
    date: dt.datetime | None
    generator: str | None


@dataclass(frozen=True, slots=True)
class Verification:
    commit: str  # the commit the site was rebuilt from
    checked: tuple[str, ...]  # the releases compared
    root: RootCheck
    differences: tuple[str, ...]
    advice: tuple[str, ...]  # what to do about the differences (empty when there are none)
    # the files a host reads that the published copy holds (HOSTING_FILES): not compared, but named
    hosting: tuple[str, ...] = ()
    # what to read before the differences: an explanation that makes them all moot (a release's
    # folder checked as a whole site), where there is one
    lead: tuple[str, ...] = ()


def verify(
    root: Path,
    site: Path,
    only: tuple[str, ...] = (),
    *,
    allow_dirty: bool = False,
    versions: bool = True,
    env: Mapping[str, str] | None = None,
    progress: Phases | None = None,
) -> Verification:
    """Rebuild the site `site` claims to be from the repository holding `root` and compare.
    `versions=False` (`--no-versions`): the site was built with `build --no-versions`, so the
    rebuild publishes no past releases either. `progress` is told each phase (the rebuild's own
    among them)."""
    if only and not versions:
        raise UsageProblem("--version checks releases and --no-versions checks a site without any: give one of them")
    claim = read_claim(site)
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(
            f"{not_in_git(root)}: verify rebuilds the site from the history of the repository it was built from; "
            "run it in a clone of that repository, or give the clone's folder with --source"
        )
    if repo.shallow:
        raise UsageProblem(
            f"{root} is a shallow clone: past releases and the history cannot be rebuilt from it; "
            f"fetch everything first: {FETCH_ALL}"
        )
    if claim.commit is None:
        raise UsageProblem(
            f"{site} was built from a folder outside git (its catalog.json names no commit): "
            "there is nothing to rebuild it from"
        )
    found = find_commit(root, claim.commit)
    if found is None:
        raise UsageProblem(
            f"{site} says it was built from commit {claim.commit[:12]}, which this repository does not have: "
            "fetch it (`git fetch origin`, or the branch it was built from) or verify in the clone it was built from"
        )
    commit = found
    environment = {**(env if env is not None else os.environ)}
    if claim.date is not None:  # the root's build date: SOURCE_DATE_EPOCH or the commit's date
        environment["SOURCE_DATE_EPOCH"] = str(int(claim.date.timestamp()))
    published = _index(site / VERSIONS_JSON)
    # One release's folder downloaded on its own: its catalog.json names the release's commit, and
    # which commit is that release is the repository's to say, from the history of HEAD.
    alone = len(only) == 1 and not published and not (site / routes.RELEASES).exists() and repo.head is not None
    if alone and repo.head is not None:
        commit = repo.head
    progress = progress if progress is not None else Phases()
    progress.enter(f"checking out {commit[:12]}")
    with _checkout(repo, commit) as (source, scratch):
        if only:
            return _verify_releases(
                source, scratch, site, commit, only, published, environment, claim, progress, alone=alone
            )
        return _verify_site(
            source, scratch, site, commit, published, environment, claim, allow_dirty, versions, progress, repo.head
        )


def read_claim(site: Path) -> Claim:
    document = site / "catalog.json"
    if site.is_file():  # a site or a release downloaded as an archive
        raise UsageProblem(
            f"{site} is a file, not a folder: if it is an archive of a site or of one release, unpack it "
            f"(`mkdir unpacked && tar -xf {site} -C unpacked`) and give --site the folder that holds its catalog.json"
        )
    if not site.is_dir():
        raise UsageProblem(f"there is no folder {site}: give --site the folder a build wrote (public by default)")
    if document.exists() and not document.is_file():  # a FIFO: its read would wait for a writer for ever
        raise UsageProblem(f"{document} cannot be read (not a file); is {site} a site servicebook built?")
    try:
        data = json.loads(_bounded_read(document))
        build = data["build"]
        commit, dirty, date, generator = build["commit"], build["dirty"], build["date"], build["generator"]
        when = dt.datetime.fromisoformat(date) if isinstance(date, str) else None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise UsageProblem(f"{document} cannot be read ({exc}); is {site} a site servicebook built?") from None
    if commit is not None and not (isinstance(commit, str) and len(commit) in (40, 64) and commit.isalnum()):
        raise UsageProblem(f"{document}: build.commit is not a commit id: {str(commit)[:80]!r}")
    return Claim(commit, bool(dirty), when, generator if isinstance(generator, str) else None)


def _index(path: Path) -> dict[str, Mapping[str, object]]:
    """version → entry of a published versions.json; empty when the site has none (no releases), or
    something other than a file in its place (a FIFO would be waited on for ever)."""
    if not path.is_file():
        return {}
    try:
        entries = json.loads(_bounded_read(path))
    except (OSError, ValueError, RecursionError):  # RecursionError: nested deeper than the json module goes
        return {}
    if not isinstance(entries, list):
        return {}
    return {str(e.get("version")): e for e in entries if isinstance(e, dict)}


def _bounded_read(path: Path) -> bytes:
    """The bytes of a published index (catalog.json, versions.json, the manifest); OSError when it
    is larger than any a build makes."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > LARGEST_INDEX:
            raise OSError(f"{size:,} bytes, more than a build makes")
        return file.read(LARGEST_INDEX + 1)


@contextlib.contextmanager
def _checkout(repo: Repo, commit: str) -> Iterator[tuple[Path, Path]]:
    """The site source at `commit` in a temporary clone (sharing the repository's objects, with all
    its tags), and a scratch folder beside it."""
    with tempfile.TemporaryDirectory(prefix="servicebook-verify-") as tmp:
        source = clone_at(repo, commit, Path(tmp) / "repo")
        share_members(repo.root, source)  # an organisation site: its members at their locked commits
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        yield source, scratch


def _verify_site(
    source: Path,
    scratch: Path,
    site: Path,
    commit: str,
    published: Mapping[str, Mapping[str, object]],
    env: Mapping[str, str],
    claim: Claim,
    allow_dirty: bool,
    versions: bool = True,
    progress: Phases | None = None,
    head: str | None = None,
) -> Verification:

    rebuilt = scratch / "site"
    progress = progress if progress is not None else Phases()
    try:
        build(Options(source=source, output=rebuilt, versions=versions, cache=False, env=env, progress=progress))
    except BuildFailed as exc:
        errors = [p for p in exc.problems if p.severity is Severity.ERROR] or exc.problems
        if not errors:
            raise UsageProblem(f"commit {commit[:12]} cannot be rebuilt here: {exc.message}") from None
        shown = errors[:MAX_SHOWN_PROBLEMS]
        more = f"; the first {len(shown)}" if len(errors) > len(shown) else ""
        raise NotRebuilt(
            f"commit {commit[:12]} cannot be rebuilt from this checkout by this servicebook "
            f"({counted(len(errors), 'error')}{more}):",
            shown,
        ) from None
    progress.enter("comparing")
    expected = _index(rebuilt / VERSIONS_JSON)
    differences, bad = _compare_releases(published, expected, site, versions)
    ours, theirs = _hashes(rebuilt), _hashes(site)
    releases = {routes.release(v) for v in {*published, *expected}}
    unverified: list[str] = []
    if claim.dirty:  # the root cannot be rebuilt: only releases and their index are compared
        root_check: RootCheck = "manifest" if allow_dirty else "not checked"
        keep = {p for p in {*ours, *theirs} if _folder(p, releases) != "" or p == VERSIONS_JSON}
        ours = {p: h for p, h in ours.items() if p in keep}
        theirs = {p: h for p, h in theirs.items() if p in keep}
        if allow_dirty:
            differences += _against_own_manifest(site, releases)
        else:
            unverified.append(
                f"the current catalog at the root of {site} was built from uncommitted changes on top of commit "
                f"{commit[:12]}, so git cannot rebuild it and it is not verified: publish a build of a clean "
                "checkout (commit the changes first), or pass --allow-dirty to check its files only against "
                f"the site's own {MANIFEST} (which whoever can edit the site can rewrite)"
            )
    else:
        root_check = "rebuilt"
    differences += _file_differences(ours, theirs, releases, bad, lambda path: (rebuilt / path, site / path))
    differences = _with_links(differences, site, lambda _: True)
    checked = tuple(v for v in expected if v in published and v not in bad)
    advice = _advice(differences, commit, claim, bool(bad), versions)
    lead: tuple[str, ...] = ()
    if differences and expected and not published and not (site / routes.RELEASES).exists():
        hints = [_no_versions_hint(expected)]
        alone = [v for v, entry in expected.items() if entry.get("commit") == claim.commit]
        if alone:  # the likeliest explanation: a release's commit that HEAD is not, or a folder
            # without the 404 page every site has at its root (a release has none): one release's
            # folder, said before the differences it explains (newuser22: after ~15 lines of them)
            hint = _release_folder_hint(site, claim.commit or "", alone[0])
            if claim.commit != head or not (site / routes.NOT_FOUND).exists():
                lead = (hint,)
            else:
                hints.append(hint)
        advice = (*hints, *advice)
    hosting = tuple(sorted(p for p in theirs if p in HOSTING_FILES and p not in ours))
    return Verification(commit, checked, root_check, (*unverified, *differences), advice, hosting, lead)


def _release_folder_hint(site: Path, commit: str, version: str) -> str:
    """For a site with no releases whose commit is a release's: most likely that release's own
    folder (`v/<version>/`), downloaded or copied on its own."""
    return (
        f"{site} has no {VERSIONS_JSON} and no {routes.RELEASES}, and its catalog.json names commit {commit[:12]}, "
        f"the commit of release {version}: if it is that release's folder ({routes.release(version)} of a site, "
        f"copied on its own), check it with `servicebook verify --site {site} --version {version}`"
    )


def _no_versions_hint(expected: Mapping[str, Mapping[str, object]]) -> str:
    """For a site with no releases at all, where the repository has some: most likely built with
    `build --no-versions`, whose pages (the version switcher, versions.json, v/) all differ from a
    rebuild with releases."""
    count = f"{len(expected)} release{'s' if len(expected) != 1 else ''} ({', '.join(expected)})"
    return (
        f"the published site has no releases (no {VERSIONS_JSON}, no v/) and this repository has {count}: if the "
        "site was built with `servicebook build --no-versions`, check it with `servicebook verify --no-versions`"
    )


def _verify_releases(
    source: Path,
    scratch: Path,
    site: Path,
    commit: str,
    only: tuple[str, ...],
    published: Mapping[str, Mapping[str, object]],
    env: Mapping[str, str],
    claim: Claim,
    progress: Phases | None = None,
    alone: bool = False,
) -> Verification:
    """`--version`: only the named releases, each rebuilt on its own (the root is not checked).
    `alone`: `site` is the folder of the one release named (`v/<version>/` copied on its own), and
    `commit` the repository's HEAD, whose history says which commit that release is."""
    progress = progress if progress is not None else Phases()

    loaded = load(source, env)
    pattern = loaded.site.catalog.site.release_tags if loaded.site is not None else DEFAULT_PATTERN
    clone = open_repo(source)
    found = discover(clone, pattern)
    versions = {c.version for c in (found.choices if found is not None else ())}
    unknown = [v for v in only if v not in versions and v not in published]
    if unknown:
        raise UsageProblem(
            f"no release {', '.join(unknown)} in the site or in the history of commit {commit[:12]}; "
            f"releases there: {', '.join(sorted(versions, reverse=True)) or 'none'}"
        )
    progress.enter("releases", total=sum(1 for c in found.choices if c.version in only) if found else 0)
    with ReleaseTrees(scratch) as cached:  # a scratch folder of its own: no other build reads it
        built, problems = (
            build_releases(clone, found, cached, strict=True, env=env, only=frozenset(only), done=progress.advance)
            if found is not None and clone is not None
            else ([], [])
        )
    progress.enter("comparing")
    expected = {str(e["version"]): e for e in versions_index([b.release for b in built])}
    differences, bad = _compare_releases({v: published[v] for v in only if v in published}, expected, site)
    prefix = routes.release(only[0])
    if alone:  # the folder's own catalog.json says which commit it is, as a site's versions.json would
        differences, bad = [], set()
        entry = expected.get(only[0])
        if entry is not None and entry.get("commit") != claim.commit:
            differences.append(
                f"{site} is a build of commit {(claim.commit or '?')[:12]}, but release {only[0]} in this "
                f"repository is {_described(entry)}"
            )
            bad.add(only[0])
    rebuilt = {b.release.version for b in built}
    differences += [f"{p.location}: {p.message}" for p in problems if p.severity is Severity.ERROR]
    ours: dict[str, str] = {}
    for release in built:
        version = release.release.version
        kept = read_tree(release.tree, release.paths)  # flat: each file named by its path (releases.stored_file)
        ours.update({routes.release(version) + p: hashlib.sha256(data).hexdigest() for p, data in kept.items()})
    bad |= {v for v in only if v not in rebuilt}
    folders = {routes.release(v) for v in only}
    if alone:
        theirs = {prefix + p: h for p, h in _hashes(site).items()}
    else:
        theirs = {p: h for p, h in _hashes(site).items() if _folder(p, folders)}
    trees = {routes.release(b.release.version): b.tree for b in built}

    def files(path: str) -> tuple[Path, Path]:
        folder = _folder(path, folders)
        published_file = site / (path.removeprefix(prefix) if alone else path)
        return stored_file(trees.get(folder, scratch / "none"), path.removeprefix(folder)), published_file

    found_differences = _file_differences(ours, theirs, folders, bad, files)
    if alone:  # named as in the folder given
        found_differences = [
            f"{site}{line.removeprefix(prefix)}" if line.startswith(f"{prefix}: ") else line.removeprefix(prefix)
            for line in found_differences
        ]
    differences += found_differences
    differences = _with_links(differences, site, lambda rel: alone or _folder(rel + "/", folders) != "")
    checked = tuple(v for v in only if v not in bad and (alone or v in published))
    return Verification(
        commit, checked, "not checked", tuple(differences), _advice(differences, commit, claim, bool(bad))
    )


def _compare_releases(
    published: Mapping[str, Mapping[str, object]],
    expected: Mapping[str, Mapping[str, object]],
    site: Path,
    versions: bool = True,
) -> tuple[list[str], set[str]]:
    """Every release whose published commit is not the repository's, or that is missing or extra;
    and those versions (their files are not listed one by one). `versions=False`: every published
    release is extra, since the site is said to have been built without releases."""
    out: list[str] = []
    bad: set[str] = set()
    for version in [*expected, *(v for v in published if v not in expected)]:
        ours, theirs = expected.get(version), published.get(version)
        folder = routes.release(version)
        if ours is not None and theirs is None:
            where = f" ({folder} is there, but versions.json does not list it)"
            there = (site / folder).is_dir()
            out.append(f"release {version} ({_described(ours)}) is not published{where if there else ''}")
        elif ours is None and theirs is not None and not versions:
            out.append(
                f"{folder} is published as release {version} ({_described(theirs)}), but --no-versions checks "
                "a site built without releases: verify it without --no-versions"
            )
        elif ours is None and theirs is not None:
            out.append(
                f"{folder} is published as release {version} ({_described(theirs)}), but this repository has "
                "no such release on the history the site was built from"
            )
        elif ours is not None and theirs is not None and ours.get("commit") != theirs.get("commit"):
            out.append(
                f"{folder} is published from {_described(theirs)}, but release {version} in this repository "
                f"is {_described(ours)}"
            )
        else:
            continue
        bad.add(version)
    return out, bad


def _described(entry: Mapping[str, object]) -> str:
    commit, tag = str(entry.get("commit") or "?"), entry.get("tag")
    return f"commit {commit[:12]} " + (f"(tag {tag})" if tag else "(no tag)")


def _folder(path: str, folders: set[str]) -> str:
    """The release folder (`v/<version>/`) holding `path`, or "" for the root."""
    for folder in folders:
        if path.startswith(folder):
            return folder
    return ""


# Files a static host reads at the top of the published folder, added by the publishing job
# rather than by servicebook: their presence is not a difference in the files, but the host obeys
# them (a redirect to another site, a header that drops the CSP), so `verify` names them.
HOSTING_FILES = frozenset({"CNAME", ".nojekyll", "_headers", "_redirects"})


def _file_differences(
    ours: Mapping[str, str],
    theirs: Mapping[str, str],
    folders: set[str],
    bad: set[str],
    files: Callable[[str], tuple[Path, Path]] | None = None,
) -> list[str]:
    """Each file that differs, is missing or is extra, at most SHOWN_PER_FOLDER per folder; a
    release already reported as the wrong commit gets a count instead. `files` gives the rebuilt
    and the published file of a path, to show where a text file differs."""
    grouped: dict[str, list[str]] = {}
    for path in sorted({*ours, *theirs}):
        if path not in theirs:
            line = f"{path}: missing from the published site"
        elif path not in ours and path in HOSTING_FILES:
            continue
        elif path not in ours:
            line = f"{path}: not produced by a rebuild"
        elif theirs[path].startswith(UNREADABLE):
            line = f"{path}: cannot be read ({theirs[path].removeprefix(UNREADABLE)}), so it cannot be compared"
        elif theirs[path].startswith(TOO_LARGE):
            line = f"{path}: {theirs[path].removeprefix(TOO_LARGE)}"
        elif ours[path] != theirs[path]:
            line = f"{path}: differs from a rebuild"
            if files is not None and path.endswith(TEXT_SUFFIXES):
                rebuilt, published = files(path)
                with contextlib.suppress(OSError):
                    if published.stat().st_size <= LARGEST_SHOWN:
                        line += first_difference(rebuilt.read_bytes(), published.read_bytes())
        else:
            continue
        grouped.setdefault(_folder(path, folders), []).append(line)
    out: list[str] = []
    for folder, lines in grouped.items():
        if folder and folder.removeprefix(routes.RELEASES).rstrip("/") in bad:
            out.append(f"{folder}: {_files_differ(len(lines))} from a rebuild of the repository's release")
            continue
        out += lines[:SHOWN_PER_FOLDER]
        if len(lines) > SHOWN_PER_FOLDER:
            out.append(
                f"{folder or 'the root'}: {_files_differ(len(lines) - SHOWN_PER_FOLDER, 'more ')} from a rebuild"
            )
    return out


def _files_differ(count: int, more: str = "") -> str:
    """ "1 file differs", "12 more files differ": said of the files a rebuild does not match."""
    return f"1 {more}file differs" if count == 1 else f"{count} {more}files differ"


TEXT_SUFFIXES = (".html", ".json", ".xml", ".txt", ".css", ".js", ".sha256")
SHOWN_CHARS = 100  # of each side of a differing line


def first_difference(rebuilt: bytes, published: bytes) -> str:
    """Where a published text file first departs from the rebuild: its line number and that
    line on each side, cut to a window around the first differing character, so an auditor sees
    what was changed (an objective, a date) without rebuilding the site to compare by hand."""
    ours, theirs = _lines(rebuilt), _lines(published)
    pairs = zip(ours, theirs, strict=False)
    number = next((n for n, (a, b) in enumerate(pairs) if a != b), min(len(ours), len(theirs)))
    if number >= len(ours) and number >= len(theirs):  # the same lines: a final newline, or bytes that are not text
        return "\n  the lines are the same: they differ in the newline at the end, or in bytes that are not UTF-8 text"
    mine = ours[number] if number < len(ours) else ""
    other = theirs[number] if number < len(theirs) else ""
    column = next((i for i, (a, b) in enumerate(zip(mine, other, strict=False)) if a != b), min(len(mine), len(other)))
    start = max(0, column - SHOWN_CHARS // 2)
    return (
        f"\n  first at line {number + 1}:\n    published: {_window(theirs, number, start)}"
        f"\n    rebuild:   {_window(ours, number, start)}"
    )


def _lines(data: bytes) -> list[str]:
    """The lines of a text file; a final newline ends the last line rather than starting an empty
    one, so text added after the end of a file is said to be where the other file ends."""
    text = data.decode("utf-8", "replace")
    return text.removesuffix("\n").split("\n") if text else []


def _window(lines: list[str], number: int, start: int) -> str:
    """Line `number` of `lines` from `start`, SHOWN_CHARS of it, with control characters escaped
    (a published file is not trusted: it must not drive the terminal)."""
    if number >= len(lines):
        return "(the file ends before this line)"
    line = lines[number]
    if not line:
        return "(an empty line)"
    text = ("…" if start else "") + line[start : start + SHOWN_CHARS] + ("…" if start + SHOWN_CHARS < len(line) else "")
    return "".join(ch if ch.isprintable() or ch == " " else f"\\u{ord(ch):04x}" for ch in text)


def _against_own_manifest(site: Path, releases: set[str]) -> list[str]:
    """The root of a site built from uncommitted changes, against the manifest published with it
    (--allow-dirty): catches an edit that did not also rewrite the manifest, nothing more."""

    listed_file = site / MANIFEST
    if not listed_file.is_file():
        return [f"{MANIFEST}: missing from the published site"]
    files = {
        path: digest
        for path, digest in _hashes(site).items()
        if not _folder(path, releases) and not path.startswith(routes.RELEASES) and path not in (MANIFEST, MARKER)
    }
    try:
        listed = parse_manifest(_bounded_read(listed_file).decode("utf-8", "replace"))
    except OSError as exc:
        return [f"{MANIFEST}: cannot be read ({exc.strerror or exc}), so nothing can be compared with it"]
    return [
        f"{path}: {problem.replace('a rebuild', 'the manifest published with it')}"
        for problem, _, path in (d.partition(": ") for d in compare(files, listed))
    ]


def _with_links(differences: list[str], site: Path, checked: Callable[[str], bool]) -> list[str]:
    """`differences` and each symbolic link in the published site under what is `checked`, not
    followed: a build never makes one, and a host may follow it and publish what it points to
    (`_hashes` skips links, so a page that became one was only 'missing')."""
    links: dict[str, str] = {}
    special: dict[str, str] = {}
    for relative, path, mode in _entries(site):  # a linked folder is listed, not entered
        if not checked(relative):
            continue
        if stat.S_ISLNK(mode):
            links[relative] = str(path.readlink())
        elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            special[relative] = _SPECIAL_KINDS.get(stat.S_IFMT(mode), "a special file")
    missing = {f"{path}: missing from the published site" for path in [*links, *special]}
    return (
        [d for d in differences if d not in missing]
        + [
            f"{path}: a symbolic link (to {target!r}) in the published site, which a build never makes (a host "
            "may follow it)"
            for path, target in sorted(links.items())
        ]
        + [
            f"{path}: {kind} in the published site, which a build never makes (a reader of it may wait for ever)"
            for path, kind in sorted(special.items())
        ]
    )


_SPECIAL_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _hashes(tree: Path, marker: str | None = None) -> dict[str, str]:
    """path → SHA-256 of every file under `tree` but the marker file at its top (by default the
    one `build` leaves in an output folder)."""

    out: dict[str, str] = {}
    for relative, path, mode in sorted(_entries(tree)):
        if stat.S_ISREG(mode) and relative != (marker or MARKER):
            try:
                out[relative] = _file_hash(path)
            except OSError as exc:  # a published file this user may not read: a difference, not a crash
                out[relative] = f"{UNREADABLE}{exc.strerror or exc}"
    return out


def _file_hash(path: Path) -> str:
    """The SHA-256 of a file, read a piece at a time; TOO_LARGE and its size, unread, for a file
    larger than LARGEST_FILE."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > LARGEST_FILE:
            return f"{TOO_LARGE}{size:,} bytes, more than any file a build makes ({LARGEST_FILE:,}): it was not read"
        return hashlib.file_digest(file, "sha256").hexdigest()


def _entries(tree: Path) -> Iterator[tuple[str, Path, int]]:
    """Each entry under `tree`: its path relative to it (with '/'), its path, and its mode, links
    not followed. Folders are entered from a stack, not by recursion (Path.rglob and os.walk
    recurse once per level: a published copy with a folder 1,100 deep was a RecursionError);
    one that cannot be listed is left out, as rglob and os.walk leave it."""
    folders = [tree]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            yield path.relative_to(tree).as_posix(), path, mode
            if stat.S_ISDIR(mode):
                folders.append(path)


UNREADABLE = "unreadable: "  # in place of a SHA-256 in `_hashes`, which never holds a colon
TOO_LARGE = "too large: "  # likewise, for a file larger than LARGEST_FILE


def _advice(
    differences: list[str], commit: str, claim: Claim, releases_differ: bool, versions: bool = True
) -> tuple[str, ...]:
    if not differences:
        return ()
    command = "servicebook build" if versions else "servicebook build --no-versions"
    out = [
        "where they differ, the published copy is not what this repository says was published: rebuild the "
        f"site from commit {commit[:12]} with `{command}` in a full clone that has the release tags "
        "(`git fetch --unshallow --tags` gets them), publish that, and find out how the published copy came to differ"
    ]
    if releases_differ:
        out.append(
            "a release tag added, moved or deleted after the site was built also makes its release differ; "
            "if that is all that happened, rebuilding and publishing the site is all there is to do"
        )
    mine = f"servicebook {__version__}"
    if claim.generator is not None and claim.generator != mine:
        out.append(
            f"the site says it was built by {claim.generator} and this is {mine}: files can differ for that "
            "reason alone; verify with the servicebook that built it"
        )
    elif claim.generator == mine:  # one version number, many builds: a wheel of each commit is "0.1.0"
        out.append(
            f"the site says it was built by {mine}, as this one is; a {mine} made from another commit of "
            "servicebook's repository (an older or newer wheel of the same version) can make other files too: "
            "if the copy was built by one, verify with it"
        )
    return tuple(out)
