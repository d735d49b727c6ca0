"""The code digest (cache/digest.py): every cache key and stamp includes it, so that a build by
other code (another version, or an edited checkout) never reuses what this code made. Every
build reads it from the package's folder, walking it itself."""

from __future__ import annotations

import compileall
import shutil
from pathlib import Path

import pytest

import servicebook
from servicebook import __version__
from servicebook.cache.digest import code_digest, digest, package_digest

PACKAGE = Path(servicebook.__file__).parent


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
