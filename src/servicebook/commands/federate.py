"""`servicebook federate update` and `servicebook federate fetch`: the lock file of an organisation site."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import click

from servicebook import __version__
from servicebook.catalog.basics import BuildInfo
from servicebook.catalog.model import Member
from servicebook.commands.options import SOURCE, paths_for_people
from servicebook.commands.progress import shown
from servicebook.errors import BuildFailed, Severity, UsageProblem, printable
from servicebook.federation.crossrefs import Records, organisation_records
from servicebook.federation.lock import LOCK_FILE, Lock, read_lock
from servicebook.federation.members import read_organisation
from servicebook.federation.update import Outcome, fetch_locked, update
from servicebook.git.repo import open_repo, uncommitted
from servicebook.site.load import Loaded, load

REFUSED_EXIT = 3  # some member was refused and stays at its last good commit (see docs/federating.md)


# Subcommands a new organisation guesses that do not exist: members are what catalog.yaml says,
# and `update` makes servicebook.lock follow it.
_ADD = (
    "a team joins with an entry under `members:` in the organisation's catalog.yaml (its id and repository: "
    'docs/federating.md, "Members"); then `servicebook federate update ID` fetches it and locks its head'
)
_REMOVE = (
    "a team leaves when its entry is taken out of `members:` in catalog.yaml; the next "
    "`servicebook federate update` drops it from servicebook.lock"
)
_LIST = (
    "the members are the entries under `members:` in catalog.yaml, each locked at the commit servicebook.lock "
    "names; `servicebook federate fetch` says of each whether that commit is here"
)
INSTEAD = {"add": _ADD, "join": _ADD, "remove": _REMOVE, "rm": _REMOVE, "list": _LIST, "status": _LIST}


class _Federate(click.Group):
    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name in INSTEAD and name not in self.commands:
            ctx.fail(f"No such command {name!r}: {INSTEAD[name]}")
        return super().resolve_command(ctx, args)


@click.group(cls=_Federate)
def federate() -> None:
    """Pin an organisation site's members in servicebook.lock: `update` moves them, `fetch` gets them."""


def _organisation(
    source: Path, action: str, names: Sequence[str]
) -> tuple[list[Member], Lock, set[str], list[Member], Records]:
    """The members named (all when none is), the lock, the ids of every member, the members not
    named and the organisation's own records (but its pages), or the problems that stop the command."""
    _, checked, problems = read_organisation(source)
    if checked is None or any(p.severity is Severity.ERROR for p in problems):
        raise BuildFailed(problems, action=action)
    lock, lock_problems = read_lock(source)
    if lock_problems:
        raise BuildFailed(lock_problems, action=action)
    members = checked.value.members
    if not members:
        raise UsageProblem(
            f"{source / 'catalog.yaml'} names no members: an organisation site lists them under `members:` "
            "(docs/federating.md)"
        )
    known = {m.id for m in members}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageProblem(f"no member '{unknown[0]}' in catalog.yaml; members: {', '.join(sorted(known))}")
    chosen = [m for m in members if not names or m.id in names]
    own = organisation_records(checked.value, None)
    return chosen, lock, known, [m for m in members if m not in chosen], own


def _report(outcomes: list[Outcome], show: Callable[[str], str]) -> None:
    for outcome in outcomes:
        for problem in outcome.problems:
            click.echo(problem.shown_as(show).format(), err=True)
        mark = {"moved": "updated", "current": "ok", "kept": "warning", "refused": "refused"}[outcome.state]
        # line by line: git's own message may run over lines, and it names what the member's
        # repository holds (its branches), whose names may hold a bidirectional override
        said = "\n".join(printable(line) for line in outcome.message.split("\n"))
        click.echo(f"{mark}: {said}", err=outcome.state in ("kept", "refused"))


@federate.command("update")
@SOURCE
@click.option(
    "--accept-rewrite", is_flag=True, help="Follow a member whose history was rewritten under its locked commit."
)
@click.argument("members", nargs=-1)
def update_command(source: Path, accept_rewrite: bool, members: tuple[str, ...]) -> None:
    """Fetch MEMBERS (default: all), check each at the head of the ref it follows with its own
    rules, and move its entry in servicebook.lock only if it is valid there."""
    with paths_for_people(source) as show:
        chosen, lock, known, others, own = _organisation(source, "federate update", members)
        loader = partial(_load_member, dict(os.environ))
        generator = f"servicebook {__version__}"
        with shown("normal") as progress:  # a bar over the members, on a terminal only
            _, outcomes = update(
                source,
                chosen,
                lock,
                generator,
                loader,
                accept_rewrite=accept_rewrite,
                in_catalog=known,
                progress=progress,
                others=others,
                organisation=own,
            )
        _report(outcomes, show)
    if any(o.state == "refused" for o in outcomes):
        raise SystemExit(REFUSED_EXIT)
    moved = sum(o.state == "moved" for o in outcomes)
    dropped = sorted(set(lock.entries) - known)
    said = [f"{moved} member{'s' if moved != 1 else ''} moved"] if moved else []
    said += [f"dropped {', '.join(dropped)} (no longer a member)"] if dropped else []
    click.echo(f"{LOCK_FILE}: {'; '.join(said)}" if said else f"{LOCK_FILE} unchanged")
    _commit_reminder(source)


def _commit_reminder(source: Path) -> None:
    """What to do with a lock git does not have as it is: a release, `promised` and `verify` read it
    from the commit, and one whose catalog names members its lock does not hold cannot be built
    (newuser23: `git commit -a` after the first update leaves the new file out, and the version
    released from that commit stays unbuilt, warned of on every build)."""
    repo = open_repo(source)
    state = uncommitted(repo, LOCK_FILE) if repo is not None else ""
    if state == "new":
        click.echo(
            f"next: git add {LOCK_FILE}, and commit it with catalog.yaml (it is new: `git commit -a` leaves it out); "
            "a commit whose members the lock does not hold cannot be built, nor released"
        )
    elif state == "changed":
        click.echo(f"next: commit {LOCK_FILE}: releases, `promised` and `verify` read the members' commits from it")


@federate.command("fetch")
@SOURCE
def fetch_command(source: Path) -> None:
    """Fetch the commits servicebook.lock names (a fresh clone, CI), without moving any."""
    with paths_for_people(source) as show:
        chosen, lock, _, _, _ = _organisation(source, "federate fetch", ())
        with shown("normal") as progress:  # a bar over the members, on a terminal only
            outcomes = fetch_locked(source, chosen, lock, progress)
        _report(outcomes, show)
    if any(o.state == "refused" for o in outcomes):
        raise SystemExit(REFUSED_EXIT)


def _load_member(env: dict[str, str], root: Path, build: BuildInfo, member: Member) -> Loaded:
    return load(root, env, build=build, federate=False, member=member)


command = federate
