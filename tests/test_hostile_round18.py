"""Hostile inputs of 7 Dec 2026 (eighteenth round): the commands that write files other than the
site (`export`, `import`, `init`, `federate update`, `measure`) on a machine at fault (a read-only
folder, a full disk, a process killed mid-write) and given an output that is not a plain file (a
FIFO, a device, a link to one)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import test_full_disk, test_hostile_round5, test_hostile_round14
from .conftest import FIXED_EPOCH, require_component
from .test_federation import Member, organisation
from .test_full_disk import fill

disk = test_full_disk.disk  # the fixture: a small tmpfs of its own, to fill
answering = test_hostile_round5.answering  # the fixture: a server answering the Prometheus API as told

RADAR = "name,ring,quadrant,isNew,description\nPytest,adopt,tools,FALSE,Our test runner\n"


def _root(what: str) -> None:
    require_component(os.geteuid() == 0, what, "run the tests as root (CI does)")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders made read-only by a read-only bind mount of each onto itself (what a read-only
    volume or checkout gives; root ignores a folder's modes, so chmod would not do)."""
    mounted: list[Path] = []
    yield mounted
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _make_read_only(mounted: list[Path], folder: Path) -> None:
    _root("a read-only bind mount")
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True, check=False)
    require_component(done.returncode == 0, "a read-only bind mount (mount --bind -o ro)", "run the tests as root")
    mounted.append(folder)


class Reader:
    """A process reading a FIFO to its end, as `servicebook export … -o fifo | …` plumbing would."""

    def __init__(self, fifo: Path) -> None:
        self.process = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)

    def read(self) -> bytes:
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # the command never wrote into the FIFO
            self.process.kill()
            self.process.communicate()
            pytest.fail("nothing was written into the FIFO: its reader waited for ever")
        return out


@pytest.mark.parametrize(
    ("command", "output"),
    [
        (["export", "openslo", "--source", "{site}", "--output", "{out}"], "apiVersion: openslo/v1"),
        (["export", "sloth", "--source", "{site}", "-o", "{out}"], "version: prometheus/v1"),
        (["import", "techradar", "{radar}", "--output", "{out}"], "  - id: pytest\n"),
    ],
    ids=["export-openslo", "export-sloth", "import-techradar"],
)
@pytest.mark.parametrize("kind", ["fifo", "link to a fifo", "device"])
def test_an_output_that_is_a_fifo_or_a_device_is_written_into_as_the_shell_would_not_replaced(
    run, site_copy, tmp_path: Path, command: list[str], output: str, kind: str
) -> None:
    """`--output /dev/stdout`, `-o /dev/null` or a named pipe (`mkfifo`) to hand the export to
    another program: the export wrote a temporary file beside it and renamed it over it, so the
    FIFO (or the link /dev/stdout, or, run as root, the device /dev/null itself) became a regular
    file holding the export, and the program reading the pipe waited for ever. The export is
    written into it, as the shell's `>` does; it stays what it was."""
    site = site_copy("example")
    radar = tmp_path / "radar.csv"
    radar.write_text(RADAR)
    folder = tmp_path / "outputs"
    folder.mkdir()
    out = folder / "out"
    reader = None
    if kind == "device":
        _root("making a device node (mknod)")
        os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's: what is written is dropped
    else:
        fifo = folder / "pipe" if kind == "link to a fifo" else out
        os.mkfifo(fifo)
        if fifo != out:
            out.symlink_to(fifo)
        reader = Reader(out)
    before = {p.name: os.lstat(p).st_mode for p in folder.iterdir()}

    result = run(*(a.format(site=site, radar=radar, out=out) for a in command))

    got = reader.read() if reader is not None else b""
    assert result.exit_code == 0, result.output
    assert {p.name: os.lstat(p).st_mode for p in folder.iterdir()} == before  # no file made, none replaced
    if reader is not None:
        assert output in got.decode("utf-8")


def test_an_export_to_standard_output_named_as_a_file_is_added_to_what_the_shell_opened(
    site_copy, tmp_path: Path
) -> None:
    """`-o /dev/stdout` (or /dev/fd/1, /proc/self/fd/1) when standard output is a file the shell
    opened (`>> exports.log`): the export is written into that file after what it held, as the
    shell's `>>` would; nothing is made or replaced where the name is (/dev/, /proc/)."""
    site = site_copy("minimal")
    log = tmp_path / "exports.log"
    log.write_text("# written before\n")
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "servicebook", "export", "openslo", "--source", str(site), "-o", "/proc/self/fd/1"],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("# written before\n")
    assert "apiVersion: openslo/v1" in text


