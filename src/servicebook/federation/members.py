"""An organisation site's members: the rules their entries in catalog.yaml follow, where each is
kept in the cache, and each member's site read at its locked commit with the member's own rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from servicebook.cache.codec import decode, encode
from servicebook.cache.digest import code_digest
from servicebook.cache.folder import CACHE_DIR, prepare
from servicebook.catalog import model
from servicebook.catalog.model import MAX_CATALOG_BYTES
from servicebook.catalog.read import read_catalog
from servicebook.catalog.validate import Checked, shown
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.federation.lock import LOCK_FILE, Entry, Lock
from servicebook.git.members import MemberGitError, commit_date, export, has_commit
from servicebook.git.runner import MISSING, installed
from servicebook.source.yaml import SourceError, SourceText, read_text

MEMBERS_DIR = "members"
CATALOG_FILE = "catalog.yaml"
URL_SCHEMES = ("https", "http", "ssh", "git", "file")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_RE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")  # git@host:group/repo.git
_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


class Loaded(Protocol):
    """What loading a member's folder gives (site.load.Loaded)."""

    @property
    def site(self) -> model.SiteContent | None: ...

    @property
    def problems(self) -> tuple[Problem, ...]: ...


# Loads a site folder with its own rules, as a build does, at the given build stamp.
Loader = Callable[[Path, model.BuildInfo], Loaded]


