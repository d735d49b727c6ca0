"""The published JSON Schema accepts the catalogs servicebook accepts, as an editor reads them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from servicebook.catalog.schema import json_schema

from .conftest import REPO, SITES


def as_an_editor_reads_it(path: Path) -> object:
    """YAML as a YAML 1.2 editor sees it: numbers are numbers, dates stay text."""

    def fix(value: object) -> object:
        if isinstance(value, dict):
            return {str(k): fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    return fix(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize(
    "catalog",
    [REPO / "catalog.yaml", SITES / "minimal/catalog.yaml", REPO / "src/servicebook/scaffold/catalog.yaml"],
    ids=["example", "minimal", "init"],
)
def test_valid_catalogs_pass_the_published_schema(catalog: Path) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = sorted(
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(as_an_editor_reads_it(catalog))
    )
    assert errors == []


def test_schema_rejects_an_unknown_key_and_a_bad_enum() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    catalog = as_an_editor_reads_it(SITES / "minimal/catalog.yaml")
    assert isinstance(catalog, dict)
    catalog["offerings"][0]["lifecycle"] = "general-availability"
    catalog["offerings"][0]["objectve"] = 1
    messages = sorted(e.message for e in validator.iter_errors(json.loads(json.dumps(catalog))))
    assert any("general-availability" in m for m in messages)
    assert any("objectve" in m for m in messages)
