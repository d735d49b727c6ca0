"""`python build.py …` is the same as `servicebook …` (from a checkout, once the dependencies are
installed: `make site` does that in .venv)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

try:
    from servicebook.cli import main
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the interpreter used
    sys.exit(f"error: {exc.name} is not installed. Run `make site` (it sets up .venv), then use .venv/bin/python.")

main()
