"""Hostile inputs of 6 Dec 2026 (seventh round): a pull request's templates that would exhaust the
memory of the job that checks it, ..."""

from __future__ import annotations

from pathlib import Path

import pytest


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Each would ask the review job for gigabytes (or a number of billions of digits), in a few bytes
# of template: an operator, a format's width, a filter's or a method's count, a text doubled in a
# loop or a macro, a page printing one large text many times.
HOARDERS = {
    "repeat-text": "{{ 'x' * 10**10 }}",
    "repeat-list": "{{ ([1] * 10**10)|length }}",
    "power": "{{ (10 ** 100000000) % 7 }}",
    "format-width": "{{ '{:>10000000000}'.format(1) }}",
    "format-nested-width": "{{ '{:>{}}'.format(1, 10**10) }}",
    "percent-width": "{{ '%10000000000d' % 1 }}",
    "percent-star": "{{ '%*d' % (10**10, 1) }}",
    "format-filter": "{{ '%10000000000d'|format(1) }}",
    "center-filter": "{{ 'x'|center(10**10) }}",
    "indent-filter": "{{ 'x'|indent(10**10, first=true) }}",
    "batch-filter": "{{ ([1]|batch(10**10, 'x')|first)|length }}",
    "ljust-method": "{{ 'x'.ljust(10**10) }}",
    "replace-method": "{% set s = 'x' * 100000 %}{{ s.replace('x', s)|length }}",
    "replace-filter": "{% set s = 'x' * 100000 %}{{ (s|replace('x', s))|length }}",
    "join-filter": "{% set s = 'x' * 100000 %}{{ ([s] * 100000)|join|length }}",
    "namespace-doubling": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "macro-doubling": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ d('x', 60) }}",
    "list-extend": "{% set l = [1] %}{% for i in range(60) %}{{ l.extend(l) }}{% endfor %}",
    "range": "{% for i in range(10**9) %}{% endfor %}",
    "page-of-copies": "{% set s = 'x' * 10000000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
}


@pytest.mark.parametrize("hoard", list(HOARDERS.values()), ids=list(HOARDERS))
def test_a_site_template_making_a_huge_value_is_a_located_error_not_the_jobs_memory(run, site_copy, hoard: str) -> None:
    """A pull request's layouts/ is rendered by `check` in the review job, in Jinja's sandbox: what
    a template makes is bounded, so a template asking for gigabytes fails at its line, with what
    to do, and the published site stays as it was."""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = _tree(site / "public")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}' + hoard + "{% endblock %}\n"
    )
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert "Traceback" not in result.output
        assert result.exit_code == 1, result.output
        assert f"{site}/layouts/home.html:2:1: error: while rendering index.html: " in result.stderr
        assert "more than a template may" in result.stderr, result.stderr
        assert "hint: a template runs in Jinja's sandbox" in result.stderr, result.stderr
    assert _tree(site / "public") == before


def test_a_site_template_within_the_bounds_renders_as_it_did(run, site_copy) -> None:
    """The bounds are far from what a template does: repeating, formatting, padding and joining
    texts of ordinary size give what Jinja gives."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}'
        "<p id=t>{{ '-' * 3 }}|{{ 2 ** 10 }}|{{ '{:>5}'.format('a') }}|{{ '%05d' % 42 }}|{{ 'ab'|center(6) }}"
        "|{{ ['a', 'b']|join(',') }}|{{ 'a.b'.replace('.', '::') }}|{{ [1, 2] + [3] }}"
        "{% set ns = namespace(s='x') %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}|{{ ns.s }}</p>"
        "{% endblock %}\n"
    )
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    html = (site / "public" / "index.html").read_text()
    assert "<p id=t>---|1024|    a|00042|  ab  |a,b|a::b|[1, 2, 3]|xxxxxxxx</p>" in html
