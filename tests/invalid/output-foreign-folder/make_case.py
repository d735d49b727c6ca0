from pathlib import Path

EXIT = 2


def make(site: Path) -> None:
    (site / "notes").mkdir()
    (site / "notes/thesis.tex").write_text("years of work")


def output(site: Path) -> Path:
    return site / "notes"
