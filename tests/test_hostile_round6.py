"""Hostile inputs of 5 Dec 2026 (sixth round): what a pull request's files make servicebook do in
the CI job that checks them, and what the exports it writes make the tools that read them do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .sitefiles import tree

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
    before = tree(site / "public")
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
    assert tree(site / "public") == before


# YAML 1.2.2, 10.3.2: the plain texts the core schema reads as null, a boolean or a number.
CORE_SCHEMA_NOT_TEXT = re.compile(
    r"null|Null|NULL|~|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?(\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN"
)


def _plain_non_texts(stream: str) -> list[str]:
    """The texts of `stream` written plainly that a YAML 1.2 reader takes for something else."""
    found = []
    todo: list[yaml.Node] = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            if (
                node.style is None
                and node.tag == "tag:yaml.org,2002:str"
                and CORE_SCHEMA_NOT_TEXT.fullmatch(node.value)
            ):
                found.append(node.value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
        elif isinstance(node, yaml.MappingNode):
            todo += [part for pair in node.value for part in pair]
    return found


PUBLISHED_TO_BACKSTAGE = """  base_url: https://platform.example.com/
portals:
  backstage:
    owners:
      - owner: Platform Team
        ref: group:default/platform
"""


def test_exported_yaml_reads_as_the_same_texts_in_yaml_1_2(run, site_copy, tmp_path: Path) -> None:
    """Backstage and the OpenSLO tools read YAML 1.2, where a plain 1e3 is the number 1000 and 08
    is 8: an offering or tool whose id looks like one is written quoted, as `1` and `no` are."""
    site = site_copy("minimal")
    catalog = (site / "catalog.yaml").read_text()
    catalog = catalog.replace("  - id: ci\n    name: CI", "  - id: 1e3\n    name: CI")
    catalog = catalog.replace("shared-pipelines", "08").replace("category: ci", "category: 0o17")
    catalog = catalog.replace("  - id: ci\n    name: Continuous", "  - id: 0o17\n    name: Continuous")
    catalog = catalog.replace(
        "  title: Platform services\n", "  title: Platform services\n" + PUBLISHED_TO_BACKSTAGE, 1
    )
    (site / "catalog.yaml").write_text(catalog)
    page = site / "content" / "welcome.md"
    page.write_text(
        page.read_text().replace("offerings: [ci]", "offerings: [1e3]").replace("offering:ci", "offering:1e3")
        .replace("tool:shared-pipelines", "tool:08")
    )  # fmt: skip
    assert run("check", "--source", site).exit_code == 0
    streams = {}
    for fmt in ("openslo", "backstage"):
        result = run("export", fmt, "--source", site)
        assert result.exit_code == 0, result.output
        streams[fmt] = result.stdout
    radar = tmp_path / "radar"
    assert (
        run("export", "techradar", "--format", "aoe", "--no-history", "--source", site, "--output", radar).exit_code
        == 0
    )
    for file in sorted(radar.rglob("*.md")):
        streams[str(file.relative_to(radar))] = file.read_text().split("---\n")[1]  # the front matter
    assert "name: '1e3'" in streams["openslo"]
    assert "name: '1e3'" in streams["backstage"]
    assert "tags:\n- '0o17'" in streams["radar/2026-01-01/08.md"]
    for name, stream in streams.items():
        assert _plain_non_texts(stream) == [], name