@pytest.mark.git
def test_a_lock_that_cannot_be_written_is_said_in_words_and_left_as_it_was(
    run, tmp_path: Path, read_only: list[Path]
) -> None:
    """`federate update` in a read-only checkout (a volume mounted read-only, a CI step's
    read-only workspace) fetched and checked the members, then failed writing servicebook.lock
    with a Python traceback reported as a bug of servicebook's."""
    member = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n")
    assert run("federate", "update", "--source", org).exit_code == 0
    cache = tmp_path / "cache"  # the cache on a disk of its own (a link: the owner's choice), writable
    shutil.move(org / ".servicebook-cache", cache)
    (org / ".servicebook-cache").symlink_to(cache)
    lock = (org / "servicebook.lock").read_bytes()
    member.publish("A higher objective", objective="99.99")
    _make_read_only(read_only, org)

    result = run("federate", "update", "--source", org)

    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(
        f"error: cannot write {org / 'servicebook.lock'}: Read-only file system; the lock is as it was\n"
    )
    assert (org / "servicebook.lock").read_bytes() == lock


@pytest.mark.git
def test_a_member_store_that_cannot_be_written_is_said_in_words(run, tmp_path: Path, read_only: list[Path]) -> None:
    """The same checkout with its cache inside: the member was refused with Python's words for
    the error ("[Errno 30] Read-only file system: '…'")."""
    member = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n")
    _make_read_only(read_only, org)

    result = run("federate", "update", "--source", org)

    assert "Traceback" not in result.output and "[Errno" not in result.output
    assert result.exit_code == 3, result.output
    assert f"db-team: cannot write the cache {org / '.servicebook-cache'}: Read-only file system" in result.output
    assert not (org / "servicebook.lock").exists()


NO_SERIES = '{"status": "success", "data": {"resultType": "vector", "result": []}}'


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_snapshot_the_disk_refuses_is_said_and_leaves_measurements_as_they_were(
    run, site_copy, answering, disk: Path, read_only: list[Path], fault: str
) -> None:
    """Held (eighteenth round): `measure` writing its snapshot into a read-only checkout or onto
    a full disk says which file it could not write and why, exits 2, and leaves measurements/
    as it was (no temporary file, no snapshot cut short for the next build to refuse)."""
    site = disk / "site"
    shutil.copytree(test_hostile_round14._measured_site(site_copy), site)
    prometheus = answering(NO_SERIES, NO_SERIES)
    assert run("measure", "--source", site, "--prometheus", prometheus, "--at", "2026-05-01").exit_code == 3
    measurements = site / "measurements"
    if fault == "read-only":
        _make_read_only(read_only, measurements)
    else:
        fill(disk, leave=0)
    before = _state(measurements)

    result = run("measure", "--source", site, "--prometheus", prometheus, "--at", "2026-06-01")

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    said = "Read-only file system" if fault == "read-only" else "No space left on device"
    assert f"error: cannot write {site / 'measurements' / '2026-06-01T00-00-00Z.json'}: {said}" in result.stderr
    assert _state(measurements) == before


@pytest.mark.parametrize("folder", ["new", "holding a README"])
@pytest.mark.parametrize("example", [False, True], ids=["starter", "example"])
def test_an_init_that_fills_the_disk_leaves_the_folder_as_it_was_and_the_next_one_succeeds(
    run, disk: Path, folder: str, example: bool
) -> None:
    """`init` on a full disk wrote the files it could, the last one cut short (an empty
    catalog.yaml), and said so; the next init, with room, then refused: "already has
    catalog.yaml; init never overwrites a file". What it made goes again, files and folders."""
    target = disk / "site"
    if folder != "new":
        target.mkdir()
        (target / "README.md").write_text("Our platform's catalog.\n")
        (target / ".gitignore").write_text("*.pyc\n")
    before = _state(target)
    filler = fill(disk, leave=2 * 4096 if example else 0)  # room for a file or two of those it writes
    args = ["init", str(target), *(["--example"] if example else [])]

    result = run(*args)

    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was written")
    assert _state(target) == before
    filler.unlink()
    again = run(*args)
    assert again.exit_code == 0, again.output


