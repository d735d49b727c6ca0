"""Hostile inputs of 7 Dec 2026 (twentieth round): what round 19 left (a C1 control written as an
escape, "did you mean" against every known name for every unknown one, the other imports read whole
before their bounds, a member's hostile git repository), then what a wrong or malicious file still
did."""

from __future__ import annotations

import difflib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from servicebook.git import members as git_members
from servicebook.source import lookalike

from .conftest import GitSite


@pytest.mark.parametrize(
    ("where", "written", "message"),
    [
        ("catalog", "\\x9b[31m", "control character U+009B, written as an escape, is not allowed"),
        ("catalog", "\\u0080", "control character U+0080, written as an escape, is not allowed"),
        ("catalog", "\\uFFFE", "noncharacter U+FFFE, written as an escape, is not allowed"),
        ("front matter", "\\x9b", "control character U+009B, written as an escape, is not allowed"),
        ("radar JSON", "\\u009b", "control character U+009B, written as an escape, is not allowed"),
    ],
)
def test_a_c1_control_written_as_an_escape_is_refused_at_its_line_and_column(
    run, site_copy, tmp_path: Path, where: str, written: str, message: str
) -> None:
    """Round 19 refused a C1 control (U+0080–U+009F; U+009B is a terminal's 8-bit CSI) written in
    the file, at its line and column; written as an escape in a double-quoted value (`"\\x9b[31m"`)
    it passed, and the site's title in every page and catalog.json held it. It is refused as the
    escaped ASCII controls are, located, and nothing is written."""
    site = site_copy("minimal")
    if where == "catalog":
        path = site / "catalog.yaml"
        path.write_text(path.read_text().replace("  title: Platform services", f'  title: "Platform {written}"'))
        args, shown, line, column = ["build", "--source", site], "catalog.yaml", 5, 10
    elif where == "front matter":
        path = site / "content" / "welcome.md"
        path.write_text(path.read_text().replace("title: How we work", f'title: "How we {written}work"'))
        args, shown, line, column = ["build", "--source", site], "content/welcome.md", 2, 8
    else:
        path = tmp_path / "radar.json"
        path.write_text(
            '{"quadrants": [{"name": "Tools"}], "rings": [{"name": "ADOPT"}],\n'
            f' "entries": [{{"label": "ci{written}", "quadrant": 0, "ring": 0}}]}}\n'
        )
        args, shown, line, column = ["import", "techradar", path], str(path), 2, 24

    result = run(*args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{shown}:{line}:{column}: error: {message}" in result.stderr
    assert "hint: delete the escape" in result.stderr
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    ("fmt", "form"),
    [
        ("backstage", "json list"),
        ("backstage", "json values"),
        ("sloth", "yaml list"),
        ("openslo", "yaml documents"),
        ("pyrra", "yaml list"),
    ],
)
def test_an_import_past_its_bounds_is_refused_as_it_is_read_not_after(run, tmp_path: Path, fmt: str, form: str) -> None:
    """Round 19 counted a radar as it was read; the other imports (Backstage's JSON or YAML, Sloth,
    OpenSLO, Pyrra) still read a file of up to 8 MB whole into located nodes: 8 MB of lists of
    zeros as a Backstage file took 12.8 CPU s and 790 MB before it was refused as no entity. The
    file is counted as it is read: the list item past 100,000, or the value past a million, is the
    error, located, saying the limit and what to do, and what follows it is never read (here, a
    mistake at the end of the file that reading it whole finds first)."""
    path = tmp_path / f"input.{'json' if form.startswith('json') else 'yaml'}"
    if form == "json list":
        path.write_text("[\n" + ",\n".join(["0"] * 100_001) + ",\n}")
        where, message = "100002:1", "more than 100,000 items in one list; the limit for an import is 100,000, here"
    elif form == "json values":
        inner = "[" + ",".join(["0"] * 999) + "]"
        path.write_text("[\n" + ",\n".join([inner] * 1_001) + ",\n}")
        where = "1001:1998"  # as a radar's (test_hostile_round19): the 1,000,001st value
        message = "more than 1,000,000 values (texts, numbers, lists and keys) in the file; the limit for an import"
    elif form == "yaml list":
        head = 'version: "prometheus/v1"\nservice: ci\nslos:\n' if fmt == "sloth" else "items:\n"
        path.write_text(head + "".join("  - 0\n" for _ in range(100_001)) + "  - [\n")
        where = f"{100_001 + head.count(chr(10))}:5"
        message = "more than 100,000 items in one list; the limit for an import is 100,000, here"
    else:  # documents of 200 values each: a mapping, its 3 keys, 2 values, the metadata's mapping, 2 keys,
        # a name and a list of 189 labels
        labels = ", ".join(["1"] * 189)
        doc = f"---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\n  labels: [{labels}]\n"
        path.write_text(doc * 5_002 + "---\n[\n")
        # 5,000 documents are a million values: the next is document 5,001's mapping, on its line 2
        where = f"{6 * 5_000 + 2}:1"
        message = "more than 1,000,000 values (texts, numbers, lists and keys) in the file; the limit for an import"

    result = run("import", fmt, path)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert f"{path}:{where}: error: {message}" in result.stderr
    assert "hint: split the file (one service, system or namespace a file) and import each" in result.stderr


