"""The latest payload of each channel as a small JSON file that the player page fetches on load.

A viewer who joins between two cues would otherwise see nothing until the next cue, up to a
minute later, because the IVS player keeps no last cue.
"""

from .arns import channel_id
from .retry import Deadline, call_with_retry

SNAPSHOT_PREFIX = "snapshots/"
# Short enough that CloudFront serves a window at most one poll old, long enough to absorb a
# crowd of viewers joining at once.
SNAPSHOT_CACHE_CONTROL = "public, max-age=15"


def snapshot_key(channel_arn: str) -> str:
    """Return the object key of a channel's snapshot, such as snapshots/AbCdEfGh1234.json."""
    return f"{SNAPSHOT_PREFIX}{channel_id(channel_arn)}.json"


def write_snapshot(client, bucket: str, channel_arn: str, payload: str, deadline: Deadline) -> None:
    """Store payload as the channel's snapshot object."""

    def put_object():
        client.put_object(
            Bucket=bucket,
            Key=snapshot_key(channel_arn),
            Body=payload.encode("utf-8"),
            ContentType="application/json",
            CacheControl=SNAPSHOT_CACHE_CONTROL,
        )

    call_with_retry(put_object, deadline)
