"""The poll against DynamoDB Local, with IVS stubbed at the boto3 level.

botocore's Stubber checks every IVS request against the real IVS service model. The poll runs
with one worker here so that the stubbed responses are consumed in a known order.
"""

import json
import logging

import boto3
import pytest
from botocore.stub import Stubber

from handler import schema
from handler.environment import PollerSettings
from handler.payload import build_payload
from handler.poller import PollFailedError, handler, poll
from handler.retry import Deadline

MINUTE = 1_764_860_400
ACCOUNT = "123456789012"


def channel_arn(index: int, region: str = "us-west-2") -> str:
    return f"arn:aws:ivs:{region}:{ACCOUNT}:channel/chan{index:08d}"


class StubbedClients:
    """AwsClients with a stubbed IVS client per region and a real DynamoDB Local client."""

    def __init__(self, dynamodb):
        self.dynamodb = dynamodb
        self.ivs = {}
        self.stubbers = {}

    def stubber(self, region: str = "us-west-2") -> Stubber:
        if region not in self.stubbers:
            client = boto3.client("ivs", region_name=region)
            self.ivs[region] = client
            self.stubbers[region] = Stubber(client)
            self.stubbers[region].activate()
        return self.stubbers[region]

    def ivs_for(self, arn: str):
        return self.ivs[arn.split(":")[3]]


@pytest.fixture
def clients(dynamodb):
    stubbed = StubbedClients(dynamodb)
    yield stubbed
    for stubber in stubbed.stubbers.values():
        stubber.assert_no_pending_responses()


def settings_for(table_name, arns, window=5, retention=30):
    return PollerSettings(table_name, tuple(arns), window, retention)


def live_stream(arn: str, viewers: int) -> dict:
    return {
        "stream": {
            "channelArn": arn,
            "streamId": "st-1AbCdEfGhIjKlMnOpQrStUvWx",
            "playbackUrl": "https://example.invalid/p.m3u8",
            "state": "LIVE",
            "health": "HEALTHY",
            "viewerCount": viewers,
        }
    }


def expect_live(stubber, arn, viewers):
    stubber.add_response("get_stream", live_stream(arn, viewers), {"channelArn": arn})


def expect_offline(stubber, arn):
    stubber.add_client_error(
        "get_stream",
        service_error_code="ChannelNotBroadcasting",
        http_status_code=404,
        expected_params={"channelArn": arn},
    )


def expect_metadata(stubber, arn, payload):
    stubber.add_response("put_metadata", {}, {"channelArn": arn, "metadata": payload})


def run_poll(settings, clients, minute=MINUTE, now=None):
    return poll(
        settings,
        clients,
        minute,
        Deadline(30),
        now=lambda: (now if now is not None else minute + 5),
        workers=1,
    )


def stored_items(dynamodb, table_name):
    return dynamodb.scan(TableName=table_name, ConsistentRead=True)["Items"]


def put_sample(dynamodb, table_name, arn, minute, viewers):
    dynamodb.put_item(
        TableName=table_name,
        Item={
            schema.PARTITION_KEY: {"S": arn},
            schema.SORT_KEY: {"N": str(minute)},
            schema.LIVE: {"BOOL": True},
            schema.VIEWER_COUNT: {"N": str(viewers)},
        },
    )


def test_live_channel_stored_and_sent(clients, dynamodb, table_name):
    arn = channel_arn(1)
    stubber = clients.stubber()
    expect_live(stubber, arn, 42)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None, None, None, None, 42]))

    result = run_poll(settings_for(table_name, [arn]), clients)

    items = stored_items(dynamodb, table_name)
    assert result.cues_sent == 1
    assert result.failures == {}
    assert len(items) == 1
    assert items[0][schema.VIEWER_COUNT] == {"N": "42"}
    assert items[0][schema.LIVE] == {"BOOL": True}
    assert items[0][schema.SORT_KEY] == {"N": str(MINUTE)}
    assert items[0][schema.TTL_ATTRIBUTE] == {"N": str(MINUTE + 30 * 86_400)}


