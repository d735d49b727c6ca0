"""An organisation site's members: the rules their entries in catalog.yaml follow, where each is
kept in the cache, and each member's site read at its locked commit with the member's own rules
(what that found is remembered in the site's one store, cache/store.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from servicebook import routes
from servicebook.cache.codec import decode, encode, read_json
from servicebook.cache.digest import digest
from servicebook.cache.folder import CACHE_DIR, prepare
from servicebook.cache.store import Entry as StoreEntry
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.catalog.basics import CATALOG_TOO_BIG, MAX_CATALOG_BYTES, BuildInfo
from servicebook.catalog.crossrefs import CrossRef
from servicebook.catalog.read import read_catalog
from servicebook.catalog.validate import Checked, members_apart, shown
from servicebook.errors import Problem, Severity, SourceLocation, UsageProblem
from servicebook.federation.crossrefs import Links, links_from_json, links_json, records
from servicebook.federation.lock import LOCK_FILE, Entry, Lock
from servicebook.git.members import MemberGitError, commit_date, export, has_commit, read_files
from servicebook.git.runner import MISSING, installed
from servicebook.source.yaml import SourceError, SourceText, read_text

MEMBERS_DIR = "members"
CATALOG_FILE = "catalog.yaml"
CONTENT_DIR = "content"
URL_SCHEMES = ("https", "http", "ssh", "git", "file")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# what git reads as `<transport>::<address>`, run by the helper git-remote-<transport> (ext:: runs
# a command): git's own test, transport.c; "::" elsewhere (an IPv6 host, https://[::1]/) is no helper
_HELPER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+.-]*::")
_SCP_RE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")  # git@host:group/repo.git
_REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


class Loaded(Protocol):
    """What loading a member's folder gives (site.load.Loaded)."""

    @property
    def site(self) -> model.SiteContent | None: ...

    @property
    def problems(self) -> tuple[Problem, ...]: ...

    @property
    def assets(self) -> tuple[str, ...]: ...  # the files under content/ its pages use

    @property
    def cross_refs(self) -> tuple[CrossRef, ...]: ...  # to other member teams' records


# Loads a member's site folder with its own rules, as a build does, at the given build stamp,
# its pages linking where the organisation site publishes what they name.
Loader = Callable[[Path, BuildInfo, model.Member], Loaded]


