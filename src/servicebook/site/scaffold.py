"""`servicebook init`: a small, valid site to start from, or the full example catalog."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from servicebook.catalog.ascii_names import ascii_name
from servicebook.errors import Problem, Severity, SourceLocation, UsageProblem, WriteFailed, printable
from servicebook.source.yaml_written import scalar
from servicebook.wholefiles import remove_unfinished, write_new

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_STARTER = ("catalog.yaml", "content/welcome.md", "layouts/README.md")
# `init --example`: the repository's own example (its catalog.yaml, content/ and measurements/), shipped in the
# package under scaffold/example/ (tests/test_dist.py checks the copy is the repository's), with
# the starter's layouts/README.md.
EXAMPLE = "example"
# The output and the build cache, never committed; and the folders a build makes beside the output for
# a while (site/write.py: the new site being made, the replaced one and its files being removed), which
# a `git add -A` run meanwhile would otherwise commit.
_IGNORED = ("/public/", "/.servicebook-cache/", "/.public.*/", "/.servicebook-trash-*/")
LAYOUTS_README = "layouts/README.md"  # explains layouts/; not a template (see build.py, stamps.py)


@dataclass(frozen=True, slots=True)
class Scaffolded:
    created: tuple[Path, ...]
    ignores_added: tuple[str, ...]  # lines added to a .gitignore that was already there


def scaffold(directory: Path, *, example: bool = False, team: str | None = None) -> Scaffolded:
    """Write the starter site (or, with `example`, the full example catalog) into `directory`
    (created when absent); `team`: the starter's team's name in place of "Platform Team" (its
    contacts, channels, on-call and site title named after it), so that teams that each start a
    catalog to federate are not all "Platform Team".

    The folder may already hold anything init would not write over (a README, a LICENSE, a
    .gitignore, an empty git repository…); a file init would create refuses the whole init,
    naming it, before anything is written. An existing .gitignore is added to, never rewritten.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageProblem(f"{directory} exists and is not a folder; choose a folder")
    if directory.is_symlink() and not directory.exists():  # mkdir would say "File exists" of it
        raise UsageProblem(
            f"{directory} is a symbolic link to {directory.readlink()}, which does not exist: "
            "make that folder, or choose another"
        )
    if team is not None and example:
        raise UsageProblem(
            "--team names the starter's team; --example writes the bank's example as it is: use one of them"
        )
    named = None if team is None else _named_starter(team)
    files = _files(example)
    # what an init killed while it put its files in place had put there (its .gitignore too)
    remove_unfinished([directory / name for name in files] + [directory / ".gitignore"])
    clashes = conflicts(directory, tuple(files))
    if clashes:
        them = "it" if len(clashes) == 1 else "them"
        where = "this folder" if directory.as_posix() in (".", "") else str(directory)
        raise UsageProblem(
            f"{where} already has {', '.join(clashes)}; init never overwrites a file: "
            f"move {them} away or choose another folder"
        )
    # bytes: an image under content/ is copied as it is
    new = {
        directory / name: source.read_bytes() if named is None else named(name, source.read_bytes())
        for name, source in files.items()
    }
    gitignore = directory / ".gitignore"
    added: tuple[str, ...] = ()
    size = 0
    if gitignore.exists():
        size = gitignore.stat().st_size
        added = _add_ignores(gitignore)
    else:
        new[gitignore] = "".join(f"{line}\n" for line in _IGNORED).encode()
    try:
        write_new(new)  # every file whole or none, the folders made for them removed again
    except OSError as exc:  # under a file, read-only, full: said, not a traceback, and undone
        if added:
            with contextlib.suppress(OSError), gitignore.open("ab") as f:
                f.truncate(size)
        raise WriteFailed(f"cannot write {exc.filename or directory}: {exc.strerror}; nothing was written") from None
    return Scaffolded(tuple(new), added)


