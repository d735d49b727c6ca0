"""`servicebook schema`."""

from __future__ import annotations

import json

import click

from servicebook.catalog.schema import front_matter_schema, json_schema


@click.command()
@click.option("--front-matter", is_flag=True, help="Print the schema of policy-page front matter instead.")
def schema(front_matter: bool) -> None:
    """Print the catalog's JSON Schema (for editors and CI)."""
    data = front_matter_schema() if front_matter else json_schema()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))  # the bytes the build publishes as schema.json


command = schema
