"""The `diff` back end: the semantic changes between two revisions of the site, or between a
revision and the working tree."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from servicebook.cache.disk import DiskCache
from servicebook.catalog import model
from servicebook.catalog.basics import MAX_CATALOG_BYTES
from servicebook.catalog.validate import (
    CONTENT_DEPTH_HINT,
    ID_RE,
    MAX_CONTENT_DEPTH,
    PAGE_NAME_HINT,
    RESERVED_IDS,
    name_hint,
    name_shown,
    renamed_page_hint,
    renamed_pages_hinted,
)
from servicebook.errors import Problem, SourceLocation, UsageProblem, counted, printable
from servicebook.git.blobs import BLOB, Blobs, read_blobs
from servicebook.git.diff import Change, Snapshot, diff_snapshots, snapshot_change, snapshot_end
from servicebook.git.repo import (
    CATALOG_FILE,
    CONTENT_DIR,
    Repo,
    committed_at,
    merge_base,
    not_in_git,
    open_repo,
    related,
    resolve,
    tree_at,
    utc,
)
from servicebook.git.runner import git
from servicebook.git.snapshots import (
    Reader,
    git_blob_id,
    is_other_file,
    is_page,
    page_slug,
    read_catalog,
    unread_page,
    worktree_blob_id,
    worktree_files,
    worktree_links,
    worktree_other_files,
)

BLOB_OR_COMMIT = BLOB | {b"commit"}


class RevisionInvalid(UsageProblem):
    """The catalog at a revision is missing or does not validate (exit 1, like `check`)."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[Problem] = (), revision: str | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.revision = revision  # whose catalog; None: the working tree's (problems name REVISION:path)

    def format_message(self) -> str:
        return "\n".join([*(p.format() for p in self.problems), f"error: {printable(self.message)}"])


@dataclass(frozen=True, slots=True)
class Side:
    """One end of a diff: what the user named and the commit it is (None: the working tree).
    `merge_base_of` is set on the base of `A...B`: the commit is then the merge base of A and B."""

    name: str
    commit: str | None
    merge_base_of: tuple[str, str] | None = None
    catalog: model.Catalog | None = None  # its catalog, when it validated (an organisation's: without its members)
    # the files `diff_revisions` was asked to read `also` (servicebook.lock) that it has, by path with their bytes
    also: Mapping[str, bytes] = dataclasses.field(default_factory=dict)

    def label(self) -> str:
        if self.commit is None:
            return self.name
        if self.merge_base_of is not None:
            return f"merge base of {self.merge_base_of[0]} and {self.merge_base_of[1]} ({self.commit[:12]})"
        return f"{self.name} ({self.commit[:12]})"

    def as_dict(self) -> dict[str, object]:
        if self.merge_base_of is not None:
            return {"revision": self.name, "commit": self.commit, "merge_base_of": list(self.merge_base_of)}
        return {"revision": self.name, "commit": self.commit}


def _range(base: str, head: str | None) -> tuple[str, str | None, bool]:
    """(base, head, whether base means the merge base of the two) from `BASE [HEAD]`, where BASE
    may be git's `A...B` (the merge base of A and B, compared with B: what a pull request
    changes) or `A..B` (A compared with B, as `diff A B`); an empty side is HEAD, as in git."""
    for dots, symmetric in (("...", True), ("..", False)):
        if dots in base:
            if head is not None:
                raise UsageProblem(f"give either a range '{base}' or BASE and HEAD, not both")
            left, right = base.split(dots, 1)
            # no name of a branch, tag or commit starts or ends with '.' or holds '..'
            if any(side.startswith(".") or side.endswith(".") or ".." in side for side in (left, right)):
                raise UsageProblem(
                    f"'{printable(base)}' is not a range: a range is BASE..HEAD (BASE compared with HEAD, as "
                    "`diff BASE HEAD`) or BASE...HEAD (what HEAD changed since it left BASE, as a pull request "
                    "shows it), e.g. main...HEAD"
                )
            return left or "HEAD", right or "HEAD", symmetric
    return base, head, False


