"""Bounded retries and client-side pacing, both held to the deadline of one poll."""

import logging
import random
import threading
import time

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

logger = logging.getLogger(__name__)

# Error codes that can succeed when the same request is sent again.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        # Codes botocore's standard retry mode also treats as transient.
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)
# ConnectionError covers closed connections, connect and read timeouts and unreachable
# endpoints; HTTPClientError covers other failures below HTTP, such as a broken TLS handshake.
NETWORK_ERRORS = (BotocoreConnectionError, HTTPClientError)


class DeadlineExceededError(Exception):
    """The poll ran out of time before an operation could succeed."""


class Deadline:
    """A point in time, on the monotonic clock, by which a poll must be done."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def share(self, fraction: float) -> "Deadline":
        """Return an earlier deadline after `fraction` of the time that remains."""
        return Deadline(self.remaining() * fraction, self._clock)


def is_retryable(error: Exception) -> bool:
    """Tell whether an AWS call that raised error may succeed if sent again."""
    if isinstance(error, NETWORK_ERRORS):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRYABLE_ERROR_CODES or status == 429 or status >= 500


def backoff_delay(attempt: int, base: float = 0.1, cap: float = 2.0) -> float:
    """Return a full-jitter exponential backoff delay for a zero-based attempt number."""
    return random.uniform(0, min(cap, base * 2**attempt))


def call_with_retry(operation, deadline: Deadline, *, max_attempts: int = 6, sleep=time.sleep):
    """Call operation() and retry retryable errors with backoff while the deadline allows.

    The last error is raised when the attempts or the time run out; other errors at once.
    """
    for attempt in range(max_attempts):
        if deadline.expired():
            raise DeadlineExceededError("the poll deadline passed before the request was sent")
        try:
            return operation()
        except Exception as error:
            if not is_retryable(error) or attempt == max_attempts - 1:
                raise
            delay = backoff_delay(attempt)
            if delay >= deadline.remaining():
                raise
            logger.info("retrying after a retryable error", extra={"error": str(error)})
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


# Share by which paced calls stay below a quota's rate.
PACING_MARGIN = 0.1


class RateLimiter:
    """Space call starts evenly so that at most `rate` start in any window of `period` seconds.

    IVS enforces its request quotas per second; pacing on the client side keeps a healthy poll
    from being throttled at all. Even spacing, rather than bursts of `rate` calls, leaves room for
    requests that arrive later or earlier than they were sent. The margin covers a spread of
    arrival delays of up to a tenth of the period: with 5%, a loaded 2-core test machine drew
    a few 429s from the IVS emulator on 500 PutMetadata calls.
    """

    def __init__(
        self, rate: int, period: float = 1.0, margin: float = PACING_MARGIN, clock=time.monotonic
    ):
        self.interval = period * (1 + margin) / rate
        self._clock = clock
        self._next_start = float("-inf")
        self._lock = threading.Lock()

    def acquire(self, deadline: Deadline, sleep=time.sleep) -> None:
        """Block until this call's slot, raising DeadlineExceededError if that is too late."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            wait = start - now
            if wait >= deadline.remaining():
                raise DeadlineExceededError("no request slot left before the poll deadline")
            self._next_start = start + self.interval
        if wait > 0:
            sleep(wait)
