from pathlib import Path

EXIT = 2


def output(site: Path) -> Path:
    return site / "measurements"