def head_named(base: str, head: str | None) -> str:
    """What HEAD of `diff BASE [HEAD]` names, for a report of a diff that failed: HEAD, the right
    side of a range, or the working tree."""
    try:
        return _range(base, head)[1] or "working tree"
    except UsageProblem:
        return head or "working tree"


def diff_revisions(
    root: Path, base: str, head: str | None, also: tuple[str, ...] = ()
) -> tuple[tuple[Change, ...], Side, Side]:
    """The semantic changes from revision `base` to `head` (None: the working tree) of the site in
    `root`; each side holds the files `also` names (site-relative) that it has, regular files no
    larger than a catalog may be, read at a commit with its other files (no git process more)."""
    repo = open_repo(root)
    if repo is None:
        raise UsageProblem(f"{not_in_git(root)}; `diff` compares git revisions")
    base, head, symmetric = _range(base, head)
    base_commit = resolve(repo, base)
    head_commit = resolve(repo, head) if head is not None else None
    if head_commit is not None and not related(repo, base_commit, head_commit):
        hint = " (or this shallow clone lacks the commits that join them: `git fetch --unshallow`)"
        raise UsageProblem(
            f"'{base}' and '{head}' have unrelated histories: they share no commit{hint if repo.shallow else ''}"
        )
    if symmetric and head is not None and head_commit is not None:
        found = merge_base(repo, base_commit, head_commit)
        assert found is not None  # related() said they share a commit
        base_side = Side(base, found, (base, head))
        base_commit = found
    else:
        base_side = Side(base, base_commit)
    reader = Reader(Blobs(None), DiskCache(None, "diff"))
    # Problems at a merge base are named by its commit, which `git show` can open.
    base_name = base_commit[:12] if base_side.merge_base_of else base
    old_files, old_other, old_links, _, old_also = _revision_files(repo, base_commit, also)
    head_date: dt.datetime | None = None
    if head is None or head_commit is None:
        new_files, new_other, new_links = worktree_files(root), worktree_other_files(root), worktree_links(root)
        new_also = {p: data for p in also if (data := _small_file(root / p)) is not None}
    else:
        new_files, new_other, new_links, head_date, new_also = _revision_files(repo, head_commit, also)
    # A page with the same bytes on both sides has no change to name: it is not parsed (at 5,000
    # pages, parsing them all was ~9 of the 10 CPU seconds of a diff that changes one line).
    same = frozenset(p for p, data in old_files.items() if is_page(p) and new_files.get(p) == data)
    # unless it may link to a page that is gone (moved or removed): the diff names such links
    left = [page_slug(p).encode() for p in old_files.keys() - new_files.keys() if is_page(p)]
    same = frozenset(p for p in same if not any(name in new_files[p] for name in left))
    old = _snapshot(reader, old_files, old_other, base_name, same, absent_ok=True, links=old_links)
    # A catalog deleted at HEAD is a change (the pull request that removes it), as one added is;
    # with none on either side there is nothing to compare (a wrong --source, most likely).
    neither = base_name if old.absent else None
    if (head is None or head_commit is None) and (root / CATALOG_FILE).is_symlink():
        # refused by the build: neither a catalog nor a removal
        link = Problem(
            SourceLocation(CATALOG_FILE), "symbolic links are not allowed in the source", "commit the file itself"
        )
        raise RevisionInvalid("the catalog in the working tree cannot be read (1 error)", (link,), None)
    span = [base_commit] if head is None or head_commit is None else [base_commit, head_commit]
    renames = _renames(repo, span)
    try:
        if head is None or head_commit is None:
            gone = not (root / CATALOG_FILE).exists()
            new = _snapshot(
                reader,
                new_files,
                new_other,
                "working tree",
                same,
                absent_ok=gone and not old.absent,
                neither=neither,
                links=new_links - {CATALOG_FILE},  # a linked catalog: said above
            )
        else:
            new = _snapshot(
                reader, new_files, new_other, head, same, absent_ok=not old.absent, neither=neither, links=new_links
            )
    except RevisionInvalid as exc:  # a reference to a page by the name these commits moved it from
        moved = {page_slug(a): page_slug(b) for a, b in renames.items() if is_page(a) and is_page(b)}
        hints = {a: renamed_page_hint(a, b, "moved in the commits compared") for a, b in moved.items()}
        exc.problems = renamed_pages_hinted(exc.problems, hints)
        raise
    changes = diff_snapshots(old, new, renames)
    if head_commit is not None:
        changes = _late_snapshots(repo, head_commit, head_date, changes, new_other)
    base_side = dataclasses.replace(base_side, catalog=old.catalog, also=old_also)
    return changes, base_side, Side(head or "working tree", head_commit, catalog=new.catalog, also=new_also)


