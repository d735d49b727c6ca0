"""`servicebook measure`: what Prometheus measured for each SLO, written as a snapshot under
measurements/. Exit codes: 0 every SLO with a measurement was measured; 1 the catalog has
errors (nothing asked, nothing written); 2 a usage problem (a bad --prometheus or --at, an
unknown --offering, no SLO with a measurement, a snapshot for that time exists, the folder
cannot be written, no query answered as Prometheus answers: nothing written); 3 the snapshot
was written, but some SLOs could not be measured (it says why for each)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from servicebook import __version__
from servicebook.catalog import model
from servicebook.catalog.slo import describe_window, format_percent
from servicebook.catalog.validate import did_you_mean
from servicebook.commands.options import SOURCE, paths_for_people
from servicebook.commands.progress import shown as show_progress
from servicebook.errors import UsageProblem
from servicebook.git.repo import build_info, catalog_state, open_repo
from servicebook.measure.budget import attainment_text, budget_left_text, period_text, too_little_data
from servicebook.measure.prometheus import DEFAULT_TIMEOUT, Prometheus, check_url, without_credentials
from servicebook.measure.run import calendar_zones, chosen, not_begun
from servicebook.measure.run import measure as measure_run
from servicebook.measure.snapshot import refuse_taken, utc_text, write
from servicebook.site.build import Options, gather
from servicebook.source.day_or_time import read_day_or_time

NOT_ALL_MEASURED = 3
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
AT_FORMS = (
    "a day (2026-03-31: its start, a calendar window's in its time zone, others' in UTC) or a time with its "
    "offset (2026-03-31T12:00:00Z, 2026-03-31T14:00:00+02:00)"
)


def parse_at(text: str, now: dt.datetime) -> tuple[dt.datetime, dt.date | None]:
    """--at: a day or a time with its offset (`2026-03-31T12:00:00Z`), read as `promised --at`
    reads them: (the time, or the day's start in UTC; the day, or None for a time). A day ends a
    calendar window at its midnight in the SLO's time zone (run.py end_of). Not before 1970, nor
    after `now`, which nothing has measured yet."""
    written = read_day_or_time(text, AT_FORMS)
    when = written.time or dt.datetime.combine(written.day, dt.time(), dt.UTC)
    if when < EPOCH:  # no window ends there, and a snapshot's name has a year of four digits
        raise UsageProblem(f"--at {text!r} is before 1970: Prometheus keeps no samples from then")
    if when > now + dt.timedelta(minutes=1):
        raise UsageProblem(f"--at {text!r} is in the future: nothing has been measured up to it yet")
    return when, None if written.time is not None else written.day


def result_line(r: model.MeasuredSLO) -> str:
    name = f"{r.offering}/{r.slo}"
    if r.reason is not None:
        return f"  {name}: not measured: {r.reason}"
    assert r.attainment is not None and r.budget_consumed is not None
    # a calendar window's start depends on its time zone and the end time: said, not left to a guess
    period = period_text(r.window, r.start, r.timezone)
    over = f"calendar {period}" if period is not None else describe_window(r.window)
    little = too_little_data(r)
    if little is not None:  # a figure of minutes of data is no verdict on the window's objective
        line = (
            f"  {name}: not enough data: {attainment_text(r.attainment)} over the {over}, from {little}: "
            f"too little to judge the objective ({format_percent(r.objective)})"
        )
    else:
        line = (
            f"  {name}: {attainment_text(r.attainment)} over the {over} (objective "
            f"{format_percent(r.objective)}), {budget_left_text(r.budget_consumed)}"
        )
    return "\n".join([line, *(f"    note: {n}" for n in r.notes)])


def unanswered(url: str, failed: tuple[model.MeasuredSLO, ...]) -> str:
    """Why a run none of whose queries Prometheus answered wrote nothing: a snapshot of SLOs all
    unmeasured would read as measured (nothing listening there, or not a Prometheus server)."""
    why = (failed[0].reason or "") if failed else ""
    unreachable = f"cannot reach {url}: "
    if why.startswith(unreachable):
        said = f"could not reach Prometheus at {url}: {why.removeprefix(unreachable)}"
    else:
        said = f"no query was answered by a Prometheus at {url}: {why.removeprefix('query failed: ')}"
    return f"{said}; check --prometheus (nothing was written)"


@click.command()
@SOURCE
@click.option(
    "--prometheus", "url", required=True, metavar="URL", help="The Prometheus server, e.g. http://prometheus:9090."
)
@click.option(
    "--at",
    "at",
    default=None,
    metavar="TIME",
    help="Measure up to this time (default: now), e.g. 2026-03-31T00:00:00Z; a day, 2026-03-31, ends a "
    "calendar window at midnight in its time zone.",
)
@click.option("--offering", default=None, metavar="ID", help="Only this offering's SLOs.")
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for one query.",
)
def measure(source: Path, url: str, at: str | None, offering: str | None, timeout: float) -> None:
    """Ask Prometheus what each SLO attained over its window; write a snapshot under measurements/."""
    problem = check_url(url)
    if problem is not None:
        raise UsageProblem(f"--prometheus {without_credentials(url)!r}: {problem}")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    end, day = (now, None) if at is None else parse_at(at, now)
    env = dict(os.environ)
    repo = open_repo(source)  # what git says about the source, asked once
    with paths_for_people(source), show_progress("normal") as progress:  # on a terminal: the pages read
        progress.enter("reading and checking")
        options = Options(source, source / "public", env=env, progress=progress)
        loaded, _ = gather(options, action="measure", build=build_info(repo, env))
    assert loaded.site is not None
    catalog = loaded.site.catalog
    if offering is not None and offering not in {o.id for o in catalog.offerings}:
        ids = [o.id for o in catalog.offerings]
        hint = did_you_mean(offering, ids) or "offerings: " + ", ".join(ids)
        raise UsageProblem(f"--offering {offering!r}: no such offering; {hint}")
    slos = chosen(catalog, offering)
    defined = sum(1 for _, s in slos if s.measurement is not None)
    if not defined:
        raise UsageProblem(
            "no SLO says how Prometheus measures it: give an SLO a `measurement` (see docs/measuring.md)"
        )
    late = None if day is None else not_begun(calendar_zones(catalog, slos), day, now)
    if day is not None and late is not None:
        slo, zone, begins = late
        raise UsageProblem(
            f"--at {at!r}: that day has not begun yet in {zone}, the time zone of {slo}'s calendar window (it "
            f"begins at {utc_text(begins)}): nothing has been measured up to it; measure after then, or up to "
            f"--at {day - dt.timedelta(days=1)}"
        )
    refuse_taken(source, end)  # before any query: the queries' answers could not be kept
    commit, dirty = catalog_state(repo)
    up_to = utc_text(end)
    if day is not None:
        up_to = f"{day} ({up_to}; calendar windows to midnight in their time zone)"
    click.echo(
        f"measuring {defined} SLO{'s' if defined != 1 else ''} up to {up_to} with {url}"
        + (f" ({len(slos) - defined} without a measurement left out)" if len(slos) > defined else "")
    )
    prometheus = Prometheus(url, timeout)
    held: list[model.MeasuredSLO] = []  # the lines before the server's first answer: said once it answers

    def said(result: model.MeasuredSLO) -> None:
        held.append(result)
        if prometheus.answered.is_set():
            for r in held:
                click.echo(result_line(r))
            held.clear()

    run = measure_run(
        catalog,
        prometheus,
        end,
        day=day,
        offering=offering,
        commit=commit,
        dirty=dirty,
        generator=f"servicebook {__version__}",
        progress=said,
    )
    if not prometheus.answered.is_set():  # an address that is no Prometheus: no snapshot to read as measured
        raise UsageProblem(unanswered(url, run.failed))
    path = write(source, run.document, end)
    failed = len(run.failed)
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    click.echo(f"wrote {shown}: {defined - failed} measured, {failed} not measured")
    if failed:
        raise click.exceptions.Exit(NOT_ALL_MEASURED)


command = measure
