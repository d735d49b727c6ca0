"""Long work shows progress on a terminal and nothing anywhere else; every build ends with a report
of what it rendered again, what it kept, its warnings and the time of each phase (issue 22).

A command whose stderr is a terminal runs as a process of its own with its stderr on a
pseudo-terminal (os.openpty), forked from one that imported servicebook already (the `tty`
fixture: tests/cliserver.py); the same command without one runs in this process (click's runner: stderr is not a
terminal there, as in a pipe or a CI log), and both outputs are compared. No assertion is about how
long anything took: times are matched as numbers, never compared with a limit."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from servicebook.cli import main
from servicebook.commands.progress import ERASE, SHOW_CURSOR, build_report, why_lines
from servicebook.progress import Phase, Phases
from servicebook.site.fresh import Report, Work

from .conftest import FIXED_EPOCH

SECONDS = re.compile(r" *\d+\.\d\d")  # a time, with the spaces that align it


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str  # as the terminal or the pipe received it


@pytest.fixture
def tty(servicebook_bin: Path) -> Path:
    """The `servicebook` command that runs each command in a process of its own (tests/cliserver.py)."""
    return servicebook_bin / "servicebook"


def on_terminal(client: Path, *args: str | Path) -> Ran:
    """Run `servicebook ARGS` (`client`: the `tty` fixture) in a process of its own with its stderr
    on a pseudo-terminal; stdout goes to a file (never a terminal, as in `servicebook build > log`)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "COLUMNS": "100"}
    command = [str(client), *(str(a) for a in args)]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        leader, follower = os.openpty()
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=follower, env=env)
        finally:
            os.close(follower)
        received = bytearray()
        try:
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: every process holding the terminal has closed it
                    break
                if not chunk:
                    break
                received += chunk
        finally:
            os.close(leader)
        code = process.wait(timeout=300)
        out.seek(0)
        return Ran(code, out.read(), received.decode())


def piped(*args: str | Path) -> Ran:
    """Run `servicebook ARGS` without a terminal, in this process: stdout and stderr each captured
    apart, neither a terminal (what a pipe, a file or a CI log gets)."""
    result = CliRunner().invoke(
        main, [str(a) for a in args], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH, "COLUMNS": "100"}, catch_exceptions=False
    )
    return Ran(result.exit_code, result.stdout, result.stderr)


def servicebook(*args: str | Path, terminal: Path | None) -> Ran:
    """`servicebook ARGS` with its stderr on a terminal (`terminal`: the `tty` fixture; a process of
    its own) or not (None: in process)."""
    return on_terminal(terminal, *args) if terminal is not None else piped(*args)


BAR = re.compile(r"\r\x1b\[\?25l(\S[^\[]*?) +\[[#-]+\] +(\d+/\d+)")


def phases_drawn(terminal_text: str) -> list[str]:
    """The lines drawn on the terminal, each up to the sequence that erased it; a bar as its
    label, its first and its last count."""
    drawn = []
    for part in terminal_text.replace(SHOW_CURSOR, "").split(ERASE):
        bars = BAR.findall(part)
        drawn.append(f"{bars[0][0]} [bar] {bars[0][1]} … {bars[-1][1]}" if bars else part)
    return drawn


def without_progress(terminal_text: str) -> str:
    """What a terminal shows once the progress lines were erased: what remains of its text."""
    text = terminal_text.replace("\r\n", "\n")  # the terminal's line discipline adds the \r
    text = text.replace(SHOW_CURSOR, "")
    return re.sub(r"[^\n]*?" + re.escape(ERASE), "", text)


