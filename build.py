"""`python build.py …` is the same as `servicebook …` (works from a checkout without installing)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from servicebook.cli import main

main()
