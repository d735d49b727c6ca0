"""A small client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), on the
standard library: instant and range queries at given times, with a time limit, and every fault
turned into a sentence (never a traceback, never a number made up for a missing one)."""

from __future__ import annotations

import functools
import http.client
import io
import json
import math
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from servicebook import __version__
from servicebook.errors import printable

DEFAULT_TIMEOUT = 30.0  # seconds for one query, connection included
# what one answer may be: ours are a sum's one series (a range of at most ~11,000 points, as
# Prometheus caps them) or a few dozen buckets, well under a megabyte; a server's 60 MB of [time,
# value] pairs were 900 MB of Python objects, and CONCURRENT_QUERIES of them are read at once
MAX_ANSWER_BYTES = 8 * 1024 * 1024
MAX_TOLD = 300  # characters of a text the server wrote quoted in a reason (Prometheus's errors are a line)


class QueryFailed(Exception):
    """One query could not be answered; the message says why, in words."""


class Unreachable(QueryFailed):
    """The server could not be reached at all: every other query would fail the same way."""


def check_url(url: str) -> str | None:
    """Why `url` cannot be a Prometheus server's address, or None when it can."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed [IPv6 address
        return "not an address; give the server's address, e.g. http://prometheus:9090"
    if parts.scheme not in ("http", "https"):
        return "give the server's address with http:// or https://, e.g. http://prometheus:9090"
    if any(ch.isspace() or not ch.isprintable() for ch in url):  # http.client refuses them (a traceback)
        return "the address holds a space or a control character; write a space in a path as %20"
    if not url.isascii():  # http.client sends the request line in ASCII (it raised UnicodeEncodeError)
        return (
            "the address holds a character that is not ASCII; write it percent-encoded in a path "
            "(é as %C3%A9) and an international host name in its xn-- form"
        )
    if not parts.hostname:
        return "the address has no host name"
    if parts.username is not None or parts.password is not None:
        # urllib cannot use them (it looks the whole "user:password@host" up as the host), and the
        # snapshot, committed and published, records the address
        return (
            "the address has a user name or password, which measure does not send and the snapshot "
            "would record; reach a Prometheus that asks for them through an authenticating proxy"
        )
    if parts.query or parts.fragment:
        return "give the server's address without ?query or #fragment"
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError:
        return "the port is not a number from 1 to 65535"
    return None


def told(text: str) -> str:
    """A text the server wrote (its error, a value that is no number) as a reason quotes it: at most
    MAX_TOLD characters, control characters as escapes. The reason is printed, written into the
    snapshot and published: a terminal escape in an answer cleared the job's log, a line break forged
    lines of it, and an error of megabytes was a snapshot and a page of megabytes."""
    return printable(text if len(text) <= MAX_TOLD else text[: MAX_TOLD - 1] + "…")


def without_credentials(url: str) -> str:
    """`url` as a message may show it: a user name or password in it (`http://user:secret@host`)
    replaced by `***`, so that refusing the address does not print the secret into a CI log."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"


MAX_WARNINGS = 5  # of one answer, said in the snapshot: a partial response's first few tell what was missing


@dataclass(frozen=True, slots=True)
class Sample:
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]  # (unix time, value)