def _late_snapshots(
    repo: Repo, commit: str, committed: dt.datetime | None, changes: tuple[Change, ...], files: Mapping[str, str]
) -> tuple[Change, ...]:
    """`changes` with each measurement snapshot that `commit` (the head compared, committed at
    `committed`, as _revision_files read it) adds said as snapshot_change says it, by that date
    and the end the snapshot says: one committed long after what it measures is flagged, as the
    site's history flags it."""
    added = {c.subject.removeprefix("measurement:"): c for c in changes if c.kind == "measurement.added"}
    if not added:
        return changes
    when = committed or _commit_date(repo, commit)
    if when is None:
        return changes
    data = read_blobs(repo.root, [files[p] for p in added if p in files], largest=MAX_CATALOG_BYTES)
    late = {path: snapshot_change(path, "added", when, snapshot_end(data.get(files.get(path, "")))) for path in added}
    return tuple(
        late.get(c.subject.removeprefix("measurement:"), c) if c.kind == "measurement.added" else c for c in changes
    )


def _commit_date(repo: Repo, commit: str) -> dt.datetime | None:
    """The committer date of `commit` asked of git: for one whose text _revision_files did not
    read (larger than any source)."""
    stamp = (git(repo.root, "log", "-1", "--format=%ct", "--end-of-options", commit) or "").strip()
    return utc(int(stamp)) if stamp.isdigit() and len(stamp) <= 12 else None


def _revision_files(
    repo: Repo, commit: str, also: tuple[str, ...] = ()
) -> tuple[dict[str, bytes], dict[str, str], set[str], dt.datetime | None, dict[str, bytes]]:
    """catalog.yaml and the pages at `commit`, by path with their bytes, the other files of the
    site (templates, images …) by path with their blob ids, which of the first are symbolic links
    (left out of the first: the build refuses them), the commit's date (read with the files,
    in the same process; None when its text is larger than any source), and those of the files
    `also` names that are there, by path with their bytes (one larger than any source left out)."""
    links: set[str] = set()
    tree = tree_at(repo, commit, layouts=True, measurements=True, links=links, also=also)
    read = {p: b for p, b in tree.items() if (p == CATALOG_FILE or is_page(p)) and p not in links}
    extra = {p: tree[p] for p in also if p in tree and p not in links}
    wanted = [*read.values(), *extra.values(), commit]
    data = read_blobs(repo.root, wanted, largest=MAX_CATALOG_BYTES, kinds=BLOB_OR_COMMIT)
    unread = sorted(p for p, b in read.items() if b not in data)  # listed in the tree: larger than the bound
    if unread:
        raise RevisionInvalid(
            f"{unread[0]} at {commit[:12]} is larger than any source may be ({MAX_CATALOG_BYTES:,} bytes), so it "
            "is not read; pick another revision",
            (),
            commit,
        )
    found = {p: data[b] for p, b in read.items() if b in data}
    linked = {p for p in links if p == CATALOG_FILE or is_page(p)}
    others = {p: b for p, b in tree.items() if is_other_file(p)}
    return found, others, linked, committed_at(data.get(commit)), {p: data[b] for p, b in extra.items() if b in data}


