"""The first-parent history of the site's catalog and pages, read with one
`git log --first-parent --raw` call, and the site's files as each commit leaves them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from servicebook.git.repo import CATALOG_FILE, CONTENT_DIR, Repo, utc
from servicebook.git.runner import run
from servicebook.source.yaml import BIDI_CONTROLS


def clean_text(text: str) -> str:
    """Text from git (author, message) without what must not reach a page or a feed: control
    characters (invalid in XML), bidirectional overrides (Trojan Source) and stray surrogates."""

    return "".join(
        ch
        for ch in text
        if ch not in BIDI_CONTROLS
        and (ch >= " " or ch == "\t")
        and not ("\x7f" <= ch <= "\x9f")
        and not ("\ud800" <= ch <= "\udfff")
        and ch not in "\ufffe\uffff"
    )


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit on the first-parent history, with its raw diff of the catalog and the pages."""

    commit: str
    parents: tuple[str, ...]
    author: str
    date: dt.datetime | None
    message: str
    raw: tuple[tuple[str, str, str, str | None], ...]  # (status, blob, path, new path for renames)
    # who the message's Co-authored-by trailers name, the author aside (a pair's or a squashed
    # pull request's other authors): the names, as the author is named
    coauthors: tuple[str, ...] = ()
    # who committed it, where not the author (a maintainer who merged or applied it), and its
    # message's Reviewed-by and Approved-by trailers ("Reviewed-by: Grace Hopper"): what an
    # auditor asks of a change besides who wrote it
    committer: str = ""
    approvals: tuple[str, ...] = ()


# the message's Co-authored-by trailers (the key in any case), values only, \x1d between them
COAUTHORS = "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)"
# its Reviewed-by and Approved-by trailers, key and value, \x1d between them
APPROVALS = "%(trailers:key=Reviewed-by,key=Approved-by,separator=%x1d)"
APPROVAL_KEYS = {"reviewed-by": "Reviewed-by", "approved-by": "Approved-by"}


def approval_names(trailers: str) -> tuple[str, ...]:
    """The text "Reviewed-by: Grace Hopper" for each Reviewed-by or Approved-by trailer (the key as git
    matched it, in any case; the name without its address), each once, in the message's order."""
    if trailers.startswith("%("):  # a git too old to know the placeholder
        return ()
    said: list[str] = []
    for item in trailers.split("\x1d"):
        key, sep, value = item.partition(":")
        canonical = APPROVAL_KEYS.get(key.strip().lower())
        name = clean_text(value.split("<", 1)[0]).strip()
        if sep and canonical and name and f"{canonical}: {name}" not in said:
            said.append(f"{canonical}: {name}")
    return tuple(said)


def coauthor_names(trailers: str, author: str) -> tuple[str, ...]:
    """The names a commit's Co-authored-by trailers give (`Ada Lovelace <ada@example.com>`: Ada
    Lovelace), each once, neither the author nor empty, in the message's order."""
    if trailers.startswith("%("):  # a git too old to know the placeholder prints it as it is
        return ()
    names = []
    for value in trailers.split("\x1d"):
        name = clean_text(value.split("<", 1)[0]).strip()
        if name and name != author and name not in names:
            names.append(name)
    return tuple(names)


def read_log(repo: Repo, also: tuple[str, ...] = (), since: str | None = None) -> list[Commit]:
    """Every first-parent commit touching the catalog, the pages or the files `also` names
    (relative to the site), oldest first, in one git call; with `since` (a commit on HEAD's
    first-parent line), only those after it."""
    done = run(
        repo.root,
        [
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "-M",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-color",
            "--encoding=UTF-8",
            f"--format=%x1e%H%x1f%P%x1f%an%x1f%ct%x1f{COAUTHORS}%x1f%cn%x1f{APPROVALS}%x1f%s",
            f"{since}..HEAD" if since is not None else "HEAD",
            "--",
            f":(top){repo.path(CATALOG_FILE)}",  # pathspecs are relative to the folder git runs in
            f":(top){repo.path(CONTENT_DIR)}",
            *(f":(top){repo.path(path)}" for path in also),
        ],
    )
    if done is None or done.returncode != 0:
        return []
    commits = []
    for record in done.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        header, _, rest = record.partition("\0")
        sha, parents, author, stamp, trailers, committer, approvals, message = (header.split("\x1f", 7) + [""] * 8)[:8]
        tokens = rest.lstrip("\n").split("\0")
        raw: list[tuple[str, str, str, str | None]] = []
        i = 0
        while i < len(tokens):
            meta = tokens[i]
            if not meta.startswith(":"):
                i += 1
                continue
            parts = meta.split()
            status, new_blob = parts[4][0], parts[3]
            if status in "RC":
                raw.append((status, new_blob, tokens[i + 1], tokens[i + 2]))
                i += 3
            else:
                raw.append((status, new_blob, tokens[i + 1], None))
                i += 2
        name = clean_text(author)
        commits.append(
            Commit(
                sha,
                tuple(parents.split()),
                name,
                utc(int(stamp)) if stamp.isdigit() and len(stamp) <= 12 else None,
                clean_text(message),
                tuple(raw),
                coauthor_names(trailers, name),
                "" if (by := clean_text(committer)) == name else by,
                approval_names(approvals),
            )
        )
    commits.reverse()
    return commits


def apply_raw(files: dict[str, str], raw: Iterable[tuple[str, str, str, str | None]], prefix: str) -> dict[str, str]:
    """The site's files after a commit's raw diff; returns {old path: new path} for renames."""
    renames: dict[str, str] = {}

    def rel(path: str) -> str | None:
        return path[len(prefix) :] if path.startswith(prefix) else None

    for status, blob, path, new_path in raw:
        old = rel(path)
        if status == "D":
            if old is not None:
                files.pop(old, None)
        elif status in "RC":
            new = rel(new_path or "")
            if status == "R" and old is not None:
                files.pop(old, None)
            if new is not None:
                files[new] = blob
                if status == "R" and old is not None:
                    renames[old] = new
        elif old is not None:
            files[old] = blob
    return renames