@dataclass(frozen=True, slots=True)
class Prometheus:
    url: str  # the server's base address, e.g. http://127.0.0.1:9090 (a path prefix is kept)
    timeout: float = DEFAULT_TIMEOUT
    # set once the server has answered a query as the Prometheus API does (with figures, or refusing
    # it): a run none of whose queries was answered so asked no Prometheus at all (a mistyped port)
    answered: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def query(self, promql: str, at: float, warned: list[str] | None = None) -> tuple[Sample, ...]:
        """An instant query evaluated at `at` (unix seconds): its vector (a scalar as one sample). The
        warnings the server gives with its answer (Thanos' and Mimir's partial responses, a store that
        did not answer; Prometheus' own PromQL warnings) are added to `warned`: the figures may be
        incomplete, which the snapshot says."""
        data = self._get("query", {"query": promql, "time": _time(at)}, warned)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return (Sample({}, _number(result)),)
        if kind != "vector" or not isinstance(result, list):
            raise QueryFailed(f"expected a vector, the server answered a {told(repr(kind))}")
        return tuple(Sample(_labels(item), _number(_field(item, "value"))) for item in result)

    def query_range(self, promql: str, start: float, end: float, step: int) -> tuple[Series, ...]:
        """A range query from `start` to `end` every `step` seconds: each series' points."""
        data = self._get("query_range", {"query": promql, "start": _time(start), "end": _time(end), "step": str(step)})
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise QueryFailed(f"expected a matrix, the server answered a {told(repr(data.get('resultType')))}")
        series = []
        for item in result:
            values = _field(item, "values")
            if not isinstance(values, list):
                raise QueryFailed("a series without values in the answer")
            series.append(Series(_labels(item), tuple((_time_of(v), _number(v)) for v in values)))
        return tuple(series)

    def _get(self, endpoint: str, params: dict[str, str], warned: list[str] | None = None) -> dict[str, Any]:
        params = {**params, "timeout": f"{max(1, int(self.timeout))}s"}
        address = f"{self.url.rstrip('/')}/api/v1/{endpoint}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(  # noqa: S310 - check_url allowed only http and https
            address, headers={"Accept": "application/json", "User-Agent": f"servicebook/{__version__}"}
        )
        body, status = self._answer(request)
        if status is not None and 300 <= status.code < 400:  # urllib stopped following: a loop, or too many
            raise QueryFailed(
                f"the server redirects the query in a loop (HTTP {status.code} again and again): check the "
                "address given to --prometheus, or the proxy in front of the server"
            )
        if status is not None:
            refused = _api_error(body)  # Prometheus refusing the query (400, 422, 503) is its answer
            if refused is not None:
                self.answered.set()
            raise QueryFailed(refused or f"the server answered HTTP {status.code} {told(str(status.reason))}")
        if len(body) > MAX_ANSWER_BYTES:
            raise QueryFailed(f"the answer is larger than {MAX_ANSWER_BYTES:,} bytes")
        try:
            document = json.loads(body)
        except ValueError:
            raise QueryFailed(f"{self.url} did not answer as the Prometheus API does (not JSON)") from None
        except RecursionError:  # nested deeper than the json module goes: no answer Prometheus writes
            raise QueryFailed(f"{self.url} did not answer as the Prometheus API does (JSON nested too deep)") from None
        if isinstance(document, dict) and (
            document.get("status") == "success" or (document.get("status") == "error" and _api_error(body))
        ):
            self.answered.set()
        if not isinstance(document, dict) or document.get("status") != "success":
            raise QueryFailed(_api_error(body) or "the server did not answer as the Prometheus API does")
        data = document.get("data")
        if not isinstance(data, dict):
            raise QueryFailed("the server's answer has no data")
        warnings = document.get("warnings")
        if warned is not None and isinstance(warnings, list):
            warned += [told(w) for w in warnings[:MAX_WARNINGS] if isinstance(w, str) and w.strip()]
        return data

    def _answer(self, request: urllib.request.Request) -> tuple[bytes, urllib.error.HTTPError | None]:
        """The body of the answer to `request` (at most MAX_ANSWER_BYTES + 1 of it), read by the
        query's deadline, and the answer where its status is a failure; a fault of the connection or
        of HTTP is raised as QueryFailed (Unreachable: the server cannot be reached)."""
        deadline = time.monotonic() + self.timeout
        status: urllib.error.HTTPError | None = None  # an answer with a status of failure
        try:
            opener = urllib.request.build_opener(_SameServer, _DeadlineHTTP(deadline), _DeadlineHTTPS(deadline))
            try:
                with opener.open(request, timeout=self.timeout) as answer:
                    body = _read_until(answer, deadline, self.timeout)
            except urllib.error.HTTPError as exc:  # its body read as any answer's: by the deadline, bounded
                status = exc
                with exc:
                    body = _read_until(exc, deadline, self.timeout)
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise QueryFailed(f"no answer within {self.timeout:g} s") from None
            raise Unreachable(f"cannot reach {self.url}: {_reason(reason)}") from None
        except TimeoutError:
            raise QueryFailed(f"no answer within {self.timeout:g} s") from None
        except (OSError, ValueError) as exc:  # a reset connection, a malformed address
            raise Unreachable(f"cannot reach {self.url}: {_reason(exc)}") from None
        except http.client.HTTPException as exc:  # a status line, headers or chunks no HTTP server sends
            raise QueryFailed(f"{self.url} did not answer as an HTTP server does: {_http_fault(exc)}") from None
        return body, status


