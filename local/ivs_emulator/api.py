"""The IVS control plane: rest-json operations on POST /<Operation>.

Each request is counted, validated against botocore's model, subjected to planned faults and
then to the rate quotas, and only then handled. Request and response shapes follow botocore's
"ivs" 2020-07-14 model.
"""

import base64
import binascii
import json
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from . import arns, errors, model
from .faults import FaultInjector, FaultPlan
from .quotas import MAX_METADATA_BYTES, SlidingWindowLimiter
from .state import Channel, Registry

logger = logging.getLogger(__name__)

OPERATIONS = (
    "BatchGetChannel",
    "CreateChannel",
    "DeleteChannel",
    "GetChannel",
    "GetStream",
    "ListChannels",
    "ListStreams",
    "PutMetadata",
    "StopStream",
)
DEFAULT_PAGE_SIZE = 100
# The Credential of a SigV4 Authorization header: <key id>/<date>/<region>/<service>/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/ivs/aws4_request")
# NOTE: the emulator runs no ingest server; these endpoints only fill the modeled fields.
INGEST_ENDPOINT = "127.0.0.1"
CHANNEL_FILTERS = (
    "filterByName",
    "filterByRecordingConfigurationArn",
    "filterByPlaybackRestrictionPolicyArn",
    "filterByAdConfigurationArn",
    "filterByFailoverSlateConfigurationArn",
)


