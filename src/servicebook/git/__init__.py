"""What git says: history, releases, and the back ends of `diff` and `promised`."""
