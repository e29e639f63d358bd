"""Benchmark one poll of many channels against DynamoDB Local and the IVS emulator.

For each size, with half of the channels live, it runs the real poller once and a straightforward
baseline once on the same emulator, with the IVS quotas enforced. It prints wall time, the quota
floor, calls per operation, throttled calls, the largest payload and peak memory.

    venv/bin/python -m bench.poll_scale                 # sizes 1, 10, 100, 1000
    venv/bin/python -m bench.poll_scale --latency-ms 20 --sizes 100,1000
"""

import argparse
import math
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass

import boto3
from botocore.config import Config

from handler import schema
from handler.clients import AwsClients
from handler.environment import PollerSettings
from handler.payload import build_payload, window_minutes
from handler.poller import poll
from handler.retry import Deadline
from handler.viewers import GET_STREAM_MAX_CHANNELS, LIST_STREAMS_PAGE_SIZE
from local.dynamodb_local import DynamoDBLocal
from local.ivs_emulator import IvsEmulator
from local.run import use_local_endpoints

REGION = "us-west-2"
IVS_OPERATIONS = ("GetStream", "ListStreams", "PutMetadata")
DYNAMODB_OPERATIONS = ("BatchWriteItem", "BatchGetItem", "Query")
# IVS quotas per account and region: GetStream and ListStreams 5 requests/s, PutMetadata 155/s.
READ_RATE = 5
PUT_METADATA_RATE = 155


@dataclass
class Run:
    wall_seconds: float
    calls: Counter
    throttled: int
    failures: int
    largest_payload: int
    peak_kib: float


def quota_floor_seconds(channels: int, live: int) -> float:
    """Return the least time the quotas allow, as calls divided by their rates."""
    reads = (
        channels
        if channels <= GET_STREAM_MAX_CHANNELS
        else math.ceil(live / LIST_STREAMS_PAGE_SIZE)
    )
    return reads / READ_RATE + live / PUT_METADATA_RATE


def count_dynamodb_calls(client, calls: Counter) -> None:
    def count(event_name, **kwargs):
        calls[event_name.rsplit(".", 1)[-1]] += 1

    client.meta.events.register("before-call.dynamodb", count)


def largest_payload(emulator, arns) -> int:
    sizes = [len(payloads[-1].encode()) for arn in arns if (payloads := emulator.metadata(arn))]
    return max(sizes, default=0)


def measure(function, emulator, arns, dynamodb_calls: Counter) -> tuple:
    ivs_before = emulator.calls
    throttled_before = sum(emulator.throttled.values())
    dynamodb_calls.clear()

    tracemalloc.start()
    started = time.perf_counter()
    failures = function()
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    ivs_calls = emulator.calls - ivs_before
    calls = Counter({op: ivs_calls[op] for op in IVS_OPERATIONS})
    calls.update({op: dynamodb_calls[op] for op in DYNAMODB_OPERATIONS})
    throttled = sum(emulator.throttled.values()) - throttled_before
    return Run(wall, calls, throttled, failures, largest_payload(emulator, arns), peak / 1024)


def warm_up(dynamodb, ivs, table, arn) -> None:
    """Make the first requests outside the measurement, with calls that use no poll quota.

    The first request of a client resolves credentials and endpoints, and DynamoDB Local's JVM is
    slow on its first requests. Neither is what the benchmark measures.
    """
    for _ in range(3):
        dynamodb.describe_table(TableName=table)
        ivs.get_channel(arn=arn)


def run_poller(table, arns, window, minute):
    clients = AwsClients()
    warm_up(clients.dynamodb, clients.ivs_for(arns[0]), table, arns[0])
    calls: Counter = Counter()
    count_dynamodb_calls(clients.dynamodb, calls)
    settings = PollerSettings(table, tuple(arns), window, retention_days=1)

    def run():
        result = poll(settings, clients, minute, Deadline(50), now=lambda: minute + 1)
        return len(result.failures)

    return run, calls


