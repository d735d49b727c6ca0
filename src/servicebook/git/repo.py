"""The site's repository as git sees it: where the source sits in it, the commit a build comes
from, which commit a name resolves to, and the files of a commit's tree.

Nothing here reads the wall clock: a build's date is SOURCE_DATE_EPOCH or the commit date, so
rebuilding a commit gives the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from servicebook import __version__
from servicebook.cache.folder import CACHE_DIR
from servicebook.catalog.basics import MAX_CATALOG_BYTES, BuildInfo
from servicebook.errors import Problem, Severity, SourceLocation, UsageProblem, printable
from servicebook.git.runner import BARE_REFUSED, MISSING, git, installed, run, started
from servicebook.source.day_or_time import DayOrTime, read_day_or_time
from servicebook.source.lookalike import close_to, meant_any

SOURCE_PATHS = ("catalog.yaml", "content", "layouts", "servicebook.lock")  # the lock: an organisation site's members
# What a build of the current catalog also reads: the snapshots of `servicebook measure`. Not a
# source of releases (a release shows what was promised; measurements come later) nor a change
# that makes a release's version "unreleased".
MEASUREMENTS_DIR = "measurements"
BUILD_INPUTS = (*SOURCE_PATHS, MEASUREMENTS_DIR)
CATALOG_FILE = "catalog.yaml"
CONTENT_DIR = "content"
LAYOUTS_DIR = "layouts"
LAYOUTS_README = "layouts/README.md"  # as scaffold.LAYOUTS_README: explains layouts/, not a template


def source_date_epoch(env: Mapping[str, str]) -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time; a malformed value is an error, as reproducible-builds.org asks."""
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise UsageProblem(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, not {raw!r}")
    date = utc(int(raw))
    if date is None:
        raise UsageProblem(f"SOURCE_DATE_EPOCH {raw} is after the year 9999")
    return date


def utc(seconds: int) -> dt.datetime | None:
    """`seconds` since the epoch as a UTC time; None when it is past what a date can hold."""
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def committed_at(commit: bytes | None) -> dt.datetime | None:
    """The committer date a commit object's text says (what `git log --format=%ct` prints), as a
    UTC time; None for no text or one git would not have written."""
    header = (commit or b"").split(b"\n\n", 1)[0]
    for line in header.split(b"\n"):
        if line.startswith(b"committer "):
            parts = line.rsplit(b" ", 2)  # committer NAME <EMAIL> SECONDS ZONE
            if len(parts) == 3 and parts[1].isdigit() and len(parts[1]) <= 12:
                return utc(int(parts[1]))
    return None


def not_in_git(root: Path) -> str:
    """Why `root` has no repository, for a command that needs one: no git, or no repository there."""
    return f"{root} is not in a git repository" if installed() else MISSING


def find_commit(root: Path, revision: str) -> str | None:
    """The full id of the commit `revision` names, or None when it names none. git reads the name
    (every form it accepts: `:/text`, `@{1}`, `HEAD~2`, tags, abbreviated ids); the object it names
    is then peeled to a commit by id, since a suffix such as `^{commit}` would become part of a
    `:/text` search."""
    named = named_object(root, revision)
    if named is None:
        return None
    out = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{named}^{{commit}}")
    return (out or "").strip() or None


def named_object(root: Path, revision: str) -> str | None:
    """The id of the object (commit, tag, tree or blob) git says `revision` names, or None."""
    out = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", revision)
    return (out or "").strip() or None


def object_type(root: Path, object_id: str) -> str:
    """`commit`, `tag`, `tree` or `blob`."""
    return (git(root, "cat-file", "-t", object_id) or "").strip()


def tag_refs(root: Path) -> str:
    """Every tag with the object it points at, one a line, as git lists them ("" outside git)."""
    return tag_refs_started(root)()


def tag_refs_started(root: Path) -> Callable[[], str]:
    """`tag_refs`, asked now and answered when called (runner.started)."""
    answer = started(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags")
    return lambda: answer() or ""


def catalog_state(repo: Repo | None) -> tuple[str | None, bool]:
    """The commit the source is at and whether its catalog, pages or layouts differ from it (what
    `measure` records as the promise it measured against; its own snapshots do not count)."""
    if repo is None:
        return None, False
    status = git(repo.root, "status", "--porcelain", "--untracked-files=all", "--", *SOURCE_PATHS) or ""
    return repo.head, bool(status.strip())


def current_branch(root: Path) -> str | None:
    """The branch HEAD is on in the repository holding `root` (one not committed to yet too);
    None outside git or on a detached HEAD."""
    name = (git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or "").strip()
    return name or None


def uncommitted(repo: Repo, relative: str) -> str:
    """How the file `relative` (from the source) differs from what HEAD holds: "new" (git does not
    track it yet), "changed", or "" (committed as it is, or ignored)."""
    status = git(repo.root, "status", "--porcelain", "--untracked-files=all", "--", relative) or ""
    if status.startswith("??"):
        return "new"
    return "changed" if status.strip() else ""


def uncommitted_snapshots(repo: Repo | None) -> list[str]:
    """The files under the source's measurements/ that differ from the commit HEAD is at (changed,
    removed or never committed), named from the source; [] outside git or when none does."""
    if repo is None:
        return []
    status = git(repo.root, "status", "--porcelain", "-z", "--untracked-files=all", "--", MEASUREMENTS_DIR) or ""
    found: list[str] = []
    fields = iter(status.split("\0"))
    for item in fields:
        if len(item) < 4:
            continue
        if item[0] in "RC":  # a rename or a copy: the next field is where it came from
            next(fields, None)
        found.append(item[3:].removeprefix(repo.prefix))
    return found


def build_info(repo: Repo | None, env: Mapping[str, str]) -> BuildInfo:
    """The commit the source is at (`repo`: None outside git), whether its sources have
    uncommitted changes, and the build date."""
    generator = f"servicebook {__version__}"
    date = source_date_epoch(env)
    if repo is None:
        return BuildInfo(commit=None, dirty=False, date=date, generator=generator)
    commit = repo.head
    # both asked at once (runner.started): neither answer depends on the other
    status = started(repo.root, "status", "--porcelain", "--untracked-files=all", "--", *BUILD_INPUTS)
    when = started(repo.root, "log", "-1", "--format=%ct", commit) if date is None and commit is not None else None
    dirty = bool((status() or "").strip())
    if when is not None:
        stamp = (when() or "").strip()
        if stamp.isdigit() and len(stamp) <= 12:
            date = utc(int(stamp))
    return BuildInfo(commit=commit, dirty=dirty, date=date, generator=generator)


def committed_cache(root: Path) -> str | None:
    """The first file git tracks in the site's cache folder (`.servicebook-cache/`, which keeps
    itself out of git with a .gitignore of its own), named from `root`; None when git tracks none
    or `root` is not in a repository. A cache the repository holds came through a commit, which
    anyone who can open a pull request may write: its entries' checksums are not secret, so a
    forged page would pass them (docs/security.md)."""
    listed = git(root, "ls-files", "-z", "--", CACHE_DIR)
    if not listed:
        return None
    return listed.split("\0", 1)[0]


def refuse_committed_cache(root: Path) -> None:
    """Raise UsageProblem when git tracks a file in the site's cache folder (committed_cache)."""
    tracked = committed_cache(root)
    if tracked is not None:
        raise UsageProblem(
            f"refusing to use {root / CACHE_DIR}/: git tracks {tracked!r} in it, and servicebook never reads "
            "its cache from the repository, where a pull request could forge it; remove it from git with "
            f"`git rm -r --cached {CACHE_DIR}` and commit (its own .gitignore keeps it out from then on)"
        )


def changed_since(root: Path, commit: str, build: BuildInfo) -> bool:
    """Whether the sources being built differ from those at `commit` (a release's): committed
    since, or uncommitted in the working tree."""
    if build.dirty:
        return True
    if build.commit is None or build.commit == commit:
        return False
    done = run(root, ["diff", "--quiet", commit, build.commit, "--", *SOURCE_PATHS])
    return done is not None and done.returncode == 1


@dataclass(frozen=True, slots=True)
class Repo:
    """What git says about the work tree holding a site source, asked once (open_repo): a command
    opens it where it starts and hands it to every stage that needs it. A long-running `serve`
    opens it again for each build, so that each sees the commit HEAD is at then."""

    root: Path  # the site source
    top: Path  # the top folder of the work tree
    prefix: str  # the source's path from the top ("" or "site/")
    shallow: bool
    head: str | None  # the commit HEAD is at; None before the first commit

    def path(self, relative: str) -> str:
        return self.prefix + relative


# Everything open_repo asks, in the order git answers: one line each (HEAD's only after a commit).
OPEN_ASKS = ("rev-parse", "--show-toplevel", "--show-prefix", "--is-shallow-repository", "--verify", "-q", "HEAD")


def own_repository(folder: Path) -> bool:
    """Whether `folder` is a git submodule's checkout or a repository of its own (it holds `.git`,
    a file or a folder): its files are not in the commits of the repository around it."""
    return os.path.lexists(folder / ".git")


def unchecked_submodule(folder: Path) -> bool:
    """Whether `folder` is an empty folder that a `.gitmodules` of its repository names as a
    submodule's path: a clone made without its submodules (CI's checkout, by default). Reads no
    more of `.gitmodules` than a catalog may hold, and stops at the repository's top."""
    try:
        with os.scandir(folder) as entries:
            if next(entries, None) is not None:
                return False
    except OSError:
        return False
    for top in folder.parents:
        try:
            text = (top / ".gitmodules").read_bytes()[:MAX_CATALOG_BYTES].decode("utf-8", "replace")
        except OSError:
            text = ""
        wanted = folder.relative_to(top).as_posix()
        named = (_SUBMODULE_PATH.fullmatch(line) for line in text.splitlines())
        if any(m is not None and m[1] == wanted for m in named):
            return True
        if (top / ".git").exists():
            return False
    return False


_SUBMODULE_PATH = re.compile(r"\s*path\s*=\s*(?:\./)?(.*?)/?\s*")


def open_repo(root: Path) -> Repo | None:
    """The repository holding `root`, or None when it is not in one (or git is missing): one git
    process. Before the first commit `--verify -q HEAD` fails (exit 1) after the other answers
    were given, so they are read whatever it says."""
    done = run(root, OPEN_ASKS)
    if done is not None and BARE_REFUSED in done.error():
        raise _bare_refused(root, done.error())
    if done is not None and DUBIOUS_OWNER in done.error():
        raise _owner_refused(root, done.error())
    if done is None or done.returncode not in (0, 1):
        return None
    lines = done.stdout.decode("utf-8", "replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    head = lines.pop() if done.ok and lines else None
    if len(lines) < 3 or lines[-1] not in ("true", "false"):
        return None
    shallow = lines.pop() == "true"
    top, prefix = _top_and_prefix(root, lines)
    return Repo(root=root, top=Path(top), prefix=prefix, shallow=shallow, head=head)


def _bare_refused(root: Path, message: str) -> UsageProblem:
    """The error for a source that git takes for a bare repository (or that lies in one): found, not
    named, so its config (which a commit can write) is not obeyed (runner.CONFIG), and nothing is
    built from it."""
    named = re.search(r"bare repository '(.*)' \(safe", message)
    where = Path(named.group(1)) if named else root
    with contextlib.suppress(OSError):
        if where.samefile(root):
            where = root
    if where == root and not (root / CATALOG_FILE).exists():  # a bare clone given as the source
        return UsageProblem(
            f"{printable(str(root))} is a bare repository (git's own folder, with no checked-out files): "
            "servicebook builds from a checkout of the catalog; clone it and give the clone's folder: "
            f"`git clone {shlex.quote(str(root))} site`, then --source site"
        )
    return UsageProblem(
        f"git takes {printable(str(where))} for a bare repository: it holds HEAD, objects/ and refs/, and git "
        "would obey its config, where anyone who can commit there could have named a command for git to run, so "
        "servicebook does not use it; remove HEAD, config, objects/ and refs/ from that folder (committed beside "
        "the site's sources, they make git take it for a repository of its own)"
    )


# git's message for a repository that another user owns than the one running it (git 2.35.2 and
# later), which it then refuses to read, as it would a folder that is not a repository at all
DUBIOUS_OWNER = "detected dubious ownership in repository at '"


def _owner_refused(root: Path, message: str) -> UsageProblem:
    """The error for a source in a repository git refuses because another user owns it (a container
    job running as root on the runner user's checkout, a clone on a shared disk). Taken for a folder
    outside git, it was built with neither releases nor history, and every command said all was well."""
    named = re.search(re.escape(DUBIOUS_OWNER) + r"(.*)'", message)
    where = named.group(1) if named else str(root)
    return UsageProblem(
        f"git refuses to read the repository at {printable(where)}: it is owned by a user other than the one running "
        "servicebook, so its history and releases cannot be read (a build would publish neither); if you trust "
        f"it, as a CI job trusts its own checkout: `git config --global --add safe.directory {shlex.quote(where)}`"
    )


def _top_and_prefix(root: Path, lines: list[str]) -> tuple[str, str]:
    """The work tree's top folder and the source's path from it, from their lines of git's answer:
    two lines, unless a folder's name holds a line break; then the split that names `root`."""
    if len(lines) == 2:
        return lines[0], lines[1]
    for cut in range(1, len(lines)):
        top, prefix = "\n".join(lines[:cut]), "\n".join(lines[cut:])
        with contextlib.suppress(OSError):
            if (Path(top) / prefix).samefile(root):
                return top, prefix
    return "\n".join(lines[:-1]), lines[-1]


UNSHALLOW = "`git fetch --unshallow --tags`"
UNSHALLOW_CI = 'in CI, check out with `fetch-depth: 0` (GitHub Actions) or `GIT_DEPTH: "0"` (GitLab CI)'


def shallow_warning(repo: Repo | None, *, building: bool, releases: bool = True) -> Problem | None:
    """A warning when the source is in a shallow clone, which holds only part of the history: a build
    there cannot publish the releases before it, and its changes page is truncated. `check` reads
    only the working tree, which a shallow clone holds whole, so for it this is only a notice."""
    if repo is None or not repo.shallow:
        return None
    lost = "releases older than the history it holds cannot be built from it and are not published" if releases else ""
    history = "the site's change history is truncated"
    if building:
        message = f"this is a shallow clone: {lost + ', and ' if lost else ''}{history}"
    else:
        message = (
            "this is a shallow clone: `check` is complete here, but a build from it would publish a truncated "
            "change history and none of the releases before the fetched part of the history"
        )
    return Problem(
        SourceLocation(CATALOG_FILE),
        message,
        f"fetch the whole history and the release tags before building: {UNSHALLOW}; {UNSHALLOW_CI}",
        Severity.WARNING,
        kind="shallow-clone",
    )


def resolve(repo: Repo, revision: str) -> str:
    """The full commit id `revision` names; a clear UsageProblem (exit 2) when it names none."""
    if not revision or revision.startswith("-") or "\0" in revision:
        raise UsageProblem(f"'{revision}' is not a revision name")
    found = find_commit(repo.root, revision)
    if _names_reflog(revision):
        here = f" ({found[:12]} is the commit it names here)" if found else ""
        raise UsageProblem(
            f"'{printable(revision)}' is read from this clone's reflog (where a branch or HEAD pointed before, "
            "here), which no other clone has: a review job would compare another commit, or none. Name the "
            f"commit, branch or tag itself{here}"
        )
    if found is None and (moment := _as_moment(revision)) is not None:
        return _commit_at(repo, revision, moment)
    if found is None:
        named = named_object(repo.root, revision)
        if named is not None:
            kind = object_type(repo.root, named) or "object"
            raise UsageProblem(
                f"'{revision}' names a {kind} ({named[:12]}), not a commit; name a commit, branch or tag"
            )
        hint = _unfetched_branch(repo, revision) or (
            " (this is a shallow clone: run `git fetch --unshallow`)"
            if repo.shallow
            else _near_revision(repo, revision)
        )
        raise UsageProblem(f"unknown revision '{revision}': no commit, branch or tag has that name{hint}")
    return found


def _as_moment(revision: str) -> DayOrTime | None:
    """`revision` read as a day (2026-03-31) or a time with its offset (2026-03-31T14:00Z), as
    `promised --at` takes them; None for anything else."""
    if not revision[:1].isdigit():
        return None
    try:
        return read_day_or_time(revision, "")
    except UsageProblem:
        return None


def _commit_at(repo: Repo, revision: str, moment: DayOrTime) -> str:
    """The commit a day or a time names where no branch, tag or commit has that name: the last on
    HEAD's first-parent history dated (by its committer, as `promised` reads it) up to the end of
    the day, UTC, or the time's second; a merged pull request counts from when it was merged."""
    last = moment.time or dt.datetime.combine(moment.day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    out = git(
        repo.root,
        "rev-list",
        "-1",
        "--first-parent",
        f"--until={last:%Y-%m-%dT%H:%M:%S}+0000",
        "HEAD",
        "--",
    )
    found = (out or "").strip()
    if not found:
        first = (
            git(repo.root, "log", "--first-parent", "--max-parents=0", "--format=%H %ct", "HEAD", "--") or ""
        ).split()
        when = utc(int(first[-1])) if first and first[-1].isdigit() and len(first[-1]) <= 12 else None
        dated = f" of {when:%Y-%m-%d %H:%M} UTC" if when is not None else ""
        oldest = f": the first is {first[-2][:12]}{dated}" if len(first) >= 2 else ""
        on = f"at or before {last:%Y-%m-%d %H:%M:%S} UTC" if moment.time else f"on or before {moment.day}"
        raise UsageProblem(f"'{revision}': no commit on the history of HEAD is dated {on}{oldest}")
    return found


# `@{...}` in a revision: what a branch pointed to N changes or a date ago, or the branch checked
# out N switches ago (`@{-1}`), all read from this clone's reflog; `@{upstream}` and `@{push}` name
# a remote's branch, as the clone's configuration says. (A ref's own name cannot hold `@{`.)
_AT_BRACES = re.compile(r"@\{([^}]*)\}")
_NOT_REFLOG = frozenset({"u", "upstream", "push"})


def _names_reflog(revision: str) -> bool:
    """Whether `revision` reads this clone's reflog (`HEAD@{1}`, `main@{yesterday}`, `@{-1}`); a
    `:/text` search is text, whatever it holds."""
    if revision.startswith(":"):
        return False
    return any(inner.lower() not in _NOT_REFLOG for inner in _AT_BRACES.findall(revision))


KNOWN_SHOWN = 10  # branches a hint names before "and N more"


def _unfetched_branch(repo: Repo, revision: str) -> str:
    """The fetch that makes `REMOTE/BRANCH` known, when REMOTE is a remote of this clone: a CI
    checkout fetches only what it builds. The fetch names where the branch goes, since a clone made
    with `--single-branch` or `--depth` (one branch only) would not keep it for a plain
    `git fetch origin main`; a shallow clone fetches its whole history with it."""
    name = revision.split("~", 1)[0].split("^", 1)[0]
    remote, slash, branch = name.partition("/")
    if not (slash and branch) or remote not in (git(repo.root, "remote") or "").split():
        return ""
    if find_commit(repo.root, name):  # the branch is there: `origin/main~50` goes further back than it
        return ""
    unshallow = "--unshallow " if repo.shallow else ""
    fetch = f"`git fetch {unshallow}{remote} {branch}:refs/remotes/{remote}/{branch}`"
    fetched = git(repo.root, "for-each-ref", "--format=%(refname:lstrip=3)", f"refs/remotes/{remote}")
    close = close_to(branch, [b for b in (fetched or "").split() if b != "HEAD"])  # the branch's name alone
    if close:  # `origin/mian` beside a fetched `origin/main`: most likely a slip, perhaps a branch not fetched
        told = meant_any(branch, close, lambda name: f"{remote}/{name}")
        return f"; {told} If '{branch}' is a branch of '{remote}' that was not fetched: {fetch}"
    return f"; the remote '{remote}' is known but its branch '{branch}' was not fetched: {fetch}"


def _near_revision(repo: Repo, revision: str) -> str:
    """What a revision that names nothing was probably meant to be: a commit further back than the
    history goes, or a branch or tag spelled alike (a remote's branch that was not fetched is
    `_unfetched_branch`'s)."""
    name = revision.split("~", 1)[0].split("^", 1)[0]
    back = re.fullmatch(r"[^~^]+(?:~[0-9]*)+", revision)  # `HEAD~5`, `main~2~3`: back along first parents
    if back and find_commit(repo.root, name):
        count = (git(repo.root, "rev-list", "--count", "--first-parent", "--end-of-options", name) or "").strip()
        if count.isdigit():  # `HEAD~5` in a history of three commits
            before = int(count) - 1
            return f"; {name} has {before} commit{'s' if before != 1 else ''} before it"
    remote, slash, branch = name.partition("/")
    refs = git(repo.root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes")
    known = (refs or "").split()
    if slash and branch in known:  # `origin/main` where there is no remote, only the branch
        return f"; did you mean '{branch}'? (there is no remote '{remote}' here)"
    close = close_to(name, known)  # a look-alike ('mаin', a Cyrillic 'а') is said to be one
    if close:
        return f"; {meant_any(name, close)}"
    branches = (git(repo.root, "for-each-ref", "--format=%(refname:short)", "refs/heads") or "").split()
    if not branches:
        return ""
    shown = ", ".join(branches[:KNOWN_SHOWN]) + (
        f" and {len(branches) - KNOWN_SHOWN} more" if len(branches) > KNOWN_SHOWN else ""
    )
    return f"; branches here: {shown}"


def related(repo: Repo, a: str, b: str) -> bool:
    """Whether commits `a` and `b` share any history."""
    done = run(repo.root, ["merge-base", a, b])
    return done is not None and done.returncode == 0


def tree_at(
    repo: Repo,
    commit: str,
    *,
    layouts: bool = False,
    measurements: bool = False,
    links: set[str] | None = None,
    also: Sequence[str] = (),
) -> dict[str, str]:
    """Site-relative path → blob id of catalog.yaml and every file under content/ (and under
    layouts/ and measurements/ when asked, and the files `also` names) at `commit`; the paths of
    those that are symbolic links are also added to `links`, when given (the build refuses them:
    `diff` must too)."""
    tops = [CATALOG_FILE, CONTENT_DIR, *also]
    tops += [LAYOUTS_DIR] if layouts else []
    tops += [MEASUREMENTS_DIR] if measurements else []
    out = git(repo.root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *(f":(top){repo.path(t)}" for t in tops))
    files: dict[str, str] = {}
    for item in (out or "").split("\0"):
        if "\t" not in item:
            continue
        meta, path = item.split("\t", 1)
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob" and path.startswith(repo.prefix):
            files[path[len(repo.prefix) :]] = parts[2]
            if links is not None and parts[0] == "120000":
                links.add(path[len(repo.prefix) :])
    return files


def blob_id(data: bytes) -> str:
    """The id git gives a blob of `data` in a repository of SHA-1 objects (git's default)."""
    made = hashlib.sha1(b"blob %d\0" % len(data))  # noqa: S324 - git's object id, not a secret
    made.update(data)
    return made.hexdigest()


# The attributes by which a checkout may give a file other bytes than its blob's besides its line
# ends: a filter's smudge, `ident` and `working-tree-encoding` (gitattributes(5)). A line-end
# conversion only ever puts a CR before a LF, so a file it left the size of its blob is the blob.
_REWRITING = frozenset({b"filter", b"ident", b"working-tree-encoding"})
_FILE_MODES = frozenset({b"100644", b"100755"})


def committed_blobs(repo: Repo, paths: Sequence[str]) -> dict[str, str]:
    """path → blob id in git's index of each of `paths` (regular files, relative to the source)
    whose bytes git holds: tracked, not modified since the index (`ls-files -m` compares each
    file as `git status` does: by its identity, and by its bytes where that cannot tell), neither
    assumed unchanged nor skipped (its work-tree file is not compared), not in a merge, and with
    no attribute that rewrites its bytes on checkout (`_REWRITING`). The work-tree file is the
    blob's bytes or those with a CR put before some LF (core.autocrlf, `eol`), a file that is
    longer: the caller compares its size with the blob's. Asked after the files were listed, so
    that one changed since is found modified. {} when git cannot answer."""
    listed = run(repo.root, ["ls-files", "-z", "-c", "-m", "-s", "-v", "--", *BUILD_INPUTS])
    if listed is None or not listed.ok:
        return {}
    request = b"".join(path.encode("utf-8", "surrogateescape") + b"\0" for path in paths)
    attributes = run(repo.root, ["check-attr", "-a", "-z", "--stdin"], request)
    if attributes is None or not attributes.ok:
        return {}
    blobs: dict[bytes, bytes] = {}
    dropped: set[bytes] = set()
    for entry in listed.stdout.split(b"\0"):
        meta, tab, path = entry.partition(b"\t")
        parts = meta.split(b" ")
        if not tab or len(parts) != 4:
            continue
        tag, mode, blob, stage = parts
        if tag == b"H" and mode in _FILE_MODES and stage == b"0" and path not in blobs:
            blobs[path] = blob
        else:  # modified (C), assumed unchanged (h), skipped (S), in a merge, or not a file
            dropped.add(path)
    fields = attributes.stdout.split(b"\0")
    for path, name, value in zip(fields[0::3], fields[1::3], fields[2::3], strict=False):
        if name in _REWRITING and value != b"unset":
            dropped.add(path)
    return {
        path.decode("utf-8", "surrogateescape"): blob.decode("ascii")
        for path, blob in blobs.items()
        if path not in dropped
    }


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    """The best common ancestor of commits `a` and `b` (as `git diff A...B` picks it), or None."""
    out = git(repo.root, "merge-base", a, b)
    return out.split()[0] if out and out.split() else None
