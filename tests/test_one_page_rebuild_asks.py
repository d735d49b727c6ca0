"""What a one-page rebuild from the command line does not ask of every page it keeps."""

from __future__ import annotations

from servicebook import routes
from servicebook.site.changes import HistoryView

from .sitefiles import clean_build, generated_site, tree


def test_a_one_page_rebuild_outside_git_asks_no_kept_page_what_it_last_changed(run, tmp_path, monkeypatch) -> None:
    # A site outside git has a history without a change: no page shows a "Last changed". The
    # key of each kept policy page asked the history for its path's newest change anyway (its
    # path parsed into a subject, for 5,000 pages at 5k): with `last_changed` made to refuse any
    # policy page but the edited one (the pages rendered again ask for their own), the rebuild
    # makes what a clean build makes.
    site = generated_site(tmp_path / "site", pages=12)
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[3]
    page.write_text(page.read_text() + "\nOne more line.\n")
    edited = routes.output_path(routes.policy(page.stem))
    asked = HistoryView.last_changed

    def refusing(self: HistoryView, path: str) -> object:
        kind = routes.entity_at(path)
        assert path == edited or kind is None or kind[0] != "policy", f"asked what {path} last changed"
        return asked(self, path)

    monkeypatch.setattr(HistoryView, "last_changed", refusing)
    done = run("build", "--source", site)
    assert done.exit_code == 0, done.output
    assert "policy pages                 1" in done.output or "1 " in done.output
    monkeypatch.undo()
    assert tree(site / "public") == clean_build(run, site, tmp_path)
