"""Browser tests of the player page (player/index.html).

Most tests load tests/player/fake_ivs_player.js in place of the SDK, so they can fire player
events without a stream. One test loads the real SDK bundle (build/ivs-player) against a stream
URL that returns 404. Playback of a real stream is tested with the IVS emulator.
"""

import json

import pytest

pytestmark = pytest.mark.browser

STUB_PLAYBACK_URL = "http://127.0.0.1:9/live/stub.m3u8"
FAKE_SDK = {
    "script": "/tests/fake_ivs_player.js",
    "wasmWorker": "/ivs-player/amazon-ivs-wasmworker.min.js",
    "wasmBinary": "/ivs-player/amazon-ivs-wasmworker.min.wasm",
}
CONFIG = {
    "playbackUrl": STUB_PLAYBACK_URL,
    "snapshotUrl": "snapshot/test.json",
    "sdk": FAKE_SDK,
}


def payload_text(counts):
    payload = {
        "type": "viewerCount",
        "version": 1,
        "time": 1764860400,
        "interval": 60,
        "counts": counts,
    }
    return json.dumps(payload, separators=(",", ":"))


def serve_config(page, config):
    page.route("**/config.json", lambda route: route.fulfill(json=config))


def serve_snapshot(page, body, status=200):
    page.route(
        "**/snapshot/test.json",
        lambda route: route.fulfill(status=status, body=body, content_type="application/json"),
    )


def open_player(browser_page, server_url, config=CONFIG, query=""):
    page = browser_page.page
    serve_config(page, config)
    page.goto(f"{server_url}/index.html{query}")
    return page


def wait_for_player(page):
    page.wait_for_function("window.fakePlayers?.length === 1")


def wait_for_message(page):
    page.wait_for_selector("#message:not([hidden])")
    return page.locator("#message").text_content()


def wait_for_console(browser_page, fragment):
    def contains_fragment(message):
        return fragment in message.text

    if not any(contains_fragment(message) for message in browser_page.console):
        browser_page.page.wait_for_event("console", predicate=contains_fragment)


def emit(page, name, payload):
    page.evaluate("([name, payload]) => window.fakePlayers[0].emit(name, payload)", [name, payload])


def emit_cue(page, text):
    emit(page, "PlayerTextMetadataCue", {"type": "TextMetadataCue", "text": text})


def shown_count(page):
    return page.locator("ivs-viewer-count .number").text_content()


def viewer_count_state(page):
    return page.evaluate("document.querySelector('ivs-viewer-count').state")


def test_page_shows_snapshot(browser_page, server_url):
    serve_snapshot(browser_page.page, payload_text([40, 42, 45]))
    page = open_player(browser_page, server_url)
    page.wait_for_function("document.querySelector('ivs-viewer-count').state === 'live'")

    assert shown_count(page) == "45"
    assert page.locator("#message").is_hidden()
    assert browser_page.page_errors == []


def test_page_starts_player(browser_page, server_url):
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    player = page.evaluate(
        """() => {
            const player = window.fakePlayers[0];
            return {
                loadedUrl: player.loadedUrl,
                config: player.config,
                muted: player.muted,
                autoplay: player.autoplay,
                hasVideo: player.video instanceof HTMLVideoElement,
                cueListeners: player.listenerCount('PlayerTextMetadataCue'),
            };
        }"""
    )
    assert player["loadedUrl"] == STUB_PLAYBACK_URL
    assert player["config"] == {
        "wasmWorker": f"{server_url}/ivs-player/amazon-ivs-wasmworker.min.js",
        "wasmBinary": f"{server_url}/ivs-player/amazon-ivs-wasmworker.min.wasm",
    }
    assert player["muted"] is True
    assert player["autoplay"] is True
    assert player["hasVideo"] is True
    assert player["cueListeners"] == 1


def test_cue_replaces_snapshot(browser_page, server_url):
    serve_snapshot(browser_page.page, payload_text([40, 42, 45]))
    page = open_player(browser_page, server_url)
    page.wait_for_function("document.querySelector('ivs-viewer-count').state === 'live'")
    wait_for_player(page)

    emit_cue(page, payload_text([45, 50, 60]))
    assert shown_count(page) == "60"


