"""Behaviour and bytes, before and after a change of code: `python bench/identity.py --against REV`.

It records, for one version of servicebook's code, the SHA-256 of every file that building these
sites produces (fixed SOURCE_DATE_EPOCH):

- the example site (catalog.yaml and content/ of this checkout), in a throwaway git repository with
  three scripted commits and a release tag, so history, the changes page and `v/` are covered;
- the bench sizes 1k, 5k and large (bench/generate.py, as `make bench` makes them);

and the exact output and exit code of `check` (and of `build` where the case expects a build
failure) for every case of the hostile-input corpus, tests/invalid/.

With `--against REV` the same record is made with the code of REV (a temporary git worktree) and
the two are compared, old and new alternating; every difference is listed and the exit code is 1.
`--sizes` narrows the bench sizes (`--sizes none` for the quick check). `--record FILE` writes the
current code's record as JSON instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"  # the bench sites, inside this checkout
EPOCH = "1790000000"
SIZES = ("1k", "5k", "large")

# Run in a child interpreter whose sys.path starts with one version's src/: builds and checks go
# through that version's own command line, in process (click's runner), one site after another.
COLLECT = r"""
import hashlib, importlib.util, json, os, shutil, sys
from pathlib import Path
from click.testing import CliRunner
from servicebook.cli import main

job = json.loads(sys.argv[1])
out = {}

def digest_tree(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}

def invoke(args, env):
    return CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": job["epoch"], **env}, catch_exceptions=False)

for name, source in job["sites"].items():
    target = Path(job["work"]) / ("public-" + name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(Path(source) / ".servicebook-cache", ignore_errors=True)  # each version from nothing
    done = invoke(["build", "--source", source, "--output", str(target)], {})
    out["site:" + name] = {"exit": done.exit_code, "stderr": done.stderr, "files": digest_tree(target)}
    shutil.rmtree(target, ignore_errors=True)

cases = Path(job["cases"])
minimal = Path(job["minimal"])
for case in sorted(p for p in cases.iterdir() if p.is_dir()):
    kind = next((k for k in ("expected.txt", "expected-build.txt") if (case / k).exists()), None)
    if kind is None or (case / "make_case.py").exists():
        continue  # harmless cases are covered by the tests; scripted ones patch the machine
    site = Path(job["work"]) / "case" / case.name
    shutil.rmtree(site.parent, ignore_errors=True)
    shutil.copytree(minimal, site)
    for item in sorted(case.rglob("*")):
        rel = item.relative_to(case)
        if rel.parts[0] in {"case.txt", "expected.txt", "expected-build.txt", "harmless"} or item.is_dir():
            continue
        if rel.name.endswith(".delete"):
            (site / str(rel)[: -len(".delete")]).unlink()
            continue
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item, site / rel)
    os.chdir(site)
    verb = "check" if kind == "expected.txt" else "build"
    done = invoke([verb, "--source", str(site)], {})
    out["case:" + case.name] = {"exit": done.exit_code, "stderr": done.stderr.replace(str(site), "{site}")}
    os.chdir(job["work"])
