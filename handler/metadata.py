"""Sending a payload to a channel as IVS timed metadata."""

from .retry import Deadline, RateLimiter, call_with_retry


def send_metadata(
    client,
    channel_arn: str,
    payload: str,
    account_limiter: RateLimiter,
    deadline: Deadline,
) -> bool:
    """Send payload with PutMetadata and wait for the reply.

    Returns False when the channel stopped broadcasting since it was read, which is not an
    error. PutMetadata also allows 5 requests/s per channel, but one call per channel and poll
    stays far below that, so only the account-wide pace is applied here.
    """

    def put_metadata():
        account_limiter.acquire(deadline)
        client.put_metadata(channelArn=channel_arn, metadata=payload)

    try:
        call_with_retry(put_metadata, deadline)
    except client.exceptions.ChannelNotBroadcasting:
        return False
    return True