def check_members(source: SourceText, checked: Checked[model.Catalog]) -> list[Problem]:
    """The rules of the `members:` entries that their types do not say: unique ids, a repository
    address git may fetch without running anything, a ref name, a path within the repository."""
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str, hint: str, *, secret: str = "") -> None:
        at = checked.at("members", *path)
        line = source.line(at.line)
        if secret and line is not None:  # the line as a CI log may show it
            line = line.replace(f"{secret}@", "***@")
        problems.append(Problem(at, message, hint, source_line=line))

    seen: dict[str, int] = {}
    for i, member in enumerate(checked.value.members):
        if member.id in seen:
            first = checked.at("members", seen[member.id], "id")
            bad((i, "id"), f"duplicate member id '{member.id}' (first used at line {first.line})", "ids must be unique")
        seen.setdefault(member.id, i)
        if member.id == routes.ORGANISATION:
            bad(
                (i, "id"),
                f"member id '{member.id}' is how members name this organisation's own records ({member.id}/<id>)",
                "give the member another id",
            )
        why = repository_problem(member.repository)
        if why:
            bad(
                (i, "repository"),
                f"member '{member.id}': {why}",
                "give an https://, ssh:// or file:// address, user@host:path, or a folder relative to catalog.yaml",
            )
        elif holds_credentials(member.repository):
            bad(
                (i, "repository"),
                f"member '{member.id}': the address holds a user name or password, which servicebook.lock, the "
                "site and the messages of `federate update` would show to everyone who reads them",
                "write the address without them, and give git the credentials another way: a credential helper, "
                "~/.netrc or an ssh key",
                secret=_user_info(member.repository),
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
    if _HELPER_RE.match(repository):
        return "transport helpers (<transport>::<address>) are not allowed"
    scheme = _SCHEME_RE.match(repository)
    if scheme and scheme[1].lower() not in URL_SCHEMES:
        return f"'{shown(scheme[1])}://' is not a git address servicebook fetches from"
    return None


def holds_credentials(repository: str) -> bool:
    """Whether `repository` holds a password (`https://user:token@host/…`), or any user name in an
    http(s) address (forges take a token there): the address is written into servicebook.lock,
    shown on the member's team page and in catalog.json, and printed when a fetch fails."""
    scheme = _SCHEME_RE.match(repository)
    user = _user_info(repository)
    return scheme is not None and bool(user) and (":" in user or scheme[1].lower() in ("https", "http"))


def _user_info(repository: str) -> str:
    """The `user:password` before the host of a URL-style `repository`, or ""."""
    scheme = _SCHEME_RE.match(repository)
    if scheme is None:
        return ""
    return repository[scheme.end() :].partition("/")[0].rpartition("@")[0]


def path_escapes(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ":" in path or "\\" in path or ".." in parts


def fetch_address(root: Path, repository: str) -> str:
    """What git fetches from: an address as written, a local folder made absolute."""
    if _SCHEME_RE.match(repository) or _SCP_RE.match(repository):
        return repository
    return str((root / repository).resolve())


def folder_hint(root: Path, repository: str) -> str:
    """For a member given as a local folder that git cannot read: where that folder is looked for.
    A relative folder is found from catalog.yaml's, so in another checkout (an auditor's clone, a
    CI job) it names another place; '' for an address."""
    if _SCHEME_RE.match(repository) or _SCP_RE.match(repository):
        return ""
    return (
        "; a member given as a folder is looked for from the folder of catalog.yaml "
        f"(here {fetch_address(root, repository)}): put a clone of it there, or give its repository as an "
        "address every checkout reaches"
    )


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
    site: model.SiteContent  # its pages rendered for the organisation site (Loader)
    files: tuple[tuple[str, bytes], ...] = ()  # its pages' images and attachments: (site path, bytes)
    cross_refs: tuple[CrossRef, ...] = ()  # to other member teams' records, shown under members/<id>@<commit>/


@dataclass(frozen=True, slots=True)
class MemberRead:
    """Member `member` at a commit, read with its own rules: its site (None when it has errors),
    its problems shown under members/<id>@<commit>/, why it could not be read at all (None when
    it could), its pages' images and attachments as the organisation site publishes them, and its
    references to other member teams' records (shown under members/<id>@<commit>/ too)."""

    site: model.SiteContent | None
    problems: list[Problem]
    failure: str | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    cross_refs: tuple[CrossRef, ...] = ()


MEMBER_KIND = "a member team at a commit"  # the store's kind of entry for what reading one found
LINKS_KIND = "a member team's records and references at a commit"  # crossrefs.Links, kept beside it


def member_key(member: model.Member, commit: str, path: str) -> str:
    """The store's key of what reading member `member` at `commit` (folder `path`) found."""
    return digest(member.id, commit, path, member.site or "")


def read_member(
    root: Path, member: model.Member, commit: str, path: str, generator: str, loader: Loader, store: Store | None
) -> MemberRead:
    """Member `member` at `commit` read with its own rules (see MemberRead): once per commit, then
    from `store` (keyed by the member, the commit and the folder; the store itself is emptied when
    servicebook's code changes)."""
    repository = store_of(root, member.id)
    if not installed():
        return MemberRead(None, [], f"git: {MISSING}")
    if not has_commit(repository, commit):
        return MemberRead(None, [], "missing")
    key = member_key(member, commit, path)
    recalled = _recall(store, key)
    if recalled is not None:  # checked before, by this servicebook: the same commit gives the same
        catalog, pages, problems, assets, cross_refs = recalled
        info = BuildInfo(commit=commit, dirty=False, date=None, generator=generator)
        inside = "" if path in ("", ".") else f"{path.rstrip('/')}/"
        names = {a: f"{inside}{CONTENT_DIR}/{a}" for a in assets}
        try:
            found = read_files(repository, commit, list(names.values()))
        except UsageProblem:  # git failed to read them: read the member again, as on a miss
            found = {}
        files = tuple((_published(member, a), found[n]) for a, n in names.items() if n in found)
        if len(files) == len(assets):
            return MemberRead(model.SiteContent(catalog, pages, info), problems, None, files, cross_refs)
    try:
        prepare(repository.parent)
        tree = export(repository, commit, path, _tree_of(root, member.id, commit, path))
    except MemberGitError as exc:
        return MemberRead(None, [], f"{exc.reason}: {exc.message}")
    except OSError as exc:
        return MemberRead(None, [], f"cache: {exc}")
    stamp = commit_date(repository, commit)
    date = dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp is not None else None
    info = BuildInfo(commit=commit, dirty=False, date=date, generator=generator)
    loaded = loader(tree, info, member)
    show = shown_path(member.id, commit)
    problems = [p.shown_as(show) for p in loaded.problems]
    cross_refs = tuple(r.shown_as(show) for r in loaded.cross_refs)
    if loaded.site is None:
        return MemberRead(None, problems)
    try:
        files = tuple((_published(member, a), (tree / CONTENT_DIR / a).read_bytes()) for a in loaded.assets)
    except OSError as exc:
        return MemberRead(None, [], f"cache: {exc}")
    _remember(store, key, loaded.site, problems, loaded.assets, cross_refs)
    return MemberRead(loaded.site, problems, None, files, cross_refs)


def _published(member: model.Member, asset: str) -> str:
    """Where the organisation site publishes a file under a member's content/."""
    return routes.content_file(routes.member_scoped(member.id, asset))


def _recall(
    store: Store | None, key: str
) -> tuple[model.Catalog, tuple[model.Page, ...], list[Problem], tuple[str, ...], tuple[CrossRef, ...]] | None:
    """A member's catalog, pages, warnings, used files and references to other teams at a commit
    as this servicebook found them before; None for a miss (none stored, or anything that does not
    read back)."""
    if store is None:
        return None
    for entry in store.get(MEMBER_KIND, [key]).values():
        try:
            data = read_json(entry.data)
            return (
                decode(model.Catalog, data["catalog"]),
                decode(tuple[model.Page, ...], data["pages"]),
                [decode(Problem, p) for p in data["problems"]],
                decode(tuple[str, ...], data["assets"]),
                decode(tuple[CrossRef, ...], data["cross_refs"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            store.forget(MEMBER_KIND, key)
    return None


def _remember(
    store: Store | None,
    key: str,
    site: model.SiteContent,
    problems: list[Problem],
    assets: tuple[str, ...],
    cross_refs: tuple[CrossRef, ...],
) -> None:
    """Keep what checking a valid member found (plain JSON, never pickle; a failed write is a miss)."""
    if store is None:
        return
    data = {
        "catalog": encode(site.catalog),
        "pages": encode(site.pages),
        "problems": [encode(p) for p in problems],
        "assets": list(assets),
        "cross_refs": encode(cross_refs),
    }
    store.put(MEMBER_KIND, key, StoreEntry(json.dumps(data, sort_keys=True)))
    links = Links(records(site.build.commit or "", site), cross_refs)
    store.put(LINKS_KIND, key, StoreEntry(links_json(links)))
    store.commit()


def recall_links(store: Store, member: model.Member, commit: str, path: str) -> Links | None:
    """What `federate update` checks the members' references with, of member `member` at
    `commit`, as reading it found before (crossrefs.Links); None for a miss."""
    key = member_key(member, commit, path)
    for entry in store.get(LINKS_KIND, [key]).values():
        try:
            links = links_from_json(entry.data)
        except (ValueError, TypeError, KeyError, AttributeError):
            store.forget(LINKS_KIND, key)
            return None
        return links
    return None


def read_members(
    root: Path,
    source: SourceText,
    checked: Checked[model.Catalog],
    lock: Lock,
    generator: str,
    loader: Loader,
    store: Store | None,
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
                f"run `servicebook federate update {member.id}` to fetch it and lock the head of its {member.ref}; "
                "while update refuses it (unreachable, or not a valid catalog there), the site builds only "
                "without it: take it out of members: until then",
            )
            continue
        if (entry.repository, entry.ref, entry.path) != (member.repository, member.ref, member.path):
            bad(
                f"member '{member.id}' changed in catalog.yaml since it was locked "
                f"({LOCK_FILE} follows {entry.ref} of {entry.repository}, folder {entry.path})",
                f"run `servicebook federate update {member.id}` to lock what catalog.yaml now says",
            )
            continue
        read = read_member(root, member, entry.commit, entry.path, generator, loader, store)
        site, found_problems, failure = read.site, read.problems, read.failure
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
                # its errors sort after catalog.yaml's, so they follow this one: named, not "above"
                f"member '{member.id}' is not valid at its locked commit {entry.commit[:12]} (its errors are "
                f"at {MEMBERS_DIR}/{member.id}@{entry.commit[:12]}/…)",
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
                    kind="member-with-members",
                )
            )
        found.append(MemberSite(member, entry, site, read.files, read.cross_refs))
    for ident, entry in sorted(lock.entries.items()):
        if ident not in {m.id for m in checked.value.members}:
            problems.append(
                Problem(
                    entry.location,
                    f"'{ident}' is locked but not a member in catalog.yaml",
                    "run `servicebook federate update` to drop it from the lock",
                    Severity.WARNING,
                    kind="locked-not-member",
                )
            )
    return found, problems


def read_organisation(root: Path) -> tuple[SourceText | None, Checked[model.Catalog] | None, list[Problem]]:
    """The organisation site's catalog.yaml, read as a build reads it, with its members' rules
    checked: what `federate update` and `fetch` work from."""
    try:
        read = read_catalog(read_text(root, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES, too_big=CATALOG_TOO_BIG))
    except SourceError as exc:
        return None, None, list(exc.problems)
    source, checked, problems = read.source, read.checked, [*read.notes, *read.found]
    if checked is not None:
        problems += check_members(source, checked)
        # a policy page a member's id would be (content/<id>.md): the pages are not read here
        pages = [m.id for m in checked.value.members if (root / CONTENT_DIR / f"{m.id}.md").is_file()]
        problems += members_apart(source, checked, pages)
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