print(json.dumps(out))
"""


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "@1779926400 +0000",
        "GIT_COMMITTER_DATE": "@1779926400 +0000",
        "GIT_AUTHOR_NAME": "Identity",
        "GIT_AUTHOR_EMAIL": "identity@example.com",
        "GIT_COMMITTER_NAME": "Identity",
        "GIT_COMMITTER_EMAIL": "identity@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def example_repository(work: Path) -> Path:
    """The example site in a git repository of its own, with a fixed history: a first release
    (tagged), a catalog change and a policy page change, all on fixed dates."""
    site = work / "example"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    shutil.copy(REPO / "catalog.yaml", site)
    shutil.copytree(REPO / "content", site / "content")
    _git(site, "init", "-q", "-b", "main")
    _git(site, "add", "-A")
    _git(site, "commit", "-q", "-m", "First release")
    _git(site, "tag", "v2026.12")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("Platform", "The platform", 1))
    _git(site, "commit", "-qam", "Catalog wording")
    page = sorted((site / "content").glob("*.md"))[0]
    page.write_text(page.read_text() + "\nOne more line.\n")
    _git(site, "commit", "-qam", "A policy page grows")
    return site


def bench_sites(sizes: list[str]) -> dict[str, str]:
    sys.path.insert(0, str(HERE))
    from generate import generate  # the bench's own generator, so sites are those of `make bench`
    from run import SIZES as BENCH_SIZES

    made = {}
    for size in sizes:
        site = OUT / f"identity-{size}"
        if not (site / "catalog.yaml").exists():
            generate(site, **BENCH_SIZES[size])
        made[size] = str(site)
    return made


def collect_env(src: Path, work: Path) -> dict[str, str]:
    """The collecting child's environment: that version's code first on sys.path, a fixed date, and
    git kept from looking above the bench sites' folder and the work folder's parent. The bench
    sites are inside this checkout, whose commit and uncommitted changes must not reach the record
    (a commit made during a run made its two records of the same code differ); the example site
    is a repository of its own, which git still finds."""
    ceilings = os.pathsep.join((str(OUT), str(work.parent)))
    return {**os.environ, "PYTHONPATH": str(src), "SOURCE_DATE_EPOCH": EPOCH, "GIT_CEILING_DIRECTORIES": ceilings}


def collect(src: Path, work: Path, sites: dict[str, str]) -> dict[str, dict[str, object]]:
    work.mkdir(parents=True, exist_ok=True)
    job = {
        "sites": sites,
        "work": str(work),
        "epoch": EPOCH,
        "cases": str(REPO / "tests" / "invalid"),
        "minimal": str(REPO / "tests" / "sites" / "minimal"),
    }
    done = subprocess.run(
        [sys.executable, "-c", COLLECT, json.dumps(job)],
        check=False,
        env=collect_env(src, work),
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        sys.exit(f"collecting with {src} failed:\n{done.stderr[-4000:]}")
    record: dict[str, dict[str, object]] = json.loads(done.stdout)
    return record


def differences(old: dict[str, dict[str, object]], new: dict[str, dict[str, object]]) -> list[str]:
    found = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            found.append(f"{key}: only in {'new' if a is None else 'old'}")
            continue
        if a.get("exit") != b.get("exit"):
            found.append(f"{key}: exit {a.get('exit')} -> {b.get('exit')}")
        if a.get("stderr") != b.get("stderr"):
            found.append(f"{key}: output differs\n  old: {a.get('stderr')!r}\n  new: {b.get('stderr')!r}")
        fa, fb = a.get("files", {}), b.get("files", {})
        assert isinstance(fa, dict) and isinstance(fb, dict)
        for path in sorted(set(fa) | set(fb)):
            if fa.get(path) != fb.get(path):
                found.append(
                    f"{key}: {path} {'missing' if path not in fb else 'added' if path not in fa else 'differs'}"
                )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", help="git revision whose code is compared with the working tree's")
    parser.add_argument("--record", type=Path, help="write the working tree's record as JSON to this file")
    parser.add_argument("--sizes", default=",".join(SIZES), help="bench sizes to build (comma-separated, or none)")
    args = parser.parse_args()
    sizes = [] if args.sizes == "none" else args.sizes.split(",")
    with tempfile.TemporaryDirectory(prefix="identity-") as tmp:
        work = Path(tmp)
        sites = {"example": str(example_repository(work)), **bench_sites(sizes)}
        new = collect(REPO / "src", work / "new", sites)
        if args.record:
            args.record.write_text(json.dumps(new, indent=1, sort_keys=True))
        if not args.against:
            files = sum(len(v.get("files", {})) for v in new.values())  # type: ignore[arg-type]
            print(f"recorded {len(new)} sites and cases, {files} files")
            return 0
        old_tree = work / "old-tree"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old_tree), args.against], cwd=REPO, check=True)
        try:
            old = collect(old_tree / "src", work / "old", sites)
            again = collect(REPO / "src", work / "new-again", sites)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=REPO, check=False)
        unstable = differences(new, again)
        if unstable:
            print("the working tree's own two records differ (output not reproducible):", *unstable, sep="\n")
            return 1
        found = differences(old, new)
        files = sum(len(v.get("files", {})) for v in new.values())  # type: ignore[arg-type]
        if found:
            print(f"{len(found)} differences against {args.against}:", *found, sep="\n")
            return 1
        print(f"identical to {args.against}: {len(new)} sites and cases, {files} files")
        return 0


if __name__ == "__main__":
    sys.exit(main())
