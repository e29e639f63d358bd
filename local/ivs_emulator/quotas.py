"""IVS request-rate quotas, enforced with a sliding 1-second window.

The PutMetadata API reference allows at most 5 requests per second per channel and 155 per
account, each with a payload of at most 1 KB. The "IVS Service Quotas | Low-Latency Streaming"
page gives 5 TPS for each channel operation and states that all quotas apply per account and
region and that rate quotas are not adjustable.

NOTE: the GetStream and ListStreams rates (5 TPS each) were not checked against the stream rows of
that page. StopStream has no rate limit here for the same reason.
"""

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 1.0
# 1,024 bytes of UTF-8; the payload quota of PutMetadata.
MAX_METADATA_BYTES = 1024


@dataclass(frozen=True)
class RateQuota:
    """A maximum number of requests per window for one scope: "region" or "channel"."""

    scope: str
    limit: int


RATE_QUOTAS: dict[str, tuple[RateQuota, ...]] = {
    "BatchGetChannel": (RateQuota("region", 5),),
    "CreateChannel": (RateQuota("region", 5),),
    "DeleteChannel": (RateQuota("region", 5),),
    "GetChannel": (RateQuota("region", 5),),
    "ListChannels": (RateQuota("region", 5),),
    "GetStream": (RateQuota("region", 5),),
    "ListStreams": (RateQuota("region", 5),),
    "PutMetadata": (RateQuota("channel", 5), RateQuota("region", 155)),
}


class SlidingWindowLimiter:
    """Admits a request when every quota it falls under had fewer than `limit` requests in the
    last second. Rejected requests do not count against the window."""

    def __init__(self, clock: Callable[[], float], window: float = WINDOW_SECONDS) -> None:
        self._clock = clock
        self._window = window
        self._admitted: dict[tuple, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, operation: str, account_id: str, region: str, channel_arn: str | None) -> bool:
        """Record and admit the request, or return False without recording it."""
        quotas = RATE_QUOTAS.get(operation, ())
        keys = [
            (operation, account_id, region if quota.scope == "region" else channel_arn)
            for quota in quotas
        ]
        with self._lock:
            now = self._clock()
            windows = [self._recent(key, now) for key in keys]
            if any(
                len(window) >= quota.limit for window, quota in zip(windows, quotas, strict=True)
            ):
                return False
            for window in windows:
                window.append(now)
            return True

    def _recent(self, key: tuple, now: float) -> deque[float]:
        window = self._admitted.setdefault(key, deque())
        while window and window[0] <= now - self._window:
            window.popleft()
        return window