def _snapshot(
    reader: Reader,
    files: Mapping[str, bytes],
    other: Mapping[str, str],
    name: str,
    unchanged: frozenset[str],
    *,
    absent_ok: bool = False,
    neither: str | None = None,
    links: Iterable[str] = (),
) -> Snapshot:
    _refuse_links(links, name)
    snapshot = _snapshot_from_bytes(reader, files, name, absent_ok=absent_ok, neither=neither, unchanged=unchanged)
    return dataclasses.replace(snapshot, files=other)


def _snapshot_from_bytes(
    reader: Reader,
    files: Mapping[str, bytes],
    name: str,
    *,
    absent_ok: bool = False,
    neither: str | None = None,
    unchanged: frozenset[str] = frozenset(),
) -> Snapshot:
    """The snapshot of `files`. With `absent_ok` a missing catalog is a state rather than an
    error: at the base, the state before the catalog was added; at the head (whose base has one),
    the state after it was removed. `neither`: the base, when it has no catalog either. The pages
    in `unchanged` are the same on the other side: known by their bytes, not read."""
    where = "in the working tree" if name == "working tree" else f"at {name}"
    revision = None if name == "working tree" else name
    listed = _pages_built(files, name)
    pages = tuple(
        unread_page(p, d) if p in unchanged else reader.page(p, worktree_blob_id(d), d)
        for p, d in sorted(files.items())
        if p in listed
    )
    if CATALOG_FILE not in files:
        if absent_ok:
            return Snapshot(None, pages, absent=True)
        also = f", nor at {neither}: there is no catalog to compare" if neither is not None else ""
        raise RevisionInvalid(f"there is no {CATALOG_FILE} {where}{also}", (), revision)
    shown = CATALOG_FILE if name == "working tree" else f"{name}:{CATALOG_FILE}"
    catalog, errors = read_catalog(files[CATALOG_FILE], [p.slug for p in pages], shown)
    if catalog is None:
        count = counted(len(errors), "error")
        raise RevisionInvalid(
            f"the catalog {where} does not validate ({count}); fix it or pick another revision", errors, revision
        )
    return Snapshot(catalog, pages)


def _refuse_links(links: Iterable[str], name: str) -> None:
    """A page or catalog.yaml that is a symbolic link, refused as `check` refuses it (git keeps
    the link's target as its bytes: the diff read that text as the page)."""
    problems = [
        Problem(
            SourceLocation(path if name == "working tree" else f"{name}:{path}"),
            "symbolic links are not allowed in the source"
            if path == CATALOG_FILE
            else "symbolic links are not allowed in content/",
            "commit the file itself",
        )
        for path in sorted(links)
    ]
    if not problems:
        return
    where = "in the working tree" if name == "working tree" else f"at {name}"
    raise RevisionInvalid(
        f"the sources {where} do not validate ({counted(len(problems), 'error')}); fix them or pick another revision",
        problems,
        None if name == "working tree" else name,
    )


def _pages_built(files: Mapping[str, bytes], name: str) -> frozenset[str]:
    """The paths of `files` that the build reads as pages (site/load.py's listing of content/):
    not one under a name starting with '.', which the build leaves out; and a name that cannot
    become part of a URL is a problem, as `check` says, not a page the diff compares."""
    problems = []
    pages = set()
    for path in sorted(p for p in files if is_page(p)):
        parts = path[len(CONTENT_DIR) + 1 :].split("/")
        if any(part.startswith(".") for part in parts):
            continue
        *folders, file = parts
        bad = next((f for f in folders if not ID_RE.fullmatch(f) or f in RESERVED_IDS), None)
        shown = path if name == "working tree" else f"{name}:{path}"
        hint = PAGE_NAME_HINT
        if len(folders) > MAX_CONTENT_DEPTH:
            shown = "/".join(shown.split("/")[: MAX_CONTENT_DEPTH + 2])  # content/ and the first folder too deep
            message, hint = f"folders nested more than {MAX_CONTENT_DEPTH} deep under content/", CONTENT_DEPTH_HINT
        elif bad is not None:
            message = f"folder name {name_shown(bad)} cannot be part of a URL"
            hint = name_hint(bad, "")
        elif not ID_RE.fullmatch(file[:-3]) or file[:-3] in RESERVED_IDS:
            message = f"page file name {name_shown(file)} cannot become a URL"
            folder = path.rpartition("/")[0]
            hint = name_hint(file, ".md", (p.rpartition("/")[2] for p in files if p.rpartition("/")[0] == folder))
        else:
            pages.add(path)
            continue
        problems.append(Problem(SourceLocation(shown), message, hint))
    if problems:
        where = "in the working tree" if name == "working tree" else f"at {name}"
        raise RevisionInvalid(
            f"the pages {where} do not validate ({counted(len(problems), 'error')}); fix them or pick another revision",
            problems,
            None if name == "working tree" else name,
        )
    return frozenset(pages)


