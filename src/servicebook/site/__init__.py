"""The build: load, views, render, write, and the commands built on it (serve, verify)."""
