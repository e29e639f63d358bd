"""Injected faults of the IVS emulator: each kind, counts, channel scope and argument checks."""

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from .conftest import PAYLOAD, make_client


def test_throttle_fault_twice_then_normal(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.inject_fault(operation="PutMetadata", kind="throttle", times=2)

    for _ in range(2):
        with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
            ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)
    ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)

    assert ivs_emulator.metadata(ivs_emulator_live_channel) == [PAYLOAD]
    assert ivs_emulator.calls["PutMetadata"] == 3
    assert ivs_emulator.throttled["PutMetadata"] == 2


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("throttle", "ThrottlingException", 429),
        ("server_error", "InternalServerException", 500),
        ("not_broadcasting", "ChannelNotBroadcasting", 404),
        ("access_denied", "AccessDeniedException", 403),
    ],
)
def test_error_fault_kinds(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, kind, code, status
):
    ivs_emulator.inject_fault(operation="GetStream", kind=kind)

    with pytest.raises(getattr(ivs_emulator_client.exceptions, code)) as raised:
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_fault_times_one_by_default(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    ivs_emulator.inject_fault(operation="GetStream", kind="server_error")
    with pytest.raises(ivs_emulator_client.exceptions.InternalServerException):
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    stream = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["state"] == "LIVE"


def test_latency_fault_delays_reply(ivs_emulator, ivs_emulator_live_channel):
    impatient = make_client(ivs_emulator, read_timeout=0.3)
    ivs_emulator.inject_fault(operation="GetStream", kind="latency", seconds=2.0)

    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.get_stream(channelArn=ivs_emulator_live_channel)
    stream = impatient.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["channelArn"] == ivs_emulator_live_channel


def test_latency_fault_then_normal_reply(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.inject_fault(operation="PutMetadata", kind="latency", seconds=0.2)

    ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)

    assert ivs_emulator.metadata(ivs_emulator_live_channel) == [PAYLOAD]


def test_viewer_count_timeout_get_stream(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.set_audience(ivs_emulator_live_channel, 50)
    ivs_emulator.inject_fault(operation="GetStream", kind="viewer_count_timeout")

    first = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]
    second = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert first["viewerCount"] == -1
    assert second["viewerCount"] == 50


def test_viewer_count_timeout_list_streams(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.inject_fault(operation="ListStreams", kind="viewer_count_timeout")

    streams = ivs_emulator_client.list_streams()["streams"]

    assert [stream["viewerCount"] for stream in streams] == [-1]


def test_fault_scoped_to_channel(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    other = ivs_emulator.create_channel(name="other")
    ivs_emulator.set_live(other, True)
    ivs_emulator.inject_fault(
        operation="GetStream", kind="server_error", times=None, channel_arn=other
    )

    healthy = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]
    with pytest.raises(ivs_emulator_client.exceptions.InternalServerException):
        ivs_emulator_client.get_stream(channelArn=other)

    assert healthy["channelArn"] == ivs_emulator_live_channel


def test_fault_until_cleared(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    ivs_emulator.inject_fault(operation="GetStream", kind="access_denied", times=None)
    for _ in range(3):
        with pytest.raises(ivs_emulator_client.exceptions.AccessDeniedException):
            ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    ivs_emulator.clear_faults()
    stream = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["state"] == "LIVE"


def test_error_faults_consumed_in_order(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.inject_fault(operation="GetStream", kind="server_error")
    ivs_emulator.inject_fault(operation="GetStream", kind="access_denied")

    with pytest.raises(ivs_emulator_client.exceptions.InternalServerException):
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)
    with pytest.raises(ivs_emulator_client.exceptions.AccessDeniedException):
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)


def test_fault_other_operation_unaffected(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.inject_fault(operation="PutMetadata", kind="server_error")

    stream = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["state"] == "LIVE"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"operation": "GetStreams", "kind": "throttle"}, "unknown operation"),
        ({"operation": "GetStream", "kind": "explode"}, "unknown fault kind"),
        ({"operation": "GetStream", "kind": "throttle", "times": 0}, "times=0"),
        ({"operation": "ListChannels", "kind": "not_broadcasting"}, "ChannelNotBroadcasting"),
        ({"operation": "PutMetadata", "kind": "viewer_count_timeout"}, "no viewer count"),
        ({"operation": "GetStream", "kind": "latency"}, "seconds > 0"),
        ({"operation": "GetStream", "kind": "throttle", "seconds": 1.0}, "only to the latency"),
    ],
)
def test_invalid_fault_rejected(ivs_emulator, arguments, message):
    with pytest.raises(ValueError, match=message):
        ivs_emulator.inject_fault(**arguments)


@pytest.mark.parametrize(
    ("retries", "requests"),
    [({"max_attempts": 1}, 2), ({"total_max_attempts": 1}, 1)],
    ids=["max-attempts", "total-max-attempts"],
)
def test_retry_config_request_count(ivs_emulator, ivs_emulator_live_channel, retries, requests):
    client = boto3.client(
        "ivs",
        region_name="us-west-2",
        endpoint_url=ivs_emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries=retries),
    )
    ivs_emulator.inject_fault(operation="GetStream", kind="throttle", times=None)

    with pytest.raises(client.exceptions.ThrottlingException):
        client.get_stream(channelArn=ivs_emulator_live_channel)

    assert ivs_emulator.calls["GetStream"] == requests
