"""Fault injection: planned errors, delays and missing viewer counts for chosen requests."""

import threading
from dataclasses import dataclass

from . import errors

# Error kinds and the API error each one returns.
ERROR_KINDS = {
    "throttle": ("ThrottlingException", "rate exceeded (injected fault)"),
    "server_error": ("InternalServerException", "internal server error (injected fault)"),
    "not_broadcasting": ("ChannelNotBroadcasting", "channel is not live (injected fault)"),
    "access_denied": (
        "AccessDeniedException",
        "user is not authorized to perform this action (injected fault)",
    ),
}
LATENCY = "latency"
VIEWER_COUNT_TIMEOUT = "viewer_count_timeout"
KINDS = (*ERROR_KINDS, LATENCY, VIEWER_COUNT_TIMEOUT)

# Operations that can return ChannelNotBroadcasting, from botocore's "ivs" model, and those
# whose replies carry a viewer count.
NOT_BROADCASTING_OPERATIONS = ("GetStream", "PutMetadata", "StopStream")
VIEWER_COUNT_OPERATIONS = ("GetStream", "ListStreams")


@dataclass
class Fault:
    """A planned fault; `remaining` is None for a fault that stays until cleared."""

    operation: str
    kind: str
    remaining: int | None
    channel_arn: str | None
    seconds: float


@dataclass(frozen=True)
class FaultPlan:
    """The combined effect of the faults that matched one request."""

    delay: float = 0.0
    error: errors.IvsApiError | None = None
    viewer_count_timeout: bool = False


class FaultInjector:
    """Thread-safe list of planned faults, matched in the order they were added."""

    def __init__(self, operations: tuple[str, ...]) -> None:
        self._operations = operations
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        operation: str,
        kind: str,
        times: int | None,
        channel_arn: str | None,
        seconds: float | None,
    ) -> None:
        """Plan a fault; raises ValueError naming the argument that is invalid."""
        validate_fault(operation, kind, times, seconds, self._operations)
        with self._lock:
            self._faults.append(Fault(operation, kind, times, channel_arn, seconds or 0.0))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation: str, channel_arns: tuple[str, ...]) -> FaultPlan:
        """Consume the faults that match a request and return their combined effect.

        A fault with a channel ARN matches only requests that name that channel. Every matching
        latency and viewer_count_timeout fault applies, but only the first matching error does,
        so two planned errors fail two requests.
        """
        delay = 0.0
        error = None
        timeout = False
        with self._lock:
            for fault in list(self._faults):
                if not matches(fault, operation, channel_arns):
                    continue
                if fault.kind in ERROR_KINDS:
                    if error is not None:
                        continue
                    code, message = ERROR_KINDS[fault.kind]
                    error = errors.IvsApiError(code, message)
                elif fault.kind == LATENCY:
                    delay += fault.seconds
                else:
                    timeout = True
                self._consume(fault)
        return FaultPlan(delay, error, timeout)

    def _consume(self, fault: Fault) -> None:
        if fault.remaining is None:
            return
        fault.remaining -= 1
        if fault.remaining == 0:
            self._faults.remove(fault)


def matches(fault: Fault, operation: str, channel_arns: tuple[str, ...]) -> bool:
    if fault.operation != operation:
        return False
    return fault.channel_arn is None or fault.channel_arn in channel_arns


def validate_fault(
    operation: str,
    kind: str,
    times: int | None,
    seconds: float | None,
    operations: tuple[str, ...],
) -> None:
    if operation not in operations:
        raise ValueError(
            f"unknown operation {operation!r}: expected one of {', '.join(operations)}"
        )
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}: expected one of {', '.join(KINDS)}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times={times!r} is invalid: pass a positive int, or None for always")
    if kind == "not_broadcasting" and operation not in NOT_BROADCASTING_OPERATIONS:
        raise ValueError(
            f"{operation} never returns ChannelNotBroadcasting; use the fault with "
            f"{', '.join(NOT_BROADCASTING_OPERATIONS)}"
        )
    if kind == VIEWER_COUNT_TIMEOUT and operation not in VIEWER_COUNT_OPERATIONS:
        raise ValueError(
            f"{operation} returns no viewer count; use the fault with "
            f"{', '.join(VIEWER_COUNT_OPERATIONS)}"
        )
    if kind == LATENCY and (seconds is None or seconds <= 0):
        raise ValueError(f"latency fault needs seconds > 0, got seconds={seconds!r}")
    if kind != LATENCY and seconds is not None:
        raise ValueError(f"seconds={seconds!r} applies only to the latency fault, not to {kind!r}")
