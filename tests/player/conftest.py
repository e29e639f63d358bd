"""Fixtures for the browser tests of the player page and <ivs-viewer-count>.

A thread serves player/ at /, build/ivs-player/ (from `npm run bundle-player`) at /ivs-player/
and this folder at /tests/, on 127.0.0.1 only. Chromium runs through Playwright, and every
request to another host is aborted.
"""

import dataclasses
import http.server
import json
import logging
import threading
import urllib.parse
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

logger = logging.getLogger(__name__)

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parents[1]
PLAYER_DIR = REPO_ROOT / "player"
SDK_DIR = REPO_ROOT / "build" / "ivs-player"
SDK_FILES = [
    "amazon-ivs-player.js",
    "amazon-ivs-wasmworker.min.js",
    "amazon-ivs-wasmworker.min.wasm",
]

# URL prefix -> folder. Other paths are served from PLAYER_DIR.
MOUNTS = [
    ("/ivs-player/", SDK_DIR),
    ("/tests/", TESTS_DIR),
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")


class MountedFileHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files from MOUNTS and PLAYER_DIR, without caching, and log requests at debug level."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(PLAYER_DIR), **kwargs)

    def translate_path(self, path):
        url_path = urllib.parse.urlsplit(path).path
        for prefix, folder in MOUNTS:
            if url_path.startswith(prefix):
                self.directory = str(folder)
                # The base class drops ".." segments, so a request cannot leave the folder.
                return super().translate_path("/" + url_path[len(prefix) :])
        return super().translate_path(path)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):
        logger.debug("test server: " + format, *args)


@pytest.fixture(scope="session")
def hostile_cues():
    """Cue texts that the element must reject, from hostile_cues.json (shared with Node tests)."""
    table = json.loads((TESTS_DIR / "hostile_cues.json").read_text(encoding="utf-8"))
    return table["cases"]


@pytest.fixture(scope="session")
def server_url():
    """Base URL of the test server, such as http://127.0.0.1:41234 (no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MountedFileHandler)
    thread = threading.Thread(target=server.serve_forever, name="player-test-server", daemon=True)
    thread.start()

    host, port = server.server_address
    logger.info("player test server listening on %s:%d", host, port)
    yield f"http://{host}:{port}"

    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def sdk_bundle():
    """Skip unless build/ivs-player contains the IVS Player SDK bundle."""
    missing = [name for name in SDK_FILES if not (SDK_DIR / name).is_file()]
    if missing:
        pytest.skip(f"{SDK_DIR} lacks {', '.join(missing)}: run `npm run bundle-player` first")
    return SDK_DIR


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
        )

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclasses.dataclass
class BrowserPage:
    """A Playwright page with the page errors and console messages it produced."""

    page: object
    page_errors: list = dataclasses.field(default_factory=list)
    console: list = dataclasses.field(default_factory=list)

    def console_texts(self, kind=None):
        return [message.text for message in self.console if kind is None or message.type == kind]


def _allow_only_local(route):
    host = urllib.parse.urlsplit(route.request.url).hostname
    if host == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def new_browser_page(browser):
    """Return a function that opens a page in a fresh context that may only reach 127.0.0.1.

    Keyword arguments go to Browser.new_context, such as locale="de-DE". The contexts close
    when the test ends.
    """
    contexts = []

    def open_page(**context_options):
        options = {"viewport": {"width": 1280, "height": 800}, **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        context.route("**/*", _allow_only_local)
        page = context.new_page()

        result = BrowserPage(page=page)
        page.on("pageerror", lambda error: result.page_errors.append(error))
        page.on("console", lambda message: result.console.append(message))
        return result

    yield open_page

    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_browser_page):
    """A fresh 1280x800 page that may only reach 127.0.0.1."""
    return new_browser_page()
