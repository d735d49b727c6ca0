"""A rebuild equals a build from nothing, whatever sequence of edits came before it: a seeded
random walk over a git-tracked copy of the example site (its catalog, policy pages and
measurement snapshots) applies one edit a step (a page's text, saved in place or through a new
file, or one letter of it in the other case: the same size, often within the same second; a page
added, deleted, renamed or moved into a folder; front matter; an SLO objective; an offering or
tool added or removed, renamed, a tool marked unsupported; a layout; an image a page shows; a
measurement snapshot changed or added; a commit, an empty one, a version bumped and tagged) and
after each step compares the warm rebuild's output byte for byte with a build of the same
sources, copied to another folder, by a process that has built nothing, with no cache of any
kind. Some steps break the site (a heading renamed that another page links to, catalog.yaml made
invalid) and the next step mends it: the broken build fails as the cold one does, with the error
located as file:line:col, without a traceback, and leaves the output exactly as it was.

Walked through the command line (`servicebook build`, each build a process of its own), through
`serve`'s rebuild path (site/serve.Preview, told which files changed as its file watcher tells
it), and through both taking turns on the site's one store (a preview started and stopped, the
command line building in between). The walk's length follows the Hypothesis profile (a tenth in
`make quick`); the seed is printed on failure with every step taken, and a walk is replayed with
SERVICEBOOK_WALK_SEED=N; SERVICEBOOK_WALK_STEPS=N makes longer walks and
SERVICEBOOK_WALK_SEEDS=K walks K seeds (from the given one) in one run. Not walked: servicebook.lock
(a federated site's; tests/test_federation*.py)."""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servicebook.site.build import Options, build
from servicebook.site.serve import Preview

from .conftest import FIXED_EPOCH, REPO, GitSite, examples
from .sitefiles import tree

DEFAULT_SEED = 20261205
FULL_STEPS = 10  # `make test`; `make quick` walks a tenth (at least MIN_STEPS)
MIN_STEPS = 3
TRACEBACK = "Traceback (most recent call last)"
LOCATED = re.compile(r"^(?:\S+/)?(catalog\.yaml|content/[\w./-]+\.md):(\d+):(\d+): error: ", re.MULTILINE)


