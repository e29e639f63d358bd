"""The HTTP server on 127.0.0.1: one thread per connection, HTTP/1.1 keep-alive.

stop() closes the listening socket, shuts down every open connection so that idle keep-alive
threads wake up, and joins all threads.
"""

import logging
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import errors
from .api import HttpResponse, error_response

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY_BYTES = 1 << 20
# An idle keep-alive connection is closed after this many seconds.
IDLE_TIMEOUT_SECONDS = 30

ApiHandler = Callable[[str, bytes, Mapping[str, str]], HttpResponse]
GetHandler = Callable[[str], HttpResponse | None]


class EmulatorHttpServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks its connections so that stop() can close them."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, api: ApiHandler, get: GetHandler) -> None:
        self.api = api
        self.get = get
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((HOST, 0), RequestHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the peer closed it already


class RequestHandler(BaseHTTPRequestHandler):
    """Routes POST /<Operation> to the control plane and GET to playback."""

    protocol_version = "HTTP/1.1"
    server_version = "IvsEmulator/1.0"
    timeout = IDLE_TIMEOUT_SECONDS
    server: EmulatorHttpServer

    def do_POST(self) -> None:
        header = self.headers.get("Content-Length") or "0"
        length = int(header) if header.isdigit() else -1
        if not 0 <= length <= MAX_BODY_BYTES:
            error = errors.validation(
                f"Content-Length {header!r} is invalid: expected 0 to {MAX_BODY_BYTES} bytes"
            )
            logger.warning("rejected POST %s: %s", self.path, error)
            self.send(error_response(error))
            self.close_connection = True
            return
        body = self.rfile.read(length)
        operation = self.path.split("?", 1)[0].strip("/")
        self.send(self.run(lambda: self.server.api(operation, body, self.headers)))

    def do_GET(self) -> None:
        response = self.run(lambda: self.server.get(self.path))
        if response is None:
            response = HttpResponse(404, {"Content-Type": "text/plain"}, b"no such path\n")
        self.send(response)

    def do_OPTIONS(self) -> None:
        # CORS preflight for players on other origins.
        self.send(
            HttpResponse(
                204,
                {
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, OPTIONS",
                    "Access-Control-Allow-Headers": "*",
                    "Access-Control-Max-Age": "600",
                },
            )
        )

    def run(self, handler: Callable[[], HttpResponse | None]) -> HttpResponse | None:
        """Run a handler; an unexpected exception becomes a logged 500 InternalServerException."""
        try:
            return handler()
        except Exception as error:
            logger.exception("%s %s failed", self.command, self.path)
            return error_response(
                errors.IvsApiError("InternalServerException", f"emulator error: {error!r}")
            )

    def send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        # HTTP/1.1 forbids Content-Length on 204 responses, which have no body.
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except OSError as error:
            # Clients that go away mid-request, and connections closed by stop().
            logger.debug("connection from %s ended: %s", self.client_address, error)
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)
