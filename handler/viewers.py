"""Reading the current viewer count of IVS channels."""

import logging
import time
from dataclasses import dataclass

from .retry import Deadline, RateLimiter, call_with_retry

logger = logging.getLogger(__name__)

# GetStream reports -1 when the count timed out; IVS asks callers to read it again.
VIEWER_COUNT_TIMED_OUT = -1
COUNT_REREADS = 2
COUNT_REREAD_DELAY_SECONDS = 0.5


@dataclass(frozen=True)
class Reading:
    """One channel's state at the sampled minute. viewer_count is None when it is unknown."""

    channel_arn: str
    live: bool
    viewer_count: int | None


def read_channel(
    client, channel_arn: str, limiter: RateLimiter, deadline: Deadline, sleep=time.sleep
) -> Reading:
    """Read a channel with GetStream; an offline channel is a reading, not an error."""
    for attempt in range(1 + COUNT_REREADS):
        try:
            stream = _get_stream(client, channel_arn, limiter, deadline)
        except client.exceptions.ChannelNotBroadcasting:
            return Reading(channel_arn, live=False, viewer_count=None)

        count = stream.get("viewerCount")
        if isinstance(count, int) and count >= 0:
            return Reading(channel_arn, live=True, viewer_count=count)
        if attempt < COUNT_REREADS and COUNT_REREAD_DELAY_SECONDS < deadline.remaining():
            sleep(COUNT_REREAD_DELAY_SECONDS)

    logger.warning(
        "viewer count timed out on every read; storing the minute without a count",
        extra={"channelArn": channel_arn, "viewerCount": count},
    )
    return Reading(channel_arn, live=True, viewer_count=None)


def _get_stream(client, channel_arn: str, limiter: RateLimiter, deadline: Deadline) -> dict:
    def get_stream():
        limiter.acquire(deadline)
        return client.get_stream(channelArn=channel_arn)["stream"]

    return call_with_retry(get_stream, deadline)