def test_offline_channel_stored_without_metadata(clients, dynamodb, table_name):
    arn = channel_arn(1)
    expect_offline(clients.stubber(), arn)

    result = run_poll(settings_for(table_name, [arn]), clients)

    items = stored_items(dynamodb, table_name)
    assert result.live == 0
    assert result.cues_sent == 0
    assert result.samples_written == 1
    assert items[0][schema.LIVE] == {"BOOL": False}
    assert schema.VIEWER_COUNT not in items[0]


def test_timed_out_count_read_again(clients, dynamodb, table_name, monkeypatch):
    monkeypatch.setattr("handler.viewers.COUNT_REREAD_DELAY_SECONDS", 0.01)
    arn = channel_arn(1)
    stubber = clients.stubber()
    expect_live(stubber, arn, -1)
    expect_live(stubber, arn, 17)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None, None, None, None, 17]))

    result = run_poll(settings_for(table_name, [arn]), clients)

    assert result.cues_sent == 1
    assert stored_items(dynamodb, table_name)[0][schema.VIEWER_COUNT] == {"N": "17"}


def test_count_timed_out_every_read(clients, dynamodb, table_name, monkeypatch):
    monkeypatch.setattr("handler.viewers.COUNT_REREAD_DELAY_SECONDS", 0.01)
    arn = channel_arn(1)
    stubber = clients.stubber()
    for _ in range(3):
        expect_live(stubber, arn, -1)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 5))

    result = run_poll(settings_for(table_name, [arn]), clients)

    item = stored_items(dynamodb, table_name)[0]
    assert result.failures == {}
    assert item[schema.LIVE] == {"BOOL": True}
    assert schema.VIEWER_COUNT not in item


def stream_summary(arn: str, viewers: int) -> dict:
    return {
        "channelArn": arn,
        "streamId": "st-1AbCdEfGhIjKlMnOpQrStUvWx",
        "state": "LIVE",
        "health": "HEALTHY",
        "viewerCount": viewers,
    }


def expect_list_page(stubber, summaries, next_token=None, after_token=None):
    response = {"streams": summaries}
    if next_token:
        response["nextToken"] = next_token
    expected = {"maxResults": 100}
    if after_token:
        expected["nextToken"] = after_token
    stubber.add_response("list_streams", response, expected)


def test_thirty_channels_in_two_write_batches(clients, dynamodb, table_name):
    arns = [channel_arn(index) for index in range(30)]
    stubber = clients.stubber()
    other_account_stream = stream_summary(channel_arn(999), 5)
    expect_list_page(
        stubber,
        [stream_summary(arn, i * 10) for i, arn in enumerate(arns)] + [other_account_stream],
    )
    for index, arn in enumerate(arns):
        expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [index * 10]))
    writes = []
    dynamodb.meta.events.register(
        "before-call.dynamodb.BatchWriteItem", lambda **kwargs: writes.append(1)
    )

    result = run_poll(settings_for(table_name, arns), clients)

    counts = {
        item[schema.PARTITION_KEY]["S"]: int(item[schema.VIEWER_COUNT]["N"])
        for item in stored_items(dynamodb, table_name)
    }
    assert len(writes) == 2
    assert result.samples_written == 30
    assert result.cues_sent == 30
    assert counts == {arn: index * 10 for index, arn in enumerate(arns)}


def test_list_streams_pages_followed(clients, dynamodb, table_name):
    arns = [channel_arn(index) for index in range(101)]
    stubber = clients.stubber()
    expect_list_page(stubber, [stream_summary(a, 1) for a in arns[:100]], next_token="page-2")
    expect_list_page(stubber, [stream_summary(arns[100], 2)], after_token="page-2")
    for index, arn in enumerate(arns):
        expect_metadata(
            stubber, arn, build_payload(MINUTE, [None] * 4 + [2 if index == 100 else 1])
        )

    result = run_poll(settings_for(table_name, arns), clients)

    assert result.live == 101
    assert result.cues_sent == 101
    assert len(stored_items(dynamodb, table_name)) == 101


