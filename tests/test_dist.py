"""The release artifact: the wheel `make dist` builds holds the whole package (code, templates,
assets, scaffold and example), installs into a fresh virtualenv outside the checkout, and its
`servicebook` runs init, check, build, schema and verify there, reading nothing from `src/`.

The build and install are real (python -m build, pip install -c requirements.lock); they ask the
package index for setuptools and the dependencies, which pip serves from its cache after the
first run. They are marked `dist`, and run once per module."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import servicebook
from servicebook.site.render import minify_js

from .conftest import REPO, GitSite, require_component
from .test_doc_pointers import relative_links

PACKAGE = REPO / "src" / "servicebook"

pytestmark = pytest.mark.dist  # every test here uses the built wheel: left out of `make quick`


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing pointing at this checkout or its virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return {**env, **extra}


def _run(args: list[str | Path], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(**extra), capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` as `make dist` runs it: the sdist, then the wheel built from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    # one build of the checkout at a time: two (two test workers, or `make dist` beside the tests)
    # write the same src/servicebook.egg-info and fail each other
    (REPO / "build").mkdir(exist_ok=True)
    with open(REPO / "build" / "dist-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = _run([sys.executable, "-P", "-m", "build", "--outdir", out, REPO], cwd=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def installed(artifacts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, outside the checkout, with the wheel and its locked dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    done = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    # this interpreter's pip installs into the new one (--python), which saves installing pip there
    done = _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "-c", REPO / "requirements.lock",
         artifacts["wheel"]],
        cwd=venv,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return venv


def test_the_wheel_holds_every_file_of_the_package(artifacts) -> None:
    names = set(zipfile.ZipFile(artifacts["wheel"]).namelist())
    package = {
        "servicebook/" + p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert package - names == set()
    for data in (
        "servicebook/py.typed",
        "servicebook/layouts/base.html",
        "servicebook/static/site.js",
        "servicebook/scaffold/catalog.yaml",
        "servicebook/scaffold/content/welcome.md",
        "servicebook/scaffold/layouts/README.md",
        "servicebook/scaffold/example/catalog.yaml",
        "servicebook/scaffold/example/content/change-approval.md",
        "servicebook/__main__.py",
    ):
        assert data in names
    assert not [n for n in names if n.startswith(("tests/", "src/", "docs/"))]
    # the docs pages messages name, installed under <prefix>/share/doc/servicebook/docs/ (pyproject's data-files)
    shipped = {n.rsplit("/", 1)[1] for n in names if "/data/share/doc/servicebook/docs/" in n}
    assert shipped == {p.name for p in (REPO / "docs").glob("*.md")}


def test_every_relative_link_of_the_installed_docs_leads_to_an_installed_file(installed) -> None:
    """Five links of the docs the wheel installs led nowhere (../CHANGELOG.md, the federation's CI
    examples): the wheel lays out what they open beside them, as the repository does."""
    (folder,) = installed.glob("share/doc/servicebook/docs")
    pages = sorted(folder.glob("*.md"))
    assert len(pages) == len(list((REPO / "docs").glob("*.md")))
    broken = [
        f"{page.name}: {link}"
        for page in pages
        for link in relative_links(page.read_text())
        if not (page.parent / link).resolve().is_file()
    ]
    assert broken == []


def test_the_wheel_says_its_version_and_refuses_python_before_3_11(artifacts, tmp_path) -> None:
    assert artifacts["wheel"].name == f"servicebook-{servicebook.__version__}-py3-none-any.whl"
    metadata = zipfile.ZipFile(artifacts["wheel"]).read(f"servicebook-{servicebook.__version__}.dist-info/METADATA")
    assert b"\nRequires-Python: >=3.11\n" in metadata
    # what a user on Python 3.10 sees: pip refuses at install time, naming the requirement
    done = _run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--python-version", "3.10",
         "--only-binary=:all:", "--target", tmp_path / "t", artifacts["wheel"]],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "requires a different Python: 3.10.0 not in '>=3.11'" in done.stderr


def test_the_sdist_carries_the_tests_docs_and_example(artifacts) -> None:
    with tarfile.open(artifacts["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for needed in ("pyproject.toml", "Makefile", "requirements.lock", "catalog.yaml", "content/change-approval.md",
                   "tests/conftest.py", "tests/test_dist.py", "docs/getting-started.md", "action.yml"):  # fmt: skip
        assert needed in names, needed


def test_the_shipped_example_is_the_repository_example() -> None:
    """`init --example` writes src/servicebook/scaffold/example/, a copy of the root catalog.yaml,
    content/ and measurements/ (the site `make site` builds): `make example` refreshes it."""
    shipped = PACKAGE / "scaffold" / "example"
    assert (shipped / "catalog.yaml").read_bytes() == (REPO / "catalog.yaml").read_bytes(), "run: make example"
    ours = {p.relative_to(REPO / "content"): p.read_bytes() for p in (REPO / "content").rglob("*") if p.is_file()}
    copy = {p.relative_to(shipped / "content"): p.read_bytes() for p in (shipped / "content").rglob("*") if p.is_file()}
    assert copy == ours, "run: make example"
    ours = {p.name: p.read_bytes() for p in (REPO / "measurements").iterdir()}
    assert {p.name: p.read_bytes() for p in (shipped / "measurements").iterdir()} == ours, "run: make example"


@pytest.mark.dist
@pytest.mark.git
def test_the_installed_wheel_runs_every_command_outside_the_checkout(installed, tmp_path) -> None:
    servicebook_bin = installed / "bin" / "servicebook"
    python = installed / "bin" / "python"
    where = _run([python, "-c", "import servicebook, sys; print(servicebook.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout + where.stderr

    version = _run([servicebook_bin, "--version"], cwd=tmp_path)
    assert version.stdout == f"servicebook, version {servicebook.__version__}\n"
    as_module = _run([python, "-m", "servicebook", "--version"], cwd=tmp_path)
    assert as_module.stdout == version.stdout

    # outside a site, the first command a user tries says how to start
    nothing = _run([servicebook_bin, "check"], cwd=tmp_path)
    assert nothing.returncode == 1
    assert "servicebook init" in nothing.stderr and "Traceback" not in nothing.stderr

    site = tmp_path / "catalog"
    init = _run([servicebook_bin, "init", site], cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "docs/customising.md" in init.stdout and "site-packages" not in init.stdout
    # and where those docs/ pages are: installed with the wheel, outside any checkout
    (docs,) = re.findall(r"^servicebook's docs/ pages, named below and in its messages: (/.*)/$", init.stdout, re.M)
    assert Path(docs).is_relative_to(installed.resolve()) and (Path(docs) / "customising.md").is_file(), init.stdout
    repo = GitSite(site)
    repo.commit("Start the catalog")

    check = _run([servicebook_bin, "check", "--strict"], cwd=site)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("Ready to build: ") and check.stdout.endswith("; no errors, no warnings.\n")

    build = _run([servicebook_bin, "build"], cwd=site)
    assert build.returncode == 0, build.stderr
    assert (site / "public" / "offerings" / "ci" / "index.html").is_file()
    for script in ("site.js", "search.js"):  # the package's own scripts, as the build publishes them
        published = minify_js((PACKAGE / "static" / script).read_text()).encode()
        assert (site / "public" / "assets" / script).read_bytes() == published

    schema = _run([servicebook_bin, "schema"], cwd=site)
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"]
    assert json.loads(schema.stdout) == json.loads((site / "public" / "schema.json").read_text())

    verify = _run([servicebook_bin, "verify"], cwd=site)
    assert verify.returncode == 0, verify.stderr
    assert "every file matches a rebuild" in verify.stdout

    example = tmp_path / "bank"
    assert _run([servicebook_bin, "init", "--example", example], cwd=tmp_path).returncode == 0
    built = _run([servicebook_bin, "build", "--source", example], cwd=tmp_path, SOURCE_DATE_EPOCH="1790000000")
    assert built.returncode == 0, built.stderr
    assert (example / "public" / "tools" / "jenkins" / "index.html").is_file()


def _python_without_tar_filters() -> Path | None:
    """A Python 3.11 older than 3.11.4, whose tarfile has no extraction filters: Debian 12's own
    python3.11 (3.11.2), on the machine CI runs on."""
    for candidate in (Path("/usr/bin/python3.11"), Path("/usr/local/bin/python3.11")):
        if candidate.is_file():
            done = _run([candidate, "-c", "import sys; print(sys.version_info[:3] < (3, 11, 4))"], cwd=Path("/"))
            if done.stdout.strip() == "True":
                return candidate
    return None


@pytest.mark.git
def test_the_wheel_builds_releases_on_debians_python_which_has_no_tar_filters(artifacts, tmp_path) -> None:
    # a release's sources are unpacked from `git archive` with tar's "data" filter, which tarfile
    # has from 3.11.4 on; pip installs backports.tarfile on the older 3.11s (Debian 12's python3)
    python = _python_without_tar_filters()
    require_component(python, "a Python 3.11 before 3.11.4 (Debian 12's python3.11)", "apt-get install python3.11")
    assert python is not None
    venv = tmp_path / "venv"
    assert _run([python, "-m", "venv", "--without-pip", venv], cwd=tmp_path).returncode == 0
    done = _run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
         "-c", REPO / "requirements.lock", artifacts["wheel"]],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    site = tmp_path / "catalog"
    assert _run([venv / "bin" / "servicebook", "init", site], cwd=tmp_path).returncode == 0
    repo = GitSite(site)
    repo.commit("Start the catalog")
    repo.tag("v0.1")
    build = _run([venv / "bin" / "servicebook", "build"], cwd=site)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "Traceback" not in build.stderr
    assert (site / "public" / "v" / "0.1" / "offerings" / "ci" / "index.html").is_file()
    # the filters came from the backport, which the wheel's metadata asks for on this Python only
    backport = _run([venv / "bin" / "python", "-c", "import backports.tarfile"], cwd=tmp_path)
    assert backport.returncode == 0, backport.stderr


@pytest.mark.git
def test_pip_installs_a_release_tag_of_a_mirror_as_the_docs_say(tmp_path) -> None:
    """getting-started.md: `pip install "git+<your mirror>@<release tag>"`. A mirror here is a clone
    of this repository with the release tag (bare version, development.md) on its head."""
    mirror = tmp_path / "mirror.git"
    done = _run(["git", "clone", "-q", "--bare", "--no-local", REPO, mirror], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tag = servicebook.__version__
    if _run(["git", "-C", mirror, "rev-parse", "-q", "--verify", f"refs/tags/{tag}"], cwd=tmp_path).returncode:
        done = _run(["git", "-C", mirror, "tag", tag, "HEAD"], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path).returncode == 0
    done = _run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet",
         "-c", REPO / "requirements.lock", f"git+file://{mirror}@{tag}"],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    version = _run([venv / "bin" / "servicebook", "--version"], cwd=tmp_path)
    assert version.stdout == f"servicebook, version {tag}\n"
    site = tmp_path / "catalog"
    assert _run([venv / "bin" / "servicebook", "init", site], cwd=tmp_path).returncode == 0
    built = _run([venv / "bin" / "servicebook", "build"], cwd=site)
    assert built.returncode == 0, built.stdout + built.stderr
    assert (site / "public" / "index.html").is_file()
