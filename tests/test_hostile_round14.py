"""Hostile inputs of 6 Dec 2026 (fourteenth round): the newer surfaces. A Prometheus that answers
with terminal escapes and megabytes of text, an address holding a password, numbers past what a
decimal holds in another tool's SLO file and in the catalog, a member repository address holding
a password; each refused in words, nothing printed that the input did not mean to be read, no
traceback, no memory spent on a number's every digit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import test_hostile_round5

answering = test_hostile_round5.answering  # the fixture: a server answering the Prometheus API as told
MEASURED = test_hostile_round5.MEASURED


def _refusal(error: str, kind: str = "bad_data") -> str:
    return json.dumps({"status": "error", "errorType": kind, "error": error})


def _measured_site(site_copy) -> Path:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("        window: 30d", MEASURED))
    return site


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (  # what a terminal does with it: clears the screen, writes in red, and a line break forges a line
            "\x1b[2J\x1b[31mall good\nci/availability: 100.000 % over the last 30 days\r",
            "bad_data",
            "query failed: Prometheus refused the query (bad_data): \\u001b[2J\\u001b[31mall good\\n"
            "ci/availability: 100.000 % over the last 30 days\\r",
        ),
        (
            "y" * 2_000_000,
            "\x1b]0;owned\x07",
            "query failed: Prometheus refused the query (\\u001b]0;owned\\u0007): " + "y" * 299 + "…",
        ),
    ],
    ids=["terminal escapes", "two megabytes"],
)
def test_what_a_prometheus_writes_into_a_reason_is_shown_escaped_and_cut_short(
    run, site_copy, answering, error: str, kind: str, reason: str
) -> None:
    """A server that is not the Prometheus it claims to be (or a proxy in front of it) refuses the
    query with a text of its choosing: it was printed into the job's log as sent (a terminal escape
    cleared the screen, a line break wrote a line saying the SLO was met) and written, whole, into
    the snapshot, which is committed and published: an error of megabytes made a snapshot of megabytes and page.
    What the server wrote is quoted with its control characters as escapes, at most 300 of it."""
    site = _measured_site(site_copy)
    url = answering(_refusal(error, kind), _refusal(error, kind))
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[:2000]  # 3: a snapshot was written, saying why not measured
    assert "\x1b" not in result.output and "\r" not in result.output
    assert f"  ci/availability: not measured: {reason}" in result.output.splitlines()
    (snapshot,) = (site / "measurements").iterdir()
    (measured,) = json.loads(snapshot.read_text())["slos"]
    assert measured["reason"] == reason
    assert snapshot.stat().st_size < 10_000


@pytest.mark.parametrize(
    ("query", "query_range", "reason"),
    [
        (  # a value that is no number, megabytes long
            test_hostile_round5._vector("z" * 10_000_000),
            test_hostile_round5._matrix("[]"),
            "query failed: a value in the answer is not a number: '" + "z" * 298 + "…",
        ),
        (
            json.dumps({"status": "success", "data": {"resultType": "\x1b[31mvector" + "v" * 1_000_000, "result": []}}),
            test_hostile_round5._matrix("[]"),
            "query failed: expected a vector, the server answered a '\\x1b[31mvector" + "v" * 284 + "…",
        ),
    ],
    ids=["a value", "a result type"],
)
def test_a_value_or_a_type_that_the_server_made_up_is_quoted_cut_short(
    run, site_copy, answering, query: str, query_range: str, reason: str
) -> None:
    site = _measured_site(site_copy)
    url = answering(query, query_range)
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[:2000]
    (snapshot,) = (site / "measurements").iterdir()
    (measured,) = json.loads(snapshot.read_text())["slos"]
    assert measured["reason"] == reason
    assert f"  ci/availability: not measured: {reason}" in result.output.splitlines()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:s3cret-t0ken@prometheus.example:9090/", "http://***@prometheus.example:9090/"),
        ("https://s3cret-t0ken@prometheus.example", "https://***@prometheus.example"),
        ("https://user:s3cret-t0ken@prometheus.example/p@th", "https://***@prometheus.example/p@th"),
    ],
)
def test_an_address_holding_a_password_is_refused_without_printing_the_password(
    run, site_copy, url: str, shown: str
) -> None:
    """`--prometheus https://user:token@host` is refused (measure does not send it, and the snapshot
    would record it), and the refusal printed the whole address, the token with it, into the
    job's log: it is shown with `***` in place of the user name and password."""
    site = _measured_site(site_copy)
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert result.exit_code == 2, result.output
    assert "s3cret-t0ken" not in result.output
    assert result.output.startswith(f"error: --prometheus '{shown}': the address has a user name or password")
    assert not (site / "measurements").exists()
