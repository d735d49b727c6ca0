"""Hostile inputs of 6 Dec 2026 (fourteenth round): the newer surfaces. A Prometheus that answers
with terminal escapes, megabytes of text or of figures, an address holding a password, numbers
past what a decimal holds in another tool's SLO file and in the catalog, a snapshot holding
control characters, a member repository whose address holds a password, whose commit holds
gigabytes that git keeps in megabytes, or whose branch names hold a bidirectional override; each
refused in words, nothing printed as it came from the input, no traceback, no memory spent on
what is then refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servicebook.git import members as git_members

from . import test_federation, test_hostile_round5
from .conftest import GitSite

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
            test_hostile_round5._vector("z" * 1_000_000),
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


@pytest.mark.parametrize(
    ("objective", "hint"),
    [
        ("1e-999999999", "write a percentage, e.g. 99.9"),  # 2 GB and 11 s to write its digits out
        ("1e-999999999999999999", "write a percentage, e.g. 99.9"),  # past memory: an internal error
        ("0e-999999999999999999", "write a percentage, e.g. 99.9"),
        ("1e-99999", "write a percentage, e.g. 99.9"),  # was "shorten it, e.g. to 0"
        ("0.0000000000000000000000001", "write a percentage, e.g. 99.9"),
        ("99.99999999999999999999999", "shorten it, e.g. to 99.99999999999999"),  # as before
    ],
)
def test_an_objective_with_more_places_than_meaningful_is_refused_without_writing_its_every_digit(
    run, site_copy, objective: str, hint: str
) -> None:
    """The error for an objective of more than 20 places showed it shortened to 20, made by writing
    every digit of it out: twelve characters, `1e-999999999`, wrote a billion (2 GB of memory and
    11 s in the job that checks a pull request), a longer exponent ran out of memory (an internal
    error), and a number whose first digit lies past the 20th place was shortened to 0."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("objective: 99.5", f"objective: {objective}"))
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{site}/catalog.yaml:59:20: error: 'objective' has ")
    assert lines[0].endswith(" digits after the decimal point; at most 20 are meaningful")
    assert lines[3] == f"  hint: {hint}"


SLOTH = """version: "prometheus/v1"
service: web
slos:
  - name: availability
    objective: OBJECTIVE
    sli:
      events:
        errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        totalQuery: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""

OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: latency
spec:
  service: api
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: api-p99
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{job="api"}[5m])) by (le))
  objectives:
    - op: lt
      value: VALUE
      OBJECTIVE
  timeWindow:
    - duration: 28d
      isRolling: true
"""


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        (
            "sloth",
            SLOTH.replace("OBJECTIVE", "1e999999999"),
            "5:16: error: objective 1e999999999 is not a percentage above 0 and at most 100 %",
        ),
        (
            "sloth",
            SLOTH.replace("OBJECTIVE", "-1e999999999"),
            "5:16: error: objective -1e999999999 is not a percentage above 0 and at most 100 %",
        ),
        (
            "openslo",
            OPENSLO.replace("VALUE", "0.3").replace("OBJECTIVE", "targetPercent: 1e999999999"),
            "20:22: error: targetPercent 1e999999999 is not a percentage above 0 and below 100 %",
        ),
        (
            "openslo",
            OPENSLO.replace("VALUE", "0.3").replace("OBJECTIVE", "target: 1e999999999"),
            "20:15: error: target 1e999999999 is not a fraction below 1 (OpenSLO's target is 0.999 for 99.9 %)\n"
            " 20 |       target: 1e999999999\n"
            "    |               ^\n"
            "  hint: write e.g. target: 0.999, or targetPercent: 99.9\n",  # was: or target: 1 and 999,997 zeros
        ),
        (  # a million digits written into the fragment, which the catalog then refuses
            "openslo",
            OPENSLO.replace("VALUE", "0.3").replace("OBJECTIVE", "targetPercent: 1e-999990"),
            "20:22: error: targetPercent 1e-999990 is not a percentage above 0 and below 100 %",
        ),
    ],
    ids=["sloth-huge", "sloth-huge-negative", "openslo-percent-huge", "openslo-target-huge", "openslo-percent-tiny"],
)
def test_an_objective_written_with_an_exponent_past_any_percentage_is_refused_located(
    run, tmp_path: Path, fmt: str, text: str, message: str
) -> None:
    """Another tool's SLO file with `objective: 1e999999999`: multiplying it (a fraction into a
    percent, or by 1) went past what Python's decimal holds, and decimal.Overflow was a traceback;
    a tiny one was written out into the fragment digit by digit."""
    file = tmp_path / "slo.yaml"
    file.write_text(text)
    result = run("import", fmt, file)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output[:2000]
    assert f"{file}:{message}" in result.stderr
    assert len(result.output) < 2000