def test_a_build_on_a_terminal_names_each_phase_as_it_runs_and_leaves_only_the_report(site_copy, tty) -> None:
    site = site_copy("minimal")
    drawn = servicebook("build", "--source", site, terminal=tty)
    assert drawn.code == 0, drawn.stderr
    # each phase is drawn on one line, over the last, and erased when it ends; one that counts
    # its items (the pages to render, once the build knows which) is a bar
    assert phases_drawn(drawn.stderr) == [
        "looking for changes…",
        "loading the pipeline…",
        "reading and checking…",
        "reading and checking [bar] 0/1 … 1/1",  # the policy pages read (not taken from the store)
        "history…",
        "rendering…",
        "rendering [bar] 0/24 … 24/24",
        "checking links…",
        "writing…",
        "",
    ]
    assert without_progress(drawn.stderr) == ""
    # stdout is the same report as without a terminal
    # (an edit and its undoing: the same files change, the search index's included)
    original = (site / "content" / "welcome.md").read_text()
    (site / "content" / "welcome.md").write_text(original + "\nMore.\n")
    again_drawn = servicebook("build", "--source", site, terminal=tty)
    (site / "content" / "welcome.md").write_text(original)
    again_piped = servicebook("build", "--source", site, terminal=None)
    assert (again_piped.code, again_piped.stderr) == (0, "")  # nothing drawn into a pipe or a CI log
    assert SECONDS.sub(" S", again_drawn.stdout) == SECONDS.sub(" S", again_piped.stdout)


def test_the_report_counts_files_rendered_again_and_kept_per_kind_and_times_each_phase(site_copy) -> None:
    site = site_copy("minimal")
    first = servicebook("build", "--source", site, terminal=None)
    assert first.code == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == f"Built 15 pages (31 files) into {site / 'public'}"
    assert lines[1:8] == [
        "  files                 rendered    kept",
        "  offerings                    1       0",
        "  tools                        2       0",
        "  policy pages                 1       0",
        "  other pages                 11       0",
        "  data files                   9       0",
        "  warnings                     0",
    ]
    assert [SECONDS.sub(" S", line) for line in lines[8:]] == [
        "  phase                  seconds",
        "  looking for changes S",
        "  loading the pipeline S",
        "  reading and checking S",
        "  history S",
        "  rendering S",
        "  checking links S",
        "  writing S",
        "  total S",
    ]
    times = [float(line.split()[-1]) for line in lines[9:-1]]
    # the total adds the phases up (each rounded to a hundredth)
    assert float(lines[-1].split()[-1]) == pytest.approx(sum(times), abs=0.005 * len(times))

    # a page's text changed: that page is rendered again, and what lists or indexes it
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + "\nOne more paragraph.\n")
    edited = servicebook("build", "--source", site, terminal=None).stdout.splitlines()
    assert edited[1:7] == [
        "  files                 rendered    kept",
        "  offerings                    0       1",
        "  tools                        0       2",
        "  policy pages                 1       0",
        "  other pages                  0      11",
        "  data files                   7       2",
    ]
    # nothing changed: nothing to do, said in one line
    same = servicebook("build", "--source", site, terminal=None).stdout.splitlines()
    assert len(same) == 2 and re.fullmatch(
        r"Nothing changed since the last build: every file kept \( S s\)\.", SECONDS.sub(" S", same[1])
    )