@dataclass(frozen=True)
class HttpResponse:
    """A complete HTTP response: status, headers and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class RequestContext:
    """Per-request data for a handler: the SigV4 signing region and the matched faults."""

    signing_region: str | None
    faults: FaultPlan


def iso_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ControlPlane:
    """Handles control-plane requests; thread-safe."""

    def __init__(
        self,
        registry: Registry,
        limiter: SlidingWindowLimiter,
        faults: FaultInjector,
        playback_url: Callable[[Channel], str],
        enforce_quotas: bool,
        wait: Callable[[float], object],
    ) -> None:
        self.registry = registry
        self.limiter = limiter
        self.faults = faults
        self.playback_url = playback_url
        self.enforce_quotas = enforce_quotas
        self.wait = wait
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._counter_lock = threading.Lock()
        self._handlers = {name: getattr(self, f"op_{snake(name)}") for name in OPERATIONS}

    def counters(self) -> tuple[Counter[str], Counter[str]]:
        """Return copies of the calls and throttled counters."""
        with self._counter_lock:
            return Counter(self.calls), Counter(self.throttled)

    def handle(self, operation: str, body: bytes, headers: Mapping[str, str]) -> HttpResponse:
        """Run one operation and return its HTTP response, an error response on failure."""
        if operation not in self._handlers:
            error = errors.IvsApiError(
                "UnknownOperationException",
                f"operation {operation!r} is not emulated; expected one of {', '.join(OPERATIONS)}",
            )
            logger.warning("rejected request: %s", error)
            return error_response(error)

        with self._counter_lock:
            self.calls[operation] += 1
        try:
            result = self.dispatch(operation, body, headers)
        except errors.IvsApiError as error:
            if error.code == "ThrottlingException":
                with self._counter_lock:
                    self.throttled[operation] += 1
            logger.debug("%s failed: %s", operation, error)
            return error_response(error)

        status = model.operation_model(operation).http.get("responseCode", 200)
        if status == 204:
            return HttpResponse(204, base_headers())
        return HttpResponse(status, base_headers(), json.dumps(result).encode())

    def dispatch(self, operation: str, body: bytes, headers: Mapping[str, str]) -> dict:
        params = parse_body(body)
        model.validate_input(operation, params)
        channel_arns = request_channel_arns(params)
        for arn in channel_arns:
            parse_arn(arn)
        if operation == "PutMetadata":
            check_metadata_size(params["metadata"])

        plan = self.faults.take(operation, channel_arns)
        if plan.delay:
            self.wait(plan.delay)
        if plan.error is not None:
            raise plan.error

        region = quota_region(operation, channel_arns, headers)
        channel_arn = channel_arns[0] if channel_arns else None
        if self.enforce_quotas and not self.limiter.admit(
            operation, self.registry.account_id, region, channel_arn
        ):
            raise errors.throttled(
                f"{operation} rate exceeded for account {self.registry.account_id} in {region}; "
                "retry after a backoff"
            )

        context = RequestContext(signing_region(headers), plan)
        return self._handlers[operation](params, context)

    # Operations. Each takes the validated parameters and returns the response body.

    def op_create_channel(self, params: dict, context: RequestContext) -> dict:
        region = require_signing_region(context)
        channel = self.registry.create_channel(
            region,
            name=params.get("name", ""),
            latency_mode=params.get("latencyMode", "LOW"),
            channel_type=params.get("type", "STANDARD"),
            authorized=params.get("authorized", False),
            insecure_ingest=params.get("insecureIngest", False),
            preset=params.get("preset", ""),
            container_format=params.get("containerFormat", "TS"),
            tags=dict(params.get("tags", {})),
        )
        return {"channel": self.describe_channel(channel), "streamKey": stream_key(channel)}

    def op_get_channel(self, params: dict, context: RequestContext) -> dict:
        return {"channel": self.describe_channel(self.registry.get(params["arn"]))}

    def op_batch_get_channel(self, params: dict, context: RequestContext) -> dict:
        channels = []
        failures = []
        for arn in params["arns"]:
            try:
                channels.append(self.describe_channel(self.registry.get(arn)))
            except errors.IvsApiError as error:
                failures.append({"arn": arn, "code": error.code, "message": error.message})
        return {"channels": channels, "errors": failures}

    def op_list_channels(self, params: dict, context: RequestContext) -> dict:
        used = [name for name in CHANNEL_FILTERS if params.get(name)]
        if len(used) > 1:
            raise errors.IvsApiError(
                "ConflictException", f"use at most one channel filter, got {', '.join(used)}"
            )

        channels = self.registry.channels(require_signing_region(context))
        if params.get("filterByName"):
            channels = [channel for channel in channels if channel.name == params["filterByName"]]
        elif used:
            channels = []  # emulated channels have no recording, policy or ad configuration
        page, token = paginate(channels, params, "ListChannels")
        result = {"channels": [self.summarize_channel(channel) for channel in page]}
        if token:
            result["nextToken"] = token
        return result

    def op_delete_channel(self, params: dict, context: RequestContext) -> dict:
        self.registry.delete(params["arn"])
        return {}

    def op_get_stream(self, params: dict, context: RequestContext) -> dict:
        channel = self.registry.get(params["channelArn"])
        return {"stream": self.describe_stream(channel, context, summary=False)}

    def op_list_streams(self, params: dict, context: RequestContext) -> dict:
        live = [
            channel
            for channel in self.registry.channels(require_signing_region(context))
            if channel.stream is not None
        ]
        health = params.get("filterBy", {}).get("health")
        if health:
            live = [
                channel for channel in live if channel.stream and channel.stream.health == health
            ]

        page, token = paginate(live, params, "ListStreams")
        streams = []
        for channel in page:
            try:
                streams.append(self.describe_stream(channel, context, summary=True))
            except errors.IvsApiError as error:
                # Skip a stream that ended, or a channel deleted, after the listing.
                if error.code not in ("ChannelNotBroadcasting", "ResourceNotFoundException"):
                    raise
        result = {"streams": streams}
        if token:
            result["nextToken"] = token
        return result

    def op_put_metadata(self, params: dict, context: RequestContext) -> dict:
        sequence = self.registry.put_metadata(params["channelArn"], params["metadata"])
        logger.debug("metadata for %s goes into segment %d", params["channelArn"], sequence)
        return {}

    def op_stop_stream(self, params: dict, context: RequestContext) -> dict:
        self.registry.live_stream(params["channelArn"])
        self.registry.set_live(params["channelArn"], False)
        return {}

    # Response shapes.

    def describe_channel(self, channel: Channel) -> dict:
        description = self.summarize_channel(channel)
        description.update(
            {
                "ingestEndpoint": INGEST_ENDPOINT,
                "playbackUrl": self.playback_url(channel),
                "srt": {
                    "endpoint": INGEST_ENDPOINT,
                    "passphrase": channel.stream_key_value[-16:],
                },
                "multitrackInputConfiguration": {
                    "enabled": False,
                    "policy": "ALLOW",
                    "maximumResolution": "FULL_HD",
                },
                "containerFormat": channel.container_format,
            }
        )
        return description

    def summarize_channel(self, channel: Channel) -> dict:
        return {
            "arn": str(channel.arn),
            "name": channel.name,
            "latencyMode": channel.latency_mode,
            "type": channel.channel_type,
            "authorized": channel.authorized,
            "insecureIngest": channel.insecure_ingest,
            "preset": channel.preset,
            "recordingConfigurationArn": "",
            "playbackRestrictionPolicyArn": "",
            "adConfigurationArn": "",
            "failoverSlateConfigurationArn": "",
            "tags": dict(channel.tags),
        }

    def describe_stream(self, channel: Channel, context: RequestContext, summary: bool) -> dict:
        arn = str(channel.arn)
        stream = self.registry.live_stream(arn)
        viewers = -1 if context.faults.viewer_count_timeout else self.viewer_count(arn)
        description = {
            "channelArn": arn,
            "streamId": stream.stream_id,
            "startTime": iso_time(stream.start_wall_time),
            "state": "LIVE",
            "health": stream.health,
            "viewerCount": viewers,
        }
        if not summary:
            description["playbackUrl"] = self.playback_url(channel)
        return description

    def viewer_count(self, arn: str) -> int:
        """Return the synthetic audience plus the players seen in the last 15 seconds."""
        snapshot = self.registry.viewer_snapshot(arn)
        audience = snapshot.audience
        if callable(audience):
            # Called outside the registry lock, so the callable may use the emulator.
            audience = audience(snapshot.seconds_live)
        if isinstance(audience, bool) or not isinstance(audience, int) or audience < 0:
            logger.error("audience of %s returned %r, not an int >= 0", arn, audience)
            raise errors.IvsApiError(
                "InternalServerException",
                f"the audience set for {arn} returned {audience!r}; it must return an int >= 0",
            )
        return audience + snapshot.players


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def base_headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}


def error_response(error: errors.IvsApiError) -> HttpResponse:
    headers = base_headers()
    headers["x-amzn-ErrorType"] = error.code
    return HttpResponse(error.status, headers, error.body())


def parse_body(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise errors.validation(f"request body is not valid JSON: {error}") from error
    if not isinstance(params, dict):
        raise errors.validation("request body must be a JSON object")
    return params


def request_channel_arns(params: dict) -> tuple[str, ...]:
    """Return the channel ARNs that a request names, in the order it names them."""
    if isinstance(params.get("channelArn"), str):
        return (params["channelArn"],)
    if isinstance(params.get("arn"), str):
        return (params["arn"],)
    return tuple(params.get("arns", ()))


def parse_arn(arn: str) -> arns.ChannelArn:
    try:
        return arns.parse_channel_arn(arn)
    except ValueError as error:
        raise errors.validation(str(error)) from error


def check_metadata_size(metadata: str) -> None:
    try:
        size = len(metadata.encode("utf-8"))
    except UnicodeEncodeError as error:
        # A lone surrogate such as "\ud800" in the JSON request has no UTF-8 form.
        raise errors.validation(f"metadata is not valid Unicode text: {error.reason}") from error
    if size > MAX_METADATA_BYTES:
        raise errors.validation(
            f"metadata is {size} bytes of UTF-8; the maximum is {MAX_METADATA_BYTES} bytes"
        )


def signing_region(headers: Mapping[str, str]) -> str | None:
    match = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    return match.group(1) if match else None


def require_signing_region(context: RequestContext) -> str:
    if context.signing_region is None:
        raise errors.IvsApiError(
            "AccessDeniedException",
            "missing or unreadable SigV4 Authorization header; sign requests for service ivs "
            "(any credentials work)",
        )
    return context.signing_region


def quota_region(operation: str, channel_arns: tuple[str, ...], headers: Mapping[str, str]) -> str:
    """Return the region whose quota a request uses: the ARN's, else the signing region's."""
    if channel_arns:
        return arns.parse_channel_arn(channel_arns[0]).region
    return signing_region(headers) or "unsigned"


def paginate(
    items: list[Channel], params: dict, operation: str
) -> tuple[list[Channel], str | None]:
    """Return one page of channels and the token of the next page (None on the last page).

    A token stores the creation order of the page's last channel, so channels that appear or
    go offline between two pages do not shift later pages.
    """
    size = params.get("maxResults", DEFAULT_PAGE_SIZE)
    after = decode_token(params["nextToken"], operation) if params.get("nextToken") else 0
    remaining = [item for item in items if item.order > after]
    page = remaining[:size]
    if len(remaining) <= size:
        return page, None
    return page, encode_token(page[-1].order, operation)


def encode_token(order: int, operation: str) -> str:
    raw = json.dumps({"operation": operation, "after": order}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str, operation: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["operation"] == operation and isinstance(decoded["after"], int):
            return decoded["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise errors.validation(
        f"nextToken {token!r} is invalid; pass the nextToken of the previous {operation} response"
    )


def stream_key(channel: Channel) -> dict:
    arn = channel.arn
    return {
        "arn": f"arn:aws:ivs:{arn.region}:{arn.account_id}:stream-key/{channel.stream_key_id}",
        "value": channel.stream_key_value,
        "channelArn": str(arn),
        "tags": {},
    }