def uncommitted_page_moves(repo: Repo) -> dict[str, str]:
    """The policy pages moved in the working tree since HEAD's commit, old name → new name: what
    a reference by the old name means. A move git sees (`git mv`, or one staged with `git add`),
    and a plain `mv` not told to git yet: a page gone from the working tree and a new, untracked
    page with its very bytes, or else the one untracked page of its file name."""
    if repo.head is None:
        return {}
    renames = _renames(repo, [repo.head])
    moved = {page_slug(a): page_slug(b) for a, b in renames.items() if is_page(a) and is_page(b)}
    gone = _pages_gone(repo)
    if gone:
        moved |= _moved_untracked(repo, gone)
    return moved


def _pages_gone(repo: Repo) -> dict[str, str]:
    """The policy pages in HEAD's commit that the working tree no longer has, path → blob id."""
    out = git(
        repo.root,
        "diff",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "-z",
        "--diff-filter=D",
        "--no-color",
        "HEAD",
        "--",
        f":(top){repo.path(CONTENT_DIR)}",
    )
    tokens = (out or "").split("\0")
    gone: dict[str, str] = {}
    for meta, path in zip(tokens[::2], tokens[1::2], strict=False):
        fields = meta.split()
        if len(fields) == 5 and path.startswith(repo.prefix) and is_page(path[len(repo.prefix) :]):
            gone[path[len(repo.prefix) :]] = fields[2]
    return gone


def _moved_untracked(repo: Repo, gone: Mapping[str, str]) -> dict[str, str]:
    """The pages of `gone` (path → blob id) that an untracked page is, old name → new name."""
    out = git(
        repo.root,
        "ls-files",
        "--others",
        "--exclude-standard",
        "--full-name",
        "-z",
        "--",
        f":(top){repo.path(CONTENT_DIR)}",
    )
    new = [p[len(repo.prefix) :] for p in (out or "").split("\0") if p.startswith(repo.prefix)]
    new = [p for p in new if is_page(p)]
    by_blob: dict[str, str] = {}
    for path in new:
        data = _small_file(repo.root / path)
        if data is not None:
            by_blob.setdefault(git_blob_id(data), path)
    named: dict[str, list[str]] = {}
    for path in new:
        named.setdefault(path.rpartition("/")[2], []).append(path)
    moved: dict[str, str] = {}
    for path, blob in gone.items():
        same = named.get(path.rpartition("/")[2], [])
        now = by_blob.get(blob) or (same[0] if len(same) == 1 else None)
        if now is not None:
            moved[page_slug(path)] = page_slug(now)
    return moved


def _small_file(path: Path) -> bytes | None:
    """The bytes of the regular file at `path` if it is no larger than a catalog may be."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_CATALOG_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _renames(repo: Repo, span: list[str]) -> dict[str, str]:
    """Site-relative page renames between the revisions (or a revision and the working tree)."""
    out = git(
        repo.root, "diff", "-M", "--name-status", "-z", "--no-color", *span, "--", f":(top){repo.path(CONTENT_DIR)}"
    )
    tokens = (out or "").split("\0")
    renames: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        status = tokens[i]
        if status.startswith("R") and i + 2 < len(tokens):
            old, new = tokens[i + 1], tokens[i + 2]
            if old.startswith(repo.prefix) and new.startswith(repo.prefix):
                renames[old[len(repo.prefix) :]] = new[len(repo.prefix) :]
            i += 3
        else:
            i += 2 if status else 1
    return renames
