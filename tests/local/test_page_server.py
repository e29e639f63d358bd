"""The local page server: generated config.json, snapshots, the SDK bundle and player files."""

import json
import urllib.error
import urllib.request

import pytest

from local.page_server import SDK_DIR, PageServer

PLAYBACK_URL = "http://127.0.0.1:9/hls/AbCdEfGh1234/index.m3u8"
PAYLOAD = '{"type":"viewerCount","version":1,"time":1764860400,"interval":60,"counts":[3]}'

pytestmark = pytest.mark.skipif(
    not (SDK_DIR / "amazon-ivs-player.js").is_file(), reason="IVS player bundle not built"
)


@pytest.fixture
def server():
    snapshots = {}
    with PageServer(PLAYBACK_URL, "AbCdEfGh1234", snapshots.get) as page:
        page.snapshots = snapshots
        yield page


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read()


def status_of(url):
    try:
        return fetch(url)[0]
    except urllib.error.HTTPError as error:
        return error.code


def test_config_points_at_local_stream_and_sdk(server):
    _, content_type, body = fetch(server.url + "config.json")
    config = json.loads(body)

    assert content_type == "application/json"
    assert config["playbackUrl"] == PLAYBACK_URL
    assert config["snapshotUrl"] == "snapshots/AbCdEfGh1234.json"
    assert config["sdk"]["script"] == "/ivs-player/amazon-ivs-player.js"


def test_server_binds_loopback(server):
    assert server.url.startswith("http://127.0.0.1:")


def test_snapshot_missing_then_served(server):
    missing = status_of(server.url + "snapshots/AbCdEfGh1234.json")
    server.snapshots["AbCdEfGh1234"] = PAYLOAD
    status, _, body = fetch(server.url + "snapshots/AbCdEfGh1234.json")

    assert missing == 404
    assert status == 200
    assert body.decode() == PAYLOAD


def test_index_and_sdk_served(server):
    _, page_type, page = fetch(server.url)
    _, wasm_type, _ = fetch(server.url + "ivs-player/amazon-ivs-wasmworker.min.wasm")

    assert page_type.startswith("text/html")
    assert b"ivs-viewer-count" in page
    assert wasm_type == "application/wasm"


@pytest.mark.parametrize(
    "path",
    [
        "../README.md",
        "%2e%2e/README.md",
        "ivs-player/../../README.md",
        "nothing.js",
        "%00",
        "index.html%00.js",
        "a" * 300,
        "/".join(["b" * 200] * 30),
    ],
)
def test_paths_outside_served_folders_not_found(server, path):
    assert status_of(server.url + path) == 404


def test_head_sends_headers_only(server):
    request = urllib.request.Request(server.url + "config.json", method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
        length = int(response.headers["Content-Length"])

    assert response.status == 200
    assert body == b""
    assert length > 0
