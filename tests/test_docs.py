"""The documentation (README.md and docs/*.md) says what is true: the field reference is generated
from the model, every shell block that can run here runs (in a scratch folder, with this
environment's `servicebook`), every relative link and #anchor leads somewhere, the CI files shown
in the docs are the example files, and every docs page is reachable from the README."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from servicebook.catalog.schema import reference_markdown
from servicebook.cli import main

from .conftest import REPO

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = REPO / "README.md"
SHELLS = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def fences(path: Path) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block in a Markdown file."""
    return [(m[1].strip(), m[2]) for m in FENCE.finditer(path.read_text())]


def prose(text: str) -> str:
    """The text outside fenced blocks and code spans, where links are links."""
    text = FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def slug(heading: str) -> str:
    """The anchor GitHub (and GitLab) give a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`", "", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", path.read_text()), re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def test_field_reference_in_the_docs_matches_the_model() -> None:
    page = (DOCS / "writing-a-catalog.md").read_text()
    section = page.split("<!-- reference:start -->\n", 1)[1].split("\n<!-- reference:end -->", 1)[0]
    assert section == reference_markdown().rstrip(), "run: make docs"


def test_readme_quick_start_is_two_commands() -> None:
    readme = README.read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make site", "make test"]


def test_readme_fits_on_two_screens_and_links_every_docs_page() -> None:
    readme = README.read_text()
    assert len(readme.split()) < 2500
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)(?:#[\w-]*)?\)", readme))
    assert linked == {p.name for p in PAGES}
    assert "## How the code is laid out" in readme
    section = readme.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    assert "(docs/architecture.md)" in section


def test_every_shell_block_is_marked_runnable_or_manual() -> None:
    """A block marked `manual` needs what a test cannot have here (a forge, a release file, a
    server left running); every other shell block runs in test_runnable_blocks_run."""
    unmarked = []
    for path in [README, *PAGES]:
        for info, body in fences(path):
            words = info.split()
            if words and words[0] in SHELLS and not {"runnable", "manual"} & set(words[1:]):
                if path == README and body.strip().startswith("make site"):
                    continue  # the quick start: `make test` is this suite (test_readme_quick_start…)
                unmarked.append(f"{path.name}: {body.splitlines()[0]}")
    assert unmarked == []


RUNNABLE = [p for p in [README, *PAGES] if any("runnable" in info.split()[1:] for info, _ in fences(p))]


@pytest.fixture(scope="session")
def user_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One user cache folder ($XDG_CACHE_HOME) for every docs script of a test process: what
    servicebook keeps there (compiled templates) is shared by all of a user's sites, and never
    changes what a build makes (tests/test_compiled_templates.py), so each script need not compile
    the theme again; each still has a home folder of its own."""
    return tmp_path_factory.mktemp("user-cache")


@pytest.mark.git
@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
def test_runnable_blocks_run(path, tmp_path, user_cache_folder, servicebook_bin) -> None:
    """A page's runnable blocks run in order as one script (a `cd` carries over, as for a reader
    typing them), with `set -e`: a command that fails fails the test."""
    script = "set -euo pipefail\n" + "\n".join(body for info, body in fences(path) if "runnable" in info.split()[1:])
    bin_dir = Path(sys.executable).parent
    env = {
        "PATH": os.pathsep.join([str(servicebook_bin), str(bin_dir), os.environ["PATH"]]),
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(user_cache_folder),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, f"{path.name}:\n{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr


def test_links_and_anchors_lead_somewhere() -> None:
    broken = []
    for path in [README, *PAGES]:
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(path.read_text())):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
                continue
            file, _, anchor = target.partition("#")
            linked = path if not file else (path.parent / file).resolve()
            if not linked.exists():
                broken.append(f"{path.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert broken == []


def test_the_link_check_would_catch_a_broken_link_and_anchor(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## `check --format json`\n\nSee [x](#check---format-json) and `[y](#nothing)`.\n")
    assert anchors(page) == {"title", "check---format-json"}
    assert re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text())) == ["#check---format-json"]