def test_late_snapshot_ignored(browser_page, server_url):
    page = browser_page.page
    held_routes = []
    page.route("**/snapshot/test.json", lambda route: held_routes.append(route))
    open_player(browser_page, server_url)
    wait_for_player(page)
    page.wait_for_function("() => true")  # lets the route handler run

    emit_cue(page, payload_text([45, 50, 60]))
    assert len(held_routes) == 1
    held_routes[0].fulfill(body=payload_text([1, 1, 1]), content_type="application/json")
    wait_for_console(browser_page, "a cue arrived first")

    assert shown_count(page) == "60"


def test_missing_snapshot_ignored(browser_page, server_url):
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    wait_for_console(browser_page, "Viewer-count snapshot skipped: HTTP 404")

    assert viewer_count_state(page) == "waiting"
    assert page.locator("#message").is_hidden()
    assert browser_page.page_errors == []


@pytest.mark.parametrize(
    ("body", "log_fragment"),
    [
        (payload_text([1, -2, 3]), "is not a valid payload"),
        ("<html>not json</html>", "failed to load"),
        (payload_text([1]) + " " * 20000, "is over 16384 bytes"),
    ],
    ids=["invalid payload", "not json", "too large"],
)
def test_bad_snapshot_ignored(browser_page, server_url, body, log_fragment):
    serve_snapshot(browser_page.page, body)
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    wait_for_console(browser_page, log_fragment)

    assert viewer_count_state(page) == "waiting"
    assert page.locator("#message").is_hidden()
    assert browser_page.page_errors == []


def test_query_overrides_config(browser_page, server_url):
    other_url = "http://127.0.0.1:9/other/index.m3u8"
    page = open_player(browser_page, server_url, query=f"?playbackUrl={other_url}")
    wait_for_player(page)

    assert page.evaluate("window.fakePlayers[0].loadedUrl") == other_url


def test_bad_query_shows_message(browser_page, server_url):
    query = "?playbackUrl=<img src=x onerror=window.__pwned=1>"
    serve_snapshot(browser_page.page, payload_text([3, 4]))
    page = open_player(browser_page, server_url, query=query)
    message = wait_for_message(page)

    assert "in the address is invalid: it is not an absolute URL" in message
    assert page.locator("#message *").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.fakePlayers") is None


def test_bad_query_keeps_snapshot(browser_page, server_url):
    serve_snapshot(browser_page.page, payload_text([3, 4]))
    page = open_player(browser_page, server_url, query="?playbackUrl=https://host/video.mp4")
    wait_for_message(page)
    page.wait_for_function("document.querySelector('ivs-viewer-count').state === 'live'")

    assert shown_count(page) == "4"


def test_missing_config_message(browser_page, server_url):
    page = browser_page.page
    page.route("**/config.json", lambda route: route.fulfill(status=404, body="not found"))
    page.goto(f"{server_url}/index.html")
    message = wait_for_message(page)

    assert message.startswith("Could not load config.json (HTTP 404). No playback URL is set.")


def test_default_sdk_is_cdn(browser_page, server_url):
    config = {"playbackUrl": STUB_PLAYBACK_URL}
    page = open_player(browser_page, server_url, config=config)
    message = wait_for_message(page)

    expected = "https://player.live-video.net/1.56.1/amazon-ivs-player.min.js"
    assert f"the IVS Player SDK could not be loaded from {expected}" in message


def test_unsupported_browser_message(browser_page, server_url):
    page = browser_page.page
    page.route(
        "**/tests/fake_ivs_player.js",
        lambda route: route.fulfill(
            body="window.IVSPlayer = { isPlayerSupported: false };",
            content_type="text/javascript",
        ),
    )
    open_player(browser_page, server_url)
    message = wait_for_message(page)

    assert "lacks WebAssembly support" in message
    assert browser_page.page_errors == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (429, "This stream has reached its limit of concurrent viewers."),
        (404, "The stream is offline or the playback URL is wrong."),
    ],
    ids=["viewer limit", "offline"],
)
def test_player_error_message(browser_page, server_url, code, expected):
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    error = {
        "type": "ErrorNotAvailable",
        "code": code,
        "source": "MasterPlaylist",
        "message": "Failed to load playlist",
    }
    emit(page, "PlayerError", error)

    assert wait_for_message(page).startswith(expected)