def test_list_streams_absent_channel_offline(clients, dynamodb, table_name, monkeypatch):
    monkeypatch.setattr("handler.viewers.COUNT_REREAD_DELAY_SECONDS", 0.01)
    arns = [channel_arn(index) for index in range(6)]
    stubber = clients.stubber()
    summaries = [stream_summary(arn, 4) for arn in arns[:4]] + [stream_summary(arns[4], -1)]
    expect_list_page(stubber, summaries)
    expect_live(stubber, arns[4], 44)
    for arn in arns[:4]:
        expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [4]))
    expect_metadata(stubber, arns[4], build_payload(MINUTE, [None] * 4 + [44]))

    result = run_poll(settings_for(table_name, arns), clients)

    offline = [
        item[schema.PARTITION_KEY]["S"]
        for item in stored_items(dynamodb, table_name)
        if item[schema.LIVE] == {"BOOL": False}
    ]
    assert offline == [arns[5]]
    assert result.live == 5
    assert result.cues_sent == 5


def test_list_streams_failure_fails_region(clients, dynamodb, table_name):
    arns = [channel_arn(index) for index in range(6)]
    clients.stubber().add_client_error(
        "list_streams", service_error_code="AccessDeniedException", http_status_code=403
    )

    result = run_poll(settings_for(table_name, arns), clients)

    assert sorted(result.failures) == sorted(arns)
    assert stored_items(dynamodb, table_name) == []


def test_same_minute_twice_keeps_first(clients, dynamodb, table_name):
    arn = channel_arn(1)
    stubber = clients.stubber()
    expect_live(stubber, arn, 10)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [10]))
    expect_live(stubber, arn, 12)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [10]))
    settings = settings_for(table_name, [arn])

    first = run_poll(settings, clients)
    second = run_poll(settings, clients)

    items = stored_items(dynamodb, table_name)
    assert len(items) == 1
    assert items[0][schema.VIEWER_COUNT] == {"N": "10"}
    assert first.samples_written == 1
    assert second.samples_written == 0
    assert second.repeated == 1


def test_missed_minute_is_null(clients, dynamodb, table_name):
    arn = channel_arn(1)
    put_sample(dynamodb, table_name, arn, MINUTE - 240, 5)
    put_sample(dynamodb, table_name, arn, MINUTE - 180, 6)
    put_sample(dynamodb, table_name, arn, MINUTE - 60, 8)
    stubber = clients.stubber()
    expect_live(stubber, arn, 9)
    expect_metadata(stubber, arn, build_payload(MINUTE, [5, 6, None, 8, 9]))

    result = run_poll(settings_for(table_name, [arn]), clients)

    assert result.cues_sent == 1


def test_expired_sample_is_null(clients, dynamodb, table_name):
    arn = channel_arn(1)
    dynamodb.put_item(
        TableName=table_name,
        Item={
            schema.PARTITION_KEY: {"S": arn},
            schema.SORT_KEY: {"N": str(MINUTE - 60)},
            schema.LIVE: {"BOOL": True},
            schema.VIEWER_COUNT: {"N": "7"},
            schema.TTL_ATTRIBUTE: {"N": str(MINUTE)},
        },
    )
    stubber = clients.stubber()
    expect_live(stubber, arn, 9)
    expect_metadata(stubber, arn, build_payload(MINUTE, [None, 9]))

    run_poll(settings_for(table_name, [arn], window=2), clients)


def test_retention_zero_has_no_ttl(clients, dynamodb, table_name):
    arn = channel_arn(1)
    expect_offline(clients.stubber(), arn)

    run_poll(settings_for(table_name, [arn], retention=0), clients)

    assert schema.TTL_ATTRIBUTE not in stored_items(dynamodb, table_name)[0]