def test_verbose_names_every_page_rendered_again_and_the_input_that_changed(site_copy) -> None:
    site = site_copy("minimal")
    first = servicebook("build", "--verbose", "--source", site, terminal=None)
    assert first.stdout.splitlines()[-1] == (
        "Rendered again: all 24 files (no earlier build into this output by this servicebook to keep files from)."
    )
    # without a terminal, --verbose says each phase as it starts (a CI log shows where a build is)
    assert first.stderr.splitlines() == [
        "looking for changes…",
        "loading the pipeline…",
        "reading and checking…",
        "history…",
        "rendering…",
        "checking links…",
        "writing…",
    ]
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + "\nOne more paragraph.\n")
    edited = servicebook("build", "-v", "--source", site, terminal=None).stdout.splitlines()
    why = edited[edited.index("Rendered again (8):") + 1 :]
    assert why[0] == "  policies/welcome/index.html: changed: content/welcome.md (its source)"
    # the data files its text goes into (catalog.json, the search index)
    assert {line.rsplit(": ", 1)[1] for line in why[1:]} == {"content/welcome.md"}
    assert why[1] == "  catalog.json: changed: content/welcome.md"

    # a new page is new, and the lists show it; a page that shows nothing of what changed (a
    # comment in the catalog, another page) is kept
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text() + "# reviewed\n")
    (site / "content" / "new.md").write_text("---\ntitle: New\n---\n\nHello.\n")
    both = servicebook("build", "-v", "--source", site, terminal=None).stdout.splitlines()
    why = _reasons(both)
    assert why["policies/new/index.html"] == "a new page"
    assert why["policies/index.html"] == "changed: catalog.yaml, content/new.md"
    assert "offerings/ci/index.html" not in why and "policies/welcome/index.html" not in why

    # an SLO changed: its offering's page is rendered again, and says which input changed
    catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 99.7"))
    why = _reasons(servicebook("build", "-v", "--source", site, terminal=None).stdout.splitlines())
    assert why["offerings/ci/index.html"] == "changed: catalog.yaml"
    assert "policies/welcome/index.html" not in why

    # a page of the output edited by hand is rendered again, and said so
    (site / "public" / "tools" / "index.html").write_text("edited by hand")
    fixed = servicebook("build", "-v", "--source", site, terminal=None).stdout.splitlines()
    assert fixed[-2:] == [
        "Rendered again (1):",
        "  tools/index.html: its file in the output was changed or removed since the last build",
    ]


def _reasons(lines: list[str]) -> dict[str, str]:
    """The "Rendered again (N):" list of a --verbose report: file → why."""
    start = next(i for i, line in enumerate(lines) if line.startswith("Rendered again ("))
    return dict(line.strip().split(": ", 1) for line in lines[start + 1 :])


def test_quiet_prints_nothing_but_errors(site_copy, tty) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    for terminal in (tty, None):
        quiet = servicebook("build", "--quiet", "--source", site, terminal=terminal)
        assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")  # the warning too: errors only
    catalog.write_text(catalog.read_text().replace("#platform", "").replace("objective: 99.5", "objective: 199.5"))
    failed = servicebook("build", "-q", "--source", site, terminal=None)
    normal = servicebook("build", "--source", site, terminal=None)
    assert failed.code == normal.code == 1
    assert failed.stdout == "" and "error: 'objective' must be a percentage" in failed.stderr
    assert failed.stderr == normal.stderr  # a failure reads the same


def test_a_failed_build_reads_the_same_on_a_terminal_once_its_progress_is_erased(site_copy, tty) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
    drawn = servicebook("build", "--source", site, terminal=tty)
    piped = servicebook("build", "--source", site, terminal=None)
    assert drawn.code == piped.code == 1
    assert "reading and checking…" + ERASE in drawn.stderr  # the phase it failed in was erased first
    assert without_progress(drawn.stderr) == piped.stderr
    assert piped.stderr.splitlines()[-1] == "build failed: 1 error; nothing was written."


def _releases(git_site) -> None:
    """Two more releases, 1.0 and 2.0, after the first commit's 0.1."""
    for version in ("1.0", "2.0"):
        text = git_site.catalog.read_text()
        git_site.catalog.write_text(re.sub(r'version: "[^"]*"', f'version: "{version}"', text, count=1))
        git_site.commit(f"release {version}")
        git_site.tag(f"v{version}")


@pytest.mark.git
def test_a_build_on_a_terminal_draws_a_bar_over_the_releases(git_site, tty) -> None:
    _releases(git_site)
    drawn = servicebook("build", "--source", git_site.root, terminal=tty)
    assert drawn.code == 0, drawn.stderr
    # three releases: the first commit's version 0.1, then 1.0 and 2.0
    assert re.search(r"releases +\[-+\] +0/3", drawn.stderr)
    assert re.search(r"releases +\[#+\] +3/3", drawn.stderr)
    # and one over the commits of the history, once it knows how many (one per release here)
    assert re.search(r"history +\[-+\] +0/3", drawn.stderr) and re.search(r"history +\[#+\] +3/3", drawn.stderr)
    assert SHOW_CURSOR in drawn.stderr  # click's bar hides the cursor: it is shown again
    assert without_progress(drawn.stderr) == ""
    assert "  releases                     3       0" in drawn.stdout.splitlines()
    # the next build takes both from the release cache
    (git_site.root / "content" / "welcome.md").write_text("---\ntitle: Welcome\n---\n\nChanged.\n")
    again = servicebook("build", "--source", git_site.root, terminal=None)
    assert "  releases                     0       3" in again.stdout.splitlines()