def run_baseline(table, arns, window, minute):
    """Build the baseline poll: GetStream and Query per channel, PutMetadata one after another.

    Writes go in batches of 25. It uses botocore's standard retry mode, as code written from the
    SDK defaults would.
    """
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    ivs = boto3.client("ivs", region_name=REGION, config=config)
    dynamodb = boto3.client("dynamodb", region_name=REGION, config=config)
    warm_up(dynamodb, ivs, table, arns[0])
    calls: Counter = Counter()
    count_dynamodb_calls(dynamodb, calls)

    def run():
        failures = 0
        counts = {}
        for arn in arns:
            try:
                counts[arn] = ivs.get_stream(channelArn=arn)["stream"]["viewerCount"]
            except ivs.exceptions.ChannelNotBroadcasting:
                counts[arn] = None
            except Exception:
                failures += 1

        items = [
            {
                "PutRequest": {
                    "Item": {
                        schema.PARTITION_KEY: {"S": arn},
                        schema.SORT_KEY: {"N": str(minute)},
                        schema.LIVE: {"BOOL": count is not None},
                        **({schema.VIEWER_COUNT: {"N": str(count)}} if count is not None else {}),
                    }
                }
            }
            for arn, count in counts.items()
        ]
        for start in range(0, len(items), 25):
            dynamodb.batch_write_item(RequestItems={table: items[start : start + 25]})

        minutes = window_minutes(minute, window)
        for arn, count in counts.items():
            if count is None:
                continue
            response = dynamodb.query(
                TableName=table,
                KeyConditionExpression="channelArn = :arn AND minuteStart >= :first",
                ExpressionAttributeValues={":arn": {"S": arn}, ":first": {"N": str(minutes[0])}},
            )
            stored = {
                int(i["minuteStart"]["N"]): int(i["viewerCount"]["N"])
                for i in response["Items"]
                if "viewerCount" in i
            }
            payload = build_payload(minute, [stored.get(m) for m in minutes])
            try:
                ivs.put_metadata(channelArn=arn, metadata=payload)
            except Exception:
                failures += 1
        return failures

    return run, calls


def prepare(emulator, dynamodb, size, table):
    dynamodb.create_table(**schema.create_table_request(table))
    arns = [emulator.create_channel(name=f"bench-{size}-{i}", region=REGION) for i in range(size)]
    for index, arn in enumerate(arns):
        if index < math.ceil(size / 2):
            emulator.set_live(arn, True)
            emulator.set_audience(arn, 100 + index)
    return arns


def expected_calls(size: int, live: int, window: int) -> dict:
    reads = {"GetStream": size, "ListStreams": 0}
    if size > GET_STREAM_MAX_CHANNELS:
        reads = {"GetStream": 0, "ListStreams": max(1, math.ceil(live / LIST_STREAMS_PAGE_SIZE))}
    return {
        **reads,
        "BatchWriteItem": math.ceil(size / 25),
        "BatchGetItem": math.ceil(size * window / 100),
        "PutMetadata": live,
    }


def print_row(label, size, live, window, run, floor, baseline=None):
    calls = " ".join(
        f"{op}={run.calls[op]}" for op in (*IVS_OPERATIONS, *DYNAMODB_OPERATIONS) if run.calls[op]
    )
    ratio = run.wall_seconds / floor if floor else float("nan")
    versus = (
        f" {baseline.wall_seconds / run.wall_seconds:6.1f}x faster than baseline"
        if baseline
        else ""
    )
    print(
        f"{label:8} N={size:<5} live={live:<4} wall={run.wall_seconds:7.2f}s floor={floor:6.2f}s "
        f"wall/floor={ratio:5.2f} throttled={run.throttled:<5} failed={run.failures:<4} "
        f"largest={run.largest_payload}B peak={run.peak_kib:8.0f}KiB{versus}"
    )
    print(f"         calls: {calls}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,1000", help="comma-separated channel counts")
    parser.add_argument("--window", type=int, default=5, help="window minutes (1 to 60)")
    parser.add_argument("--latency-ms", type=float, default=0, help="extra latency per IVS call")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline runs")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    with DynamoDBLocal() as dynamodb_local, IvsEmulator(media=False) as emulator:
        use_local_endpoints(emulator.endpoint_url, dynamodb_local.endpoint_url)
        if args.latency_ms:
            for operation in IVS_OPERATIONS:
                emulator.inject_fault(
                    operation, "latency", times=None, seconds=args.latency_ms / 1000
                )
        dynamodb = dynamodb_local.client()
        minute = int(time.time() // 60 * 60)

        print(
            f"window={args.window} min, IVS latency {args.latency_ms} ms per call, quotas enforced"
        )
        for size in sizes:
            live = math.ceil(size / 2)
            table = f"bench-{size}"
            arns = prepare(emulator, dynamodb, size, table)
            time.sleep(1.1)  # start each run with empty quota windows

            run, calls = run_poller(table, arns, args.window, minute)
            ours = measure(run, emulator, arns, calls)
            baseline = None
            if not args.no_baseline:
                time.sleep(1.1)
                run, calls = run_baseline(table, arns, args.window, minute + 60)
                baseline = measure(run, emulator, arns, calls)

            floor = quota_floor_seconds(size, live)
            print_row("poller", size, live, args.window, ours, floor, baseline)
            expected = " ".join(
                f"{op}={n}" for op, n in expected_calls(size, live, args.window).items() if n
            )
            print(f"         target: {expected}")
            if baseline:
                print_row("baseline", size, live, args.window, baseline, floor)
            for arn in arns:
                emulator.set_live(arn, False)


if __name__ == "__main__":
    main()