def _files(example: bool) -> dict[str, Traversable]:
    """The files init writes, by their path in the new site, and where each comes from."""
    # start-up cost, measured: importlib.resources and zipfile 5.6-6.4 ms a build
    from importlib import resources  # `init` alone: a build imports this module for LAYOUTS_README

    scaffold = resources.files("servicebook") / "scaffold"
    if not example:
        return {name: scaffold.joinpath(*name.split("/")) for name in _STARTER}
    shipped = scaffold / EXAMPLE
    files = {"catalog.yaml": shipped / "catalog.yaml"}
    pending = [("content", shipped / "content")]
    if (shipped / "measurements").is_dir():  # what `servicebook measure` recorded of the example
        pending.append(("measurements", shipped / "measurements"))
    while pending:  # Traversable has no rglob
        prefix, folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                pending.append((f"{prefix}/{entry.name}", entry))
            else:
                files[f"{prefix}/{entry.name}"] = entry
    files[LAYOUTS_README] = scaffold.joinpath(*LAYOUTS_README.split("/"))
    return dict(sorted(files.items()))


def conflicts(directory: Path, names: tuple[str, ...] = _STARTER) -> list[str]:
    """What in `directory` init would have to write over (files, or non-folders where it makes one)."""
    found = []
    for name in names:
        parts = Path(name).parts
        for depth in range(1, len(parts)):  # content/ and layouts/ must be folders if present
            parent = directory.joinpath(*parts[:depth])
            if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                found.append(Path(*parts[:depth]).as_posix())
        dest = directory / name
        if dest.exists() or dest.is_symlink():
            found.append(name)
    gitignore = directory / ".gitignore"
    if gitignore.is_symlink() or (gitignore.exists() and not gitignore.is_file()):
        found.append(".gitignore")  # added to only when it is a plain file
    return sorted(set(found))


MAX_GITIGNORE = 1 << 20  # bytes of a site's .gitignore that `ignores_note` reads: init's is four lines


def ignores_note(source: Path, in_git: bool) -> Problem | None:
    """A warning for a site in git whose .gitignore an earlier `init` wrote (it keeps out public/
    or the cache) without the lines for the folders a build makes beside its output for a few
    seconds (`.public.*`, `.servicebook-trash-*`): a `git add -A` meanwhile commits them. It names
    the lines to add. A fact about the repository, not the catalog: --strict does not fail on it."""
    gitignore = source / ".gitignore"
    if not in_git or not gitignore.is_file():
        return None
    try:
        with gitignore.open("rb") as f:
            text = f.read(MAX_GITIGNORE).decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines()]
    present = {line.strip("/") for line in lines}
    ours = [n for n, line in enumerate(lines, 1) if line.strip("/") in ("public", ".servicebook-cache")]
    missing = [line for line in _IGNORED if line.strip("/") not in present]
    if not ours or not missing:
        return None
    return Problem(
        SourceLocation(".gitignore", ours[-1], 1),
        f".gitignore lacks {' and '.join(missing)}: a build makes those folders beside public/ for a few seconds, "
        "and a `git add -A` meanwhile commits them",
        "add the lines " + ", ".join(f"`{line}`" for line in missing) + " to .gitignore (`servicebook init` "
        "writes them now)",
        Severity.WARNING,
        text.splitlines()[ours[-1] - 1],
        kind="gitignore-incomplete",
    )


def _add_ignores(gitignore: Path) -> tuple[str, ...]:
    """Append the lines init would have written to an existing .gitignore; returns those it added
    (the file as it was, should the append fail)."""
    data = gitignore.read_bytes()
    text = data.decode("utf-8", errors="replace")
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in _IGNORED if line not in present and line.rstrip("/") not in present]
    if not missing:
        return ()
    try:
        with gitignore.open("ab") as f:
            try:
                f.write(
                    ("" if not text or text.endswith("\n") else "\n").encode()
                    + "".join(f"{line}\n" for line in missing).encode()
                )
                f.flush()
            except OSError:
                f.truncate(len(data))
                raise
    except OSError as exc:
        raise WriteFailed(f"cannot write {gitignore}: {exc.strerror}; nothing was written") from None
    return tuple(missing)