CPU_SECONDS = 40  # for a check of the catalog below: it takes about 5 (on a loaded machine)


def _cpu_limited(args: list[str]) -> subprocess.CompletedProcess[str]:
    """`servicebook ARGS` under a limit of CPU seconds of its own (not the wall clock): SIGXCPU past it."""
    command = [sys.executable, "-m", "servicebook", *args]
    return subprocess.run(
        ["sh", "-c", f'ulimit -t {CPU_SECONDS} && exec "$0" "$@"', *command],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SERVICEBOOK_WORKERS": "1"},
    )


@pytest.mark.slow
def test_20000_misspelt_references_to_5000_alike_ids_check_in_seconds_every_one_reported(site_copy) -> None:
    """A "did you mean" measured the unknown name against every known one by difflib (~30 CPU ms
    against 5,000 alike tool ids, and their look-alike forms made again each time): a catalog of
    5,000 tools and 20,000 misspelt references to them ran for hours. The known ids are indexed
    once; a name is measured against those sharing most runs of letters with it, and past 1,000
    unknown references the hint names the first known ids instead. Every error is still said."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    tools = [f"{('redis', 'tempo', 'zipkin', 'yarn')[i % 4]}-{i:05d}" for i in range(5_000)]
    written = "".join(
        f"  - id: {t}\n    name: Tool {t}\n    category: ci\n    status: supported\n"
        "    reason: It works.\n    since: 2026-01-01\n"
        for t in tools
    )
    refs = ", ".join([t.replace("-", "", 1) for t in tools] * 4)  # 'redis00001' for 'redis-00001'
    text = catalog.read_text().replace("    tools: [shared-pipelines, hand-rolled-scripts]", f"    tools: [{refs}]")
    catalog.write_text(text + written)

    done = _cpu_limited(["check", "--source", str(site)])

    assert done.returncode == 1, f"{done.returncode}: {done.stderr[-2000:]}"  # -SIGXCPU past the limit
    assert "Traceback" not in done.stderr
    assert done.stderr.endswith("check failed: 20000 errors.\n"), done.stderr[-500:]
    first, last = done.stderr.split("error: unknown tool ")[1], done.stderr.split("error: unknown tool ")[-1]
    assert first.startswith("'redis00000'") and "hint: did you mean 'redis-00000'?" in first
    assert last.startswith("'yarn04999'") and "hint: known tools: hand-rolled-scripts, redis-00000," in last
    assert done.stderr.count("hint: did you mean") == 1_000


@pytest.mark.slow
def test_27000_links_to_missing_headings_of_a_page_of_20000_check_in_seconds(site_copy) -> None:
    """Each broken link to another page's heading read its page again and looked through it from the
    start (to say where the link was written), and copied and sorted the 20,000 headings of the page
    it named (for the hint): three pages of 9,000 such links (under the limit of `[`) ran for hours.
    Each page is read once for all its broken links, and the headings sorted once."""
    site = site_copy("minimal")
    content = site / "content"
    (content / "many.md").write_text("---\ntitle: Many\n---\n" + "".join(f"# h {i}\n\n" for i in range(20_000)))
    links = "".join(f"[x](many.md#h-{i}x)\n" for i in range(9_000))
    for k in range(3):
        (content / f"links-{k}.md").write_text(f"---\ntitle: Links {k}\n---\n{links}")

    done = _cpu_limited(["check", "--source", str(site)])

    assert done.returncode == 1, f"{done.returncode}: {done.stderr[-2000:]}"  # -SIGXCPU past the limit
    assert "Traceback" not in done.stderr
    assert done.stderr.endswith("check failed: 27000 errors.\n"), done.stderr[-500:]
    said = "content/links-2.md:8348:5: error: broken link: page 'many' has no heading '#h-8344x'\n"
    assert f"{said} 8348 | [x](many.md#h-8344x)\n      |     ^\n  hint: did you mean 'h-8344'?\n" in done.stderr


@pytest.mark.git
def test_a_member_commit_of_more_files_than_a_member_folder_may_hold_is_refused_unpacked(tmp_path: Path) -> None:
    """git keeps 300,000 empty files in a few kilobytes (one blob, one tree), and their archive fits
    the bound on a member folder's bytes (a 512-byte header each): `federate update` took 47 CPU s,
    3 minutes and 300,000 files of the cache to unpack it. The files are counted in git's listing
    first, and a folder of over 100,000 is not archived."""
    (tmp_path / "member").mkdir()
    work = GitSite(tmp_path / "member")
    work.write("catalog.yaml", "format: 1\n")
    work.commit("A member's folder")
    empty = work.git("hash-object", "-w", "--stdin", stdin="").strip()
    listing = "".join(f"100644 blob {empty}\tf{i:06d}\n" for i in range(git_members.MAX_TREE_FILES))
    junk = work.git("mktree", stdin=listing).strip()
    root = work.git("mktree", stdin=work.git("ls-tree", "HEAD") + f"040000 tree {junk}\tjunk\n").strip()
    commit = work.git("commit-tree", root, "-p", "HEAD", "-m", "100,001 files").strip()
    store = tmp_path / "store.git"  # as `federate` makes a member's store: `git init --bare`, then a fetch
    work.git("init", "-q", "--bare", str(store))
    work.git("push", "-q", str(store), f"{commit}:refs/heads/main")

    with pytest.raises(git_members.MemberGitError) as refused:
        git_members.export(store, commit, ".", tmp_path / "tree")

    assert (refused.value.reason, refused.value.message) == (
        "tree",
        "it holds 100,001 files, more than 100,000: not read",
    )
    assert not (tmp_path / "tree").exists()


def _closest_by_difflib(word: str, choices: list[str], cutoff: float = 0.6) -> list[str]:
    """Every choice as close to `word` as the closest, measured against each (as main measured)."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored = []
    for choice in choices:
        matcher.set_seq1(choice)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff and matcher.ratio() >= cutoff:
            scored.append((matcher.ratio(), choice))
    best = max((ratio for ratio, _ in scored), default=None)
    return sorted(choice for ratio, choice in scored if ratio == best)


