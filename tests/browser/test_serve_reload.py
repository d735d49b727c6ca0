"""`servicebook serve` in a browser: an open page reloads itself after an edit, shows the errors of
an invalid one on top of the last good build, and recovers when the edit is fixed."""

from __future__ import annotations

import pytest

from ..conftest import FIXED_EPOCH
from ..servehelp import running_serve

pytestmark = pytest.mark.browser


def test_open_page_reloads_after_edits_and_survives_invalid_ones(page, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with running_serve(site, FIXED_EPOCH) as served:
        page.goto(served.url + "policies/welcome/")
        assert page.locator("h1").inner_text() == "How we work"
        errors = page.locator(".sb-serve-errors")

        # A valid edit: the open page reloads by itself.
        catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Crew"))
        page.locator(".site-footer", has_text="Platform Crew").wait_for()

        # A new layouts/ folder with a broken template: errors in the page, last good build below.
        (site / "layouts").mkdir()
        (site / "layouts/policy.html").write_text('{% extends "theme/policy.html" %}\n{% block content %}{{ oops( }}\n')
        errors.wait_for()
        assert "layouts/policy.html:2" in errors.inner_text()
        assert page.locator("h1").inner_text() == "How we work"
        assert page.locator(".site-footer", has_text="Platform Crew").count() == 1

        # Fixing it brings the page back, with the template's effect and no error box.
        (site / "layouts/policy.html").write_text(
            '{% extends "theme/policy.html" %}\n{% block content %}<p class="banner">Draft</p>{{ super() }}{% endblock %}\n'
        )
        page.locator("p.banner", has_text="Draft").wait_for()
        assert errors.count() == 0
        assert served.process.poll() is None
        assert "layouts/policy.html:2" in served.output()