@pytest.mark.parametrize("value", ["1e999999999", "-1e999999999", "1e-999999999"])
def test_a_threshold_past_any_bound_is_dropped_with_a_warning_not_a_traceback(run, tmp_path: Path, value: str) -> None:
    """The hint for a latency quantile kept under a bound wrote the bound out (`le="1000…"`): one
    written with a long exponent overflowed (a traceback); it has no share to suggest."""
    file = tmp_path / "slo.yaml"
    file.write_text(OPENSLO.replace("VALUE", value).replace("OBJECTIVE", "target: 0.999"))
    result = run("import", "openslo", file)
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output[:2000]
    assert f"warning: dropped the measurement: a threshold (lt {value}) has no catalog shape" in result.stderr
    assert "the share of requests within the bound" not in result.stderr


@pytest.mark.parametrize(
    ("repository", "refused"),
    [
        ("https://builder:s3cret@git.example.com/db-team/catalog.git", True),
        ("https://ghp_s3cret@github.com/db-team/catalog.git", True),  # a token as the user name, as forges take it
        ("http://builder@git.example.com/db.git", True),
        ("ssh://git:s3cret@git.example.com/db.git", True),
        ("ssh://git@git.example.com/db.git", False),  # a user name is how ssh addresses are written
        ("git@git.example.com:db-team/catalog.git", False),
        ("https://git.example.com/db-team/catalog.git", False),
        ("https://git.example.com/users/@me/catalog.git", False),  # an @ in the path is no user name
    ],
)
@pytest.mark.git
def test_a_member_address_holding_a_password_is_a_located_error_before_git_runs(
    run, tmp_path: Path, repository: str, refused: bool
) -> None:
    """`repository: https://builder:token@git.example.com/…` was fetched with the token, printed
    whole when the fetch failed ("cannot fetch https://builder:token@…", where git's own message had
    taken it out), and, once fetched, written into servicebook.lock and published on the member's
    team page and in catalog.json; refused, the catalog's line shown under the error still held it."""
    root = test_federation.organisation(tmp_path, f"  - id: db-team\n    repository: {repository}\n")
    line = root.joinpath("catalog.yaml").read_text().splitlines().index(f"    repository: {repository}") + 1
    # (`federate update` of an address it takes would reach the network: `check` says what it takes)
    for command in (("federate", "update"), ("check",)) if refused else (("check",),):
        result = run(*command, "--source", root)
        assert result.exit_code == 1, result.output
        said = (
            f"{root}/catalog.yaml:{line}:17: error: member 'db-team': the address holds a user name or password"
        ) in result.output
        assert said is refused
        if refused:  # nothing fetched: the message is the catalog's, the line under it without the secret
            assert "cannot fetch" not in result.output
            assert "s3cret" not in result.output and "builder" not in result.output, result.output
            assert f"{line} |     repository: {repository.split('//', maxsplit=1)[0]}//***@" in result.output
            assert "hint: write the address without them, and give git the credentials another way" in result.output
    assert not (root / "servicebook.lock").exists()


