"""Portal exports benchmark: the generated large catalog (bench/generate.py) with a `portals:`
section, and how long `export backstage`, `export techradar` (each format, without history) and
`import backstage` of that export take, in CPU seconds of the servicebook process, with the sizes
of what they write.

    python bench/portals_bench.py                                  # 2,000 offerings, 5,000 tools
    python bench/portals_bench.py --offerings 200 --tools 500
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generate import CATEGORIES, OWNERS, PEOPLE, generate


def portals_section() -> str:
    owners = "".join(
        f"      - owner: {team} ({person})\n        ref: group:default/{team.lower().replace(' ', '-')}\n"
        for team in OWNERS
        for person in PEOPLE
    )
    quadrants = "".join(
        f"      - category: {cid}\n        quadrant: Quadrant {n % 4 + 1}\n" for n, (cid, _) in enumerate(CATEGORIES)
    )
    return (
        "portals:\n  backstage:\n    owners:\n" + owners + "  techradar:\n    formats: [backstage, zalando, aoe]\n"
        "    quadrants:\n" + quadrants
    )


def timed(args: list[str], cwd: Path) -> tuple[float, int]:
    """CPU seconds of the command (its children's rusage) and the bytes it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, cwd=cwd, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offerings", type=int, default=2000)
    parser.add_argument("--tools", type=int, default=5000)
    args = parser.parse_args()
    servicebook = str(Path(sys.executable).parent / "servicebook")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        generate(site, offerings=args.offerings, tools=args.tools, pages=20)
        catalog = site / "catalog.yaml"
        text = catalog.read_text().replace(
            "  title: Synthetic Bank Platform Engineering\n",
            "  title: Synthetic Bank Platform Engineering\n  base_url: https://platform.example/\n",
        )
        catalog.write_text(text)
        print(f"{args.offerings} offerings, {args.tools} tools")
        seconds, _ = timed([servicebook, "check"], site)
        print(f"  {'check, without portals:':40} {seconds:6.2f} CPU s")
        catalog.write_text(text + portals_section())
        rows = [
            ("check, with portals: (renders them too)", [servicebook, "check"]),
            ("export backstage", [servicebook, "export", "backstage"]),
            ("export techradar --format backstage", [servicebook, "export", "techradar", "--format", "backstage", "--no-history"]),
            ("export techradar --format zalando", [servicebook, "export", "techradar", "--format", "zalando", "--no-history"]),
        ]  # fmt: skip
        for label, command in rows:
            seconds, size = timed(command, site)
            print(f"  {label:40} {seconds:6.2f} CPU s  {size / 1e6:6.2f} MB")
        exported = Path(tmp) / "entities.yaml"
        done = subprocess.run([servicebook, "export", "backstage"], cwd=site, capture_output=True, check=True)
        exported.write_bytes(done.stdout)
        seconds, size = timed([servicebook, "import", "backstage", str(exported)], site)
        print(f"  {'import backstage (of that export)':40} {seconds:6.2f} CPU s  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