def test_player_states_logged(browser_page, server_url):
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    for state in ["Ready", "Buffering", "Playing", "Idle", "Ended"]:
        emit(page, state, None)

    info = browser_page.console_texts("info")
    for state in ["Ready", "Buffering", "Playing", "Idle", "Ended"]:
        assert f"IVS player state: {state}" in info


def test_playing_clears_error(browser_page, server_url):
    page = open_player(browser_page, server_url)
    wait_for_player(page)
    emit(page, "PlayerError", {"type": "ErrorNetwork", "code": 0, "source": "x", "message": ""})
    wait_for_message(page)
    emit(page, "Playing", None)

    assert page.locator("#message").is_hidden()


def test_sdk_load_failure_message(browser_page, server_url):
    config = {**CONFIG, "sdk": {**FAKE_SDK, "script": "/tests/no-such-sdk.js"}}
    page = open_player(browser_page, server_url, config=config)
    message = wait_for_message(page)

    assert "could not be loaded from" in message
    assert browser_page.page_errors == []


def test_real_sdk_without_stream(browser_page, server_url, sdk_bundle):
    # player/config.json as committed points at the local bundle, which the test server
    # serves at /ivs-player/ next to the page.
    page = browser_page.page
    page.goto(f"{server_url}/index.html?playbackUrl={server_url}/no-such-stream/index.m3u8")
    message = wait_for_message(page)

    assert message.startswith("The stream is offline or the playback URL is wrong.")
    assert page.evaluate("typeof window.IVSPlayer.create") == "function"
    assert browser_page.page_errors == []


# Bright stripes behind the overlay show whether its backdrop keeps the text readable.
BRIGHT_POSTER = (
    "data:image/svg+xml,"
    "%3Csvg xmlns='http://www.w3.org/2000/svg' width='160' height='90'%3E"
    "%3Crect width='160' height='90' fill='%23fff6d5'/%3E"
    "%3Crect width='40' height='90' fill='%2300c2ff'/%3E"
    "%3Crect x='80' width='40' height='90' fill='%23ffe14d'/%3E%3C/svg%3E"
)


@pytest.mark.parametrize(
    ("width", "height"),
    [(360, 740), (1280, 800)],
    ids=["phone", "desktop"],
)
def test_page_screenshot(browser_page, server_url, width, height):
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    serve_snapshot(page, payload_text([810, 900, None, 1500, 4200, 9800, 12400, 12800, 13650]))
    open_player(browser_page, server_url)
    page.wait_for_function("document.querySelector('ivs-viewer-count').state === 'live'")
    page.evaluate("(poster) => { document.querySelector('video').poster = poster; }", BRIGHT_POSTER)
    page.screenshot(path=f"/tmp/ivs-viewer-count-{width}x{height}.png")

    overlay = page.locator("ivs-viewer-count").bounding_box()
    stage = page.locator(".stage").bounding_box()
    assert overlay["x"] >= stage["x"]
    assert overlay["x"] + overlay["width"] <= stage["x"] + stage["width"]
    assert overlay["y"] + overlay["height"] <= stage["y"] + stage["height"]
    assert shown_count(page) == "13.7K"


def test_page_uses_browser_locale(new_browser_page, server_url):
    browser_page = new_browser_page(locale="de-DE")
    serve_snapshot(browser_page.page, payload_text([12000, 12345]))
    page = open_player(browser_page, server_url)
    page.wait_for_function("document.querySelector('ivs-viewer-count').state === 'live'")

    assert page.locator("ivs-viewer-count").get_attribute("lang") == "de-DE"
    assert shown_count(page) == "12.345"
