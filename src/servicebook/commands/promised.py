"""`servicebook promised`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from servicebook.catalog import model
from servicebook.catalog.slo import format_percent
from servicebook.commands.options import SOURCE
from servicebook.federation.review import organisation_at
from servicebook.git.in_effect import catalog_at
from servicebook.git.promised import Measured, offerings_shown, parse_day, to_json, to_text
from servicebook.measure.budget import attainment_text, budget_left_text
from servicebook.measure.snapshot import covering, read_all


@click.command()
@SOURCE
@click.option("--at", "at", required=True, metavar="YYYY-MM-DD", help="The day (up to its end, UTC).")
@click.option("--offering", default=None, metavar="ID", help="Only this offering.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json (documented, stable) for tools.",
)
def promised(source: Path, at: str, offering: str | None, fmt: str) -> None:
    """What the catalog promised on a day: SLOs, support targets and unsupported tools, from git."""
    day = parse_day(at)
    found = organisation_at(source, catalog_at(source, day), day)  # with its members, on an organisation site
    offerings = offerings_shown(found, day, offering)
    measured = _measured(source, day)
    click.echo((to_json if fmt == "json" else to_text)(found, day, offerings, measured), nl=False)


def _measured(source: Path, day: dt.date) -> Measured:
    """What the snapshots under measurements/ (as the working tree has them) say of each SLO for
    a window that holds the day; a snapshot that cannot be read is named on stderr and left out."""
    snapshots, problems = read_all(source)
    for problem in problems:
        click.echo(problem.format(), err=True)
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    # up to the end of the day; the last day a date can name ends at the last instant there is
    end = start + dt.timedelta(days=1) if day < dt.date.max else dt.datetime.max.replace(tzinfo=dt.UTC)

    def measured(offering: str, slo: str) -> tuple[str, dict[str, object]] | None:
        found = covering(snapshots, offering, slo, start, end)
        if found is None:
            return None
        snapshot, r = found
        span = f"{r.start:%Y-%m-%d %H:%M} to {r.end:%Y-%m-%d %H:%M} UTC"
        data: dict[str, object] = {
            "snapshot": snapshot.path,
            "start": r.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": r.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "objective": format(r.objective.normalize(), "f"),
            "attainment": r.attainment,
            "budget_remaining": r.budget_remaining,
            "reason": r.reason,
        }
        return _line(r, span, snapshot), data

    return measured


def _line(r: model.MeasuredSLO, span: str, snapshot: model.Snapshot) -> str:
    if r.reason is not None or r.attainment is None or r.budget_consumed is None:
        return f"measured {span}: could not be measured: {r.reason} ({snapshot.path})"
    return (
        f"measured {span}: {attainment_text(r.attainment)} (objective then {format_percent(r.objective)}), "
        f"{budget_left_text(r.budget_consumed)} ({snapshot.path})"
    )


command = promised
