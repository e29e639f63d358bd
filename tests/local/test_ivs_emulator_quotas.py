"""Rate quotas of the IVS emulator: sliding 1-second windows per account, region and channel.

The emulator runs on a manual clock here, so every request of a test falls in the same instant
until the test advances the clock.
"""

import pytest

from local.ivs_emulator import IvsEmulator

from .conftest import PAYLOAD, REGION, make_client


def call_get_stream(client, arn, times):
    """Call GetStream `times` times and return how many calls were throttled."""
    throttled = 0
    for _ in range(times):
        try:
            client.get_stream(channelArn=arn)
        except client.exceptions.ThrottlingException:
            throttled += 1
    return throttled


def test_get_stream_sixth_call_throttled(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    for _ in range(5):
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException) as raised:
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert ivs_emulator.throttled["GetStream"] == 1
    assert ivs_emulator.calls["GetStream"] == 6


def test_get_stream_window_slides(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, ivs_emulator_clock
):
    call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 3)
    ivs_emulator_clock.advance(0.6)
    call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 2)
    ivs_emulator_clock.advance(0.5)

    # The 3 calls at t=0 left the window; the 2 at t=0.6 are still in it.
    throttled = call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 4)

    assert throttled == 1
    assert ivs_emulator.throttled["GetStream"] == 1


def test_get_stream_quota_per_region(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    other = ivs_emulator.create_channel(name="eu", region="eu-west-1")
    ivs_emulator.set_live(other, True)
    call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 5)

    stream = ivs_emulator_client.get_stream(channelArn=other)["stream"]

    assert stream["channelArn"] == other


def test_get_stream_quota_per_account(ivs_emulator, ivs_emulator_client):
    arns = []
    for index in range(6):
        arn = ivs_emulator.create_channel(name=f"c{index}")
        ivs_emulator.set_live(arn, True)
        arns.append(arn)
    for arn in arns[:5]:
        ivs_emulator_client.get_stream(channelArn=arn)

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
        ivs_emulator_client.get_stream(channelArn=arns[5])


def test_list_streams_sixth_call_throttled(ivs_emulator, ivs_emulator_client):
    for _ in range(5):
        ivs_emulator_client.list_streams()

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
        ivs_emulator_client.list_streams()

    assert ivs_emulator.throttled["ListStreams"] == 1


def test_put_metadata_per_channel_quota(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, ivs_emulator_clock
):
    other = ivs_emulator.create_channel(name="other")
    ivs_emulator.set_live(other, True)
    for _ in range(5):
        ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
        ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)
    ivs_emulator_client.put_metadata(channelArn=other, metadata=PAYLOAD)
    ivs_emulator_clock.advance(1.0)
    ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=PAYLOAD)

    assert len(ivs_emulator.metadata(ivs_emulator_live_channel)) == 6
    assert ivs_emulator.metadata(other) == [PAYLOAD]
    assert ivs_emulator.throttled["PutMetadata"] == 1


def test_put_metadata_per_account_quota(ivs_emulator, ivs_emulator_client):
    arns = []
    for index in range(32):
        arn = ivs_emulator.create_channel(name=f"c{index}")
        ivs_emulator.set_live(arn, True)
        arns.append(arn)

    # 31 channels x 5 calls = 155 calls, the account's quota per second.
    for arn in arns[:31]:
        for _ in range(5):
            ivs_emulator_client.put_metadata(channelArn=arn, metadata=PAYLOAD)

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
        ivs_emulator_client.put_metadata(channelArn=arns[31], metadata=PAYLOAD)
    assert ivs_emulator.metadata(arns[31]) == []
    assert ivs_emulator.throttled["PutMetadata"] == 1


def test_throttled_request_does_not_count(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, ivs_emulator_clock
):
    call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 5)
    ivs_emulator_clock.advance(0.5)
    call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 3)
    ivs_emulator_clock.advance(0.6)

    # Only the 5 admitted calls at t=0 were in the window, and they have left it.
    throttled = call_get_stream(ivs_emulator_client, ivs_emulator_live_channel, 5)

    assert throttled == 0


def test_channel_operations_limited(ivs_emulator, ivs_emulator_client):
    for _ in range(5):
        ivs_emulator_client.list_channels()

    with pytest.raises(ivs_emulator_client.exceptions.ThrottlingException):
        ivs_emulator_client.list_channels()


def test_quotas_off_when_disabled(ivs_emulator_clock):
    with IvsEmulator(media=False, enforce_quotas=False, clock=ivs_emulator_clock) as emulator:
        arn = emulator.create_channel(name="free", region=REGION)
        emulator.set_live(arn, True)
        client = make_client(emulator)

        throttled = call_get_stream(client, arn, 20)
        for _ in range(20):
            client.put_metadata(channelArn=arn, metadata=PAYLOAD)

        assert throttled == 0
        assert len(emulator.metadata(arn)) == 20
        assert emulator.throttled == {}
