"""Links into the forge that hosts the catalog's repository: a commit, a file as it was at a
commit, the editor for a file on a branch. Forges spell these differently; `site.forge` says
which one it is, else it is guessed from the host name (GitHub's spelling when nothing matches).
"""

from __future__ import annotations

from servicebook.catalog.model import Forge

# commit page, file at a commit, file editor on a branch
_PATTERNS = {
    Forge.GITHUB: ("/commit/{sha}", "/blob/{sha}/{path}", "/edit/{branch}/{path}"),
    Forge.GITLAB: ("/-/commit/{sha}", "/-/blob/{sha}/{path}", "/-/edit/{branch}/{path}"),
    Forge.GITEA: ("/commit/{sha}", "/src/commit/{sha}/{path}", "/_edit/{branch}/{path}"),
    Forge.BITBUCKET: ("/commits/{sha}", "/src/{sha}/{path}", "/src/{branch}/{path}?mode=edit"),
}


def forge_of(repository: str, forge: Forge | None) -> Forge:
    """`forge` when the catalog names it, else a guess from the repository's host name."""
    if forge is not None:
        return forge
    host = repository.split("://", 1)[-1].split("/", 1)[0].lower()
    if "gitlab" in host:
        return Forge.GITLAB
    if "bitbucket" in host:
        return Forge.BITBUCKET
    if any(name in host for name in ("gitea", "forgejo", "codeberg")):
        return Forge.GITEA
    return Forge.GITHUB


def commit_url(repository: str, forge: Forge | None, sha: str) -> str:
    return repository.rstrip("/") + _PATTERNS[forge_of(repository, forge)][0].format(sha=sha)


def file_at_commit_url(repository: str, forge: Forge | None, sha: str, path: str) -> str:
    return repository.rstrip("/") + _PATTERNS[forge_of(repository, forge)][1].format(sha=sha, path=path)


def edit_url(repository: str, forge: Forge | None, branch: str, path: str) -> str:
    return repository.rstrip("/") + _PATTERNS[forge_of(repository, forge)][2].format(branch=branch, path=path)
