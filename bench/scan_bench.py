"""CPU seconds of the link check's page reading (write.scan_page) over every page of a built site,
this checkout's code against another revision's, in one process, alternating:

    python bench/scan_bench.py --against REV [--site PUBLIC] [--runs 5]

PUBLIC is a folder `servicebook build` wrote (the 5k bench site's, by default).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True)
    parser.add_argument("--site", type=Path, default=HERE / "out" / "5k" / "public")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = {p.relative_to(args.site).as_posix(): p for p in sorted(args.site.rglob("*")) if p.is_file()}
    pages = [(path, file.read_bytes()) for path, file in files.items() if path.endswith(".html")]
    known = frozenset(files)
    old_source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{args.against}:src/servicebook/site/write.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "old_write.py").write_text(old_source)
        spec = importlib.util.spec_from_file_location("old_write", Path(tmp) / "old_write.py")
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        sys.modules["old_write"] = old
        spec.loader.exec_module(old)
    sys.path.insert(0, str(REPO / "src"))
    from servicebook.site import write as new  # this checkout's

    def read(module: object, path: str, data: bytes) -> tuple[object, bytes]:
        links = module.scan_page(path, data, known)  # type: ignore[attr-defined]
        return links.links, links.ids

    same = all(read(old, p, d) == read(new, p, d) for p, d in pages)
    figures: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.runs):
        for name, module in (("old", old), ("new", new)):
            start = time.process_time()
            for path, data in pages:
                module.scan_page(path, data, known)
            figures[name].append(time.process_time() - start)
    print(f"{len(pages)} pages, {sum(len(d) for _, d in pages) / 1e6:.1f} MB; same results: {same}")
    for name, values in figures.items():
        runs = " ".join(f"{v:.2f}" for v in values)
        print(f"{name}: median {statistics.median(values):.2f} CPU s ({runs})")


if __name__ == "__main__":
    main()