class _Asked:
    """git/members.py's runs of git, each passed on to the real git and its subcommand noted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.subcommands: list[str] = []
        real = git_members.run

        def run(root: Path, args: Any, stdin: bytes | None = None, **kwargs: Any) -> Any:
            args = list(args)
            self.subcommands.append(" ".join([a for a in args if not a.startswith("--git-dir")][:2]))
            return real(root, args, stdin, **kwargs)

        monkeypatch.setattr(git_members, "run", run)


@pytest.mark.git
def test_a_member_commit_holding_more_than_a_member_folder_may_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git keeps a file of gigabytes of one character in a few megabytes, so a member repository of
    2 MB can hold a commit of 400 MB: `federate update` and the build read the folder's archive
    whole before measuring it (800 MB of memory for 400 MB of files; the machine's memory for a few
    GB). Its files' sizes are read from git's listing first, and a folder over the bound is not
    archived; a catalog or page over a catalog's bound is not read either."""
    (tmp_path / "member").mkdir()
    work = GitSite(tmp_path / "member")
    work.write("catalog.yaml", "format: 1\n")
    work.write("content/welcome.md", "# Welcome\n")
    work.write("content/big.txt", "x" * 3000)
    commit = work.commit("A member's folder")
    store = tmp_path / "store.git"  # as `federate` makes a member's store: `git init --bare`, then a fetch
    work.git("init", "-q", "--bare", str(store))
    work.git("push", "-q", str(store), "main")
    monkeypatch.setattr(git_members, "MAX_TREE_BYTES", 2000)
    asked = _Asked(monkeypatch)
    with pytest.raises(git_members.MemberGitError) as refused:
        git_members.export(store, commit, ".", tmp_path / "tree")
    assert (refused.value.reason, refused.value.message) == (
        "tree",
        "its files are 3,020 bytes together, more than 2,000: not read",
    )
    assert "archive --format=tar" not in asked.subcommands
    assert not (tmp_path / "tree").exists()

    monkeypatch.setattr(git_members, "MAX_CATALOG_BYTES", 2000)
    assert git_members.read_file(store, commit, "content/big.txt", bare=True) is None
    assert git_members.read_file(store, commit, "catalog.yaml", bare=True) == b"format: 1\n"
    assert "cat-file blob" in asked.subcommands  # read: within the bound
    asked.subcommands.clear()
    assert git_members.read_file(store, commit, "content/big.txt", bare=True) is None
    assert asked.subcommands == ["cat-file -s"]
    assert git_members.read_files(store, commit, ["content/big.txt", "content/welcome.md"]) == {
        "content/welcome.md": b"# Welcome\n"
    }


def test_an_answer_larger_than_any_of_ours_is_refused_unparsed(run, site_copy, answering) -> None:
    """An answer to one of measure's queries is a sum's one series, or a few dozen buckets: well
    under a megabyte. Up to 64 MB was read and parsed: 60 MB of [time, value] pairs were 900 MB of
    Python objects, for each of the eight SLOs measured at once."""
    site = _measured_site(site_copy)
    pairs = ",".join(['[1,"1"]'] * 1_300_000)  # 10 MB
    url = answering(test_hostile_round5._vector("1"), test_hostile_round5._matrix(f"[{pairs}]"))
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert "Traceback" not in result.output
    assert result.exit_code == 3, result.output[:2000]
    (snapshot,) = (site / "measurements").iterdir()
    (measured,) = json.loads(snapshot.read_text())["slos"]
    assert measured["reason"].startswith("query failed: the answer is larger than 8,388,608 bytes")


