from pathlib import Path


def make(site: Path) -> None:
    secret = site.parent / "secret.txt"
    secret.write_text("CI_TOKEN=abc123\n")
    (site / "layouts").mkdir()
    (site / "layouts/home.html").symlink_to(secret)
