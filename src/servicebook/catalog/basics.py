"""What a build's first stage (site/fresh.py) and git/repo.py need of the catalog's definitions,
apart from the model so that a rebuild with nothing to do does not import the model: where a
build came from (`BuildInfo`) and the largest catalog.yaml servicebook reads. It imports
nothing of ours; the model re-exports both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_CATALOG_BYTES = 32 * 1024 * 1024
"""The largest catalog.yaml servicebook reads (in the working tree, at a commit, of a member): a
larger one is refused, not parsed. Here, not beside the reader (catalog/read.py), because the
build's first stage (site/fresh.py) needs it and must not import the reader."""

CATALOG_TOO_BIG = (
    "a site has one catalog.yaml: move long texts into policy pages under content/, or give each team "
    "its own catalog in its own repository and gather them into one organisation site (docs/federating.md)"
)
"""The hint for a catalog.yaml over MAX_CATALOG_BYTES: "split it up" would be no help, since one
site cannot split its catalog into several files."""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """Where a build came from; shown on every page, so it must be reproducible."""

    commit: str | None  # full hash, None outside git
    dirty: bool  # uncommitted changes in the source
    date: dt.datetime | None  # SOURCE_DATE_EPOCH or the commit date; never the wall clock
    generator: str  # "servicebook X.Y.Z"
