"""The real IVS Player Web SDK plays the emulator's stream in Chromium and fires timed metadata.

Run `npm run bundle-player` first; the test skips when the bundle or /usr/bin/chromium is missing.
Every request to a host other than 127.0.0.1 (the SDK calls AWS hosts at start) is aborted, and
the console errors that this causes are expected.
"""

import http.server
import threading
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from local.ivs_emulator import IvsEmulator
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

from .conftest import PAYLOAD, REGION, make_client

BUNDLE = Path(__file__).resolve().parents[2] / "build" / "ivs-player"
BUNDLE_FILES = (
    "amazon-ivs-player.js",
    "amazon-ivs-wasmworker.min.js",
    "amazon-ivs-wasmworker.min.wasm",
)
WAIT_MS = 45_000

PAGE = """<!doctype html>
<html>
<body>
<video id="video" muted playsinline></video>
<script src="/ivs/amazon-ivs-player.js"></script>
<script>
  window.states = [];
  window.errors = [];
  window.cues = [];
  const base = new URL("/ivs/", location.href).href;
  const player = IVSPlayer.create({
    wasmWorker: base + "amazon-ivs-wasmworker.min.js",
    wasmBinary: base + "amazon-ivs-wasmworker.min.wasm",
  });
  player.attachHTMLVideoElement(document.getElementById("video"));
  const { PlayerState, PlayerEventType } = IVSPlayer;
  for (const state of Object.values(PlayerState)) {
    player.addEventListener(state, () => window.states.push(state));
  }
  player.addEventListener(PlayerEventType.ERROR, (error) => {
    window.errors.push(JSON.stringify(error));
  });
  player.addEventListener(PlayerEventType.TEXT_METADATA_CUE, (cue) => {
    window.cues.push(cue.text);
  });
  player.setAutoplay(true);
  player.setMuted(true);
  player.load(new URLSearchParams(location.search).get("src"));
  window.player = player;
</script>
</body>
</html>
"""

CONTENT_TYPES = {".js": "application/javascript", ".wasm": "application/wasm"}


class PageHandler(http.server.BaseHTTPRequestHandler):
    """Serves the test page at / and the SDK bundle under /ivs/."""

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/":
            self.reply(PAGE.encode(), "text/html; charset=utf-8")
        elif path.startswith("/ivs/") and path[5:] in BUNDLE_FILES:
            file = BUNDLE / path[5:]
            self.reply(file.read_bytes(), CONTENT_TYPES[file.suffix])
        else:
            self.send_error(404)

    def reply(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def ivs_emulator_page_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def ivs_emulator_browser_page():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    missing = [name for name in BUNDLE_FILES if not (BUNDLE / name).exists()]
    if missing:
        pytest.skip(f"IVS player bundle lacks {', '.join(missing)}: run `npm run bundle-player`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", abort_outside_loopback)
        yield context.new_page()
        browser.close()


def abort_outside_loopback(route):
    if urlparse(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


@pytest.mark.browser
def test_player_receives_metadata_cue(
    ivs_emulator_media_dir, ivs_emulator_page_url, ivs_emulator_browser_page
):
    page = ivs_emulator_browser_page
    with IvsEmulator(media=True, media_cache_dir=ivs_emulator_media_dir) as emulator:
        arn = emulator.create_channel(name="browser", region=REGION)
        emulator.set_live(arn, True)
        emulator.set_audience(arn, 10)
        client = make_client(emulator)
        page.goto(ivs_emulator_page_url + "?src=" + quote(emulator.playback_url(arn)))

        page.wait_for_function("window.states.includes('Playing')", timeout=WAIT_MS)
        client.put_metadata(channelArn=arn, metadata=PAYLOAD)
        page.wait_for_function("window.cues.length > 0", timeout=WAIT_MS)
        viewers = client.get_stream(channelArn=arn)["stream"]["viewerCount"]

        # Play on past the end of the media loop (8 s by default), which repeats seamlessly.
        start = page.evaluate("window.player.getPosition()")
        loop_seconds = emulator.parameters.loop_seconds
        page.wait_for_function(
            f"window.player.getPosition() > {start + loop_seconds + 2}", timeout=WAIT_MS
        )

        assert page.evaluate("window.cues") == [PAYLOAD]
        assert viewers == 11
        assert page.evaluate("window.player.getState()") == "Playing"
        assert page.evaluate("window.errors") == []
