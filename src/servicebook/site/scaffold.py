"""`servicebook init`: a small, valid site to start from."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from servicebook.errors import UsageProblem

_FILES = ("catalog.yaml", "content/welcome.md", "layouts/README.md")
_IGNORED = ("/public/", "/.servicebook-cache/")  # the output and the build cache: never committed
LAYOUTS_README = "layouts/README.md"  # explains layouts/; not a template (see build.py, stamps.py)


@dataclass(frozen=True, slots=True)
class Scaffolded:
    created: tuple[Path, ...]
    ignores_added: tuple[str, ...]  # lines added to a .gitignore that was already there


def scaffold(directory: Path) -> Scaffolded:
    """Write the starter site into `directory` (created when absent).

    The folder may already hold anything init would not write over (a README, a LICENSE, a
    .gitignore, an empty git repository…); a file init would create refuses the whole init,
    naming it, before anything is written. An existing .gitignore is added to, never rewritten.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageProblem(f"{directory} exists and is not a folder; choose a folder")
    clashes = conflicts(directory)
    if clashes:
        them = "it" if len(clashes) == 1 else "them"
        where = "this folder" if directory.as_posix() in (".", "") else str(directory)
        raise UsageProblem(
            f"{where} already has {', '.join(clashes)}; init never overwrites a file: "
            f"move {them} away or choose another folder"
        )
    created = []
    template = resources.files("servicebook") / "scaffold"
    for name in _FILES:
        dest = directory / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("x", encoding="utf-8") as f:  # "x": a file that appeared meanwhile is not overwritten
            f.write((template / name).read_text(encoding="utf-8"))
        created.append(dest)
    gitignore = directory / ".gitignore"
    if gitignore.exists():
        return Scaffolded(tuple(created), _add_ignores(gitignore))
    gitignore.write_text("".join(f"{line}\n" for line in _IGNORED), encoding="utf-8")
    return Scaffolded((*created, gitignore), ())


def conflicts(directory: Path) -> list[str]:
    """What in `directory` init would have to write over (files, or non-folders where it makes one)."""
    found = []
    for name in _FILES:
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


def _add_ignores(gitignore: Path) -> tuple[str, ...]:
    """Append the lines init would have written to an existing .gitignore; returns those it added."""
    text = gitignore.read_text(encoding="utf-8", errors="replace")
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in _IGNORED if line not in present and line.rstrip("/") not in present]
    if not missing:
        return ()
    with gitignore.open("a", encoding="utf-8") as f:
        f.write(("" if not text or text.endswith("\n") else "\n") + "".join(f"{line}\n" for line in missing))
    return tuple(missing)


def builtin_layouts() -> Path:
    """Where the built-in templates are on this machine (for init to tell the user)."""
    return Path(str(resources.files("servicebook") / "layouts"))