def _state(folder: Path) -> dict[str, bytes | None] | None:
    """A folder's files (their bytes) and folders (None), or None where there is no folder."""
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


# A real command in a process of its own that stops itself (SIGSTOP) just before the Nth
# file-system operation made from the modules that write what it writes (a file opened, linked,
# renamed, removed, its mode set, a folder made; and half-way through writing a file's bytes), for
# the test to SIGKILL it there; with N = 0 it runs to the end and prints how many there were.
STOPPING_COMMAND = """
import io, os, signal, sys
WRITERS = {"servicebook.wholefiles", "servicebook.commands.export_stream", "servicebook.commands.options",
           "servicebook.site.scaffold", "servicebook.federation.lock"}
stop_at, seen, me = int(sys.argv[1]), [0], os.getpid()
def count():
    frame = sys._getframe(2)
    for _ in range(6):
        if frame is None:
            return
        name = frame.f_globals.get("__name__", "")
        if name.startswith("servicebook."):
            if name in WRITERS and os.getpid() == me:
                seen[0] += 1
                if seen[0] == stop_at:
                    os.kill(me, signal.SIGSTOP)
            return
        frame = frame.f_back
def counted(real):
    def op(*args, **kwargs):
        count()
        return real(*args, **kwargs)
    return op
class HalfThenStop:
    def __init__(self, file):
        self.file = file
    def write(self, data):
        half = len(data) // 2
        self.file.write(data[:half])
        self.file.flush()
        count()
        return half + self.file.write(data[half:])
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.file.__exit__(*exc)
    def __getattr__(self, name):
        return getattr(self.file, name)
real_fdopen = os.fdopen
def fdopen(*args, **kwargs):
    count()
    return HalfThenStop(real_fdopen(*args, **kwargs))
real_open = io.open
def opened(file, mode="r", *args, **kwargs):
    if not any(m in mode for m in "wxa"):
        return real_open(file, mode, *args, **kwargs)
    count()
    return HalfThenStop(real_open(file, mode, *args, **kwargs))
for name in ("open", "link", "rename", "replace", "unlink", "rmdir", "mkdir", "chmod"):
    setattr(os, name, counted(getattr(os, name)))
os.fdopen = fdopen
io.open = opened
from servicebook.cli import main
try:
    main(sys.argv[2:], standalone_mode=False)
finally:
    print("ops", seen[0])
"""


