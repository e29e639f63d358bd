"""The version 1 timed-metadata payload that the player element reads.

Example: {"type":"viewerCount","version":1,"time":1764860400,"interval":60,"counts":[12,null,18]}
"""

import json

PAYLOAD_TYPE = "viewerCount"
PAYLOAD_VERSION = 1
SAMPLE_INTERVAL_SECONDS = 60

# PutMetadata accepts at most 1 KB (IVS API reference, PutMetadata).
MAX_PAYLOAD_BYTES = 1024
MAX_WINDOW_MINUTES = 60
# Counts above this are sent as this value. With 12 digits a 60-entry window needs 849 bytes,
# so every allowed window fits the PutMetadata limit whatever the counts are.
MAX_COUNT = 999_999_999_999


class PayloadTooLargeError(ValueError):
    """A payload would exceed the PutMetadata size limit."""


def window_minutes(newest_minute: int, window: int) -> list[int]:
    """Return the minute starts of a window, oldest first, ending at newest_minute."""
    first = newest_minute - (window - 1) * SAMPLE_INTERVAL_SECONDS
    return [first + index * SAMPLE_INTERVAL_SECONDS for index in range(window)]


def build_payload(newest_minute: int, counts: list[int | None]) -> str:
    """Encode a window of counts, oldest first, as compact JSON of at most MAX_PAYLOAD_BYTES."""
    clamped = [None if count is None else min(max(int(count), 0), MAX_COUNT) for count in counts]
    document = {
        "type": PAYLOAD_TYPE,
        "version": PAYLOAD_VERSION,
        "time": int(newest_minute),
        "interval": SAMPLE_INTERVAL_SECONDS,
        "counts": clamped,
    }
    text = json.dumps(document, separators=(",", ":"))

    size = len(text.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"payload of {len(counts)} counts is {size} bytes, over the {MAX_PAYLOAD_BYTES}-byte"
            f" PutMetadata limit; use a window of at most {MAX_WINDOW_MINUTES} minutes"
        )
    return text
