"""Hostile inputs of 5 Dec 2026 (sixth round): what a pull request's files make servicebook do in
the CI job that checks them, and what the exports it writes make the tools that read them do."""

from __future__ import annotations

from pathlib import Path

import pytest


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Each reaches Python from a template the usual ways (the published Jinja escapes): a global's
# function globals, a string's class tree, the template's own context, a format string reading
# attributes. Each would run `touch MARKER` in the job that checks the pull request, or publish
# that job's environment (its secrets) in the page.
ESCAPES = {
    "function-globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "class-tree": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
    "{{ c('touch MARKER', shell=True) }}{% endif %}{% endfor %}",
    "template-context": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "format-string": "{{ '{0.__init__.__globals__[os].environ}'.format(cycler) }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].system('touch MARKER') }}",
}


@pytest.mark.parametrize("escape", list(ESCAPES.values()), ids=list(ESCAPES))
def test_a_site_template_reaching_python_is_refused_located_and_runs_nothing(
    run, site_copy, tmp_path: Path, escape: str
) -> None:
    """A pull request's layouts/ is rendered by `check` in the review job: a template is sandboxed,
    so it can shape every page but cannot run a command there (nor read the job's secrets)."""
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    before = _tree(site / "public")
    marker = tmp_path / "ran"
    (site / "layouts").mkdir()
    (site / "layouts" / "home.html").write_text(
        '{% extends "theme/home.html" %}\n{% block content %}'
        + escape.replace("MARKER", str(marker))
        + "{% endblock %}\n"
    )
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert "Traceback" not in result.output
        assert result.exit_code == 1, result.output
        assert f"{site}/layouts/home.html:2:1: error: while rendering index.html: " in result.stderr
        assert "is unsafe" in result.stderr
        assert "hint: a template runs in Jinja's sandbox" in result.stderr
    assert not marker.exists()
    assert _tree(site / "public") == before