def _stopping(args: list[str], stop_at: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", STOPPING_COMMAND, str(stop_at), *args],
        env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _visible(folder: Path) -> dict[str, bytes]:
    """The files under `folder` a reader lists (a name with a leading dot is a temporary's)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "target"),
    [
        (["export", "openslo", "--source", "{site}", "-o", "{out}/openslo.yaml"], "openslo.yaml"),
        (["import", "techradar", "{radar}", "--output", "{out}/radar.yaml"], "radar.yaml"),
        (["export", "techradar", "--source", "{site}", "--format", "aoe", "--output", "{out}/aoe"], "aoe"),
        (["init", "{out}/new"], "new"),
    ],
    ids=["export-openslo", "import-techradar", "export-techradar-aoe", "init"],
)
def test_a_writing_command_sigkilled_anywhere_leaves_no_file_cut_short(
    site_copy, tmp_path: Path, args: list[str], target: str
) -> None:
    """A command that writes a file other than the site, SIGKILLed (an OOM kill, a CI job
    cancelled, a power cut) before any file-system operation of its writing or half-way through
    a file's bytes: an export to a file leaves the old file or the new one, whole; an import's
    fragment, a radar's folder and `init`'s site leave none of their files cut short (`init` and
    the fragment left one: a catalog.yaml of half its lines, read by the next build or pasted
    into a catalog). Temporary files, named with a leading dot, may stay behind."""
    site = site_copy("example")
    radar = tmp_path / "radar.csv"
    radar.write_text(RADAR)
    out = tmp_path / "out"
    whole = tmp_path / "whole"
    for folder in (out, whole):
        folder.mkdir()
        (folder / "openslo.yaml").write_text("# the export before\n")

    def command(where: Path) -> list[str]:
        return [a.format(site=site, radar=radar, out=where) for a in args]

    counted = _stopping(command(whole), 0)
    done, err = counted.communicate(timeout=300)
    assert counted.returncode == 0, err
    ops = int(done.split("ops ")[-1])
    assert ops >= 3
    new = _visible(whole)
    old = _visible(out)
    assert new != old
    for n in sorted({1, 2, 3, ops // 3, ops // 2, ops - 2, ops - 1, ops} - {0}):
        shutil.rmtree(out)
        out.mkdir()
        (out / "openslo.yaml").write_text("# the export before\n")
        child = _stopping(command(out), n)
        _, status = os.waitpid(child.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the command did not reach operation {n}: {child.communicate()}"
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
        left = _visible(out)
        for name, data in left.items():
            assert data in (new.get(name), old.get(name)), f"{name} cut short after a kill at operation {n}"
        if target == "openslo.yaml":
            assert "openslo.yaml" in left  # the old one or the new one, never none


ITEM = "---\ntitle: {title}\nring: adopt\nquadrant: tools\n---\n\n{text}\n"


@pytest.mark.parametrize("where", ["an item", "config.json", "a release folder", "the radar folder", "a fifo"])
def test_a_link_or_a_fifo_in_a_radar_folder_is_named_not_read(run, tmp_path: Path, where: str) -> None:
    """A radar's folder (AOE's, from another team's repository) is read file by file, and git
    commits symbolic links: one named `radar/2026-01-01/leak.md` that led to any file of the machine
    (a key, /proc/self/environ, a CI secret's file) put that file's text into the fragment as a tool's
    reason, for the job to commit or publish, and a FIFO made the import wait for ever. A file of the
    folder that is a link or not a regular file, or a folder of it that is a link, is a located
    error; nothing is read through it and nothing is printed on standard output."""
    secret = tmp_path / "elsewhere"
    (secret / "2026-01-01").mkdir(parents=True)
    (secret / "2026-01-01" / "leaked.md").write_text(ITEM.format(title="Leaked", text="TOPSECRET"))
    (secret / "leak.md").write_text(ITEM.format(title="Leak", text="TOPSECRET"))
    (secret / "config.json").write_text('{"quadrants": [{"id": "tools", "title": "TOPSECRET"}]}')
    radar = tmp_path / "their-radar"
    release = radar / "radar" / "2025-06-01"
    release.mkdir(parents=True)
    (release / "pytest.md").write_text(ITEM.format(title="Pytest", text="Our test runner."))
    assert run("import", "techradar", radar).exit_code == 0
    if where == "an item":
        odd = release / "leak.md"
        odd.symlink_to(secret / "leak.md")
    elif where == "config.json":
        odd = radar / "config.json"
        odd.symlink_to(secret / "config.json")
    elif where == "a release folder":
        odd = radar / "radar" / "2026-01-01"
        odd.symlink_to(secret / "2026-01-01")
    elif where == "the radar folder":
        shutil.move(radar / "radar", secret / "radar")
        odd = radar / "radar"
        odd.symlink_to(secret / "radar")
        (secret / "radar" / "2026-01-01").symlink_to(secret / "2026-01-01")
    else:
        odd = release / "wait.md"
        os.mkfifo(odd)

    try:  # in a process of its own: one that waits for ever is stopped, and fails
        done = subprocess.run(
            [sys.executable, "-m", "servicebook", "import", "techradar", str(radar)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the import waited for ever")

    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert "TOPSECRET" not in done.stdout + done.stderr
    assert done.stdout == ""
    what = "is not a regular file (a FIFO or a device)" if where == "a fifo" else "is a symbolic link"
    assert f"{odd}: error: {what}" in done.stderr


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_radar_of_more_entries_than_any_team_decides_is_refused_at_the_first_past_the_limit(
    run, tmp_path: Path, form: str
) -> None:
    """A sheet of 290,000 rows (8 MB, under the size limit of an import) took four minutes and
    2 GB of memory to become a fragment no catalog would want. A radar holds at most 10,000
    entries, as an AOE radar's folder holds at most 10,000 item files: the entry past the limit is
    a located error, found without reading the rest of a sheet."""
    if form == "csv":
        radar = tmp_path / "radar.csv"
        radar.write_text(
            "name,ring,quadrant,isNew,description\n" + "".join(f"t{i},adopt,tools,FALSE,d\n" for i in range(20_000))
        )
        line, column = 11_002, 1  # the header, 10,000 entries, and the 1,000 blank rows a sheet may hold
    else:
        radar = tmp_path / "radar.json"
        entries = ",\n".join(f'{{"label": "t{i}", "quadrant": 0, "ring": 0}}' for i in range(10_001))
        radar.write_text(
            f'{{"quadrants": [{{"name": "Tools"}}], "rings": [{{"name": "ADOPT"}}], "entries": [\n{entries}]}}'
        )
        line, column = 10_002, 1

    result = run("import", "techradar", radar)

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert f"{radar}:{line}:{column}: error: " in result.stderr


@pytest.mark.slow
@pytest.mark.git
def test_a_lock_update_sigkilled_anywhere_leaves_the_old_lock_or_the_new_one(tmp_path: Path) -> None:
    """Held (eighteenth round): `federate update` SIGKILLed before any file-system operation of
    writing servicebook.lock, or half-way through its bytes, leaves the lock it had or the new
    one, whole."""
    member = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n")
    args = ["federate", "update", "--source", str(org)]
    first = _stopping(args, 0)
    first.communicate(timeout=300)
    assert first.returncode == 0
    old = (org / "servicebook.lock").read_bytes()
    member.publish("A higher objective", objective="99.99")
    counted = _stopping(args, 0)
    done, err = counted.communicate(timeout=300)
    assert counted.returncode == 0, err
    new = (org / "servicebook.lock").read_bytes()
    ops = int(done.split("ops ")[-1])
    assert ops >= 3 and new != old
    for n in range(1, ops + 1):
        (org / "servicebook.lock").write_bytes(old)
        child = _stopping(args, n)
        _, status = os.waitpid(child.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"the update did not reach operation {n}: {child.communicate()}"
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
        assert (org / "servicebook.lock").read_bytes() in (old, new), f"the lock cut short after a kill at {n}"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["export", "openslo", "--source", "{site}", "-o", "{out}/openslo.yaml"], "openslo.yaml"),
        (["import", "techradar", "{radar}", "--output", "{out}/radar.yaml"], "radar.yaml"),
    ],
    ids=["export-openslo", "import-techradar"],
)
def test_the_temporary_file_a_killed_writer_left_is_removed_by_the_next(
    run, site_copy, tmp_path: Path, args: list[str], name: str
) -> None:
    """A writer killed before it put its file in place leaves its temporary file (named with a
    dot, its process id and `.partial`) beside it; the next write of that file removes it, and
    none of a writer still running (its process alive) nor any other file."""
    site = site_copy("minimal")
    radar = tmp_path / "radar.csv"
    radar.write_text(RADAR)
    out = tmp_path / "out"
    out.mkdir()
    dead = out / f".{name}.999999999-0badf00d.partial"  # no process has an id past the kernel's pid_max
    running = out / f".{name}.{os.getpid()}-0badf00d.partial"
    others = [out / f".{name}.notes", out / f".{name}.12-x.partial.kept", out / ".other.yaml.999999999-0.partial"]
    for path in (dead, running, *others):
        path.write_text("left\n")

    result = run(*(a.format(site=site, radar=radar, out=out) for a in args))

    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert running.exists() and all(p.exists() for p in others)
    assert sorted(p.name for p in out.iterdir()) == sorted([name, running.name, *(p.name for p in others)])


@pytest.mark.git
def test_verify_shows_the_names_of_a_published_copys_files_escaped(git_site, run, tmp_path: Path) -> None:
    """`verify --site COPY` names each file of the copy that a rebuild does not make, and the copy
    is what a host served or someone handed over: a file named with a terminal escape (setting the
    window's title, clearing the screen: click strips only colours, and on a terminal not even
    those) or a bidirectional override reached the auditor's terminal as written. Each name is
    shown escaped, as a source line of an error is."""
    assert run("build", "--source", git_site.root).exit_code == 0
    copy = tmp_path / "copy"
    shutil.copytree(git_site.root / "public", copy)
    (copy / "a\x1b]0;owned\x07b.html").write_text("x\n")
    (copy / "gnp.\u202ehtml").write_text("x\n")
    odd = copy / "d\x1b[2J"
    odd.mkdir()
    (odd / "x.html").write_text("x\n")

    result = run("verify", "--source", git_site.root, "--site", copy)

    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    lines = result.stderr.splitlines()
    assert "error: a\\u001b]0;owned\\u0007b.html: not produced by a rebuild" in lines
    assert "error: gnp.\\u202ehtml: not produced by a rebuild" in lines
    assert "error: d\\u001b[2J/x.html: not produced by a rebuild" in lines
