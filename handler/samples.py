"""Storing one sample per channel and minute, and reading windows of them back."""

import functools
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass

from . import schema
from .retry import Deadline, backoff_delay, call_with_retry

logger = logging.getLogger(__name__)

# BatchWriteItem takes at most 25 items and BatchGetItem at most 100 keys per call.
WRITE_BATCH_SIZE = 25
READ_BATCH_SIZE = 100
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Sample:
    channel_arn: str
    minute_start: int
    live: bool
    viewer_count: int | None


class UnprocessedError(Exception):
    """DynamoDB still returned unprocessed items or keys when the poll ran out of time."""

    def __init__(self, message: str, channel_arns: set[str]):
        super().__init__(message)
        self.channel_arns = channel_arns


def to_item(sample: Sample, retention_days: int) -> dict:
    """Build the DynamoDB item of a sample; the TTL attribute is left out for retention 0."""
    item = {
        schema.PARTITION_KEY: {"S": sample.channel_arn},
        schema.SORT_KEY: {"N": str(sample.minute_start)},
        schema.LIVE: {"BOOL": sample.live},
    }
    if sample.viewer_count is not None:
        item[schema.VIEWER_COUNT] = {"N": str(sample.viewer_count)}
    if retention_days > 0:
        expires_at = sample.minute_start + retention_days * SECONDS_PER_DAY
        item[schema.TTL_ATTRIBUTE] = {"N": str(expires_at)}
    return item


def write_samples(
    client,
    table_name: str,
    samples: list[Sample],
    retention_days: int,
    deadline: Deadline,
    pool: Executor | None = None,
) -> dict[str, Exception]:
    """Write samples in batches of 25; return the channels whose sample was not stored.

    The key is the scheduled minute, so a channel never gets two samples for one minute. With a
    pool, the batches are written concurrently.
    """
    batches = [
        samples[start : start + WRITE_BATCH_SIZE]
        for start in range(0, len(samples), WRITE_BATCH_SIZE)
    ]

    def write(batch):
        requests = [{"PutRequest": {"Item": to_item(sample, retention_days)}} for sample in batch]
        _write_batch(client, table_name, requests, deadline)

    failures: dict[str, Exception] = {}
    for batch, error, _ in _run_batches(write, batches, pool):
        if error is None:
            continue
        # Items DynamoDB processed before the deadline are stored; only the rest failed.
        failed = getattr(error, "channel_arns", None)
        for sample in batch:
            if failed is None or sample.channel_arn in failed:
                failures[sample.channel_arn] = error
    return failures


def _run_batches(function, batches: list, pool: Executor | None):
    """Yield each batch with the error function(batch) raised, or None, in batch order."""
    if pool is None:
        futures = None
    else:
        futures = [pool.submit(function, batch) for batch in batches]

    for index, batch in enumerate(batches):
        try:
            if futures is None:
                value = function(batch)
            else:
                value = futures[index].result()
        except Exception as error:
            yield batch, error, None
            continue
        yield batch, None, value


def _write_batch(client, table_name: str, requests: list[dict], deadline: Deadline) -> None:
    pending = requests
    attempt = 0
    while pending:
        write = functools.partial(client.batch_write_item, RequestItems={table_name: pending})
        try:
            response = call_with_retry(write, deadline)
        except Exception as error:
            if pending is requests:
                raise
            # An earlier round stored part of the batch; only the rest failed.
            raise UnprocessedError(
                f"{len(pending)} samples not stored: {error}", _written_channels(pending)
            ) from error
        pending = response.get("UnprocessedItems", {}).get(table_name, [])
        if not pending:
            return

        delay = backoff_delay(attempt)
        if delay >= deadline.remaining():
            raise UnprocessedError(
                f"{len(pending)} samples still unprocessed at the deadline",
                _written_channels(pending),
            )
        logger.info("retrying unprocessed samples", extra={"unprocessed": len(pending)})
        time.sleep(delay)
        attempt += 1