class _SameServer(urllib.request.HTTPRedirectHandler):
    """Redirects followed within the server alone (its scheme, host and port): the snapshot names
    the server it asked, and a redirect elsewhere (another host, ftp://) would have made measure
    ask, and record as this server's, another one."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = (
            urllib.parse.urlsplit(req.full_url),
            urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)),
        )
        try:
            same = (new.scheme, new.hostname, new.port) == (old.scheme, old.hostname, old.port)
        except ValueError:  # a port that is not a number
            same = False
        if not same:
            there = f"{new.scheme}://{new.hostname or ''}" + (f":{_port(new)}" if _port(new) else "")
            raise QueryFailed(
                f"the server redirected the query to another server ({printable(there)}); measure asks only "
                "the one it is given: give --prometheus that server's address if it is the one to ask"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Reads(io.RawIOBase):
    """A connection's reads, each waiting no longer than what is left until `deadline`: the
    socket's own timeout is for each read, and a server sending its status line and headers a byte
    now and then never tripped it (the body is read by `_read_until`, bounded the same way)."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        super().__init__()
        self._raw = connection.makefile("rb", buffering=0)
        self._connection = connection
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        self._connection.settimeout(left)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """An answer whose every byte, headers included, is read by a deadline (`_Reads`)."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the socket's own reader, replaced
        self.fp = io.BufferedReader(_Reads(sock, deadline))


def _connection(kind: Any, deadline: float) -> Any:
    """`kind` (http.client's connection class) as urllib makes it, its answers read by `deadline`."""

    def connect(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        made: http.client.HTTPConnection = kind(host, **kwargs)
        made.response_class = functools.partial(_DeadlineResponse, deadline=deadline)  # type: ignore[assignment]
        return made

    return connect


class _DeadlineHTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class: Any, req: urllib.request.Request, **http_conn_args: Any) -> Any:
        return super().do_open(_connection(http_class, self.deadline), req, **http_conn_args)


class _DeadlineHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class: Any, req: urllib.request.Request, **http_conn_args: Any) -> Any:
        return super().do_open(_connection(http_class, self.deadline), req, **http_conn_args)


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def _read_until(answer: Any, deadline: float, timeout: float) -> bytes:
    """The answer's body, at most MAX_ANSWER_BYTES + 1 of it, read by `deadline`: the socket's own
    timeout is for each read, and a server sending a byte now and then never trips it."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_ANSWER_BYTES:
        if time.monotonic() > deadline:
            raise QueryFailed(f"no answer within {timeout:g} s")
        chunk = answer.read1(64 * 1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _http_fault(exc: http.client.HTTPException) -> str:
    """What was wrong with an answer http.client could not read, in words (quoting what the server
    wrote as a reason does)."""
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer ended before its end (the connection was closed, or a chunk was cut short)"
    if isinstance(exc, http.client.BadStatusLine):
        return f"its first line is {told(repr(exc.args[0] if exc.args else ''))}, no HTTP status line"
    return told(str(exc) or type(exc).__name__)  # a header line too long, too many headers


def _time(at: float) -> str:
    return f"{at:.3f}".rstrip("0").rstrip(".")


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower() if reason.strerror[:1].isupper() else reason.strerror
    return str(reason) or type(reason).__name__


def _api_error(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        kind, error = document.get("errorType"), told(document["error"])
        return f"Prometheus refused the query ({told(str(kind))}): {error}" if kind else error
    return None


def _field(item: object, key: str) -> object:
    if not isinstance(item, dict) or key not in item:
        raise QueryFailed(f"an item of the answer has no {key!r}")
    return item[key]


def _field_at(pair: object, index: int) -> object:
    if not isinstance(pair, list) or len(pair) != 2:
        raise QueryFailed("a value in the answer is not a [time, value] pair")
    return pair[index]


def _time_of(pair: object) -> float:
    stamp = _field_at(pair, 0)
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise QueryFailed(f"a time in the answer is not a number: {stamp!r}")
    try:
        seconds = float(stamp)
    except OverflowError:  # an integer past any float
        seconds = math.inf
    # json reads NaN and Infinity as floats: no time of a sample, and none rounds to a second
    if not math.isfinite(seconds):
        raise QueryFailed(f"a time in the answer is not a time: {str(stamp)[:40]}")
    return seconds


def _labels(item: object) -> dict[str, str]:
    labels = _field(item, "metric")
    if not isinstance(labels, dict):
        raise QueryFailed("an item of the answer has labels that are not a mapping")
    return {str(k): str(v) for k, v in labels.items()}


def _number(pair: object) -> float:
    """A value of the answer: Prometheus writes numbers as strings ("1.5", "NaN", "+Inf")."""
    text = _field_at(pair, 1)
    try:
        value = float(str(text))
    except ValueError:
        raise QueryFailed(f"a value in the answer is not a number: {told(repr(text))}") from None
    return value  # NaN and ±Inf included: the caller says why such a value is no measurement