def png(width: int) -> bytes:
    """A grey PNG image `width` pixels wide and one high."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" + b"\x80" * width))
        + chunk(b"IEND", b"")
    )


def _lines(text: str, start: int) -> Iterator[tuple[int, str]]:
    """Each line of `text` from `start` on, with where it starts."""
    for line in text[start:].splitlines(keepends=True):
        yield start, line.rstrip("\n")
        start += len(line)


def differences(warm: dict[str, bytes], cold: dict[str, bytes]) -> str:
    only_warm = sorted(set(warm) - set(cold))
    only_cold = sorted(set(cold) - set(warm))
    changed = sorted(p for p in set(warm) & set(cold) if warm[p] != cold[p])
    return f"only in the rebuild: {only_warm[:8]}; only in the cold build: {only_cold[:8]}; differing: {changed[:8]}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    errors: str  # what the build printed on stderr (a failure's located problems)


@dataclass
class Step:
    what: str
    changed: list[Path]  # the files the edit touched, as serve's watcher reports them
    fails: str | None = None  # the located error the build must report: "content/x.md:94" or "catalog.yaml"
    commit: bool = False  # a commit: serve's watcher does not see it (no source file changed)


@dataclass
class Walk:
    """The example site under git and what the walk added to it (so that it removes only what
    it added, and every step but the breaking ones leaves a site that builds)."""

    site: GitSite
    rng: random.Random
    pages: list[str] = field(default_factory=list)  # slugs of the pages the walk added
    tools: dict[str, str] = field(default_factory=dict)  # id → status, of the tools it added
    offerings: list[str] = field(default_factory=list)
    counter: int = 0
    version: int = 0
    mend: Callable[[], Step] | None = None  # puts back what the last step broke
    image: Path | None = None  # the page that shows content/img/walk.png

    @property
    def root(self) -> Path:
        return self.site.root

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _edit(self, relative: str, old: str, new: str) -> Path:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))
        return path

    def _original_pages(self) -> list[Path]:
        return sorted(p for p in (self.root / "content").glob("*.md") if not p.stem.startswith("walk-"))

    # -- edits that leave a site that builds -------------------------------------------------

    def page_text(self) -> Step:
        page = self.rng.choice(sorted((self.root / "content").rglob("*.md")))
        paragraphs = page.read_text().split("\n\n")
        at = self.rng.randrange(2, len(paragraphs) + 1) if len(paragraphs) > 2 else len(paragraphs)
        paragraphs.insert(at, f"A sentence added by step {self._n()} of the walk.")
        if self.rng.random() < 0.5:
            page.write_text("\n\n".join(paragraphs))
        else:  # saved through a new file, as many editors save
            spare = page.with_name(page.name + ".swp")
            spare.write_text("\n\n".join(paragraphs))
            os.replace(spare, page)
        return Step(f"a paragraph added to {page.name}", [page])

    def page_title(self) -> Step:
        page = self.rng.choice(self._original_pages())
        self._edit(f"content/{page.name}", "title: ", f"title: Revised ({self._n()}) ")
        return Step(f"the title of {page.name} changed", [page])

    def front_matter(self) -> Step:
        page = self.rng.choice(self._original_pages())
        text = page.read_text()
        if "\nsummary: " in text:
            self._edit(f"content/{page.name}", "\nsummary: ", f"\nsummary: (revision {self._n()}) ")
        else:
            self._edit(f"content/{page.name}", "\ntitle: ", f"\nsummary: Added by the walk ({self._n()}).\ntitle: ")
        return Step(f"the summary in {page.name}'s front matter changed", [page])

    def page_added(self) -> Step:
        n = self._n()
        slug = f"walk-{n}"
        target = self.rng.choice(self._original_pages()).name
        body = (
            f"---\ntitle: Walk page {n}\nsummary: A page the walk added.\n---\n\n"
            f"## Section {n}\n\nSee [another policy]({target}) and [its rollback](change-approval.md#rollback).\n"
        )
        path = self.root / "content" / f"{slug}.md"
        path.write_text(body)
        self.pages.append(slug)
        return Step(f"{slug}.md added", [path])

    def page_deleted(self) -> Step:
        if not self.pages:
            return self.page_added()
        slug = self.pages.pop(self.rng.randrange(len(self.pages)))
        path = self.root / "content" / f"{slug}.md"
        path.unlink()
        return Step(f"{slug}.md deleted", [path])

    def page_renamed(self) -> Step:
        if not self.pages:
            return self.page_added()
        i = self.rng.randrange(len(self.pages))
        old = self.pages[i]
        new = old.rsplit("/", 1)[0] + f"/walk-{self._n()}" if "/" in old else f"walk-{self._n()}"  # in its folder
        source = self.root / "content" / f"{old}.md"
        target = self.root / "content" / f"{new}.md"
        source.rename(target)
        self.pages[i] = new
        return Step(f"{old}.md renamed {new}.md", [source, target])

    def slo_objective(self) -> Step:
        catalog = self.root / "catalog.yaml"
        text = catalog.read_text()
        spots = [m.start() for m in re.finditer(r"\n        objective: [\d.]+\n", text)]
        at = self.rng.choice(spots)
        line_end = text.index("\n", at + 1)
        new = self.rng.choice(["99", "99.5", "99.9", "99.95", "98.5"])
        catalog.write_text(text[:at] + f"\n        objective: {new}" + text[line_end:])
        return Step(f"an SLO objective in catalog.yaml set to {new}", [catalog])

    def tool_added(self) -> Step:
        n = self._n()
        tool = f"walk-tool-{n}"
        self._edit(
            "catalog.yaml",
            "\ntools:\n",
            f"\ntools:\n  - id: {tool}\n    name: Walk tool {n}\n    category: ci\n    status: supported\n"
            f"    reason: A tool the walk added.\n    since: 2026-01-01\n",
        )
        self.tools[tool] = "supported"
        return Step(f"tool {tool} added", [self.root / "catalog.yaml"])

    def tool_removed(self) -> Step:
        if not self.tools:
            return self.tool_added()
        tool = self.rng.choice(sorted(self.tools))
        catalog = self.root / "catalog.yaml"
        text = catalog.read_text()
        start = text.index(f"  - id: {tool}\n")
        end = text.index("\n  - id: ", start) + 1  # the next record (not an SLO's id, indented more)
        catalog.write_text(text[:start] + text[end:])
        del self.tools[tool]
        return Step(f"tool {tool} removed", [catalog])

    def tool_unsupported(self) -> Step:
        supported = sorted(t for t, status in self.tools.items() if status == "supported")
        if not supported:
            return self.tool_added()
        tool = self.rng.choice(supported)
        self._edit(
            "catalog.yaml",
            f"  - id: {tool}\n    name: Walk tool {tool.rsplit('-', 1)[1]}\n    category: ci\n    status: supported\n",
            f"  - id: {tool}\n    name: Walk tool {tool.rsplit('-', 1)[1]}\n    category: ci\n    status: unsupported\n"
            "    alternative: gitlab-ci\n",
        )
        self.tools[tool] = "unsupported"
        return Step(f"tool {tool} marked unsupported", [self.root / "catalog.yaml"])

    def offering_added(self) -> Step:
        n = self._n()
        offering = f"walk-offering-{n}"
        self._edit(
            "catalog.yaml",
            "\nofferings:\n",
            f"\nofferings:\n  - id: {offering}\n    name: Walk offering {n}\n"
            f"    summary: An offering the walk added.\n    owner: Delivery Tooling (Tobias Brunner)\n"
            f'    tier: "2"\n    lifecycle: ga\n    audience: [developers]\n'
            f"    request:\n      how: Ask in the help channel.\n"
            f"    slos:\n      - id: availability\n        name: Availability\n"
            f"        sli: Share of minutes it answers.\n        objective: 99.5\n        window: 30d\n"
            f"    policies: [change-approval]\n",
        )
        self.offerings.append(offering)
        return Step(f"offering {offering} added", [self.root / "catalog.yaml"])

    def offering_removed(self) -> Step:
        if not self.offerings:
            return self.offering_added()
        offering = self.offerings.pop(self.rng.randrange(len(self.offerings)))
        catalog = self.root / "catalog.yaml"
        text = catalog.read_text()
        start = text.index(f"  - id: {offering}\n")
        end = text.index("\n  - id: ", start) + 1  # the next record (not an SLO's id, indented more)
        catalog.write_text(text[:start] + text[end:])
        return Step(f"offering {offering} removed", [catalog])

    def layout(self) -> Step:
        path = self.root / "layouts" / "policy.html"
        if path.exists() and self.rng.random() < 0.3:
            path.unlink()
            return Step("layouts/policy.html removed", [path])
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            '{% extends "theme/policy.html" %}{% block content %}'
            f"<p>Layout revision {self._n()}</p>{{{{ super() }}}}{{% endblock %}}\n"
        )
        return Step("layouts/policy.html written", [path])

    def static_file(self) -> Step:
        """An image under content/ that a page shows (copied into the site): written, changed, or
        removed with the line that shows it."""
        path = self.root / "content" / "img" / "walk.png"
        shown = "\n![A diagram the walk drew](img/walk.png)\n"
        if self.image is not None and self.rng.random() < 0.3:
            page, self.image = self.image, None
            path.unlink()
            page.write_text(page.read_text().replace(shown, "", 1))
            return Step(f"content/img/walk.png removed, and the image from {page.name}", [path, page])
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png(self._n()))
        if self.image is None:
            self.image = self.rng.choice(self._original_pages())
            self.image.write_text(self.image.read_text() + shown)
            return Step(f"content/img/walk.png written and shown on {self.image.name}", [path, self.image])
        return Step("content/img/walk.png changed", [path])

    def measurement(self) -> Step:
        snapshots = sorted((self.root / "measurements").glob("*.json"))
        path = self.rng.choice(snapshots)
        text = path.read_text()
        good = re.search(r'"good": ([\d.]+),', text)
        assert good is not None
        new = float(good[1]) - self.rng.randrange(1, 20)
        path.write_text(text[: good.start(1)] + f"{new}" + text[good.end(1) :])
        return Step(f"the first SLO's good count in measurements/{path.name} set to {new}", [path])

    def committed(self) -> Step:
        if not self.site.git("status", "--porcelain"):
            self.site.clock += 3600
            self.site.git("commit", "-q", "--allow-empty", "-m", f"walk step {self._n()}")
            return Step("an empty commit", [], commit=True)
        self.site.commit(f"walk step {self._n()}")
        return Step("a commit", [], commit=True)

    def same_size_edit(self) -> Step:
        """One letter of a page's text in the other case: the file's size unchanged, saved within
        the same second as the build before it, often (a racy file, as git calls it)."""
        page = self.rng.choice(sorted((self.root / "content").rglob("*.md")))
        text = page.read_text()
        body = text.index("\n---\n", 4) + 5
        # in prose: not a heading (its anchor, which links name) nor a line with a link's target
        prose = [
            (start, start + len(line))
            for start, line in _lines(text, body)
            if not line.startswith(("#", "|", "<")) and "(" not in line and "`" not in line
        ]
        letters = [i for a, b in prose for i in range(a, b) if text[i].isascii() and text[i].isalpha()]
        if not letters:
            return self.page_text()
        at = self.rng.choice(letters)
        page.write_text(text[:at] + text[at].swapcase() + text[at + 1 :])
        return Step(f"one letter of {page.name} changed case (same size)", [page])

    def saved_unchanged(self) -> Step:
        """A page saved again as it was, through a new file (as many editors save): a new inode and
        time, the same bytes."""
        page = self.rng.choice(sorted((self.root / "content").rglob("*.md")))
        spare = page.with_name(page.name + ".swp")
        spare.write_bytes(page.read_bytes())
        os.replace(spare, page)
        return Step(f"{page.name} saved again unchanged", [page])

    def page_offerings(self) -> Step:
        """An offering added to or removed from an original page's front matter (the offering's page
        lists the policies that apply to it)."""
        page = self.rng.choice(self._original_pages())
        text = page.read_text()
        extra = "  - observability\n"
        if "\nofferings:\n" + extra in text:
            page.write_text(text.replace("\nofferings:\n" + extra, "\nofferings:\n", 1))
            return Step(f"observability taken off {page.name}'s offerings", [page])
        if "\nofferings:\n" in text and "  - observability\n" not in text:
            page.write_text(text.replace("\nofferings:\n", "\nofferings:\n" + extra, 1))
            return Step(f"observability added to {page.name}'s offerings", [page])
        return self.page_title()

    def offering_renamed(self) -> Step:
        """An original offering's name, which other pages show."""
        self.renamed = not getattr(self, "renamed", False)
        old, new = (
            ("name: CI/CD pipelines", "name: Pipelines")
            if self.renamed
            else ("name: Pipelines", "name: CI/CD pipelines")
        )
        return Step(f"offering ci-pipelines renamed ({new})", [self._edit("catalog.yaml", old, new)])

    def heading_added(self) -> Step:
        page = self.rng.choice(sorted((self.root / "content").rglob("*.md")))
        n = self._n()
        page.write_text(page.read_text() + f"\n## Added heading {n}\n\nText under it.\n")
        return Step(f"a heading added to {page.name}", [page])

    def page_moved(self) -> Step:
        """A page the walk added moved into a folder of content/, or out of it (its address changes)."""
        if not self.pages:
            return self.page_added()
        i = self.rng.randrange(len(self.pages))
        old = self.pages[i]
        new = old.split("/")[-1] if "/" in old else f"guides/{old}"
        source, target = self.root / "content" / f"{old}.md", self.root / "content" / f"{new}.md"
        target.parent.mkdir(exist_ok=True)
        source.rename(target)
        text = target.read_text()  # its links, relative to where it is
        text = text.replace("](../", "](") if "/" in old else text.replace("](", "](../")
        # and its old address sending readers on (the page it had before that one no longer does)
        text = re.sub(r"(?m)^renamed_from: .*\n", "", text).replace("---\n", f"---\nrenamed_from: [{old}]\n", 1)
        target.write_text(text)
        self.pages[i] = new
        return Step(f"{old}.md moved to {new}.md, its old address kept", [source, target])

    def snapshot_added(self) -> Step:
        """A new measurement snapshot, a week after the newest (as `servicebook measure` writes)."""
        snapshots = sorted((self.root / "measurements").glob("*.json"))
        newest = snapshots[-1]
        n = self._n()
        name = f"2026-12-{9 + n % 20:02d}T00-00-00Z.json"
        path = newest.with_name(name)
        if path.exists():
            return self.measurement()
        text = newest.read_text()
        path.write_text(text.replace(f'"end": "{newest.stem[:10]}', f'"end": "{name[:10]}', 1))
        return Step(f"measurements/{name} added", [path])

    def offering_layout(self) -> Step:
        path = self.root / "layouts" / "offering.html"
        if path.exists():
            path.unlink()
            return Step("layouts/offering.html removed", [path])
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            '{% extends "theme/offering.html" %}{% block content %}{{ super() }}<p>Ask us.</p>{% endblock %}\n'
        )
        return Step("layouts/offering.html written", [path])

    def version_tagged(self) -> Step:
        self.version += 1
        catalog = self.root / "catalog.yaml"
        text = catalog.read_text()
        current = re.search(r'^version: "([^"]+)"$', text, re.MULTILINE)
        assert current is not None
        version = f"2027.{self.version}"
        catalog.write_text(text[: current.start(1)] + version + text[current.end(1) :])
        self.site.commit(f"release {version}")
        self.site.tag(f"v{version}")
        return Step(f"version {version} committed and tagged", [catalog], commit=True)

    def nothing(self) -> Step:
        return Step("nothing", [])

    # -- edits that break the site, each mended by the step after it -------------------------

    def heading_renamed(self) -> Step:
        if "\n## Rollback\n" not in (self.root / "content" / "change-approval.md").read_text():
            return self.page_text()
        page = self._edit("content/change-approval.md", "\n## Rollback\n", "\n## Rolling back\n")
        line = next(
            i
            for i, text in enumerate((self.root / "content" / "backups-and-restore.md").read_text().splitlines(), 1)
            if "change-approval.md#rollback" in text
        )

        def mend() -> Step:
            self._edit("content/change-approval.md", "\n## Rolling back\n", "\n## Rollback\n")
            return Step("the heading named Rollback again", [page])

        self.mend = mend
        return Step(
            "the heading Rollback, which backups-and-restore.md links to, renamed",
            [page],
            fails=f"content/backups-and-restore.md:{line}",
        )

    def catalog_broken(self) -> Step:
        catalog = self.root / "catalog.yaml"
        good = catalog.read_text()
        objective = re.search(r"\n        objective: [\d.]+\n", good)
        assert objective is not None
        how, bad = self.rng.choice(
            [
                ("bad YAML", good.replace("\nteam:\n", "\nteam: [\n", 1)),
                ("a duplicate key", good.replace("\nformat: 1\n", "\nformat: 1\nformat: 1\n", 1)),
                ("a wrong type", good.replace("\n    lifecycle: ga\n", "\n    lifecycle: [ga]\n", 1)),
                ("an SLO objective of 101", good[: objective.start()] + "\n        objective: 101\n" + good[objective.end() :]),
            ]
        )  # fmt: skip
        assert bad != good, how
        catalog.write_text(bad)

        def mend() -> Step:
            catalog.write_text(good)
            return Step("catalog.yaml put back", [catalog])

        self.mend = mend
        return Step(f"catalog.yaml given {how}", [catalog], fails="catalog.yaml")

    def next_step(self) -> Step:
        """The mend of the last step if it broke the site, else an edit drawn by weight."""
        if self.mend is not None:
            mend, self.mend = self.mend, None
            return mend()
        name = self.rng.choices([name for name, _ in EDITS], [weight for _, weight in EDITS])[0]
        step: Step = getattr(self, name)()
        return step


