"""Browser fixtures: one headless Chromium (Debian's, through Playwright) for the whole session, and
the example site built once and served from 127.0.0.1.

Chromium is never downloaded. Without /usr/bin/chromium (or $SERVICEBOOK_CHROMIUM) these tests
skip, unless SERVICEBOOK_REQUIRE_BROWSER is set (as .ci/run does), when they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from servicebook.site.build import Options, build

from ..conftest import FIXED_EPOCH, REPO, GitSite

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
]
SCREENSHOTS = REPO / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 780}
NOT_FOUND = "no/such/page/"
REPORT: list[str] = []  # lines for the end-of-session summary (screenshots, measurements)


def chromium_path() -> str | None:
    path = os.environ.get("SERVICEBOOK_CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).is_file() and os.access(path, os.X_OK) else None


def require_tool(found: object, what: str) -> None:
    """Skip when a browser-test tool is missing, or fail when CI requires the browser tests."""
    if found:
        return
    if os.environ.get("SERVICEBOOK_REQUIRE_BROWSER"):
        pytest.fail(f"{what} is required (SERVICEBOOK_REQUIRE_BROWSER is set) but was not found")
    pytest.skip(f"{what} not found; set SERVICEBOOK_REQUIRE_BROWSER=1 to make this a failure")


class _QuietHandler(SimpleHTTPRequestHandler):
    """A static host: files as they are, the site's 404.html for anything missing."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serve `root` on a free port of 127.0.0.1 for the duration of the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    require_tool(path, "Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def example_public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example site, committed to a throwaway git repository (so the changes page and
    the versions are built too) and built once at a fixed date."""
    src = tmp_path_factory.mktemp("example")
    shutil.copy(REPO / "catalog.yaml", src)
    shutil.copytree(REPO / "content", src / "content")
    if (REPO / "layouts").is_dir():
        shutil.copytree(REPO / "layouts", src / "layouts")
    GitSite(src).commit("Example catalog")
    out = src / "public"
    build(Options(source=src, output=out, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    return out


@pytest.fixture(scope="session")
def site_url(example_public: Path) -> Iterator[str]:
    with static_server(example_public) as url:
        yield url


@pytest.fixture
def context_factory(browser: Any) -> Iterator[Any]:
    """New browser contexts (viewport, colour scheme, JavaScript on or off), closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        # generous: a 2-core CI machine under a parallel test run can take seconds to settle a page;
        # a timeout only bounds how long a real failure takes to report
        context.set_default_timeout(30_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(context_factory: Any) -> Any:
    """A desktop page that fails the test on any script error or CSP violation."""
    context = context_factory()
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and not _expected(msg) else None)
    yield tab
    assert problems == []


def _expected(message: Any) -> bool:
    """The browser reports the 404 status of the not-found page itself; that one is intended."""
    return "status of 404" in message.text and NOT_FOUND in message.location.get("url", "")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        REPORT.insert(0, f"screenshots: {SCREENSHOTS}")
    if REPORT:
        terminalreporter.section("browser tests")
        for line in REPORT:
            terminalreporter.write_line(line)
