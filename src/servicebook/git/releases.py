"""What git knows of the catalog's releases: the commits that changed the sources with the version
each one's catalog names, the tags that may publish them, and a commit's sources exported to a
folder for the release build."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from servicebook.catalog.read import catalog_version
from servicebook.errors import UsageProblem
from servicebook.git.blobs import read_blobs
from servicebook.git.repo import CATALOG_FILE, SOURCE_PATHS, Repo
from servicebook.git.runner import MISSING, git, run
from servicebook.git.versions import Candidate, Choice, Note, Tag, select_releases

DEFAULT_PATTERN = "v*"


@dataclass(frozen=True, slots=True)
class Discovery:
    choices: tuple[Choice, ...]  # what may publish each version, best first (versions.select_releases)
    notes: tuple[Note, ...]
    shallow: bool
    positions: Mapping[str, int] = field(default_factory=dict)  # commit → place on the history, oldest 0


def discover(repo: Repo | None, pattern: str = DEFAULT_PATTERN, until: dt.datetime | None = None) -> Discovery | None:
    """The releases reachable from HEAD, or None outside git (`repo` None) or before the first
    commit; with `until`, as a build would have found them from the history before that moment."""
    if repo is None or repo.head is None:
        return None
    root, prefix = repo.root, repo.prefix
    log = git(root, "log", "--first-parent", "--reverse", "--format=%H %ct", "--", *SOURCE_PATHS) or ""
    commits = [(h, int(t)) for h, t in (line.split() for line in log.splitlines() if line.strip())]
    catalogs = read_blobs(root, (f"{h}:{prefix}{CATALOG_FILE}" for h, _ in commits))
    candidates = [
        Candidate(h, dt.datetime.fromtimestamp(t, tz=dt.UTC), _version_of(catalogs.get(f"{h}:{prefix}{CATALOG_FILE}")))
        for h, t in commits
    ]
    if until is not None:
        candidates = [c for c in candidates if c.date < until]
    refs = git(root, "for-each-ref", "--format=%(refname:short) %(objectname) %(*objectname)", "refs/tags") or ""
    tags = []
    for line in refs.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            tags.append(Tag(parts[0], parts[2] if len(parts) > 2 else parts[1]))
    choices, notes = select_releases(candidates, _onto_source_commits(root, candidates, tags, until), pattern)
    return Discovery(tuple(choices), tuple(notes), repo.shallow, {c.commit: i for i, c in enumerate(candidates)})


def _onto_source_commits(
    root: Path, candidates: list[Candidate], tags: list[Tag], until: dt.datetime | None
) -> list[Tag]:
    """Tags moved from a first-parent commit that changed no source (a README or CHANGELOG edit,
    the usual place for a release tag) to the last commit before it that did: its sources are
    that commit's, so it releases that catalog. Tags off the first-parent history stay as they
    are (select_releases says they are skipped), and so do tags on commits from `until` on."""
    known = {c.commit for c in candidates}
    wanted = {t.commit for t in tags if t.commit not in known}
    if not wanted:
        return tags
    moved: dict[str, str] = {}
    last: str | None = None
    log = git(root, "log", "--first-parent", "--reverse", "--format=%H %ct", "HEAD") or ""
    for commit, seconds in (line.split() for line in log.splitlines() if line.strip()):
        if until is not None and int(seconds) >= until.timestamp():
            break
        if commit in known:
            last = commit
        elif commit in wanted and last is not None:
            moved[commit] = last
    return [Tag(t.name, moved.get(t.commit, t.commit)) for t in tags]


@cache
def _version_from_bytes(digest: str, blob: bytes) -> str | None:  # noqa: ARG001 - digest keys the cache
    return catalog_version(blob)


def _version_of(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    return _version_from_bytes(hashlib.sha256(blob).hexdigest(), blob)


def export(repo: Repo, commit: str, dest: Path) -> None:
    """Write the site sources at `commit` into `dest` (git archive, extracted with tar's data filter)."""
    # The site may live in a sub-folder of the repository: archive that folder's tree, whose
    # paths are then relative to the site root.
    tree = f"{commit}:{repo.prefix.rstrip('/')}"
    listed = git(repo.root, "ls-tree", "--full-tree", "--name-only", tree) or ""
    paths = [p for p in listed.splitlines() if p in SOURCE_PATHS]
    dest.mkdir(parents=True, exist_ok=True)
    if not paths:
        return
    # from the top: pathspecs are relative to the working directory
    done = run(repo.top, ["archive", "--format=tar", tree, "--", *paths])
    if done is None or not done.ok:
        raise UsageProblem(
            f"cannot read the sources of commit {commit[:12]}: git archive: {done.error() if done else MISSING}"
        )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
