"""The hostile-input corpus: each folder under tests/invalid/ is one broken or malicious site.

A case folder holds `case.txt` (one line: what the case attacks or breaks), the files that
replace those of tests/sites/minimal (catalog.yaml, content/*.md, layouts/…; `NAME.delete`
removes NAME), optionally `make_case.py` for what cannot be committed as a file (symbolic
links, FIFOs, huge or deeply nested files, an output folder, a patched file system), and
exactly one expectation:

- `expected.txt`: `check` fails (exit 1) printing exactly this; `build` over an existing site
  prints the same problems, and the previous `public/` is byte-for-byte unchanged;
- `expected-build.txt`: `build` fails printing exactly this (the site folder shown as `{site}`,
  the home folder as `{home}`), with `EXIT` from make_case.py (default 1), the previous
  `public/` unchanged and no staging folder left behind;
- `harmless`: `build` succeeds and no page holds a script, event handler, inline style or
  unsafe URL (tests/htmlcheck.py); each line `PATH: TEXT` of the file must appear in the
  built PATH, to show the hostile text was published as inert text.

make_case.py may define `make(site)` (called after the files are copied), `output(site)`
(the --output to build into), `ENV` (extra environment) and `patch(monkeypatch)` (applied
around the build, e.g. a full disk). SERVICEBOOK_REGEN=1 rewrites expected*.txt from what the
tool prints (refused when CI is set) and prints a diff of every rewrite at the end of the run;
read every regenerated message before committing it.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from servicebook.cli import main

from .conftest import FIXED_EPOCH, SITES, golden
from .htmlcheck import dangers
from .sitefiles import tree

CASES = Path(__file__).parent / "invalid"
EXPECTATIONS = ("expected.txt", "expected-build.txt", "harmless")
SPECIAL = {"case.txt", "make_case.py", "__pycache__", *EXPECTATIONS}


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _module(case: Path) -> ModuleType | None:
    script = case / "make_case.py"
    if not script.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"case_{case.name.replace('-', '_')}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _materialise(case: Path, dest: Path, module: ModuleType | None) -> None:
    shutil.copytree(SITES / "minimal", dest)
    for item in sorted(case.rglob("*")):
        rel = item.relative_to(case)
        if rel.parts[0] in SPECIAL or item.is_dir():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.name.endswith(".delete"):
            (dest / str(rel)[: -len(".delete")]).unlink()
            continue
        shutil.copyfile(item, target)
    if module is not None and hasattr(module, "make"):
        module.make(dest)


@pytest.fixture(scope="session")
def previous_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good build of the minimal site: the `public/` every failing case must leave alone."""
    work = tmp_path_factory.mktemp("previous")
    shutil.copytree(SITES / "minimal", work / "site")  # never build inside the repository's own tree
    result = CliRunner().invoke(
        main,
        ["build", "--source", str(work / "site"), "--output", str(work / "public")],
        env={"SOURCE_DATE_EPOCH": FIXED_EPOCH},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return work / "public"


def _invoke(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH, **env}, catch_exceptions=False)


def _compare(expected_file: Path, actual: str) -> None:
    golden(expected_file, actual)


def test_corpus_is_large_and_every_case_says_what_it_is() -> None:
    cases = _cases()
    assert len(cases) >= 60
    for name in cases:
        case = CASES / name
        kinds = [k for k in EXPECTATIONS if (case / k).exists()]
        assert len(kinds) == 1, f"{name}: exactly one of {EXPECTATIONS}, found {kinds}"
        intent = (case / "case.txt").read_text().strip()
        assert intent and "\n" not in intent, f"{name}: case.txt must be one line"


@pytest.mark.parametrize("name", _cases())
def test_hostile_case(name: str, tmp_path: Path, previous_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES / name
    module = _module(case)
    site = tmp_path / "site"
    _materialise(case, site, module)
    env: dict[str, str] = dict(getattr(module, "ENV", {}))
    output: Path = module.output(site) if module is not None and hasattr(module, "output") else site / "public"
    public = site / "public"
    shutil.copytree(previous_site, public)
    before = tree(public)
    monkeypatch.chdir(site)  # where an author runs servicebook: problems name files as from there
    if (case / "expected.txt").exists():
        _expect_check_failure(case, site, env, public, before)
    elif (case / "expected-build.txt").exists():
        if module is not None and hasattr(module, "patch"):
            module.patch(monkeypatch)
        result = _invoke(["build", "--source", str(site), "--output", str(output)], env)
        monkeypatch.undo()
        shown = result.stderr.replace(str(site), "{site}").replace(str(Path.home()), "{home}")
        assert result.exit_code == getattr(module, "EXIT", 1), result.output
        _compare(case / "expected-build.txt", shown)
        assert tree(public) == before
        assert not [p.name for p in site.iterdir() if p.name.startswith(".public.")]
    else:
        _expect_harmless(case, site, env)


def _expect_check_failure(case: Path, site: Path, env: dict[str, str], public: Path, before: Any) -> None:
    checked = _invoke(["check", "--source", str(site)], env)
    assert checked.exit_code == 1, checked.output
    _compare(case / "expected.txt", checked.stderr)
    built = _invoke(["build", "--source", str(site)], env)
    assert built.exit_code == 1, built.output
    assert built.stderr.rsplit("\n", 2)[0] == checked.stderr.rsplit("\n", 2)[0]  # same problems
    assert built.stderr.splitlines()[-1].startswith("build failed:")
    assert tree(public) == before


def _expect_harmless(case: Path, site: Path, env: dict[str, str]) -> None:
    result = _invoke(["build", "--source", str(site)], env)
    assert result.exit_code == 0, result.output
    public = site / "public"
    for page in sorted(public.rglob("*.html")):
        assert dangers(page.read_text()) == [], page
    for line in (case / "harmless").read_text().splitlines():
        if line.strip():
            path, _, text = line.partition(": ")
            assert text in (public / path).read_text(), f"{path} should contain {text!r}"


def test_a_catalog_with_invalid_records_is_parsed_once_for_every_problem(tmp_path, monkeypatch) -> None:
    """The salvage pass (records left out, the rest checked for references) starts from the tree
    the failed read composed: a catalog of megabytes is not parsed a second time."""
    from servicebook.catalog import read as read_module
    from servicebook.site import load as load_module

    case = Path(__file__).parent / "invalid" / "catalog-every-problem-in-one-run"
    site = tmp_path / "site"
    shutil.copytree(SITES / "minimal", site)
    shutil.copy(case / "catalog.yaml", site / "catalog.yaml")
    parsed: list[str] = []
    real = load_module.parse_yaml

    def counting(source: Any, **options: Any) -> Any:
        if options.get("text") is None:  # a whole file, not a page's front matter
            parsed.append(source.path)
        return real(source, **options)

    monkeypatch.setattr(load_module, "parse_yaml", counting)  # the pages' front matter
    monkeypatch.setattr(read_module, "parse_yaml", counting)  # the catalog (catalog/read.py)
    loaded = load_module.load(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert parsed == ["catalog.yaml"]
    assert [(str(p.location), p.message) for p in loaded.problems] == [
        ("catalog.yaml:51:16", "'lifecycle' cannot be 'gaa'"),
        ("catalog.yaml:80:12", "'since' is not a real date: '2026-13-01'"),
        ("catalog.yaml:73:13", "unknown tool 'shared-pipeline'"),
        ("catalog.yaml:84:13", "unsupported tool 'hand-rolled-scripts' needs an alternative"),
    ]
