"""The build, stage by stage. `check` is the same pipeline without the write stage, so the two
can never disagree about what is valid."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildFailed, Problem
from .load import Loaded, load


@dataclass(frozen=True, slots=True)
class Options:
    source: Path
    output: Path
    strict: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True, slots=True)
class Report:
    """What a successful build or check tells the user."""

    warnings: tuple[Problem, ...]
    files: int = 0
    pages: int = 0


def check(options: Options, *, action: str = "check") -> tuple[Loaded, Report]:
    """Load and validate everything; raise BuildFailed with every problem, or report warnings."""
    loaded = load(options.source, options.env)
    failing = (options.strict and loaded.problems) or loaded.errors
    if failing or loaded.site is None:
        raise BuildFailed(loaded.problems, action=action)
    return loaded, Report(warnings=loaded.problems)


def build(options: Options) -> Report:
    # Imported here so that `check` and `schema` stay quick to start.
    from .render import RenderError, render_site
    from .write import check_files, check_output_dir, recover, write_site

    output = check_output_dir(options.output, options.source)  # refuse before any work
    loaded, report = check(options, action="build")  # 1. gather and validate every source (all errors at once)
    assert loaded.site is not None
    try:  # 2. render every file in memory: nothing touches the disk until all of it succeeded
        files = render_site(loaded.site, options.source)
    except RenderError as exc:
        raise BuildFailed(exc.problems) from None
    for asset in loaded.assets:  # 3. page images and attachments, as they are
        files[f"policies/{asset}"] = (options.source / "content" / asset).read_bytes()
    problems = check_files(files)  # 4. no escaping or colliding paths, no broken links
    if problems:
        raise BuildFailed(problems)
    recover(output)  # 5. swap the new site in whole (see write.py)
    write_site(files, output)
    pages = sum(1 for p in files if p.endswith(".html"))
    return Report(warnings=report.warnings, files=len(files), pages=pages)
