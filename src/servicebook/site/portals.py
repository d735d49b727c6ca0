"""The portal exports a site publishes (Backstage entities, tech-radar data) and what `export`
makes of a source folder: the same bytes either way, from the catalog and its git history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.basics import CATALOG_TOO_BIG, MAX_CATALOG_BYTES
from servicebook.catalog.portals import own_records
from servicebook.catalog.read import read_catalog
from servicebook.catalog.validate import backstage_export
from servicebook.errors import BuildFailed, Problem
from servicebook.git.history import load_timeline
from servicebook.git.repo import CATALOG_FILE, build_info, open_repo
from servicebook.interop import backstage, techradar
from servicebook.interop.techradar import RadarEvent
from servicebook.progress import Phases
from servicebook.site.changes import HistoryView, history_view
from servicebook.site.forge import commit_url
from servicebook.site.load import load
from servicebook.source.text import read_text

_STATUSES = {s.value: s for s in model.ToolStatus}


def radar_events(history: HistoryView | None) -> dict[str, list[RadarEvent]]:
    """Each tool's status changes, oldest first, from the committed history (the working tree's
    changes have no date yet): the date of the commit, and the new reason or the commit's message."""
    out: dict[str, list[RadarEvent]] = {}
    if history is None or not history.available:
        return out
    for subject, events in history.events.items():
        if not subject.startswith("tool:"):
            continue
        found: list[RadarEvent] = []
        for event in reversed(events):  # oldest first
            if not event.entry.iso:
                continue
            kinds = {c.kind: c for c in event.changes}
            change = kinds.get("tool.status") or kinds.get("tool.added")
            status = _STATUSES.get(change.after or "") if change is not None else None
            if status is None:
                continue
            reason = kinds.get("tool.reason")
            why = reason.after if reason is not None and reason.after else event.entry.message
            found.append(RadarEvent(dt.date.fromisoformat(event.entry.iso[:10]), status, why))
        if found:
            out[subject.removeprefix("tool:")] = found
    return out


def published(site: model.SiteContent, history: HistoryView | None) -> dict[str, bytes]:
    """The portal files the catalog asks the site to publish, by output path."""
    catalog = own_records(site.catalog)
    settings = catalog.portals
    files: dict[str, bytes] = {}
    if settings is None:
        return files
    base_url = catalog.site.base_url
    if settings.backstage is not None and base_url:  # validation requires base_url with backstage
        files[routes.BACKSTAGE_ENTITIES] = backstage.stream(backstage.entities(catalog, base_url))
    radar = settings.techradar
    if radar is not None:
        events = radar_events(history)
        for fmt in radar.formats:
            files.update(radar_files(catalog, fmt, events, _day(site.build.date)))
    return files


def _day(when: dt.datetime | None) -> dt.date | None:
    return when.date() if when is not None else None


def radar_files(
    catalog: model.Catalog, fmt: model.RadarFormat, events: Mapping[str, list[RadarEvent]], date: dt.date | None
) -> dict[str, bytes]:
    """One format's files by output path; `date` is the build's (Zalando's radar shows it)."""
    base_url = catalog.site.base_url
    if fmt is model.RadarFormat.BACKSTAGE:
        return {routes.TECHRADAR_BACKSTAGE: techradar.backstage_radar(catalog, events, base_url)}
    if fmt is model.RadarFormat.ZALANDO:
        return {routes.TECHRADAR_ZALANDO: techradar.zalando_radar(catalog, base_url, date)}
    return {routes.TECHRADAR_AOE + name: data for name, data in techradar.aoe_radar(catalog, events, base_url).items()}


def backstage_export_problems(source: Path, *, base_url_given: bool = False) -> list[Problem]:
    """What stops the Backstage export of the valid catalog in `source` that publishes no entities
    itself (catalog/validate.py `backstage_export`), each where it is in catalog.yaml; with
    `base_url_given` (`--base-url`), site.base_url unset is not one."""
    read = read_catalog(read_text(source, CATALOG_FILE, max_bytes=MAX_CATALOG_BYTES, too_big=CATALOG_TOO_BIG))
    assert read.checked is not None  # the export loaded it valid
    return backstage_export(read.source, read.checked, base_url_given=base_url_given)


def load_for_export(
    source: Path, *, history: bool, progress: Phases | None = None
) -> tuple[model.SiteContent, HistoryView | None]:
    """The checked site in `source` (BuildFailed if it has errors) and, with `history`, its git
    history as the build reads it; each a phase of `progress`."""
    progress = progress or Phases()
    progress.enter("reading and checking")
    git_repo = open_repo(source)  # asked once, for the load and the history
    loaded = load(source, os.environ, build=build_info(git_repo, os.environ), outlines=history, progress=progress)
    if loaded.site is None:
        raise BuildFailed(loaded.problems, action="export")
    site = dataclasses.replace(loaded.site, catalog=own_records(loaded.site.catalog))
    if not history:
        return site, None
    progress.enter("history")
    timeline = load_timeline(git_repo, site.build, outlines=loaded.outlines, progress=progress)
    repo, forge = site.catalog.site.repository, site.catalog.site.forge
    return site, history_view(timeline, lambda sha: commit_url(repo, forge, sha) if repo else None)
