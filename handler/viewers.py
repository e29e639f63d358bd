"""Reading the current viewer count of IVS channels."""

import logging
import time
from dataclasses import dataclass

from .retry import Deadline, RateLimiter, call_with_retry

logger = logging.getLogger(__name__)

# GetStream reports -1 when the count timed out. The IVS API reference asks for a new read then.
VIEWER_COUNT_TIMED_OUT = -1
COUNT_REREADS = 2
COUNT_REREAD_DELAY_SECONDS = 0.5

# Up to this many channels in a region are read with one GetStream call each. More are read with
# ListStreams, whose pages carry up to 100 live streams with their counts. Both calls have a quota
# of 5 requests/s per account and region, so 5 GetStream calls fit in the first second. Above 5
# channels, ListStreams needs ceil(live streams / 100) calls where GetStream needs one per channel.
GET_STREAM_MAX_CHANNELS = 5
LIST_STREAMS_PAGE_SIZE = 100


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


def read_region(
    client,
    channel_arns: list[str],
    list_limiter: RateLimiter,
    get_limiter: RateLimiter,
    deadline: Deadline,
) -> tuple[list[Reading], dict[str, Exception]]:
    """Read many channels of one region from the pages of ListStreams.

    A channel missing from every page is offline. Paging stops once every channel is found, or
    once the pages read outnumber the channels still missing, which are then read with GetStream.
    A channel whose count timed out (-1) is read again with GetStream. Returns the
    readings and the channels whose GetStream failed.
    """
    unseen = set(channel_arns)
    counts: dict[str, object] = {}
    next_token = None
    pages = 0
    while True:
        page = _list_streams_page(client, next_token, list_limiter, deadline)
        pages += 1
        for summary in page.get("streams", []):
            arn = summary.get("channelArn")
            if arn in unseen and summary.get("state", "LIVE") == "LIVE":
                counts[arn] = summary.get("viewerCount")
                unseen.discard(arn)
        next_token = page.get("nextToken")
        # Stop when every channel is found, or when the account's other live streams have cost
        # more pages than reading the channels still unseen one by one would.
        if not next_token or not unseen or len(unseen) < pages:
            break
    listed_all = not next_token

    readings = []
    failures: dict[str, Exception] = {}
    for arn in channel_arns:
        count = counts.get(arn)
        if arn not in counts and listed_all:
            readings.append(Reading(arn, live=False, viewer_count=None))
        elif isinstance(count, int) and count >= 0:
            readings.append(Reading(arn, live=True, viewer_count=count))
        else:
            try:
                readings.append(read_channel(client, arn, get_limiter, deadline))
            except Exception as error:
                failures[arn] = error
    return readings, failures


def _list_streams_page(client, next_token, limiter: RateLimiter, deadline: Deadline) -> dict:
    request = {"maxResults": LIST_STREAMS_PAGE_SIZE}
    if next_token:
        request["nextToken"] = next_token

    def list_streams():
        limiter.acquire(deadline)
        return client.list_streams(**request)

    return call_with_retry(list_streams, deadline)
