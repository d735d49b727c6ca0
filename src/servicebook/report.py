"""How `check` reports problems to machines: a stable JSON document and GitHub Actions workflow
commands (`::error file=…,line=…::…`), escaped as GitHub's runner expects; and which path the
text format shows people."""

from __future__ import annotations

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
    lines = [github_command(p, prefix) for p in shown]
    counts = summary(problems, failed)
    verdict = "check failed" if failed else "check passed"
    errors, warnings = counts["errors"], counts["warnings"]
    errors_s, warnings_s = "s" if errors != 1 else "", "s" if warnings != 1 else ""
    lines.append(f"servicebook {verdict}: {errors} error{errors_s}, {warnings} warning{warnings_s}")
    return "\n".join(lines)


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
