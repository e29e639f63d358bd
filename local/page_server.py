"""Serve the player page on 127.0.0.1 the way the hosted stack does, for the offline run and tests.

It serves the files of player/ and `/config.json`, generated for the local stream. `/ivs-player/`
has the locally bundled IVS Player Web SDK, which the page would otherwise load from its CDN.
`/snapshots/<channel id>.json` has the latest payload of a channel, as the poller writes to S3.
"""

import json
import logging
import mimetypes
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
PLAYER_DIR = REPO_ROOT / "player"
SDK_DIR = REPO_ROOT / "build" / "ivs-player"
SDK_PREFIX = "/ivs-player/"
SNAPSHOT_PREFIX = "/snapshots/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
}


class SdkBundleMissingError(RuntimeError):
    """The local IVS player bundle has not been built."""


def local_sdk_settings() -> dict:
    """Return the `sdk` part of config.json that points the page at the local bundle."""
    if not (SDK_DIR / "amazon-ivs-player.js").is_file():
        raise SdkBundleMissingError(
            f"IVS player bundle not found in {SDK_DIR}; run `bash scripts/setup.sh` first"
        )
    return {
        "script": f"{SDK_PREFIX}amazon-ivs-player.js",
        "wasmWorker": f"{SDK_PREFIX}amazon-ivs-wasmworker.min.js",
        "wasmBinary": f"{SDK_PREFIX}amazon-ivs-wasmworker.min.wasm",
    }


class PageServer:
    """A threaded HTTP server for the page; snapshot(channel_id) returns a payload or None."""

    def __init__(
        self,
        playback_url: str,
        channel_id: str,
        snapshot: Callable[[str], str | None],
        port: int = 0,
    ):
        self.config = {
            "playbackUrl": playback_url,
            "snapshotUrl": f"snapshots/{channel_id}.json",
            "sdk": local_sdk_settings(),
        }
        self._snapshot = snapshot
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "PageServer":
        self._thread.start()
        logger.info("serving the player page at %s", self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "PageServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _handler_class(self):
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page._get(self)

            def do_HEAD(self):
                page._get(self, head=True)

            def log_message(self, format, *args):
                logger.debug("page server: " + format, *args)

        return Handler

    def _get(self, request: BaseHTTPRequestHandler, head: bool = False) -> None:
        try:
            self._route(request, head)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("page server: client closed the connection early")

    def _route(self, request: BaseHTTPRequestHandler, head: bool) -> None:
        request.head_only = head
        path = unquote(urlsplit(request.path).path)
        if path == "/config.json":
            self._send(request, json.dumps(self.config).encode(), "application/json")
        elif path.startswith(SNAPSHOT_PREFIX) and path.endswith(".json"):
            payload = self._snapshot(path[len(SNAPSHOT_PREFIX) : -len(".json")])
            if payload is None:
                self._send(request, b"no snapshot yet", "text/plain", HTTPStatus.NOT_FOUND)
            else:
                self._send(request, payload.encode(), "application/json")
        elif path.startswith(SDK_PREFIX):
            self._send_file(request, SDK_DIR, path[len(SDK_PREFIX) :])
        else:
            self._send_file(request, PLAYER_DIR, path.lstrip("/") or "index.html")

    def _send_file(self, request, root: Path, relative: str) -> None:
        # A NUL byte raises ValueError and an over-long name OSError; both are paths not found.
        try:
            file = (root / relative).resolve()
            found = file.is_relative_to(root.resolve()) and file.is_file()
        except (ValueError, OSError):
            found = False
        if not found:
            self._send(request, b"not found", "text/plain", HTTPStatus.NOT_FOUND)
            return
        content_type = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
        self._send(request, file.read_bytes(), content_type or "application/octet-stream")

    @staticmethod
    def _send(request, body: bytes, content_type: str, status=HTTPStatus.OK) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-cache")
        request.end_headers()
        if not getattr(request, "head_only", False):
            request.wfile.write(body)
