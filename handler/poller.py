"""Lambda entry point: one poll per scheduled minute.

For every channel: read the viewer count, store a sample for the scheduled minute, read back the
window, and send it as timed metadata to the channels that are live. A failing channel never
stops the others; the invocation fails at the end if any channel failed, so that Lambda's error
metric shows it.
"""

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .arns import region_of
from .clients import AwsClients
from .environment import PollerSettings
from .metadata import send_metadata
from .payload import SAMPLE_INTERVAL_SECONDS, build_payload, window_minutes
from .retry import Deadline, RateLimiter
from .samples import Sample, read_windows, write_samples
from .snapshots import write_snapshot
from .viewers import GET_STREAM_MAX_CHANNELS, Reading, read_channel, read_region

logger = logging.getLogger("ivs_viewer_count")
# Lambda's levels include TRACE, which Python's logging lacks; it and unknown names fall back.
LOG_LEVELS = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING"}
LOG_LEVELS.update({"WARNING": "WARNING", "ERROR": "ERROR", "FATAL": "CRITICAL"})
logger.setLevel(LOG_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper(), "INFO"))

# IVS quotas per account and region, not adjustable (IVS service quotas): GetStream and
# ListStreams 5 requests/s each, PutMetadata 155 requests/s.
GET_STREAM_RATE = 5
LIST_STREAMS_RATE = 5
PUT_METADATA_ACCOUNT_RATE = 155
# Enough calls in flight per region to reach the paced 141 PutMetadata calls/s at up to 110 ms
# per call. More threads made the benchmark slower on 2 cores, where the emulator shares the GIL.
WORKERS_PER_REGION = 16
MAX_WORKERS = 64
# A window sent more than this long after its minute began would be shown as current while it
# is not, so a late invocation stores its sample and sends nothing.
STALE_AFTER_SECONDS = 90
# Time kept back from the function timeout to log the summary and return.
DEADLINE_MARGIN_SECONDS = 3.0
DEFAULT_DEADLINE_SECONDS = 50.0
# Share of the poll's time that reading IVS may use, so that retries on one slow channel leave
# time to store and send the others.
READ_SHARE = 0.5


class PollFailedError(Exception):
    """At least one channel failed in this poll; the log lines before it name them."""


@dataclass
class PollResult:
    minute: int
    channels: int = 0
    live: int = 0
    samples_written: int = 0
    # Channels whose sample of this minute an earlier delivery had already stored.
    repeated: int = 0
    cues_sent: int = 0
    snapshots_written: int = 0
    stale: bool = False
    failures: dict[str, str] = field(default_factory=dict)


# A scheduled time further from now than this is not the schedule's, because Scheduler and
# Lambda drop events older than 60 s. Such an event was invoked by hand (the Lambda console's
# sample scheduled event has a time in 1970), and it samples the current minute instead.
MAX_EVENT_AGE_SECONDS = 15 * 60
MAX_EVENT_LEAD_SECONDS = 120


def scheduled_minute(event, now: float) -> int:
    """Return the Unix second at the start of the scheduled minute the event is for.

    The schedule passes its scheduled time as `scheduledTime`; an EventBridge rule event has
    `time`. A missing or malformed value, or one far from now, falls back to the current minute,
    with a warning.
    """
    raw = None
    if isinstance(event, dict):
        raw = event.get("scheduledTime") or event.get("time")

    parsed = _parse_time(raw)
    if parsed is not None and -MAX_EVENT_LEAD_SECONDS <= now - parsed <= MAX_EVENT_AGE_SECONDS:
        return _minute_floor(parsed)

    fallback = _minute_floor(now)
    reason = "no valid scheduled time" if parsed is None else "a scheduled time far from now"
    logger.warning(
        f"event has {reason}; sampling the current minute",
        extra={"scheduledTime": raw, "minute": fallback},
    )
    return fallback


