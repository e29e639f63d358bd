"""An HTTP proxy on 127.0.0.1 that forwards to DynamoDB Local and injects planned faults.

Tests point the code under test at the proxy and arm faults from outside it: throttling, 5xx
errors, latency, and unprocessed items or keys on the batch operations. Requests without an armed
fault pass through unchanged, with their headers (X-Amz-Target, the SigV4 signature) and body.

The proxy changes the body of an "unprocessed" request, so the forwarded body no longer matches
its signature. DynamoDB Local accepts it because it does not verify signatures.
"""

import collections
import http.client
import json
import logging
import math
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import botocore.session

logger = logging.getLogger(__name__)

THROTTLE = "throttle"
SERVER_ERROR = "server_error"
LATENCY = "latency"
UNPROCESSED = "unprocessed"
KINDS = (THROTTLE, SERVER_ERROR, LATENCY, UNPROCESSED)

# HTTP status, error code and message of the error kinds. DynamoDB's JSON protocol puts the code
# in `__type` after this prefix, and botocore reads the code from the part after "#".
ERROR_TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
ERROR_REPLIES = {
    THROTTLE: (
        400,
        "ProvisionedThroughputExceededException",
        "throughput of the table was exceeded (injected fault)",
    ),
    SERVER_ERROR: (500, "InternalServerError", "internal server error (injected fault)"),
}
UNPROCESSED_OPERATIONS = ("BatchWriteItem", "BatchGetItem")
TARGET_HEADER = "X-Amz-Target"
CRC32_HEADER = "x-amz-crc32"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
UPSTREAM_TIMEOUT_SECONDS = 30.0
# How often the server loop checks for stop(). The default of 0.5 s adds up to that to each stop.
SHUTDOWN_POLL_SECONDS = 0.05
# Hop-by-hop headers apply to one connection, so a proxy does not pass them on. The proxy also sets
# Content-Length itself, because it may change the body.
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass
class Fault:
    """An armed fault. `remaining` is None for a fault that stays until cleared."""

    operation: str
    kind: str
    remaining: int | None
    seconds: float | None


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class DynamoDBFaultProxy:
    """A ThreadingHTTPServer on a free port of 127.0.0.1 in front of DynamoDB Local.

    `calls` counts every request by operation name (the part of X-Amz-Target after the dot) and
    `faults_served` counts, by operation name, the requests that an armed fault changed. Faults
    apply in the order they were armed, one fault per request. All methods are thread-safe.
    """

    def __init__(self, target_url: str, upstream_timeout: float = UPSTREAM_TIMEOUT_SECONDS):
        self._target = parse_target(target_url)
        self._upstream_timeout = upstream_timeout
        self._operations = frozenset(
            botocore.session.get_session().get_service_model("dynamodb").operation_names
        )
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._in_flight = 0
        self._calls: collections.Counter[str] = collections.Counter()
        self._faults_served: collections.Counter[str] = collections.Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def calls(self) -> collections.Counter:
        """A copy of the request counts by operation name."""
        with self._lock:
            return collections.Counter(self._calls)

    @property
    def faults_served(self) -> collections.Counter:
        """A copy of the counts, by operation name, of requests that a fault changed."""
        with self._lock:
            return collections.Counter(self._faults_served)

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not running: call start() before endpoint_url")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "DynamoDBFaultProxy":
        if self._server is not None:
            raise RuntimeError(f"the proxy already runs at {self.endpoint_url}")
        server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyRequestHandler)
        server.daemon_threads = True
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="dynamodb-fault-proxy",
            daemon=True,
        )
        self._thread.start()
        logger.info("DynamoDB fault proxy at %s forwards to %s", self.endpoint_url, self._target)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        endpoint = self.endpoint_url
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None
        logger.info("stopped DynamoDB fault proxy at %s", endpoint)

    def __enter__(self) -> "DynamoDBFaultProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def inject(
        self, operation: str, kind: str, times: int | None = 1, seconds: float | None = None
    ) -> None:
        """Arm a fault for the next `times` requests of an operation, or until clear() if None.

        Raises ValueError naming the argument that is invalid.
        """
        validate_fault(operation, kind, times, seconds, self._operations)
        with self._lock:
            self._faults.append(Fault(operation, kind, times, seconds))

    def clear(self) -> None:
        """Disarm every fault. The counters keep their values."""
        with self._lock:
            self._faults.clear()

    def wait_for_calls(self, operation: str, count: int, timeout: float = 10.0) -> None:
        """Block until `count` requests of the operation have arrived, or raise TimeoutError."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: self._calls[operation] >= count, timeout)
            if not arrived:
                raise TimeoutError(
                    f"{self._calls[operation]} of {count} {operation} requests arrived"
                    f" within {timeout} s"
                )

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until every request has been replied to, or raise TimeoutError.

        A client that timed out leaves its request running in the proxy: a delayed write still
        reaches DynamoDB Local after the latency, so tests wait here before they read the table.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} requests still in flight after {timeout} s")

    def handle(self, request: "ProxyRequestHandler") -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        operation = operation_name(request.headers.get(TARGET_HEADER, ""))
        fault = self._admit(operation)
        try:
            self._reply(request, body, operation, fault)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def _reply(self, request, body: bytes, operation: str, fault: Fault | None) -> None:
        if fault is None:
            reply = self._forward(request, body)
        elif fault.kind in ERROR_REPLIES:
            reply = error_reply(*ERROR_REPLIES[fault.kind])
        elif fault.kind == LATENCY:
            time.sleep(fault.seconds)
            reply = self._forward(request, body)
        else:
            reply = self._forward_unprocessed(request, body, operation)

        if fault is not None:
            logger.info("served %s fault on %s", fault.kind, operation)
        try:
            send_reply(request, reply)
        except (BrokenPipeError, ConnectionResetError):
            # The client timed out during a latency fault, but its request was still forwarded.
            logger.info("client closed the connection before the %s reply", operation)
            request.close_connection = True

    def _admit(self, operation: str) -> Fault | None:
        """Count the request as arrived and in flight, and consume its operation's first fault."""
        with self._changed:
            self._calls[operation] += 1
            self._in_flight += 1
            self._changed.notify_all()
            for fault in self._faults:
                if fault.operation != operation:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                self._faults_served[operation] += 1
                return fault
        return None

    def _forward(self, request: "ProxyRequestHandler", body: bytes) -> Reply:
        host, port = self._target
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in HOP_BY_HOP_HEADERS
        }
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(host, port, timeout=self._upstream_timeout)
        try:
            connection.request(request.command, request.path, body=body, headers=headers)
            response = connection.getresponse()
            reply_body = response.read()
        except (OSError, http.client.HTTPException) as error:
            logger.error("forwarding to DynamoDB Local at %s:%s failed: %s", host, port, error)
            return error_reply(502, "BadGateway", f"DynamoDB Local is unreachable: {error}")
        finally:
            connection.close()

        reply_headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_BY_HOP_HEADERS
        ]
        return Reply(response.status, reply_headers, reply_body)

    def _forward_unprocessed(
        self, request: "ProxyRequestHandler", body: bytes, operation: str
    ) -> Reply:
        """Forward the first half of the batch and return the rest as unprocessed."""
        try:
            document = json.loads(body)
            if operation == "BatchWriteItem":
                document["RequestItems"], unprocessed = split_write_requests(
                    document["RequestItems"]
                )
                unprocessed_field = "UnprocessedItems"
            else:
                document["RequestItems"], unprocessed = split_get_keys(document["RequestItems"])
                unprocessed_field = "UnprocessedKeys"
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            # DynamoDB Local rejects the malformed request with its own validation error.
            logger.warning("forwarding a malformed %s unchanged: %r", operation, error)
            return self._forward(request, body)

        reply = self._forward(request, json.dumps(document).encode("utf-8"))
        if reply.status != 200 or not unprocessed:
            return reply

        answer = json.loads(reply.body)
        merged = answer.get(unprocessed_field) or {}
        for table, entry in unprocessed.items():
            merged[table] = merge_unprocessed(merged.get(table), entry)
        answer[unprocessed_field] = merged
        return with_body(reply, json.dumps(answer).encode("utf-8"))


class ProxyRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.server.proxy.handle(self)

    def do_GET(self) -> None:
        self.server.proxy.handle(self)

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def parse_target(target_url: str) -> tuple[str, int]:
    """Return host and port of a DynamoDB Local URL, which must be http on a loopback host."""
    parts = urlsplit(target_url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(
            f"invalid target URL {target_url!r}: the proxy forwards only to DynamoDB Local on"
            " this machine; pass an http URL of 127.0.0.1, such as http://127.0.0.1:8000"
        )
    return parts.hostname, parts.port or 80


def validate_fault(
    operation: str, kind: str, times: int | None, seconds: float | None, operations
) -> None:
    if operation not in operations:
        raise ValueError(
            f"unknown operation {operation!r}: pass a DynamoDB operation name such as"
            " 'BatchWriteItem'"
        )
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}: expected one of {', '.join(KINDS)}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times={times!r} is invalid: pass a positive int, or None for always")
    if kind == UNPROCESSED and operation not in UNPROCESSED_OPERATIONS:
        raise ValueError(
            f"{operation} has no unprocessed items. Use the fault with"
            f" {' or '.join(UNPROCESSED_OPERATIONS)}"
        )
    if kind == LATENCY and (seconds is None or seconds <= 0):
        raise ValueError(f"the latency fault needs seconds > 0, got seconds={seconds!r}")
    if kind != LATENCY and seconds is not None:
        raise ValueError(f"seconds={seconds!r} applies only to the latency fault, not to {kind!r}")