# The starter's lines that name its team, each with how it reads for a team `n` (its name as YAML
# writes it: `q(text, indent)`) whose short name is `slug`. tests/test_cli.py checks each is in
# the starter, so an edit of the starter that drops one fails there, not in a user's init.
# The offering's id is the team's own too: teams that federate their starters would otherwise all
# claim offering `ci`, which the organisation's build warns of as a disagreement (newuser23).
_TEAM_LINES: dict[str, dict[str, str]] = {
    "catalog.yaml": {
        "  title: Platform services": "  title: {title}",
        "  name: Platform Team": "  name: {name}",
        "    We run the shared delivery platform so product teams can ship safely without\n"
        "    running infrastructure themselves.": "    {mission}",
        "offerings:\n  - id: ci": "offerings:\n  - id: {offering}",
        "    - name: Platform help": "    - name: {help}",
        "      email: platform@example.com": "      email: {slug}@example.com",
        '      name: "#platform-help"': '      name: "#{slug}-help"',
        "      name: Platform on-call pager": "      name: {pager}",
        "    summary: One platform engineer is on call outside business hours, for sev1 only.": "    summary: {oncall}",
        '    how: Call the platform on-call number, or page "platform-oncall" in your paging tool.': "    how: {how}",
        "    owner: Platform Team": "    owner: {name}",
    },
    "content/welcome.md": {
        "summary: What to expect from the platform team, and what not to.": "summary: {expect}",
        "offerings: [ci]": "offerings: [{offering}]",
        "We run [CI pipelines](offering:ci) and answer questions about them during business hours.": (
            "We run [CI pipelines](offering:{offering}) and answer questions about them during business hours."
        ),
    },
}


def _named_starter(team: str) -> Callable[[str, bytes], bytes]:
    """How each starter file reads for the team named `team` (refused when no name)."""
    name = " ".join(team.split())
    if not name or not name.isprintable() or len(name) > 100:
        raise UsageProblem(
            f"--team '{printable(team)}': give the team's name as readers know it, on one line "
            "(up to 100 characters), e.g. --team 'Payments Team'"
        )
    slug = ascii_name(name, empty="team")  # "Équipe Paiements": equipe-paiements
    # "Database Services", not "Database Services services"
    title = name if name.split()[-1].lower() in ("services", "service") else f"{name} services"
    values = {
        "title": scalar(title, 2),
        "name": scalar(name, 2),
        # a line of the folded block `mission: >-`: written as it is, no quotes
        "mission": f"{name} runs shared services so product teams can ship safely without running them themselves.",
        "offering": f"{slug[:60].rstrip('-')}-ci",  # an id: at most 63 characters
        "help": scalar(f"{name} help", 4),
        "slug": slug,
        "pager": scalar(f"{name} on-call pager", 6),
        "oncall": scalar(f"One engineer of {name} is on call outside business hours, for sev1 only.", 4),
        "how": scalar(f'Call the on-call number of {name}, or page "{slug}-oncall" in your paging tool.', 4),
        "expect": scalar(f"What to expect from {name}, and what not to.", 0),
    }

    def named(path: str, data: bytes) -> bytes:
        lines = _TEAM_LINES.get(path)
        if not lines:
            return data
        text = data.decode("utf-8")
        for line, shape in lines.items():
            text = text.replace(f"\n{line}\n", f"\n{shape.format(**values)}\n")
        return text.encode("utf-8")

    return named


def starter_lines_named() -> dict[str, list[str]]:
    """Each starter file's lines that `init --team` rewrites but does not find (none when the
    starter and `_TEAM_LINES` agree)."""
    files = _files(example=False)
    return {
        path: [line for line in lines if f"\n{line}\n" not in files[path].read_text(encoding="utf-8")]
        for path, lines in _TEAM_LINES.items()
    }