@pytest.mark.git
def test_verify_on_a_terminal_shows_its_phases_and_prints_the_same_verdict(git_site, tty) -> None:
    _releases(git_site)
    assert servicebook("build", "--quiet", "--source", git_site.root, terminal=None).code == 0
    drawn = servicebook("verify", "--source", git_site.root, terminal=tty)
    piped = servicebook("verify", "--source", git_site.root, terminal=None)
    assert drawn.code == piped.code == 0, drawn.stdout + drawn.stderr
    head = git_site.git("rev-parse", "HEAD")[:12]
    phases = drawn.stderr.replace(SHOW_CURSOR, "").split(ERASE)  # a bar shows the cursor again as it ends
    assert phases[0] == f"checking out {head}…"
    assert "rendering…" in phases and phases[-2:] == ["comparing…", ""]
    assert without_progress(drawn.stderr) == piped.stderr == ""
    assert drawn.stdout == piped.stdout
    assert piped.stdout.startswith("Verified the current catalog and 3 release(s)")
    # one release alone: a bar over the releases it rebuilds
    one = servicebook("verify", "--version", "1.0", "--source", git_site.root, terminal=tty)
    assert one.code == 0, one.stdout + one.stderr
    assert re.search(r"releases +\[#+\] +1/1", one.stderr)
    assert without_progress(one.stderr) == ""


def test_export_on_a_terminal_shows_the_pages_it_reads_and_writes_the_same_stream(site_copy, tty) -> None:
    site = site_copy("minimal")
    drawn = servicebook("export", "openslo", "--source", site, terminal=tty)
    piped = servicebook("export", "openslo", "--source", site, terminal=None)
    assert drawn.code == piped.code == 0
    assert drawn.stdout == piped.stdout and "kind: SLO" in piped.stdout
    assert phases_drawn(drawn.stderr)[:2] == ["reading and checking…", "reading and checking [bar] 0/1 … 1/1"]
    assert without_progress(drawn.stderr) == piped.stderr  # the note about unmeasured SLOs, as in a pipe


# -- the parts, on their own ------------------------------------------------------------------


class Recorded:
    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def started(self, name: str, total: int | None) -> None:
        self.events.append(("started", name, total))

    def expected(self, name: str, total: int) -> None:
        self.events.append(("expected", name, total))

    def advanced(self, done: int, total: int | None) -> None:
        self.events.append(("advanced", done, total))

    def finished(self, phase: Phase) -> None:
        self.events.append(("finished", phase))


def test_phases_are_laps_each_ending_the_last_and_timed_by_name() -> None:
    ticks = iter([0.0, 1.0, 1.5, 4.0, 4.0, 4.25, 6.0])
    listener = Recorded()
    phases = Phases(listener, clock=lambda: next(ticks))
    phases.enter("reading")  # at 0.0
    phases.enter("releases", total=2)  # reading ends at 1.0; releases start at 1.5
    phases.advance()
    phases.advance()
    phases.enter("reading")  # releases end at 4.0; reading again from 4.0
    phases.end()  # at 4.25
    phases.end()  # nothing under way: nothing happens (the clock is not even read)
    assert phases.timings() == (Phase("reading", 1.25), Phase("releases", 2.5, 2))
    assert listener.events == [
        ("started", "reading", None),
        ("finished", Phase("reading", 1.0)),
        ("started", "releases", 2),
        ("advanced", 1, 2),
        ("advanced", 2, 2),
        ("finished", Phase("releases", 2.5, 2)),
        ("started", "reading", None),
        ("finished", Phase("reading", 0.25)),
    ]


