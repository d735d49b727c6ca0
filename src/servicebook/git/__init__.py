"""The one door to git: what git says (history, releases, the back ends of `diff` and `promised`),
through runner.py, the only module that starts it."""
