"""The poller over HTTP against the IVS emulator and DynamoDB Local, faults included.

IVS faults are injected through the emulator, never by patching the poller.
"""

import json
import logging
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config

from handler import schema
from handler.clients import CLIENT_CONFIG, AwsClients
from handler.environment import PollerSettings
from handler.poller import PollFailedError, handler, poll
from handler.retry import Deadline

MINUTE = 1_764_860_400
REGION = "us-west-2"


@pytest.fixture
def emulator(monkeypatch):
    from local.ivs_emulator import IvsEmulator

    with IvsEmulator(media=False) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IVS", running.endpoint_url)
        yield running


@pytest.fixture
def clients(emulator, dynamodb_local, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint_url)
    return AwsClients()


def make_channels(emulator, count, live=None, audience=100):
    """Create channels; the first `live` of them (all by default) go live with an audience."""
    arns = [emulator.create_channel(name=f"ch-{index}", region=REGION) for index in range(count)]
    for index, arn in enumerate(arns[: count if live is None else live]):
        emulator.set_live(arn, True)
        emulator.set_audience(arn, audience + index)
    return arns


def run_poll(clients, table_name, arns, minute=MINUTE, window=5, now=None, seconds=30):
    settings = PollerSettings(table_name, tuple(arns), window, retention_days=1)
    clock = now if now is not None else minute + 2
    return poll(settings, clients, minute, Deadline(seconds), now=lambda: clock)


def stored(dynamodb, table_name):
    items = []
    request = {"TableName": table_name, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def last_counts(emulator, arn):
    return json.loads(emulator.metadata(arn)[-1])["counts"]


def test_live_and_offline_channels(emulator, clients, dynamodb, table_name):
    live, offline = make_channels(emulator, 2, live=1, audience=40)

    result = run_poll(clients, table_name, [live, offline])

    items = {item[schema.PARTITION_KEY]["S"]: item for item in stored(dynamodb, table_name)}
    assert result.failures == {}
    assert items[live][schema.VIEWER_COUNT] == {"N": "40"}
    assert items[offline][schema.LIVE] == {"BOOL": False}
    assert last_counts(emulator, live) == [None, None, None, None, 40]
    assert emulator.metadata(offline) == []


def test_window_over_three_minutes(emulator, clients, table_name):
    (arn,) = make_channels(emulator, 1, audience=10)

    for step, audience in enumerate([10, 15, 25]):
        emulator.set_audience(arn, audience)
        run_poll(clients, table_name, [arn], minute=MINUTE + 60 * step)

    assert last_counts(emulator, arn) == [None, None, 10, 15, 25]


def test_timed_out_count_read_again(emulator, clients, dynamodb, table_name):
    (arn,) = make_channels(emulator, 1, audience=33)
    emulator.inject_fault("GetStream", "viewer_count_timeout", times=1)

    run_poll(clients, table_name, [arn])

    assert stored(dynamodb, table_name)[0][schema.VIEWER_COUNT] == {"N": "33"}


def test_read_throttling_burst_retried(emulator, clients, dynamodb, table_name):
    arns = make_channels(emulator, 3)
    emulator.inject_fault("GetStream", "throttle", times=4)

    result = run_poll(clients, table_name, arns)

    assert result.failures == {}
    assert len(stored(dynamodb, table_name)) == 3
    assert result.cues_sent == 3


def test_metadata_throttling_burst_retried(emulator, clients, table_name):
    arns = make_channels(emulator, 3)
    emulator.inject_fault("PutMetadata", "throttle", times=5)

    result = run_poll(clients, table_name, arns)

    assert result.failures == {}
    assert all(len(emulator.metadata(arn)) == 1 for arn in arns)


def test_server_errors_on_one_channel(emulator, clients, dynamodb, table_name, caplog):
    healthy, broken, other = make_channels(emulator, 3)
    emulator.inject_fault("PutMetadata", "server_error", times=None, channel_arn=broken)

    with caplog.at_level(logging.ERROR):
        result = run_poll(clients, table_name, [healthy, broken, other], seconds=8)

    logged = [record for record in caplog.records if getattr(record, "channelArn", None)]
    assert list(result.failures) == [broken]
    assert len(stored(dynamodb, table_name)) == 3
    assert len(emulator.metadata(healthy)) == 1
    assert len(emulator.metadata(other)) == 1
    assert emulator.metadata(broken) == []
    assert [record.channelArn for record in logged] == [broken]
    assert logged[0].minute == MINUTE


def test_timeout_on_one_channel(emulator, dynamodb_local, dynamodb, table_name, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint_url)
    quick = AwsClients(config=CLIENT_CONFIG.merge(Config(read_timeout=0.5)))
    healthy, slow = make_channels(emulator, 2)
    emulator.inject_fault("GetStream", "latency", times=None, channel_arn=slow, seconds=1.0)

    result = run_poll(quick, table_name, [healthy, slow], seconds=4)

    assert list(result.failures) == [slow]
    assert [item[schema.PARTITION_KEY]["S"] for item in stored(dynamodb, table_name)] == [healthy]
    assert len(emulator.metadata(healthy)) == 1


def test_offline_between_read_and_metadata(emulator, clients, dynamodb, table_name):
    (arn,) = make_channels(emulator, 1, audience=8)
    emulator.inject_fault("PutMetadata", "not_broadcasting", times=1)

    result = run_poll(clients, table_name, [arn])

    item = stored(dynamodb, table_name)[0]
    assert result.failures == {}
    assert item[schema.LIVE] == {"BOOL": False}
    assert item[schema.VIEWER_COUNT] == {"N": "8"}


def test_deleted_channel_named_with_fix(emulator, clients, table_name, caplog):
    kept, deleted = make_channels(emulator, 2, live=1)
    ivs = boto3.client("ivs", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))
    ivs.delete_channel(arn=deleted)

    with caplog.at_level(logging.ERROR):
        result = run_poll(clients, table_name, [kept, deleted])

    assert list(result.failures) == [deleted]
    assert "remove its ARN from channelArn or channelArns" in caplog.text
    assert deleted in [getattr(record, "channelArn", None) for record in caplog.records]
    assert len(emulator.metadata(kept)) == 1