def test_throttled_metadata_retried(clients, table_name):
    arn = channel_arn(1)
    stubber = clients.stubber()
    expect_live(stubber, arn, 3)
    stubber.add_client_error(
        "put_metadata", service_error_code="ThrottlingException", http_status_code=429
    )
    expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [3]))

    result = run_poll(settings_for(table_name, [arn]), clients)

    assert result.cues_sent == 1
    assert result.failures == {}


def test_failing_channel_spares_others(clients, dynamodb, table_name, caplog):
    first, broken, last = channel_arn(1), channel_arn(2), channel_arn(3)
    stubber = clients.stubber()
    expect_live(stubber, first, 1)
    stubber.add_client_error(
        "get_stream", service_error_code="AccessDeniedException", http_status_code=403
    )
    expect_live(stubber, last, 3)
    expect_metadata(stubber, first, build_payload(MINUTE, [None] * 4 + [1]))
    expect_metadata(stubber, last, build_payload(MINUTE, [None] * 4 + [3]))

    with caplog.at_level(logging.ERROR):
        result = run_poll(settings_for(table_name, [first, broken, last]), clients)

    stored = {item[schema.PARTITION_KEY]["S"] for item in stored_items(dynamodb, table_name)}
    assert stored == {first, last}
    assert result.cues_sent == 2
    assert list(result.failures) == [broken]
    assert caplog.records[0].channelArn == broken
    assert caplog.records[0].minute == MINUTE


def test_channels_in_two_regions(clients, table_name):
    west, east = channel_arn(1), channel_arn(2, region="eu-west-1")
    expect_live(clients.stubber("us-west-2"), west, 1)
    expect_live(clients.stubber("eu-west-1"), east, 2)
    expect_metadata(clients.stubber("us-west-2"), west, build_payload(MINUTE, [None] * 4 + [1]))
    expect_metadata(clients.stubber("eu-west-1"), east, build_payload(MINUTE, [None] * 4 + [2]))

    result = run_poll(settings_for(table_name, [west, east]), clients)

    assert result.cues_sent == 2


def test_late_invocation_sends_nothing(clients, dynamodb, table_name):
    arn = channel_arn(1)
    expect_live(clients.stubber(), arn, 5)

    result = run_poll(settings_for(table_name, [arn]), clients, now=MINUTE + 300)

    assert result.stale is True
    assert result.cues_sent == 0
    assert len(stored_items(dynamodb, table_name)) == 1


def test_unreachable_dynamodb_sends_nothing(clients, table_name):
    arn = channel_arn(1)
    expect_live(clients.stubber(), arn, 5)
    clients.dynamodb = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-west-2",
        config=boto3.session.Config(connect_timeout=0.2, retries={"max_attempts": 1}),
    )

    # Two workers: the window read retries against the closed port on one while GetStream runs
    # on the other, so the stubbed GetStream is consumed in a known way.
    result = poll(
        settings_for(table_name, [arn]), clients, MINUTE, Deadline(2), lambda: MINUTE, workers=2
    )

    assert list(result.failures) == [arn]
    assert result.cues_sent == 0