def test_a_phase_learns_its_count_once_under_way_and_counts_nothing_when_none_is() -> None:
    listener = Recorded()
    phases = Phases(listener, clock=lambda: 0.0)
    phases.advance()  # nothing under way: nothing counted
    phases.expect(3)
    phases.enter("rendering")
    phases.expect(2)  # the pages to render, known once the kept ones are
    phases.advance(2)
    phases.end()
    assert listener.events == [
        ("started", "rendering", None),
        ("expected", "rendering", 2),
        ("advanced", 2, 2),
        ("finished", Phase("rendering", 0.0, 2)),
    ]


def test_the_report_lists_releases_only_when_there_are_some_and_groups_a_reason_every_file_shares() -> None:
    work = Work(
        rendered={"offerings": 2, "policy pages": 1},
        kept={"tools": 3},
        releases_built=1,
        releases_kept=4,
        why=(("a/index.html", "a new page"),),
    )
    report = Report(warnings=(), files=9, pages=6, work=work, phases=(Phase("rendering", 1.5), Phase("writing", 0.25)))
    assert build_report(report, verbose=True) == [
        "  files         rendered    kept",
        "  offerings            2       0",
        "  tools                0       3",
        "  policy pages         1       0",
        "  other pages          0       0",
        "  data files           0       0",
        "  releases             1       4",
        "  warnings             0",
        "  phase          seconds",
        "  rendering         1.50",
        "  writing           0.25",
        "  total             1.75",
        "Rendered again (1):",
        "  a/index.html: a new page",
    ]
    without = Report(warnings=(), work=Work(rendered={"offerings": 1}), phases=())
    assert "releases" not in "".join(build_report(without)) and "phase" not in "".join(build_report(without))
    assert why_lines(()) == ["Rendered again: nothing (every file kept from the last build)."]
    assert why_lines((("a", "the output folder is not the one the last build wrote"),) * 2) == [
        "Rendered again: all 2 files (the output folder is not the one the last build wrote)."
    ]


@pytest.mark.git
def test_federate_update_and_fetch_on_a_terminal_draw_a_bar_over_the_members(tmp_path, tty) -> None:
    from .test_federation import Member, organisation

    db, net = Member(tmp_path, "db", "Database Team"), Member(tmp_path, "net", "Network Team", offering="dns")
    members = "".join(f"  - id: {m.values['slug']}-team\n    repository: {m.url}\n" for m in (db, net))
    drawn_org, piped_org = organisation(tmp_path / "t", members), organisation(tmp_path / "p", members)
    drawn = servicebook("federate", "update", "--source", drawn_org, terminal=tty)
    piped = servicebook("federate", "update", "--source", piped_org, terminal=None)
    assert drawn.code == piped.code == 0, drawn.stdout + drawn.stderr
    assert phases_drawn(drawn.stderr)[0] == "fetching and checking members [bar] 0/2 … 2/2"
    assert drawn.stdout == piped.stdout
    assert piped.stdout.splitlines()[-1] == "servicebook.lock: 2 members moved"
    assert without_progress(drawn.stderr) == piped.stderr == ""
    fetched = servicebook("federate", "fetch", "--source", drawn_org, terminal=tty)
    assert fetched.code == 0, fetched.stdout + fetched.stderr
    assert phases_drawn(fetched.stderr)[0] == "fetching members [bar] 0/2 … 2/2"


@pytest.mark.parametrize(
    ("export", "phases"),
    [
        (("backstage",), ["reading and checking…"]),
        (("techradar", "--format", "backstage"), ["reading and checking…", "history…"]),
    ],
)
def test_portal_exports_on_a_terminal_show_their_phases_and_write_the_same_stream(
    site_copy, export, phases, tty
) -> None:
    site = site_copy("example")
    drawn = servicebook("export", *export, "--source", site, terminal=tty)
    piped = servicebook("export", *export, "--source", site, terminal=None)
    assert drawn.code == piped.code == 0, drawn.stderr
    assert drawn.stdout == piped.stdout and piped.stdout.strip()
    assert [p for p in phases_drawn(drawn.stderr) if "[bar]" not in p][: len(phases)] == phases
    assert without_progress(drawn.stderr) == piped.stderr