def check_members(source: SourceText, checked: Checked[model.Catalog]) -> list[Problem]:
    """The rules of the `members:` entries that their types do not say: unique ids, a repository
    address git may fetch without running anything, a ref name, a path within the repository."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str, hint: str) -> None:
        at = checked.at("members", *path)
        problems.append(Problem(at, message, hint, source_line=source.line(at.line)))

    seen: dict[str, int] = {}
    for i, member in enumerate(checked.value.members):
        if member.id in seen:
            first = checked.at("members", seen[member.id], "id")
            bad((i, "id"), f"duplicate member id '{member.id}' (first used at line {first.line})", "ids must be unique")
        seen.setdefault(member.id, i)
        why = repository_problem(member.repository)
        if why:
            bad(
                (i, "repository"),
                f"member '{member.id}': {why}",
                "give an https://, ssh:// or file:// address, user@host:path, or a folder relative to catalog.yaml",
            )
        if not _REF_RE.fullmatch(member.ref) or ".." in member.ref or member.ref.endswith((".lock", "/", ".")):
            bad(
                (i, "ref"),
                f"member '{member.id}': '{shown(member.ref)}' is not a branch or tag name",
                "name a branch or tag as git spells it, e.g. main or v1.2",
            )
        if path_escapes(member.path):
            bad(
                (i, "path"),
                f"member '{member.id}': path '{shown(member.path)}' leads outside its repository",
                "give the folder of its catalog.yaml relative to the top of its repository, without '..'",
            )
    return problems


def repository_problem(repository: str) -> str | None:
    """Why git must not be given `repository`, or None."""
    if repository.startswith("-"):
        return "a repository address cannot start with '-'"
    if "::" in repository:
        return "transport helpers (<transport>::<address>) are not allowed"
    scheme = _SCHEME_RE.match(repository)
    if scheme and scheme[1].lower() not in URL_SCHEMES:
        return f"'{shown(scheme[1])}://' is not a git address servicebook fetches from"
    return None


def path_escapes(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ":" in path or "\\" in path or ".." in parts


def fetch_address(root: Path, repository: str) -> str:
    """What git fetches from: an address as written, a local folder made absolute."""
    if _SCHEME_RE.match(repository) or _SCP_RE.match(repository):
        return repository
    return str((root / repository).resolve())


def store_of(root: Path, ident: str) -> Path:
    """The bare repository in the cache that holds everything fetched of member `ident`."""
    return root / CACHE_DIR / MEMBERS_DIR / f"{ident}.git"


def _tree_of(root: Path, ident: str, commit: str, path: str) -> Path:
    suffix = "" if path in ("", ".") else "-" + hashlib.sha256(path.encode()).hexdigest()[:12]
    return root / CACHE_DIR / MEMBERS_DIR / ident / f"{commit}{suffix}"


def shown_path(ident: str, commit: str) -> Callable[[str], str]:
    """How a path inside a member is shown in a report: `members/db-team@0123456789ab/catalog.yaml`."""
    return lambda path: f"{MEMBERS_DIR}/{ident}@{commit[:12]}/{path}"


@dataclass(frozen=True, slots=True)
class MemberSite:
    member: model.Member
    entry: Entry
    site: model.SiteContent


def read_member(
    root: Path, member: model.Member, commit: str, path: str, generator: str, loader: Loader
) -> tuple[model.SiteContent | None, list[Problem], str | None]:
    """Member `member` at `commit` read with its own rules: its site (None when it has errors),
    its problems shown under members/<id>@<commit>/, and why it could not be read at all (None
    when it could)."""
    store = store_of(root, member.id)
    if not installed():
        return None, [], f"git: {MISSING}"
    if not has_commit(store, commit):
        return None, [], "missing"
    memo = _tree_of(root, member.id, commit, path).with_suffix(".json")
    recalled = _recall(memo)
    if recalled is not None:  # checked before, by this servicebook: the same commit gives the same
        catalog, problems = recalled
        info = model.BuildInfo(commit=commit, dirty=False, date=None, generator=generator)
        return model.SiteContent(catalog, (), info), problems, None
    try:
        prepare(store.parent)
        tree = export(store, commit, path, _tree_of(root, member.id, commit, path))
    except MemberGitError as exc:
        return None, [], f"{exc.reason}: {exc.message}"
    except OSError as exc:
        return None, [], f"cache: {exc}"
    stamp = commit_date(store, commit)
    date = dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp is not None else None
    info = model.BuildInfo(commit=commit, dirty=False, date=date, generator=generator)
    loaded = loader(tree, info)
    show = shown_path(member.id, commit)
    problems = [p.shown_as(show) for p in loaded.problems]
    if loaded.site is not None:
        _remember(memo, loaded.site.catalog, problems)
    return loaded.site, problems, None


def _recall(memo: Path) -> tuple[model.Catalog, list[Problem]] | None:
    """A member's catalog and warnings at a commit as this servicebook found them before; None
    for a miss (no file, another servicebook's, or anything that does not read back)."""
    try:
        data = json.loads(memo.read_text("utf-8"))
        if not isinstance(data, dict) or data.get("code") != code_digest():
            return None
        return decode(model.Catalog, data["catalog"]), [decode(Problem, p) for p in data["problems"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _remember(memo: Path, catalog: model.Catalog, problems: list[Problem]) -> None:
    """Keep what checking a valid member found (plain JSON, never pickle; a failed write is a miss)."""
    data = {"code": code_digest(), "catalog": encode(catalog), "problems": [encode(p) for p in problems]}
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, sort_keys=True), "utf-8")
        tmp.replace(memo)
    except OSError:
        tmp.unlink(missing_ok=True)


def read_members(
    root: Path,
    source: SourceText,
    checked: Checked[model.Catalog],
    lock: Lock,
    generator: str,
    loader: Loader,
) -> tuple[list[MemberSite], list[Problem]]:
    """Every member at its locked commit: what a build reads, from the cache only (no network)."""
    problems: list[Problem] = []
    found: list[MemberSite] = []

    def report(at: SourceLocation, message: str, hint: str) -> None:
        problems.append(Problem(at, message, hint, source_line=source.line(at.line)))

    for i, member in enumerate(checked.value.members):
        at = checked.at("members", i, "id")
        bad = partial(report, at)

        entry = lock.entries.get(member.id)
        if entry is None:
            bad(
                f"member '{member.id}' has no commit in {LOCK_FILE}",
                f"run `servicebook federate update {member.id}` to fetch it and lock the head of its {member.ref}",
            )
            continue
        if (entry.repository, entry.ref, entry.path) != (member.repository, member.ref, member.path):
            bad(
                f"member '{member.id}' changed in catalog.yaml since it was locked "
                f"({LOCK_FILE} follows {entry.ref} of {entry.repository}, folder {entry.path})",
                f"run `servicebook federate update {member.id}` to lock what catalog.yaml now says",
            )
            continue
        site, found_problems, failure = read_member(root, member, entry.commit, entry.path, generator, loader)
        if failure == "missing":
            bad(
                f"member '{member.id}': locked commit {entry.commit[:12]} is not in the cache "
                f"({CACHE_DIR}/{MEMBERS_DIR}/{member.id}.git)",
                "run `servicebook federate fetch` to fetch the locked commits (a build never reaches the network)",
            )
            continue
        if failure is not None:
            reason, _, detail = failure.partition(": ")
            if reason == "path":
                bad(
                    f"member '{member.id}': no folder '{shown(member.path)}' at commit {entry.commit[:12]}",
                    "fix the member's path in catalog.yaml, then run `servicebook federate update`",
                )
            elif reason == "tree":
                bad(
                    f"member '{member.id}': cannot read commit {entry.commit[:12]}: {detail}",
                    "the member's repository holds what servicebook will not unpack; ask its team to fix it",
                )
            else:
                bad(
                    f"member '{member.id}': cannot read commit {entry.commit[:12]}: {detail}",
                    "delete .servicebook-cache/members/ and run `servicebook federate fetch`",
                )
            continue
        problems += found_problems
        if site is None:
            bad(
                f"member '{member.id}' is not valid at its locked commit {entry.commit[:12]} (see above)",
                f"the lock should only hold valid commits: run `servicebook federate update {member.id}`",
            )
            continue
        if site.catalog.members:
            problems.append(
                Problem(
                    at,
                    f"member '{member.id}' has members of its own; they are not gathered into this site",
                    "list them here as members instead",
                    Severity.WARNING,
                    source.line(at.line),
                )
            )
        found.append(MemberSite(member, entry, site))
    for ident, entry in sorted(lock.entries.items()):
        if ident not in {m.id for m in checked.value.members}:
            problems.append(
                Problem(
                    entry.location,
                    f"'{ident}' is locked but not a member in catalog.yaml",
                    "run `servicebook federate update` to drop it from the lock",
                    Severity.WARNING,
                )
            )
    return found, problems


def read_organisation(root: Path) -> tuple[SourceText | None, Checked[model.Catalog] | None, list[Problem]]:
    """The organisation site's catalog.yaml, read as a build reads it, with its members' rules
    checked: what `federate update` and `fetch` work from."""
    try:
        read = read_catalog(read_text(root, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES))
    except SourceError as exc:
        return None, None, list(exc.problems)
    source, checked, problems = read.source, read.checked, [*read.notes, *read.found]
    if checked is not None:
        problems += check_members(source, checked)
    return source, checked, problems


def share_members(root: Path, clone: Path) -> None:
    """Give a clone of the organisation site's repository (what `verify` rebuilds from) the member
    repositories `root` has fetched, so that it is rebuilt from the locked commits without the
    network. They are linked, not copied: the rebuild only reads them."""
    stores = root / CACHE_DIR / MEMBERS_DIR
    if not stores.is_dir():
        return
    target = clone / CACHE_DIR / MEMBERS_DIR
    for store in sorted(stores.glob("*.git")):
        if store.is_dir() and not store.is_symlink() and not (target / store.name).exists():
            prepare(target)
            (target / store.name).symlink_to(store.resolve(), target_is_directory=True)
