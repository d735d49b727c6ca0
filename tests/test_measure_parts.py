"""The parts of `measure` that need no Prometheus: telling query shapes apart, windows, the
arithmetic and how figures read, and the client's faults against servers that are not
Prometheus (a web page, a server that never answers, nothing listening)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.catalog import model
from servicebook.catalog.queries import QueryForm, metric_name, query_form, with_window
from servicebook.git.in_effect import Moment
from servicebook.measure.budget import (
    NotMeasurable,
    attainment_text,
    budget_left_text,
    from_counts,
    from_ratio,
    promql_duration,
    window_start,
)
from servicebook.measure.prometheus import Prometheus, QueryFailed, Unreachable, check_url
from servicebook.measure.promised import measured_on
from servicebook.measure.snapshot import covering, file_name, parse
from servicebook.source.yaml import SourceText
from tests.conftest import examples

UTC = dt.UTC


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ('http_requests_total{job="api",code=~"5.."}', QueryForm.SELECTOR),
        ("http_requests_total", QueryForm.SELECTOR),
        ('{__name__="http_requests_total", job="api"}', QueryForm.SELECTOR),
        ("probe_success{job='x', le=\"0.2\",}", QueryForm.SELECTOR),
        ('  up{job="a,b}"}  ', QueryForm.SELECTOR),
        ("sum(rate(http_requests_total[{{.window}}]))", QueryForm.TEMPLATE),
        ("sum(rate(http_requests_total[{{ .window }}]))", QueryForm.TEMPLATE),
        ("sum(rate(http_requests_total[5m]))", None),  # a fixed range: not the SLO's window
        ('{job="api"}', None),  # every metric of a job is not a counter
        ("http_requests_total{job=api}", None),
        ("", None),
        ("http_requests_total offset 1h", None),
    ],
)
def test_a_query_is_a_selector_or_promql_over_the_window(query: str, form: QueryForm | None) -> None:
    assert query_form(query) is form


def test_the_window_goes_where_the_template_says_and_a_selector_names_its_metric() -> None:
    assert with_window("sum(rate(x[{{.window}}])) / sum(rate(y[{{ .window }}]))", "30d") == (
        "sum(rate(x[30d])) / sum(rate(y[30d]))"
    )
    assert metric_name('{__name__="jobs_total",job="a"}') == "jobs_total"
    assert metric_name('jobs_total{job="a"}') == "jobs_total"


@pytest.mark.parametrize(
    ("window", "end", "start"),
    [
        ("30d", dt.datetime(2026, 3, 31, tzinfo=UTC), dt.datetime(2026, 3, 1, tzinfo=UTC)),
        ("calendar-month", dt.datetime(2026, 3, 15, 12, tzinfo=UTC), dt.datetime(2026, 3, 1, tzinfo=UTC)),
        # at midnight on the 1st, the month that just ended, whole
        ("calendar-month", dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 2, 1, tzinfo=UTC)),
        ("calendar-month", dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2025, 12, 1, tzinfo=UTC)),
        ("calendar-quarter", dt.datetime(2026, 5, 20, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)),
        ("calendar-quarter", dt.datetime(2026, 4, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)),
        # a week from Monday (ISO 8601): Thursday 2026-01-08 is in the week of Monday the 5th
        ("calendar-week", dt.datetime(2026, 1, 8, 15, tzinfo=UTC), dt.datetime(2026, 1, 5, tzinfo=UTC)),
        # at midnight on a Monday, the week that just ended, whole (across the turn of the year)
        ("calendar-week", dt.datetime(2026, 1, 5, tzinfo=UTC), dt.datetime(2025, 12, 29, tzinfo=UTC)),
        ("calendar-week", dt.datetime(2026, 1, 4, 23, 59, tzinfo=UTC), dt.datetime(2025, 12, 29, tzinfo=UTC)),
        ("calendar-year", dt.datetime(2026, 7, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)),
        ("calendar-year", dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
def test_each_window_starts_where_its_kind_says(window: str, end: dt.datetime, start: dt.datetime) -> None:
    assert window_start(window, end) == start


def test_a_calendar_window_starts_at_midnight_in_the_slos_time_zone() -> None:
    # 1 March in Zurich begins at 23:00 UTC on 28 February (winter time)
    zurich = dt.datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert window_start("calendar-month", dt.datetime(2026, 3, 15, tzinfo=UTC), "Europe/Zurich") == zurich
    # at 23:30 UTC on 28 February it is already March there
    assert window_start("calendar-month", dt.datetime(2026, 2, 28, 23, 30, tzinfo=UTC), "Europe/Zurich") == zurich
    # New York's quarter starts at 04:00 UTC on 1 April (summer time)
    new_york = dt.datetime(2026, 4, 1, 4, tzinfo=UTC)
    assert window_start("calendar-quarter", dt.datetime(2026, 5, 20, tzinfo=UTC), "America/New_York") == new_york
    # the rolling windows know no time zone
    assert window_start("30d", dt.datetime(2026, 3, 31, tzinfo=UTC), "Asia/Tokyo") == dt.datetime(
        2026, 3, 1, tzinfo=UTC
    )


def test_durations_are_written_as_people_write_them() -> None:
    assert [promql_duration(s) for s in (2_592_000, 3600, 300, 90)] == ["30d", "1h", "5m", "90s"]


def test_attainment_and_budget_from_counts_and_ratios() -> None:
    figures = from_counts(999_500, 1_000_000, Decimal("99.9"))
    assert figures.attainment == pytest.approx(0.9995)
    assert figures.consumed == pytest.approx(0.5)
    assert from_ratio(0.002, Decimal("99.9")).consumed == pytest.approx(2.0)  # overspent twice over


@pytest.mark.parametrize(
    ("good", "total", "message"),
    [
        (0, 0, "no valid events in the window"),
        (11, 10, "more good events (11) than events in all (10)"),
        (float("nan"), 10, "the good count is nan"),
        (-1, 10, "the good count is -1"),
    ],
)
def test_counts_that_are_no_measurement_say_why(good: float, total: float, message: str) -> None:
    with pytest.raises(NotMeasurable, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_counts(good, total, Decimal("99"))


def test_figures_never_read_better_than_they_are() -> None:
    assert attainment_text(0.998996) == "99.899 %"  # not "99.900 %" against a 99.9 % objective
    assert attainment_text(1.0) == "100.000 %"
    assert budget_left_text(0.461) == "53 % of the error budget left"
    assert budget_left_text(1.0) == "0 % of the error budget left"
    assert budget_left_text(1.121) == "error budget overspent by 13 %"


def test_a_snapshot_is_named_by_its_end_time() -> None:
    assert file_name(dt.datetime(2026, 3, 31, 12, 5, 9, tzinfo=UTC)) == "2026-03-31T12-05-09Z.json"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("prometheus:9090", "give the server's address with http:// or https://"),
        ("ftp://prometheus", "give the server's address with http:// or https://"),
        ("http://", "the address has no host name"),
        ("http://p:99999", "the port is not a number from 1 to 65535"),
        ("http://p:9090/?x=1", "without ?query or #fragment"),
        ("http://[::1", "not an address"),  # urlsplit raises: an error, not a traceback
        ("http://user:s3cret@p:9090", "a user name or password"),  # never sent, kept in the snapshot
        ("http://user@p:9090", "a user name or password"),
        ("https://prometheus.example/prom", None),
    ],
)
def test_addresses_that_cannot_be_a_server_are_refused(url: str, problem: str | None) -> None:
    found = check_url(url)
    assert (found is None) if problem is None else (found is not None and problem in found)


class _WebPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>not Prometheus</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_prometheus_is_said_to_be_so(web_page: str) -> None:
    with pytest.raises(QueryFailed, match="did not answer as the Prometheus API does"):
        Prometheus(web_page).query("up", 0)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listening:  # accepts connections (the kernel does) and never answers
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        with pytest.raises(QueryFailed, match=re.escape("no answer within 0.2 s")) as raised:
            Prometheus(url, timeout=0.2).query("up", 0)
        assert not isinstance(raised.value, Unreachable)


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(Unreachable, match=f"cannot reach http://127.0.0.1:{port}: connection refused"):
        Prometheus(f"http://127.0.0.1:{port}").query("up", 0)


def test_promised_takes_the_window_that_ends_nearest_the_day() -> None:
    def result(end: dt.datetime) -> model.Snapshot:
        r = model.MeasuredSLO("ci", "a", Decimal("99"), "7d", end - dt.timedelta(days=7), end, None, 0.99, 0.5)
        return model.Snapshot(f"measurements/{file_name(end)}", end, "x", None, False, (r,))

    snapshots = [result(dt.datetime(2026, 3, d, tzinfo=UTC)) for d in (1, 5, 9)]
    day = dt.datetime(2026, 3, 4, tzinfo=UTC)
    found = covering(snapshots, "ci", "a", day, day + dt.timedelta(days=1))
    assert found is not None and found[0].end == dt.datetime(2026, 3, 5, tzinfo=UTC)
    assert covering(snapshots, "ci", "a", day + dt.timedelta(days=30), day + dt.timedelta(days=31)) is None


def test_promised_says_of_a_day_what_the_window_that_holds_it_measured() -> None:
    def snapshot(end: dt.datetime, reason: str | None = None) -> model.Snapshot:
        figures = (None, None) if reason else (0.995, 0.5)
        r = model.MeasuredSLO("ci", "a", Decimal("99.0"), "7d", end - dt.timedelta(days=7), end, reason, *figures)
        return model.Snapshot(f"measurements/{file_name(end)}", end, "x", None, False, (r,))

    snapshots = [snapshot(dt.datetime(2026, 3, 5, tzinfo=UTC)), snapshot(dt.datetime(2026, 3, 20, tzinfo=UTC), "down")]
    line, data = measured_on(snapshots, Moment(dt.date(2026, 3, 4)))("ci", "a") or ("", {})
    assert line.startswith("measured 2026-02-26 00:00 to 2026-03-05 00:00 UTC: ")
    assert line.endswith(
        "(objective then 99 %), 50 % of the error budget left (measurements/2026-03-05T00-00-00Z.json)"
    )
    assert data == {
        "snapshot": "measurements/2026-03-05T00-00-00Z.json",
        "start": "2026-02-26T00:00:00Z",
        "end": "2026-03-05T00:00:00Z",
        "timezone": None,  # a rolling window's: only a calendar window's period began in a time zone
        "objective": "99",
        "attainment": 0.995,
        "budget_remaining": 0.5,
        "reason": None,
        "too_little_data": None,  # the snapshot did not say how much of the window had data
    }
    line, data = measured_on(snapshots, Moment(dt.date(2026, 3, 19)))("ci", "a") or ("", {})
    assert line.endswith(": could not be measured: down (measurements/2026-03-20T00-00-00Z.json)")
    assert data["reason"] == "down" and data["attainment"] is None
    assert measured_on(snapshots, Moment(dt.date(2026, 3, 4)))("ci", "b") is None  # another SLO
    assert measured_on(snapshots, Moment(dt.date.max))("ci", "a") is None  # the last day there is: no overflow


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_VALID = {
    "servicebook_measurements": 1,
    "end": "2026-01-09T00:00:00Z",
    "server": "http://p:9090",
    "catalog": {"commit": None, "dirty": False},
    "generator": "servicebook",
    "slos": [
        {
            "offering": "ci",
            "slo": "a",
            "objective": "99.9",
            "window": "7d",
            "start": "2026-01-02T00:00:00Z",
            "end": "2026-01-09T00:00:00Z",
            "shape": "errors/total",
            "queries": {},
            "good": 999.0,
            "total": 1000.0,
            "counted_as": "events",
            "attainment": 0.999,
            "budget_consumed": 1.0,
            "budget_remaining": 0.0,
            "notes": [],
        }
    ],
    "not_defined": [],
}


@settings(max_examples=examples(200), deadline=None)
@given(
    path=st.sampled_from([(), ("catalog",), ("slos",), ("slos", 0)]),
    key=st.text(max_size=12),
    which=st.integers(0, 30),
    value=_JSON,
)
def test_a_snapshot_edited_anyhow_is_read_or_refused_with_located_problems(path, key, which, value) -> None:
    """Any value in place of any field (or a new field): read, or refused with every problem in
    the file, never a crash."""
    data = json.loads(json.dumps(_VALID))
    target = data
    for step in path:
        target = target[step]
    if isinstance(target, list):
        target.append(value)
    elif key:
        target[key] = value
    else:
        keys = list(target)
        target[keys[which % len(keys)]] = value
    source = SourceText("measurements/2026-01-09T00-00-00Z.json", json.dumps(data, indent=2))
    found = parse(source)
    if isinstance(found, list):
        assert found and all(p.location.path == source.path and p.location.line >= 1 for p in found)
    else:
        assert found.end == dt.datetime(2026, 1, 9, tzinfo=UTC)


def test_the_valid_snapshot_of_the_property_test_is_read() -> None:
    found = parse(SourceText("measurements/2026-01-09T00-00-00Z.json", json.dumps(_VALID)))
    assert isinstance(found, model.Snapshot) and found.results[0].budget_remaining == 0.0


@pytest.mark.parametrize("objective", ["NaN", "sNaN", "Infinity", "-0", "1e2", "100", "0", " 99.9", 99.9])
def test_an_objective_that_is_no_percentage_is_refused_at_its_place(objective: object) -> None:
    data = json.loads(json.dumps(_VALID))
    data["slos"][0]["objective"] = objective
    found = parse(SourceText("measurements/2026-01-09T00-00-00Z.json", json.dumps(data, indent=2)))
    assert isinstance(found, list)
    assert [(p.location.line, p.message) for p in found] == [
        (14, "'objective' must be a percentage written as text, e.g. \"99.9\"")
    ]


@pytest.mark.parametrize("field", ["good", "attainment", "budget_consumed", "budget_remaining"])
def test_a_number_too_large_for_a_float_is_refused_at_its_place(field: str) -> None:
    data = json.loads(json.dumps(_VALID))
    data["slos"][0][field] = 10**400
    found = parse(SourceText("measurements/2026-01-09T00-00-00Z.json", json.dumps(data, indent=2)))
    assert isinstance(found, list) and len(found) == 1 and found[0].message.startswith(f"'{field}' must be")


def test_a_calendar_week_starts_on_monday_at_midnight_in_its_time_zone_across_daylight_saving_time() -> None:
    # Zurich's clocks go forward on Sunday 2026-03-29: the week of Monday the 23rd began at 23:00 UTC
    # on the 22nd (winter time) and the next at 22:00 UTC on the 29th (summer time), 167 hours later
    before = dt.datetime(2026, 3, 22, 23, tzinfo=UTC)
    after = dt.datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert window_start("calendar-week", dt.datetime(2026, 3, 29, 12, tzinfo=UTC), "Europe/Zurich") == before
    assert window_start("calendar-week", after, "Europe/Zurich") == before  # at its end: that week, whole
    assert after - before == dt.timedelta(hours=167)
    assert window_start("calendar-week", after + dt.timedelta(minutes=1), "Europe/Zurich") == after
    # and back on Sunday 2026-10-25: the week that ends at 23:00 UTC that day is 169 hours long
    monday = dt.datetime(2026, 10, 25, 23, tzinfo=UTC)
    assert monday - window_start("calendar-week", monday, "Europe/Zurich") == dt.timedelta(hours=169)
    # New York's year begins at 05:00 UTC
    assert window_start("calendar-year", dt.datetime(2026, 6, 1, tzinfo=UTC), "America/New_York") == dt.datetime(
        2026, 1, 1, 5, tzinfo=UTC
    )