# Each edit's weight in the walk.
EDITS: list[tuple[str, int]] = [
    ("page_text", 4),
    ("page_title", 2),
    ("front_matter", 2),
    ("page_added", 3),
    ("page_deleted", 2),
    ("page_renamed", 2),
    ("slo_objective", 2),
    ("tool_added", 2),
    ("tool_removed", 1),
    ("tool_unsupported", 1),
    ("offering_added", 2),
    ("offering_removed", 1),
    ("layout", 2),
    ("static_file", 2),
    ("measurement", 2),
    ("committed", 2),
    ("version_tagged", 1),
    ("nothing", 1),
    ("same_size_edit", 3),
    ("saved_unchanged", 1),
    ("page_offerings", 2),
    ("offering_renamed", 1),
    ("heading_added", 2),
    ("page_moved", 1),
    ("snapshot_added", 1),
    ("offering_layout", 1),
    ("heading_renamed", 1),
    ("catalog_broken", 2),
]


# -- the walk, built warm and cold ------------------------------------------------------------


def example_under_git(root: Path) -> GitSite:
    """The example site (catalog, policy pages, measurement snapshots), committed once."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "catalog.yaml", root)
    for folder in ("content", "measurements", "layouts"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    (root / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    site = GitSite(root)
    site.commit("the example catalog")
    return site


def seeds() -> list[int]:
    first = int(os.environ.get("SERVICEBOOK_WALK_SEED", DEFAULT_SEED))
    return [first + i for i in range(int(os.environ.get("SERVICEBOOK_WALK_SEEDS", "1")))]


def step_count() -> int:
    return int(os.environ.get("SERVICEBOOK_WALK_STEPS", "0")) or max(MIN_STEPS, examples(FULL_STEPS))


class Cold:
    """Builds a copy of the sources from nothing: another folder, no public/, no store, an empty
    user cache (compiled templates), in a process that has built nothing before."""

    def __init__(self, command: Path, work: Path) -> None:
        self.command, self.work, self.count = command, work, 0
        self.last: tuple[object, tuple[Outcome, dict[str, bytes]]] | None = None

    def build(self, source: Path, step: object = None) -> tuple[Outcome, dict[str, bytes]]:
        """The cold build of `source` as it is; built once for a `step` (not None) judged twice."""
        if step is not None and self.last is not None and self.last[0] == step:
            return self.last[1]
        self.count += 1
        copy = self.work / "cold" / "site"
        if copy.parent.exists():
            shutil.rmtree(copy.parent)

        def left_out(folder: str, names: list[str]) -> list[str]:
            if Path(folder) != source:
                return []
            return [n for n in names if n in ("public", ".servicebook-cache") or n.startswith(".servicebook-trash")]

        shutil.copytree(source, copy, ignore=left_out, symlinks=True)
        user_cache = self.work / "cold" / "user-cache"
        outcome = run_cli(self.command, copy, {"XDG_CACHE_HOME": str(user_cache)})
        built = outcome, tree(copy / "public") if outcome.ok else {}
        self.last = (step, built)
        return built


def run_cli(command: Path, source: Path, env: dict[str, str] | None = None) -> Outcome:
    """`servicebook build` as an author runs it, in the site's folder (so problems are named from
    there, the same in the walked site and its cold copy)."""
    done = subprocess.run(
        [str(command), "build", "--source", "."],
        cwd=source,
        env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "LANG": "C.UTF-8", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), f"exit {done.returncode}:\n{done.stderr}"
    return Outcome(done.returncode == 0, done.stderr)


def judge(
    step: Step, outcome: Outcome, output: Path, before: dict[str, bytes], cold: Cold, source: Path, n: object = None
) -> None:
    """The rebuild after `step` did what a build from nothing does: the same site, or the same
    failure (located, no traceback, the output as it was before the step). `n`: the step's
    number, when two builds of it are judged (the cold build made once)."""
    assert TRACEBACK not in outcome.errors, outcome.errors
    expected, cold_site = cold.build(source, n)
    assert outcome.ok == expected.ok, (
        f"rebuild ok: {outcome.ok}, cold build ok: {expected.ok}\n{outcome.errors}\n{expected.errors}"
    )
    if step.fails is None:
        assert outcome.ok, f"the walk's edit broke the site (a bug of the walk, or of servicebook):\n{outcome.errors}"
    else:
        assert not outcome.ok, "the build should have failed"
        found = {f"{m[1]}:{m[2]}" for m in LOCATED.finditer(outcome.errors)} | {
            m[1] for m in LOCATED.finditer(outcome.errors)
        }
        assert step.fails in found, f"no error located at {step.fails}:LINE:COL in:\n{outcome.errors}"
    if outcome.ok:
        site = tree(output)
        assert site == cold_site, differences(site, cold_site)
    else:
        assert tree(output) == before, "a failed build changed the output"


def replayed(seed: int, taken: list[str], mode: str) -> str:
    listed = "\n".join(f"  {i}. {what}" for i, what in enumerate(taken))
    return (
        f"{mode} walk, seed {seed} (replay: SERVICEBOOK_WALK_SEED={seed} SERVICEBOOK_WALK_STEPS={len(taken) - 1}"
        f" pytest tests/test_rebuild_walk.py), steps taken:\n{listed}"
    )


@pytest.mark.git
@pytest.mark.parametrize("seed", seeds())
def test_each_command_line_rebuild_in_a_random_walk_of_edits_equals_a_build_from_nothing(
    seed: int, tmp_path: Path, servicebook_bin: Path
) -> None:
    walk = Walk(example_under_git(tmp_path / "site"), random.Random(seed))
    command = servicebook_bin / "servicebook"
    cold = Cold(command, tmp_path)
    output = walk.root / "public"
    taken = ["the first build"]
    try:
        judge(Step("the first build", []), run_cli(command, walk.root), output, {}, cold, walk.root)
        for _ in range(step_count()):
            before = tree(output) if output.exists() else {}
            step = walk.next_step()
            taken.append(step.what)
            judge(step, run_cli(command, walk.root), output, before, cold, walk.root)
    except AssertionError as failed:
        raise AssertionError(f"{failed}\n{replayed(seed, taken, 'command-line')}") from failed


@pytest.mark.git
@pytest.mark.parametrize("seed", seeds())
def test_each_serve_rebuild_in_a_random_walk_of_edits_equals_a_build_from_nothing(
    seed: int, tmp_path: Path, servicebook_bin: Path
) -> None:
    walk = Walk(example_under_git(tmp_path / "site"), random.Random(seed + 1))
    cold = Cold(servicebook_bin / "servicebook", tmp_path)
    printed: list[str] = []
    preview = Preview(walk.root, {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}, printed.append, printed.append)

    def rebuild(changed: list[Path]) -> Outcome:
        printed.clear()
        ok = preview.rebuild(changed)
        if ok and walk.rng.random() < 0.3:
            preview.verify()  # a quiet round of the watcher: nothing was missed, nothing changes
        return Outcome(ok, "\n".join(printed))

    taken = ["the first build"]
    try:
        judge(Step("the first build", []), rebuild([]), preview.output, {}, cold, walk.root)
        for _ in range(step_count()):
            before = tree(preview.output)
            step = walk.next_step()
            taken.append(step.what)
            if step.commit and not step.changed:
                continue  # the watcher sees no source change: serve builds nothing
            judge(step, rebuild(step.changed), preview.output, before, cold, walk.root)
    except AssertionError as failed:
        raise AssertionError(f"{failed}\n{replayed(seed, taken, 'serve')}") from failed
    finally:
        preview.close()


@pytest.mark.git
@pytest.mark.parametrize("seed", seeds())
def test_rebuilds_of_serve_and_the_command_line_taking_turns_on_one_store_each_equal_a_build_from_nothing(
    seed: int, tmp_path: Path, servicebook_bin: Path
) -> None:
    """An author previews with `serve` and builds with `servicebook build` in between, both using
    the site's one store (.servicebook-cache/): whichever builds, its output is the cold build's."""
    walk = Walk(example_under_git(tmp_path / "site"), random.Random(seed + 2))
    command = servicebook_bin / "servicebook"
    cold = Cold(command, tmp_path)
    printed: list[str] = []
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    preview: Preview | None = None
    public = walk.root / "public"
    taken = ["the first build (command line)"]
    try:
        judge(Step("the first build", []), run_cli(command, walk.root), public, {}, cold, walk.root)
        for n in range(step_count()):
            if preview is not None and walk.rng.random() < 0.2:
                preview.close()  # the preview stopped: the next one starts from the store
                preview = None
                taken.append("serve stopped")
            elif preview is None and walk.rng.random() < 0.4:
                preview = Preview(walk.root, env, printed.append, printed.append)
                printed.clear()
                taken.append("serve started")
                if not preview.rebuild() and not walk.mend:
                    raise AssertionError("\n".join(printed))
            by_cli = preview is None or walk.rng.random() < 0.5
            served_before = tree(preview.output) if preview is not None else {}
            public_before = tree(public) if public.exists() else {}
            step = walk.next_step()
            taken.append(f"{step.what} ({'serve' if preview else 'no serve'}{', a build' if by_cli else ''})")
            if preview is not None and step.changed:  # its watcher saw the change
                printed.clear()
                outcome = Outcome(preview.rebuild(step.changed), "\n".join(printed))
                judge(step, outcome, preview.output, served_before, cold, walk.root, n)
            if by_cli:
                judge(step, run_cli(command, walk.root), public, public_before, cold, walk.root, n)
    except AssertionError as failed:
        raise AssertionError(f"{failed}\n{replayed(seed, taken, 'serve and command-line')}") from failed
    finally:
        if preview is not None:
            preview.close()


# -- a catalog made invalid after a good build, with the cache warm --------------------------

# each a catalog.yaml that was good made invalid, as an author's edit might
BREAKAGES: dict[str, Callable[[str], str]] = {
    "bad YAML": lambda good: good.replace("\nteam:\n", "\nteam: [\n", 1),
    "a duplicate key": lambda good: good.replace("\nformat: 1\n", "\nformat: 1\nformat: 1\n", 1),
    "a wrong type": lambda good: good.replace('\n    tier: "1"\n', "\n    tier: {a: 1}\n", 1),
    "a list for a lifecycle": lambda good: good.replace("\n    lifecycle: ga\n", "\n    lifecycle: [ga]\n", 1),
    "an SLO objective of 101": lambda good: re.sub(
        r"\n        objective: [\d.]+\n", "\n        objective: 101\n", good, count=1
    ),
    "a tab in the indentation": lambda good: good.replace("\n    lifecycle: ga\n", "\n\tlifecycle: ga\n", 1),
    "bytes that are not UTF-8": lambda good: good.replace("Acme Bank", "Acme \udcff Bank", 1),
    "nothing at all": lambda good: "",
}


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


# `make quick` runs two of them (one each way); `make test` every one
QUICK_BREAKAGES = {("command line", "bad YAML"), ("serve", "a list for a lifecycle")}


@pytest.mark.parametrize(
    ("mode", "how"),
    [
        pytest.param(mode, how, marks=() if (mode, how) in QUICK_BREAKAGES else pytest.mark.slow)
        for mode in ("command line", "serve")
        for how in sorted(BREAKAGES)
    ],
)
def test_a_catalog_made_invalid_after_a_good_build_is_located_and_leaves_the_site_and_cache_usable(
    how: str, mode: str, tmp_path: Path, servicebook_bin: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "catalog.yaml", site)
    shutil.copytree(REPO / "content", site / "content")
    command = servicebook_bin / "servicebook"
    cold = Cold(command, tmp_path)
    catalog = site / "catalog.yaml"
    good = catalog.read_text()
    printed: list[str] = []
    preview = Preview(site, {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}, printed.append, printed.append)
    try:

        def rebuild(changed: list[Path]) -> Outcome:
            if mode == "serve":
                printed.clear()
                return Outcome(preview.rebuild(changed), "\n".join(printed))
            return run_cli(command, site)

        output = preview.output if mode == "serve" else site / "public"
        judge(Step("the first build", []), rebuild([]), output, {}, cold, site)
        before = tree(output)
        bad = BREAKAGES[how](good)
        assert bad != good
        _write(catalog, bad)
        failed = rebuild([catalog])
        judge(Step(f"catalog.yaml given {how}", [catalog], fails="catalog.yaml"), failed, output, before, cold, site)
        assert "internal error" not in failed.errors
        again = rebuild([catalog])  # the same failure again, from what the failed build left
        assert not again.ok and TRACEBACK not in again.errors and tree(output) == before
        catalog.write_text(good)
        page = site / "content" / "change-approval.md"
        page.write_text(page.read_text() + "\nA sentence added once the catalog was mended.\n")
        judge(
            Step("catalog.yaml mended, a page edited", [catalog, page]),
            rebuild([catalog, page]),
            output,
            before,
            cold,
            site,
        )
        if mode == "command line":  # the store was not thrown away: the next build keeps the pages it can
            report = build(Options(source=site, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
            assert report.work is not None and report.work.unchanged
            page.write_text(page.read_text() + "\nAnd one more.\n")
            report = build(Options(source=site, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
            assert report.work is not None and report.work.kept.get("offerings") and report.work.kept.get("tools")
            assert tree(output) == cold.build(site)[1]
    finally:
        preview.close()
