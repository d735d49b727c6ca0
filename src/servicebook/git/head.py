"""Whether HEAD has moved, told without starting git: for `serve`, which watches the source files
and must also see a commit, an amend, a checkout, a pull or a new tag, none of which touches them.

Git writes each of these by replacing a small file under the repository's folder: `HEAD` (a
checkout), the branch's ref file (a commit, an amend, a reset, a pull), `packed-refs` (refs that
`git pack-refs` or `git gc` gathered there), `refs/tags/` (a new tag's file, or the folder of the
first tag named `team/…`), or the reftable's list of tables (`--ref-format=reftable`). A file replaced is a new inode
and a new change time, so `os.stat` of those few files tells whether anything moved. Where the
folders are is asked of git once (`HeadFiles.of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicebook.git.runner import run

# Enough of HEAD to hold "ref: " and any branch's name; a longer file is not one git wrote.
_HEAD_BYTES = 4096
Marks = tuple[tuple[int, int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class HeadFiles:
    """The folders of one work tree's repository: its own git folder (`HEAD` is there, and in a
    linked work tree it is not the common one) and the one its refs are kept in."""

    git_dir: Path
    common_dir: Path

    @classmethod
    def of(cls, root: Path) -> HeadFiles | None:
        """The folders of the repository holding `root` (one git process); None outside one,
        or when git cannot be started."""
        done = run(root, ["rev-parse", "--absolute-git-dir", "--git-common-dir"])
        if done is None or not done.ok:
            return None
        lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) != 2:
            return None
        common = Path(lines[1])  # relative to `root` unless git made it absolute
        return cls(Path(lines[0]), common if common.is_absolute() else (root / common).resolve())

    def marks(self) -> Marks:
        """What the files that say where HEAD and the tags are look like now: equal marks, nothing
        moved. A file that is not there is marked None (a branch whose ref is packed)."""
        head = self.git_dir / "HEAD"
        paths = [head, self.common_dir / "packed-refs", self.common_dir / "refs" / "tags"]
        paths.append(self.common_dir / "reftable" / "tables.list")
        branch = _branch(head)
        if branch is not None:
            paths.append(self.common_dir / branch)
        return tuple(_mark(path) for path in paths)


def _branch(head: Path) -> str | None:
    """The ref `HEAD` names ("refs/heads/main"), None when it holds a commit (detached) or cannot
    be read; never a path outside the refs."""
    try:
        with head.open("rb") as file:
            text = file.read(_HEAD_BYTES)
    except OSError:
        return None
    if not text.startswith(b"ref: refs/"):
        return None
    name = text[5:].strip().decode("utf-8", "replace")
    if ".." in name.split("/") or "\\" in name or "\0" in name:
        return None
    return name


def _mark(path: Path) -> tuple[int, int, int] | None:
    try:
        seen = path.stat()
    except OSError:
        return None
    return (seen.st_ino, seen.st_mtime_ns, seen.st_size)