def _parse_time(raw) -> float | None:
    """Return the Unix time of an ISO 8601 date and time with seconds, or None."""
    if not isinstance(raw, str) or "T" not in raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def _minute_floor(seconds: float) -> int:
    return int(seconds // SAMPLE_INTERVAL_SECONDS * SAMPLE_INTERVAL_SECONDS)


def poll(
    settings: PollerSettings,
    clients: AwsClients,
    minute: int,
    deadline: Deadline,
    now=time.time,
    workers: int | None = None,
) -> PollResult:
    """Run one poll for the scheduled minute and return what it did.

    Each region has its own quotas, so the thread pool grows with the number of regions.
    """
    result = PollResult(minute=minute, channels=len(settings.channel_arns))
    if workers is None:
        regions = {region_of(arn) for arn in settings.channel_arns}
        workers = min(MAX_WORKERS, WORKERS_PER_REGION * max(1, len(regions)))
    limiters = {
        "GetStream": _limiters(settings.channel_arns, GET_STREAM_RATE),
        "ListStreams": _limiters(settings.channel_arns, LIST_STREAMS_RATE),
    }
    senders = _limiters(settings.channel_arns, PUT_METADATA_ACCOUNT_RATE)

    with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(1) as background:
        # The stored windows are read while IVS is read, since neither needs the other. They come
        # before any write: a repeated delivery of this minute finds the sample the first delivery
        # wrote, keeps it and sends the same window, so each minute has one sample.
        # NOTE: read-then-write is not atomic, so two deliveries running at the same moment can
        # still disagree. The stack gives the function a reserved concurrency of 1 against that.
        minutes = window_minutes(minute, settings.window_minutes)
        stored_future = background.submit(
            read_windows,
            clients.dynamodb,
            settings.table_name,
            list(settings.channel_arns),
            minutes,
            now(),
            deadline,
            pool,
        )
        read_deadline = deadline.share(READ_SHARE)
        readings = _read_channels(settings, clients, limiters, read_deadline, pool, result)
        stored, read_failures = stored_future.result()
        _record_failures(
            result, read_failures, "reading stored samples failed; nothing stored or sent"
        )

        current, new_samples = _current_samples(readings, stored, minute, result)
        write_failures = write_samples(
            clients.dynamodb,
            settings.table_name,
            new_samples,
            settings.retention_days,
            deadline,
            pool,
        )
        _record_failures(result, write_failures, "storing the sample failed; no metadata sent")
        result.samples_written = len(new_samples) - len(write_failures)

        live_arns = [
            arn for arn, sample in current.items() if sample.live and arn not in write_failures
        ]
        result.live = len(live_arns)
        if not live_arns:
            return result
        if now() - minute > STALE_AFTER_SECONDS:
            result.stale = True
            logger.warning(
                "invocation is late; the sample is stored but no window is sent",
                extra={"minute": minute, "lateSeconds": round(now() - minute)},
            )
            return result

        windows = {
            arn: [_count(sample) for sample in stored[arn][:-1]] + [current[arn].viewer_count]
            for arn in live_arns
        }
        went_offline = _send_windows(
            settings, clients, windows, minute, senders, deadline, pool, result
        )
        if went_offline:
            # The stream ended between the read and PutMetadata: the minute is stored as offline,
            # keeping the count that was read while it was live.
            offline = [replace(current[arn], live=False) for arn in went_offline]
            failures = write_samples(
                clients.dynamodb, settings.table_name, offline, settings.retention_days, deadline
            )
            _record_failures(result, failures, "storing the offline sample failed")
            result.live -= len(went_offline)
    return result


def _current_samples(readings, stored, minute, result):
    """Pick each channel's sample of this minute: the stored one if any, else a new one."""
    current: dict[str, Sample] = {}
    new_samples: list[Sample] = []
    for reading in readings:
        arn = reading.channel_arn
        if arn not in stored:
            continue
        existing = stored[arn][-1]
        if existing is not None:
            current[arn] = existing
            result.repeated += 1
            continue
        sample = Sample(arn, minute, reading.live, reading.viewer_count)
        current[arn] = sample
        new_samples.append(sample)
    return current, new_samples


def _count(sample: Sample | None) -> int | None:
    return None if sample is None else sample.viewer_count


def _limiters(channel_arns, rate: int) -> dict[str, RateLimiter]:
    return {region: RateLimiter(rate) for region in {region_of(arn) for arn in channel_arns}}


def _read_channels(settings, clients, limiters, deadline, pool, result) -> list[Reading]:
    """Read every channel, with GetStream in regions of few channels and ListStreams elsewhere."""
    by_region: dict[str, list[str]] = {}
    for arn in settings.channel_arns:
        by_region.setdefault(region_of(arn), []).append(arn)

    def get_one(arn):
        limiter = limiters["GetStream"][region_of(arn)]
        return [read_channel(clients.ivs_for(arn), arn, limiter, deadline)], {}

    def list_region(region, arns):
        client = clients.ivs_for(arns[0])
        return read_region(
            client, arns, limiters["ListStreams"][region], limiters["GetStream"][region], deadline
        )

    tasks = []
    for region, arns in by_region.items():
        if len(arns) > GET_STREAM_MAX_CHANNELS:
            tasks.append((arns, pool.submit(list_region, region, arns)))
        else:
            tasks.extend(([arn], pool.submit(get_one, arn)) for arn in arns)

    readings = []
    for arns, future in tasks:
        try:
            task_readings, task_failures = future.result()
        except Exception as error:
            task_readings, task_failures = [], dict.fromkeys(arns, error)
        readings.extend(task_readings)
        for arn, error in task_failures.items():
            _record_failure(result, arn, error, _read_failure_message(error))
    return readings


def _read_failure_message(error: Exception) -> str:
    # Network errors of botocore carry response=None, so a missing response counts as empty.
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code == "ResourceNotFoundException":
        return "channel not found; remove its ARN from channelArn or channelArns and run pulumi up"
    if code == "AccessDeniedException":
        return "access denied; check that the poller role covers this channel ARN"
    return "reading the viewer count failed"


def _send_windows(settings, clients, windows, minute, senders, deadline, pool, result):
    payloads = {arn: build_payload(minute, counts) for arn, counts in windows.items()}

    def send(arn):
        limiter = senders[region_of(arn)]
        return send_metadata(clients.ivs_for(arn), arn, payloads[arn], limiter, deadline)

    futures = {arn: pool.submit(send, arn) for arn in payloads}
    went_offline = []
    sent_arns = []
    for arn, future in futures.items():
        try:
            sent = future.result()
        except Exception as error:
            _record_failure(result, arn, error, "sending the window failed")
            continue
        if sent:
            result.cues_sent += 1
            sent_arns.append(arn)
        else:
            went_offline.append(arn)
            logger.info(
                "channel went offline before its metadata was sent",
                extra={"channelArn": arn, "minute": minute},
            )

    if settings.snapshot_bucket:
        _write_snapshots(settings, clients, sent_arns, payloads, deadline, pool, result)
    return went_offline


def _write_snapshots(settings, clients, arns, payloads, deadline, pool, result):
    """Store the snapshots after the cues, so that S3 never holds up PutMetadata."""

    def write(arn):
        write_snapshot(clients.s3, settings.snapshot_bucket, arn, payloads[arn], deadline)

    futures = {arn: pool.submit(write, arn) for arn in arns}
    for arn, future in futures.items():
        try:
            future.result()
        except Exception as error:
            _record_failure(result, arn, error, "storing the snapshot failed; the cue was sent")
            continue
        result.snapshots_written += 1


def _record_failures(result: PollResult, failures: dict, message: str) -> None:
    for arn, error in failures.items():
        _record_failure(result, arn, error, message)


def _record_failure(result: PollResult, arn: str, error: Exception, message: str) -> None:
    result.failures[arn] = f"{type(error).__name__}: {error}"
    logger.error(
        message,
        extra={"channelArn": arn, "minute": result.minute, "error": result.failures[arn]},
    )


_clients: AwsClients | None = None


def _shared_clients() -> AwsClients:
    global _clients
    if _clients is None:
        _clients = AwsClients()
    return _clients


def handler(event, context):
    """Poll every configured channel for the minute the schedule fired for."""
    started = time.monotonic()
    settings = PollerSettings.from_environment()
    minute = scheduled_minute(event, time.time())

    seconds = DEFAULT_DEADLINE_SECONDS
    if context is not None:
        seconds = context.get_remaining_time_in_millis() / 1000 - DEADLINE_MARGIN_SECONDS
    result = poll(settings, _shared_clients(), minute, Deadline(seconds))

    summary = {
        "minute": minute,
        "channels": result.channels,
        "live": result.live,
        "samplesWritten": result.samples_written,
        "repeated": result.repeated,
        "cuesSent": result.cues_sent,
        "snapshotsWritten": result.snapshots_written,
        "failures": len(result.failures),
        "stale": result.stale,
        "durationMs": round((time.monotonic() - started) * 1000),
    }
    logger.info("poll finished", extra=summary)

    if result.failures:
        failed = ", ".join(sorted(result.failures))
        raise PollFailedError(
            f"{len(result.failures)} of {result.channels} channels failed: {failed}"
        )
    return summary