def test_a_long_lists_did_you_mean_is_one_of_the_closest_of_all() -> None:
    """Of a list longer than lookalike.EXACT_UP_TO, a mistaken name is measured only against the
    names sharing most runs of letters with it: for a slip of one letter in one of 5,000 alike ids,
    what it names is still among the closest of all 5,000 by difflib (all of them, but for a few
    equally close), and never nothing where difflib finds one."""
    rng = random.Random(3)
    bases = ["redis", "tempo", "zipkin", "yarn", "github-actions", "terraform", "vs-code", "playwright"]
    ids = sorted({f"{rng.choice(bases)}-{rng.randrange(100_000):05d}" for _ in range(5_000)})
    assert len(ids) > lookalike.EXACT_UP_TO
    same = 0
    for _ in range(100):
        word = rng.choice(ids)
        at, letter = rng.randrange(len(word)), rng.choice("abcxyz019-")
        word = rng.choice(
            [word[:at] + word[at + 1 :], word[:at] + letter + word[at:], word[:at] + letter + word[at + 1 :]]
        )
        if word in ids:
            continue
        named, closest = lookalike.close_to(word, ids), _closest_by_difflib(word, ids)
        assert named and set(named) <= set(closest), (word, named, closest)
        same += named == closest
    assert same > 80