@pytest.mark.parametrize(
    ("written", "code"),
    [("\\u001b[2J", "001B"), ("\\u0000", "0000"), ("\\u202e", "202E"), ("\\r", "000D")],
)
def test_a_snapshot_whose_text_holds_a_control_character_is_a_located_error(
    run, site_copy, answering, written: str, code: str
) -> None:
    """A snapshot is committed, and its reasons and notes are published: one edited by hand (or
    written by an earlier measure from a server's answer) with a terminal escape, a NUL or a
    bidirectional override written as a JSON escape was read and its text put into the pages as
    it was. The catalog and the pages refuse those characters however they are written; so does a
    snapshot, at the character."""
    site = _measured_site(site_copy)
    url = answering(_refusal("no such metric"), _refusal("no such metric"))
    assert run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z").exit_code == 3
    (snapshot,) = (site / "measurements").iterdir()
    text = snapshot.read_text()
    assert "no such metric" in text
    snapshot.write_text(text.replace("no such metric", f"no such {written}metric"))
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "no such metric" in s)
    column = text.splitlines()[line - 1].index("no such metric") + len("no such ") + 1
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        f"measurements/{snapshot.name}:{line}:{column}: error: 'reason' holds the control character U+{code}, "
        "which no text of a snapshot may (it would reach the site and the terminal as it is)\n"
    )


@pytest.mark.git
def test_a_member_branch_named_with_a_bidirectional_override_is_shown_escaped(run, tmp_path: Path) -> None:
    """When the followed branch is missing, `federate update` names the branches the member's
    repository has: git allows any character but ASCII controls and a few marks in a branch name,
    so one holding U+202E (Trojan Source) reversed the rest of the line in the terminal."""
    member = test_federation.Member(tmp_path, "db", "Database Team")
    member.work.git("push", "-q", str(member.bare), "main:release\u202enoitcudorp")
    root = test_federation.organisation(tmp_path, f"  - id: db-team\n    repository: {member.url}\n    ref: trunk\n")
    result = run("federate", "update", "--source", root)
    assert result.exit_code == 3, result.output
    assert "\u202e" not in result.output
    assert "; its branches: main, release\\u202enoitcudorp; its default is main: write `ref: main`" in result.output


_CONTROL = "the address holds a space or a control character; write a space in a path as %20"
_NOT_ASCII = (
    "the address holds a character that is not ASCII; write it percent-encoded in a path (\u00e9 as %C3%A9) and "
    "an international host name in its xn-- form"
)


@pytest.mark.parametrize(
    ("url", "shown", "said"),
    [
        ("http://127.0.0.1:9/prometheus api", "'http://127.0.0.1:9/prometheus api'", _CONTROL),
        ("http://127.0.0.1:9/\x1b[2J", "'http://127.0.0.1:9/\\x1b[2J'", _CONTROL),
        ("http://127.0.0.1:9/\u202ex", "'http://127.0.0.1:9/\\u202ex'", _CONTROL),
        ("http://127.0.0.1:9/a\tb", "'http://127.0.0.1:9/a\\tb'", _CONTROL),
        ("http://127.0.0.1:9/prom\u00e9th\u00e9e", "'http://127.0.0.1:9/prom\u00e9th\u00e9e'", _NOT_ASCII),
        ("http://pr\u00f6metheus.example:9090", "'http://pr\u00f6metheus.example:9090'", _NOT_ASCII),
    ],
    ids=["space", "terminal escape", "bidirectional override", "tab", "not ASCII in the path", "not ASCII in the host"],
)
def test_an_address_python_cannot_send_is_refused_before_anything_is_asked_saying_how_to_write_it(
    run, site_copy, url: str, shown: str, said: str
) -> None:
    """Python's HTTP client refuses a space or a control character in --prometheus (a path typed with
    one) with an exception of its own (an internal error with a traceback, after printing the
    address as it was), and a path or host name with an accent in its ASCII request line ("could
    not reach Prometheus at …: 'ascii' codec can't encode character '\\xe9'", as if the server were
    down)."""
    site = _measured_site(site_copy)
    result = run("measure", "--source", site, "--prometheus", url, "--at", "2026-06-01T00:00:00Z")
    assert result.exit_code == 2, result.output
    assert result.output == f"error: --prometheus {shown}: {said}\n"
    assert not (site / "measurements").exists()
