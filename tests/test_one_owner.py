"""Each limit has one owner: a size limit written in two modules drifts (MAX_CATALOG_BYTES once
lived in five, MAX_PAGE_BYTES in the build and the history), and then the history accepts what
the build refuses."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).parent.parent / "src/servicebook"


def test_no_limit_is_defined_in_two_modules() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith("MAX_"):
                    owners[target.id].append(str(path.relative_to(SRC)))
    assert {name: found for name, found in owners.items() if len(found) > 1} == {}
