"""`servicebook import techradar`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from servicebook.commands.import_formats import FRAGMENT_OUTPUT, finish, read_all
from servicebook.commands.options import ALL_WARNINGS
from servicebook.git.repo import source_date_epoch
from servicebook.interop.aoe_radar import import_folder, releases
from servicebook.interop.fragment import STDIN, shown_name
from servicebook.interop.techradar import import_radar


@click.command(name="techradar")
@click.argument("file", type=click.Path(allow_dash=True, path_type=Path), metavar="FILE|FOLDER")
@FRAGMENT_OUTPUT
@ALL_WARNINGS
def import_techradar(file: Path, output: Path | None, every_warning: bool) -> None:
    """A tech radar's JSON (Backstage or Zalando), or AOE's radar folder, as categories and tools.

    Quadrant → category, ring → status (adopt: supported, trial and assess: best-effort, hold:
    unsupported). A radar has no alternatives: weak decisions are listed for you to complete."""
    epoch = source_date_epoch(os.environ)  # a malformed one is a usage error, as for `build`
    today = (epoch or dt.datetime.now(dt.UTC)).date()
    if file != STDIN and releases(file) is not None:  # AOE's radar as its authors write it: a folder of releases
        fragment, report = import_folder(file, shown_name(file))
    else:
        (source,) = read_all((file,))
        fragment, report = import_radar(source, today)
    finish(fragment, report, output, "techradar", every_warning)


command = import_techradar
