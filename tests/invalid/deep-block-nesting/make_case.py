from pathlib import Path


def make(site: Path) -> None:
    deep = "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "bottom\n"
    with (site / "catalog.yaml").open("a") as catalog:
        catalog.write("extra:\n" + "".join("  " + line + "\n" for line in deep.splitlines()))
