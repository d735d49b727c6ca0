"""How `check` reports problems to machines: a stable JSON document, GitHub Actions workflow
commands (`::error file=…,line=…::…`), escaped as GitHub's runner expects, and a GitLab Code
Quality report; and which path the text format shows people."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
from collections.abc import Callable, Sequence
from pathlib import Path

from servicebook.errors import EVERY_WARNING, Problem, Severity, alike

SOURCE_ROOTS = ("catalog.yaml", "content", "layouts")  # what a problem's path may name in the site

CHECK_JSON_VERSION = 1


def problem_dict(problem: Problem, prefix: str = "") -> dict[str, object]:
    loc = problem.location
    return {
        "file": _file(loc.path, prefix),
        "line": loc.line or None,
        "column": loc.column or None,
        "severity": problem.severity.value,
        "message": problem.message,
        "hint": problem.hint,
    }


def summary(problems: Sequence[Problem], failed: bool) -> dict[str, object]:
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return {"ok": not failed, "errors": errors, "warnings": len(problems) - errors}


def check_json(problems: Sequence[Problem], failed: bool, prefix: str = "") -> str:
    """The documented `check --format json` document (see the README)."""
    doc = {
        "servicebook_check": CHECK_JSON_VERSION,
        "problems": [problem_dict(p, prefix) for p in problems],
        "summary": summary(problems, failed),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are escaped (GitHub's runner unescapes them)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(problem: Problem, prefix: str = "") -> str:
    """`::error file=…,line=…,col=…,title=…::message` (or ::warning) for one problem."""
    loc = problem.location
    props = [f"file={escape_property(_file(loc.path, prefix))}"]
    if loc.line > 0:
        props.append(f"line={loc.line}")
        if loc.column > 0:
            props.append(f"col={loc.column}")
    props.append(f"title={escape_property('servicebook ' + problem.severity.value)}")
    message = problem.message if not problem.hint else f"{problem.message}\nhint: {problem.hint}"
    return f"::{problem.severity.value} {','.join(props)}::{escape_data(message)}"


def check_github(problems: Sequence[Problem], failed: bool, prefix: str = "", *, every: bool = False) -> str:
    """A workflow command each (of many warnings alike, the first few and a count of the rest,
    unless `every`), then the verdict, which counts them all."""
    shown = problems if every else alike(problems, f"`servicebook check {EVERY_WARNING}`")
    return "\n".join([*(github_command(p, prefix) for p in shown), verdict(problems, failed)])


def verdict(problems: Sequence[Problem], failed: bool) -> str:
    """`servicebook check passed: 0 errors, 2 warnings`, counting every problem."""
    counts = summary(problems, failed)
    said = "check failed" if failed else "check passed"
    errors, warnings = counts["errors"], counts["warnings"]
    errors_s, warnings_s = "s" if errors != 1 else "", "s" if warnings != 1 else ""
    return f"servicebook {said}: {errors} error{errors_s}, {warnings} warning{warnings_s}"


def check_gitlab(problems: Sequence[Problem], prefix: str = "", *, every: bool = False) -> tuple[str, list[str]]:
    """A GitLab Code Quality report (the subset of Code Climate's issue format GitLab reads: each
    issue's description, check_name, a fingerprint unique in the report, severity, and the path
    from the repository's top with its line), and the same problems as lines for people (the job's
    log). Of many warnings alike, the first few and a count of the rest, unless `every`."""
    shown = problems if every else alike(problems, f"`servicebook check {EVERY_WARNING}`")
    issues: list[dict[str, object]] = []
    said: list[str] = []
    taken: set[str] = set()
    for problem in shown:
        loc = problem.location
        path = _file(loc.path, prefix)
        description = problem.message if not problem.hint else f"{problem.message} (hint: {problem.hint})"
        key = "\0".join((path, str(loc.line), str(loc.column), problem.severity.value, description))
        fingerprint = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        again = 1
        while fingerprint in taken:  # the same problem twice: GitLab shows one issue per fingerprint
            again += 1
            fingerprint = hashlib.sha256(f"{key}\0{again}".encode("utf-8", "surrogatepass")).hexdigest()
        taken.add(fingerprint)
        issues.append(
            {
                "description": description,
                "check_name": f"servicebook {problem.severity.value}",
                "fingerprint": fingerprint,
                "severity": "major" if problem.severity is Severity.ERROR else "minor",
                "location": {"path": path, "lines": {"begin": max(loc.line, 1)}},
            }
        )
        said.append(dataclasses.replace(problem, location=dataclasses.replace(loc, path=path)).format())
    return json.dumps(issues, indent=2, ensure_ascii=False), said


def _file(path: str, prefix: str) -> str:
    """The problem's path from the repository root when the site is in a sub-folder; what is not a
    source file (`git`, a page of the output, a release, a built-in template) as it is."""
    if not prefix or path.split("/", 1)[0] not in SOURCE_ROOTS:
        return path
    return posixpath.join(prefix, path)


def shown_from(source: Path, cwd: Path) -> Callable[[str], str]:
    """How the text format shows a problem's path (relative to the site) to someone in `cwd`: as
    a path they can open from there, relative to `cwd` when the file is under it, otherwise the
    --source they gave joined with the path. What is not a source file (`git`, a page of the
    output, a built-in template) is shown as it is."""

    def show(path: str) -> str:
        if path.split("/", 1)[0] not in SOURCE_ROOTS:
            return path
        given = source / path
        try:
            return Path(os.path.normpath(cwd / given)).relative_to(cwd).as_posix()
        except ValueError:
            return given.as_posix()

    return show