def test_handler_raises_when_channel_failed(monkeypatch, clients, table_name):
    arn = channel_arn(1)
    clients.stubber().add_client_error(
        "get_stream", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("CHANNEL_ARNS", json.dumps([arn]))
    monkeypatch.setattr("handler.poller._clients", clients)

    with pytest.raises(PollFailedError, match=arn):
        handler({"scheduledTime": "2025-12-04T15:00:00Z"}, None)


def live_channel_with_snapshot(clients):
    """Stub one live channel with 8 viewers and its cue; return its ARN, payload and S3 stubber."""
    arn = channel_arn(1)
    payload = build_payload(MINUTE, [None] * 4 + [8])
    stubber = clients.stubber()
    expect_live(stubber, arn, 8)
    expect_metadata(stubber, arn, payload)
    clients.s3 = boto3.client("s3", region_name="us-west-2")
    return arn, payload, Stubber(clients.s3)


def test_snapshot_written_for_live_channel(clients, table_name):
    arn, payload, s3_stubber = live_channel_with_snapshot(clients)
    s3_stubber.add_response(
        "put_object",
        {},
        {
            "Bucket": "player-bucket",
            "Key": "snapshots/chan00000001.json",
            "Body": payload.encode("utf-8"),
            "ContentType": "application/json",
            "CacheControl": "public, max-age=15",
        },
    )
    settings = PollerSettings(table_name, (arn,), 5, 30, snapshot_bucket="player-bucket")

    with s3_stubber:
        result = run_poll(settings, clients)

    s3_stubber.assert_no_pending_responses()
    assert result.snapshots_written == 1
    assert result.failures == {}


def test_no_snapshot_for_offline_channel(clients, table_name):
    arn = channel_arn(1)
    expect_offline(clients.stubber(), arn)
    clients.s3 = boto3.client("s3", region_name="us-west-2")
    settings = PollerSettings(table_name, (arn,), 5, 30, snapshot_bucket="player-bucket")

    with Stubber(clients.s3) as s3_stubber:
        result = run_poll(settings, clients)
        s3_stubber.assert_no_pending_responses()

    assert result.snapshots_written == 0


def test_offline_before_metadata_stored_offline(clients, dynamodb, table_name):
    arn = channel_arn(1)
    stubber = clients.stubber()
    expect_live(stubber, arn, 6)
    stubber.add_client_error(
        "put_metadata", service_error_code="ChannelNotBroadcasting", http_status_code=404
    )

    result = run_poll(settings_for(table_name, [arn]), clients)

    item = stored_items(dynamodb, table_name)[0]
    assert result.failures == {}
    assert result.cues_sent == 0
    assert result.live == 0
    assert item[schema.LIVE] == {"BOOL": False}
    assert item[schema.VIEWER_COUNT] == {"N": "6"}


def test_snapshot_failure_keeps_cue(clients, table_name, caplog):
    arn, _, s3_stubber = live_channel_with_snapshot(clients)
    s3_stubber.add_client_error(
        "put_object", service_error_code="AccessDenied", http_status_code=403
    )
    settings = PollerSettings(table_name, (arn,), 5, 30, snapshot_bucket="player-bucket")

    with s3_stubber, caplog.at_level(logging.ERROR):
        result = run_poll(settings, clients)

    assert result.cues_sent == 1
    assert result.snapshots_written == 0
    assert list(result.failures) == [arn]
    assert "storing the snapshot failed; the cue was sent" in caplog.text


def test_list_streams_stops_when_all_found(clients, table_name):
    arns = [channel_arn(index) for index in range(6)]
    stubber = clients.stubber()
    expect_list_page(stubber, [stream_summary(arn, 2) for arn in arns], next_token="more")
    for arn in arns:
        expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [2]))

    result = run_poll(settings_for(table_name, arns), clients)

    assert result.cues_sent == 6


def test_busy_account_switches_to_get_stream(clients, dynamodb, table_name):
    arns = [channel_arn(index) for index in range(6)]
    others = [stream_summary(channel_arn(1000 + index), 1) for index in range(3)]
    stubber = clients.stubber()
    expect_list_page(stubber, [stream_summary(a, 5) for a in arns[:3]], next_token="p2")
    expect_list_page(stubber, others, next_token="p3", after_token="p2")
    expect_list_page(stubber, others, next_token="p4", after_token="p3")
    expect_list_page(stubber, others, next_token="p5", after_token="p4")
    expect_live(stubber, arns[3], 7)
    expect_offline(stubber, arns[4])
    stubber.add_client_error(
        "get_stream",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
        expected_params={"channelArn": arns[5]},
    )
    for arn in arns[:3]:
        expect_metadata(stubber, arn, build_payload(MINUTE, [None] * 4 + [5]))
    expect_metadata(stubber, arns[3], build_payload(MINUTE, [None] * 4 + [7]))

    result = run_poll(settings_for(table_name, arns), clients)

    assert result.cues_sent == 4
    assert list(result.failures) == [arns[5]]
    assert len(stored_items(dynamodb, table_name)) == 5
