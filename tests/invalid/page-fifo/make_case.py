import os
from pathlib import Path


def make(site: Path) -> None:
    os.mkfifo(site / "content/stuck.md")
