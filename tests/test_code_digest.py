"""The code digest (cache/digest.py): every cache key and stamp includes it, so that a build by
other code (another version, or an edited checkout) never reuses what this code made. Every
build reads it from the package's folder, walking it itself."""

from __future__ import annotations

import compileall
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import servicebook
from servicebook import __version__
from servicebook.cache.digest import code_digest, digest, memo_file, memoized_digest, package_digest

PACKAGE = Path(servicebook.__file__).parent
SETTLED = 2**62  # "every file changed before this" (ns): injected, not the clock's now


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the installed package, without its bytecode."""
    copy = tmp_path / "elsewhere" / "servicebook"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


def test_the_code_digest_is_of_the_packages_files_wherever_they_are(package: Path) -> None:
    # a checkout in another folder (a CI job restoring .servicebook-cache/) has the same digest
    assert package_digest(str(package)) == code_digest()


def test_the_code_digest_is_of_each_file_path_and_bytes_in_the_order_of_sorted_paths(package: Path) -> None:
    # the order of sorted paths, not the one the file system lists a folder's entries in
    files = sorted(p for p in package.rglob("*") if p.is_file())
    parts: list[bytes | str] = [f"servicebook {__version__}"]
    for path in files:
        parts += [path.relative_to(package).as_posix(), path.read_bytes()]
    assert package_digest(str(package)) == digest(*parts)


def test_a_code_file_changed_added_renamed_or_removed_changes_the_code_digest(package: Path) -> None:
    seen = [package_digest(str(package))]
    fresh = package / "site" / "fresh.py"
    fresh.write_text(fresh.read_text() + "# one more line\n")
    seen.append(package_digest(str(package)))
    (package / "layouts" / "extra.html").write_text("<p>extra</p>\n")
    seen.append(package_digest(str(package)))
    (package / "layouts" / "extra.html").rename(package / "layouts" / "other.html")
    seen.append(package_digest(str(package)))
    (package / "layouts" / "other.html").unlink()
    (package / "cache" / "digest.py").unlink()
    seen.append(package_digest(str(package)))
    assert len(set(seen)) == len(seen)


def test_bytecode_does_not_change_the_code_digest(package: Path) -> None:
    before = package_digest(str(package))
    assert compileall.compile_dir(package, quiet=1)
    assert any(package.rglob("__pycache__/*.pyc"))
    (package / "stray.pyc").write_bytes(b"\0")
    assert package_digest(str(package)) == before


@pytest.fixture(autouse=True)
def _bytecode_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process Python may write bytecode from (a developer's shell may set
    PYTHONDONTWRITEBYTECODE; `make quick` does not)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _files(package: Path) -> int:
    return sum(1 for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_a_second_digest_of_files_as_they_were_reads_none_of_them(package: Path, tmp_path: Path) -> None:
    memo = str(tmp_path / "memo.json")
    first, read = memoized_digest(str(package), memo, SETTLED)
    assert (first, read) == (package_digest(str(package)), _files(package))
    assert memoized_digest(str(package), memo, SETTLED) == (first, 0)


def test_a_file_written_again_with_its_size_and_times_put_back_is_read_again(package: Path, tmp_path: Path) -> None:
    memo = str(tmp_path / "memo.json")
    before, _ = memoized_digest(str(package), memo, SETTLED)
    fresh = package / "site" / "fresh.py"
    info = fresh.stat()
    text = fresh.read_bytes()
    fresh.write_bytes(text.replace(b"import", b"IMPORT", 1))  # the same size
    os.utime(fresh, ns=(info.st_atime_ns, info.st_mtime_ns))  # as `touch -d` or `cp -p` would
    assert fresh.stat().st_size == info.st_size and fresh.stat().st_mtime_ns == info.st_mtime_ns
    after, read = memoized_digest(str(package), memo, SETTLED)
    assert after != before and read > 0
    assert after == package_digest(str(package))


def test_a_file_added_renamed_or_removed_changes_the_memoized_digest(package: Path, tmp_path: Path) -> None:
    memo = str(tmp_path / "memo.json")
    seen = [memoized_digest(str(package), memo, SETTLED)[0]]
    (package / "layouts" / "extra.html").write_text("<p>extra</p>\n")
    seen.append(memoized_digest(str(package), memo, SETTLED)[0])
    (package / "layouts" / "extra.html").rename(package / "layouts" / "other.html")
    seen.append(memoized_digest(str(package), memo, SETTLED)[0])
    (package / "layouts" / "other.html").unlink()
    seen.append(memoized_digest(str(package), memo, SETTLED)[0])
    assert seen[3] == seen[0] == package_digest(str(package))
    assert len(set(seen)) == 3


def test_no_memo_is_kept_of_files_changed_too_recently(package: Path, tmp_path: Path) -> None:
    # a file changed within the last moments may change again within the same timestamp tick
    memo = tmp_path / "memo.json"
    found, _ = memoized_digest(str(package), str(memo), 0)
    assert not memo.exists()
    assert memoized_digest(str(package), str(memo), 0) == (found, _files(package))


@pytest.mark.parametrize(
    "damage",
    [b"", b"not json", b"[]", b'["0", [], "x"]', b'{"a": 1}', b"[1, 2, 3]", b"\xff\xfe"],
)
def test_a_damaged_memo_is_not_used_and_is_written_again(package: Path, tmp_path: Path, damage: bytes) -> None:
    memo = tmp_path / "memo.json"
    memo.write_bytes(damage)
    found, read = memoized_digest(str(package), str(memo), SETTLED)
    assert (found, read) == (package_digest(str(package)), _files(package))
    assert memoized_digest(str(package), str(memo), SETTLED) == (found, 0)


def test_a_memo_of_another_version_is_not_used(package: Path, tmp_path: Path) -> None:
    memo = tmp_path / "memo.json"
    found, _ = memoized_digest(str(package), str(memo), SETTLED)
    version, listed, _ = json.loads(memo.read_text())
    memo.write_text(json.dumps([version + ".other", listed, "0" * 40]))
    assert memoized_digest(str(package), str(memo), SETTLED) == (found, _files(package))


def test_a_process_that_may_not_write_bytecode_keeps_no_memo(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # -B, PYTHONDONTWRITEBYTECODE
    memo = tmp_path / "memo.json"
    memoized_digest(str(package), str(memo), SETTLED)
    assert not memo.exists()


def test_the_memo_is_kept_beside_the_packages_bytecode_and_is_not_part_of_the_digest(package: Path) -> None:
    memo = memo_file()
    assert memo is not None
    assert Path(memo).parent.name == "__pycache__" or sys.pycache_prefix is not None
    before = package_digest(str(package))
    (package / "cache" / "__pycache__").mkdir()
    copy = package / "cache" / "__pycache__" / Path(memo).name
    memoized_digest(str(package), str(copy), SETTLED)
    assert copy.exists()
    assert package_digest(str(package)) == before
    assert code_digest() == before
