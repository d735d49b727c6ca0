"""Consecutive releases share their views (site/views.py `ViewMemo`): a view whose inputs are the
very objects (or the same texts) the last site view made it from is that view's object, so what
the last release's page keys digested holds for the next (stamps.Carried); any other view is made
anew, and every view is the one a site view made without the memo has."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from servicebook.catalog import model
from servicebook.site.load import load
from servicebook.site.views import SiteView, ViewMemo, site_view

from .conftest import FIXED_EPOCH
from .sitefiles import generated_site

ENV = {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}


def _loaded(tmp_path: Path) -> model.SiteContent:
    loaded = load(generated_site(tmp_path / "site", pages=3), ENV)
    assert loaded.site is not None, loaded.problems
    return loaded.site


def _next_release(site: model.SiteContent, **tool: object) -> model.SiteContent:
    """The next release as records.py reads it: the records it did not change are the same objects;
    its top-level settings (the categories, the team's support) read again, as equal new objects;
    the first tool changed as `tool` says."""
    catalog = site.catalog
    first = dataclasses.replace(catalog.tools[0], **tool)  # type: ignore[arg-type]
    catalog = dataclasses.replace(
        catalog,
        version="2.0",
        categories=tuple(dataclasses.replace(c) for c in catalog.categories),
        support=dataclasses.replace(catalog.support),
        tools=(first, *catalog.tools[1:]),
    )
    return dataclasses.replace(site, catalog=catalog)


def _same_views(a: SiteView, b: SiteView) -> None:
    assert a.offerings == b.offerings and a.tools == b.tools
    assert a.tool_by_id == b.tool_by_id and a.offering_by_id == b.offering_by_id


def test_the_next_release_shares_the_views_of_what_it_did_not_change(tmp_path: Path) -> None:
    site = _loaded(tmp_path)
    changed = site.catalog.tools[0]
    status = next(s for s in model.ToolStatus if s is not changed.status)
    after = _next_release(site, status=status)
    memo = ViewMemo()
    before_view = site_view(site, memo)
    after_view = site_view(after, memo)
    _same_views(before_view, site_view(site))
    _same_views(after_view, site_view(after))  # as made without the memo
    for tool in after.catalog.tools[1:]:
        assert after_view.tool_by_id[tool.id] is before_view.tool_by_id[tool.id]
    assert after_view.tool_by_id[changed.id] is not before_view.tool_by_id[changed.id]
    assert after_view.tool_by_id[changed.id].tool.status is status
    for offering in after_view.offerings:  # an offering that lists the changed tool shows it changed
        before = before_view.offering_by_id[offering.offering.id]
        uses = changed.id in offering.offering.tools
        assert (offering is before) is not uses
        assert offering.support is before.support  # the team's support read again, the same


def test_a_setting_that_reads_differently_is_not_taken_from_the_last_release(tmp_path: Path) -> None:
    site = _loaded(tmp_path)
    memo = ViewMemo()
    before_view = site_view(site, memo)
    renamed = tuple(dataclasses.replace(c, name=c.name + " and more") for c in site.catalog.categories)
    after = dataclasses.replace(site, catalog=dataclasses.replace(site.catalog, categories=renamed))
    after_view = site_view(after, memo)
    _same_views(after_view, site_view(after))
    for tool in after_view.tools:
        assert tool is not before_view.tool_by_id[tool.tool.id]
        assert tool.category.name.endswith(" and more")