def test_every_docs_page_is_read_in_order_each_leading_to_the_next() -> None:
    order = re.findall(r"^\d+\. \[[^\]]+\]\(docs/([\w-]+\.md)\)", README.read_text(), re.M)
    assert len(order) == len(PAGES) - 1  # all but architecture.md, linked from its own section
    for page, following in itertools.pairwise(order):
        last = (DOCS / page).read_text().rstrip().splitlines()[-1]
        assert last.startswith("Next: [") and last.endswith(f"]({following})."), page


def test_ci_files_shown_in_the_docs_are_the_example_files() -> None:
    examples = {p.read_text() for p in (REPO / "examples" / "ci").rglob("*.yml")}
    shown = [body for path in PAGES for info, body in fences(path) if info == "yaml" and body.startswith("# Copy to ")]
    assert len(shown) >= 3
    for body in shown:
        assert body in examples, body.splitlines()[0]


@pytest.mark.parametrize(
    ("page", "start", "where"),
    [
        ("getting-started.md", "  - id: artifacts\n", "tools:\n"),
        ("policy-pages.md", "---\ntitle: Change approval\n", None),
    ],
)
def test_the_catalog_and_page_snippets_in_the_docs_build(page, start, where, run, tmp_path) -> None:
    """The snippets a reader copies into the starter site check cleanly, with --strict."""
    (snippet,) = [body for _, body in fences(DOCS / page) if body.startswith(start)]
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    if where is None:
        (site / "content" / "change-approval.md").write_text(snippet)
    else:
        catalog = site / "catalog.yaml"
        catalog.write_text(catalog.read_text().replace(where, snippet + where, 1))
    result = run("check", "--strict", "--source", site)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_readme_catalog_builds(run, tmp_path) -> None:
    (catalog,) = [body for info, body in fences(README) if info == "yaml"]
    assert len(catalog.splitlines()) <= 26
    (tmp_path / "catalog.yaml").write_text(catalog)
    result = run("build", "--strict", "--source", tmp_path)
    assert result.exit_code == 0, result.output
    shutil.rmtree(tmp_path / "public")


SHOWN = re.compile(r"^```sh runnable\n(.*?)^```\n\nprints\n\n```\n(.*?)^```", re.M | re.S)


@pytest.mark.parametrize("path", [p for p in PAGES if SHOWN.search(p.read_text())], ids=lambda p: p.name)
def test_output_shown_after_a_block_is_what_it_prints(path, tmp_path, servicebook_bin) -> None:
    for script, shown in SHOWN.findall(path.read_text()):
        path_list = [str(servicebook_bin), str(Path(sys.executable).parent), os.environ["PATH"]]
        env = {**os.environ, "PATH": os.pathsep.join(path_list)}
        done = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + script + "\n"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
        )  # fmt: skip
        assert done.stdout == shown


def leaf_commands(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every command a user types, by its words (`export openslo`), with its options."""
    out: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            out |= leaf_commands(command, ctx, (*path, name))
        else:
            out[" ".join((*path, name))] = command
    return out


def test_the_readme_command_table_says_what_each_commands_help_does() -> None:
    """Each option in the README's table of commands is one that command takes, and the sentence
    under it names the commands without --source, as their --help shows."""
    readme = README.read_text()
    commands = leaf_commands(main, click.Context(main))
    options = {name: {o for p in c.params for o in p.opts} for name, c in commands.items()}
    rows = re.findall(r"^\| `servicebook ([a-z]+)([^`]*)` \|", readme, re.M)
    assert len(rows) >= 10
    for name, rest in rows:
        takes = set().union(*(opts for full, opts in options.items() if full.split()[0] == name))
        for option in re.findall(r"--[a-z][a-z-]*", rest):
            assert option in takes, f"README: servicebook {name}{rest}: {option}"
    without = sorted({name.split()[0] for name, opts in options.items() if "--source" not in opts})
    assert without == ["import", "init", "schema"]
    assert "Every command that reads a catalog (all but `init`, `import` and `schema`) takes `--source DIR`" in readme