def operation_name(target: str) -> str:
    """Return the operation of an X-Amz-Target value such as DynamoDB_20120810.BatchWriteItem."""
    return target.rpartition(".")[2]


def split_write_requests(request_items: dict) -> tuple[dict, dict]:
    """Split BatchWriteItem RequestItems into the first half, rounded up, and the rest.

    The write requests of all tables count together, in the order of the request.
    """
    requests = [(table, entry) for table, entries in request_items.items() for entry in entries]
    forwarded_count = math.ceil(len(requests) / 2)
    forwarded: dict[str, list] = {}
    held_back: dict[str, list] = {}
    for index, (table, entry) in enumerate(requests):
        part = forwarded if index < forwarded_count else held_back
        part.setdefault(table, []).append(entry)
    return forwarded, held_back


def split_get_keys(request_items: dict) -> tuple[dict, dict]:
    """Split BatchGetItem RequestItems into the first half of the keys, rounded up, and the rest.

    Both halves keep each table's other parameters, such as ConsistentRead and
    ProjectionExpression, as UnprocessedKeys does.
    """
    keys = [(table, key) for table, entry in request_items.items() for key in entry["Keys"]]
    forwarded_count = math.ceil(len(keys) / 2)
    forwarded: dict[str, dict] = {}
    held_back: dict[str, dict] = {}
    for index, (table, key) in enumerate(keys):
        part = forwarded if index < forwarded_count else held_back
        if table not in part:
            part[table] = {**request_items[table], "Keys": []}
        part[table]["Keys"].append(key)
    return forwarded, held_back


def merge_unprocessed(existing, added):
    """Join what DynamoDB Local left unprocessed with what the proxy held back."""
    if existing is None:
        return added
    if isinstance(added, list):
        return existing + added
    return {**added, "Keys": existing["Keys"] + added["Keys"]}


def crc32_of(body: bytes) -> str:
    return str(zlib.crc32(body) & 0xFFFFFFFF)


def with_body(reply: Reply, body: bytes) -> Reply:
    """Return the reply with a new body and an x-amz-crc32 header that matches it."""
    headers = [(name, value) for name, value in reply.headers if name.lower() != CRC32_HEADER]
    headers.append((CRC32_HEADER, crc32_of(body)))
    return Reply(reply.status, headers, body)


def error_reply(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"__type": ERROR_TYPE_PREFIX + code, "message": message}).encode("utf-8")
    headers = [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("x-amzn-RequestId", uuid.uuid4().hex.upper()),
    ]
    return with_body(Reply(status, headers, body), body)


def send_reply(request: BaseHTTPRequestHandler, reply: Reply) -> None:
    request.send_response(reply.status)
    for name, value in reply.headers:
        # send_response() has already written the proxy's own Server and Date headers.
        if name.lower() in ("server", "date"):
            continue
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(reply.body)))
    request.end_headers()
    request.wfile.write(reply.body)