def test_late_invocation_stores_only(emulator, clients, dynamodb, table_name):
    (arn,) = make_channels(emulator, 1)

    result = run_poll(clients, table_name, [arn], now=MINUTE + 600)

    assert result.stale is True
    assert len(stored(dynamodb, table_name)) == 1
    assert emulator.metadata(arn) == []


def test_repeated_minute_identical_payloads(emulator, clients, dynamodb, table_name):
    (arn,) = make_channels(emulator, 1, audience=70)

    run_poll(clients, table_name, [arn])
    emulator.set_audience(arn, 99)
    run_poll(clients, table_name, [arn])

    first, second = emulator.metadata(arn)
    assert first == second
    assert len(stored(dynamodb, table_name)) == 1


def test_two_list_streams_pages(emulator, clients, dynamodb, table_name):
    arns = make_channels(emulator, 101)

    result = run_poll(clients, table_name, arns)

    assert result.live == 101
    assert result.cues_sent == 101
    assert len(stored(dynamodb, table_name)) == 101
    assert emulator.calls["ListStreams"] == 2
    assert emulator.calls["GetStream"] == 0
    assert sum(emulator.throttled.values()) == 0


def test_thousand_channels_exact(emulator, clients, dynamodb, table_name):
    arns = make_channels(emulator, 1000, live=500, audience=1)

    first = run_poll(clients, table_name, arns, seconds=45)
    second = run_poll(clients, table_name, arns, minute=MINUTE + 60, seconds=45)

    items = stored(dynamodb, table_name)
    counts = {
        (item[schema.PARTITION_KEY]["S"], int(item[schema.SORT_KEY]["N"])): item.get(
            schema.VIEWER_COUNT, {}
        ).get("N")
        for item in items
    }
    assert first.failures == {}
    assert second.failures == {}
    assert len(items) == 2000
    assert counts[(arns[0], MINUTE)] == "1"
    assert counts[(arns[499], MINUTE + 60)] == "500"
    assert counts[(arns[500], MINUTE)] is None
    assert last_counts(emulator, arns[499])[-2:] == [500, 500]
    assert sum(emulator.throttled.values()) == 0
    assert emulator.calls["PutMetadata"] == 1000


def test_handler_fails_after_other_channels(emulator, clients, table_name, monkeypatch):
    healthy, broken = make_channels(emulator, 2)
    emulator.inject_fault("GetStream", "access_denied", times=None, channel_arn=broken)
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("CHANNEL_ARNS", json.dumps([healthy, broken]))
    monkeypatch.setattr("handler.poller._clients", clients)

    scheduled = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:00Z")

    with pytest.raises(PollFailedError, match="1 of 2 channels failed"):
        handler({"scheduledTime": scheduled}, None)

    assert len(emulator.metadata(healthy)) == 1


def test_hand_invoked_event_polls_current_minute(emulator, clients, table_name, monkeypatch):
    (arn,) = make_channels(emulator, 1)
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("CHANNEL_ARNS", json.dumps([arn]))
    monkeypatch.setattr("handler.poller._clients", clients)

    summary = handler({"test": "invoked by hand"}, None)

    assert summary["cuesSent"] == 1
    assert summary["minute"] % 60 == 0