def _written_channels(requests: list[dict]) -> set[str]:
    return {request["PutRequest"]["Item"][schema.PARTITION_KEY]["S"] for request in requests}


def read_windows(
    client,
    table_name: str,
    channel_arns: list[str],
    minutes: list[int],
    now: float,
    deadline: Deadline,
    pool: Executor | None = None,
) -> tuple[dict[str, list[Sample | None]], dict[str, Exception]]:
    """Read the samples of the given minutes by exact key, 100 keys per BatchGetItem call.

    Returns each channel's samples in the order of minutes, None where no sample exists or the
    sample has expired (TTL deletes lazily), and the channels whose window could not be read.
    """
    keys = [(arn, minute) for arn in channel_arns for minute in minutes]
    batches = [
        keys[start : start + READ_BATCH_SIZE] for start in range(0, len(keys), READ_BATCH_SIZE)
    ]
    found: dict[tuple[str, int], Sample] = {}
    failures: dict[str, Exception] = {}

    def read(batch):
        return _read_batch(client, table_name, batch, deadline)

    for batch, error, items in _run_batches(read, batches, pool):
        if error is not None:
            for arn, _ in batch:
                failures[arn] = error
            continue
        items, unread, unread_error = items
        for arn in unread:
            failures[arn] = unread_error
        for item in items:
            if not _expired(item, now):
                sample = from_item(item)
                found[(sample.channel_arn, sample.minute_start)] = sample

    windows = {
        arn: [found.get((arn, minute)) for minute in minutes]
        for arn in channel_arns
        if arn not in failures
    }
    return windows, failures


def from_item(item: dict) -> Sample:
    count = item.get(schema.VIEWER_COUNT)
    return Sample(
        channel_arn=item[schema.PARTITION_KEY]["S"],
        minute_start=int(item[schema.SORT_KEY]["N"]),
        live=item.get(schema.LIVE, {}).get("BOOL", False),
        viewer_count=int(count["N"]) if count else None,
    )


def _read_batch(client, table_name: str, batch: list, deadline: Deadline):
    """Read a batch of keys; return the items, the channels left unread and why, if any."""
    pending = {
        "Keys": [
            {schema.PARTITION_KEY: {"S": arn}, schema.SORT_KEY: {"N": str(minute)}}
            for arn, minute in batch
        ],
        # A sample stored by an invocation moments ago must be seen, so that a repeat keeps it.
        "ConsistentRead": True,
        "ProjectionExpression": ", ".join(
            [
                schema.PARTITION_KEY,
                schema.SORT_KEY,
                schema.LIVE,
                schema.VIEWER_COUNT,
                schema.TTL_ATTRIBUTE,
            ]
        ),
    }
    items: list[dict] = []
    attempt = 0
    first_round = True
    while pending:
        read = functools.partial(client.batch_get_item, RequestItems={table_name: pending})
        try:
            response = call_with_retry(read, deadline)
        except Exception as error:
            if first_round:
                raise
            # Items returned in earlier rounds stay valid. Only the channels of the rest failed.
            return items, _key_channels(pending), error
        first_round = False
        items.extend(response.get("Responses", {}).get(table_name, []))
        pending = response.get("UnprocessedKeys", {}).get(table_name)
        if not pending:
            return items, set(), None

        delay = backoff_delay(attempt)
        if delay >= deadline.remaining():
            error = UnprocessedError(
                f"{len(pending['Keys'])} keys still unprocessed at the deadline",
                _key_channels(pending),
            )
            return items, error.channel_arns, error
        logger.info("retrying unprocessed keys", extra={"unprocessed": len(pending["Keys"])})
        time.sleep(delay)
        attempt += 1
    return items, set(), None


def _key_channels(request: dict) -> set[str]:
    return {key[schema.PARTITION_KEY]["S"] for key in request["Keys"]}


def _expired(item: dict, now: float) -> bool:
    expires_at = item.get(schema.TTL_ATTRIBUTE)
    return expires_at is not None and int(expires_at["N"]) <= now
