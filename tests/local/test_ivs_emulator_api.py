"""Control-plane operations and errors of the IVS emulator, through real boto3 clients."""

import datetime
import json
import re
import urllib.error
import urllib.request

import boto3
import pytest

from local.ivs_emulator import IvsEmulator

from .conftest import PAYLOAD, REGION, make_client

ARN_FORM = re.compile(r"arn:aws:ivs:us-west-2:123456789012:channel/[a-zA-Z0-9]{12}")


def raw_post(emulator, operation, body, headers=None):
    """POST without boto3 and return (status, headers, parsed JSON body)."""
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/{operation}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_create_channel_returns_modeled_shape(ivs_emulator, ivs_emulator_client):
    response = ivs_emulator_client.create_channel(name="show-1", tags={"team": "video"})

    channel = response["channel"]
    assert ARN_FORM.fullmatch(channel["arn"])
    assert channel["name"] == "show-1"
    assert channel["latencyMode"] == "LOW"
    assert channel["type"] == "STANDARD"
    assert channel["tags"] == {"team": "video"}
    assert channel["playbackUrl"] == ivs_emulator.playback_url(channel["arn"])
    assert response["streamKey"]["channelArn"] == channel["arn"]
    assert response["streamKey"]["value"].startswith("sk_")


def test_python_create_channel_arn(ivs_emulator):
    arn = ivs_emulator.create_channel(name="demo", region="us-west-2")

    assert ARN_FORM.fullmatch(arn)


def test_get_channel_matches_created(ivs_emulator_client):
    created = ivs_emulator_client.create_channel(name="show-2")["channel"]

    fetched = ivs_emulator_client.get_channel(arn=created["arn"])["channel"]

    assert fetched == created


def test_batch_get_channel_reports_missing(ivs_emulator, ivs_emulator_client):
    existing = ivs_emulator.create_channel(name="a")
    missing = existing[:-12] + "AAAAAAAAAAAA"

    response = ivs_emulator_client.batch_get_channel(arns=[existing, missing])

    assert [channel["arn"] for channel in response["channels"]] == [existing]
    assert response["errors"][0]["arn"] == missing
    assert response["errors"][0]["code"] == "ResourceNotFoundException"


def test_list_channels_name_filter(ivs_emulator, ivs_emulator_client):
    matching = ivs_emulator.create_channel(name="show")
    ivs_emulator.create_channel(name="other")
    ivs_emulator.create_channel(name="show", region="eu-west-1")

    response = ivs_emulator_client.list_channels(filterByName="show")

    assert [channel["arn"] for channel in response["channels"]] == [matching]
    assert "nextToken" not in response


def test_list_channels_pages(ivs_emulator, ivs_emulator_client):
    created = [ivs_emulator.create_channel(name=f"c{index}") for index in range(3)]

    first = ivs_emulator_client.list_channels(maxResults=2)
    second = ivs_emulator_client.list_channels(maxResults=2, nextToken=first["nextToken"])

    assert [channel["arn"] for channel in first["channels"]] == created[:2]
    assert [channel["arn"] for channel in second["channels"]] == created[2:]
    assert "nextToken" not in second


def test_list_channels_two_filters_conflict(ivs_emulator_client):
    arn = "arn:aws:ivs:us-west-2:123456789012:recording-configuration/abc"

    with pytest.raises(ivs_emulator_client.exceptions.ConflictException):
        ivs_emulator_client.list_channels(filterByName="a", filterByRecordingConfigurationArn=arn)


def test_delete_channel_removes_it(ivs_emulator, ivs_emulator_client):
    arn = ivs_emulator.create_channel(name="gone")

    ivs_emulator_client.delete_channel(arn=arn)

    with pytest.raises(ivs_emulator_client.exceptions.ResourceNotFoundException):
        ivs_emulator_client.get_channel(arn=arn)


def test_delete_live_channel_conflicts(ivs_emulator_client, ivs_emulator_live_channel):
    with pytest.raises(ivs_emulator_client.exceptions.ConflictException) as raised:
        ivs_emulator_client.delete_channel(arn=ivs_emulator_live_channel)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_get_stream_returns_modeled_shape(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.set_audience(ivs_emulator_live_channel, 120)

    stream = ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["channelArn"] == ivs_emulator_live_channel
    assert re.fullmatch(r"st-[a-zA-Z0-9]{23}", stream["streamId"])
    assert stream["playbackUrl"] == ivs_emulator.playback_url(ivs_emulator_live_channel)
    assert isinstance(stream["startTime"], datetime.datetime)
    assert stream["state"] == "LIVE"
    assert stream["health"] == "HEALTHY"
    assert stream["viewerCount"] == 120


def test_stream_id_new_per_live(ivs_emulator, ivs_emulator_client):
    arn = ivs_emulator.create_channel(name="twice")
    ivs_emulator.set_live(arn, True)
    first = ivs_emulator_client.get_stream(channelArn=arn)["stream"]["streamId"]
    ivs_emulator.set_live(arn, False)
    ivs_emulator.set_live(arn, True)

    second = ivs_emulator_client.get_stream(channelArn=arn)["stream"]["streamId"]

    assert first != second


def test_get_stream_region_taken_from_arn(ivs_emulator, ivs_emulator_client):
    arn = ivs_emulator.create_channel(name="eu", region="eu-west-1")
    ivs_emulator.set_live(arn, True)

    stream = ivs_emulator_client.get_stream(channelArn=arn)["stream"]

    assert stream["channelArn"] == arn


def test_put_metadata_records_payload(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    response = ivs_emulator_client.put_metadata(
        channelArn=ivs_emulator_live_channel, metadata=PAYLOAD
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert ivs_emulator.metadata(ivs_emulator_live_channel) == [PAYLOAD]


def test_put_metadata_accepts_1024_bytes(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    payload = "é" * 512  # 2 bytes each in UTF-8

    ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=payload)

    assert ivs_emulator.metadata(ivs_emulator_live_channel) == [payload]


@pytest.mark.parametrize("payload", ["x" * 1025, "€" * 342], ids=["ascii", "utf8-3-byte"])
def test_put_metadata_over_1024_bytes_invalid(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, payload
):
    with pytest.raises(ivs_emulator_client.exceptions.ValidationException) as raised:
        ivs_emulator_client.put_metadata(channelArn=ivs_emulator_live_channel, metadata=payload)

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "1024 bytes" in raised.value.response["Error"]["Message"]
    assert ivs_emulator.metadata(ivs_emulator_live_channel) == []


def test_put_metadata_empty_rejected(ivs_emulator, ivs_emulator_live_channel):
    client = make_client(ivs_emulator, parameter_validation=False)

    with pytest.raises(client.exceptions.ValidationException):
        client.put_metadata(channelArn=ivs_emulator_live_channel, metadata="")


def test_stop_stream_ends_stream(ivs_emulator_client, ivs_emulator_live_channel):
    ivs_emulator_client.stop_stream(channelArn=ivs_emulator_live_channel)

    with pytest.raises(ivs_emulator_client.exceptions.ChannelNotBroadcasting):
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)


def test_stop_stream_offline_not_broadcasting(ivs_emulator, ivs_emulator_client):
    arn = ivs_emulator.create_channel(name="idle")

    with pytest.raises(ivs_emulator_client.exceptions.ChannelNotBroadcasting):
        ivs_emulator_client.stop_stream(channelArn=arn)


@pytest.mark.parametrize(
    "arn",
    [
        "not-an-arn",
        "arn:aws:ivs:us-west-2:123456789012:stream-key/abcdABCDefgh",
        "xarn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh",
        "arn:aws:ivs:us-west-2:123456789012:channel/abc_def",
        "arn:aws:ivs:us-west-2:123456789012:channel/" + "a" * 100,
    ],
)
def test_get_stream_malformed_arn_invalid(ivs_emulator_client, arn):
    with pytest.raises(ivs_emulator_client.exceptions.ValidationException) as raised:
        ivs_emulator_client.get_stream(channelArn=arn)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("create_channel", {"name": "has space"}),
        ("create_channel", {"latencyMode": "FAST"}),
        ("list_channels", {"maxResults": 101}),
        ("list_streams", {"maxResults": 0}),
        ("list_streams", {"nextToken": "bm90LWEtdG9rZW4="}),
        ("batch_get_channel", {"arns": ["arn:aws:ivs:us-west-2:1:channel/a"] * 51}),
    ],
    ids=["name-pattern", "enum", "max-results-high", "max-results-zero", "token", "batch-size"],
)
def test_model_constraints_enforced(ivs_emulator, operation, params):
    client = make_client(ivs_emulator, parameter_validation=False)

    with pytest.raises(client.exceptions.ValidationException):
        getattr(client, operation)(**params)


@pytest.mark.parametrize("operation", ["get_stream", "put_metadata", "stop_stream"])
def test_unknown_channel_not_found(ivs_emulator_client, operation):
    arn = "arn:aws:ivs:us-west-2:123456789012:channel/AAAAAAAAAAAA"
    params = {"channelArn": arn}
    if operation == "put_metadata":
        params["metadata"] = PAYLOAD

    with pytest.raises(ivs_emulator_client.exceptions.ResourceNotFoundException) as raised:
        getattr(ivs_emulator_client, operation)(**params)

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_other_account_arn_not_found(ivs_emulator, ivs_emulator_client):
    arn = ivs_emulator.create_channel(name="mine").replace("123456789012", "210987654321")

    with pytest.raises(ivs_emulator_client.exceptions.ResourceNotFoundException):
        ivs_emulator_client.get_stream(channelArn=arn)


@pytest.mark.parametrize("operation", ["get_stream", "put_metadata"])
def test_offline_channel_not_broadcasting(ivs_emulator, ivs_emulator_client, operation):
    arn = ivs_emulator.create_channel(name="offline")
    params = {"channelArn": arn}
    if operation == "put_metadata":
        params["metadata"] = PAYLOAD

    with pytest.raises(ivs_emulator_client.exceptions.ChannelNotBroadcasting) as raised:
        getattr(ivs_emulator_client, operation)(**params)

    assert raised.value.response["Error"]["Code"] == "ChannelNotBroadcasting"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert ivs_emulator.metadata(arn) == []


def test_unsigned_list_streams_access_denied(ivs_emulator):
    status, headers, body = raw_post(ivs_emulator, "ListStreams", {})

    assert status == 403
    assert headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "Authorization" in json.loads(body)["message"]


def test_error_body_message_fields(ivs_emulator):
    status, headers, body = raw_post(ivs_emulator, "GetStream", {"channelArn": "bad"})

    parsed = json.loads(body)
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    assert "bad" in parsed["message"]
    assert parsed["exceptionMessage"] == parsed["message"]


def test_unknown_operation_rejected(ivs_emulator):
    status, headers, _ = raw_post(ivs_emulator, "UpdateChannel", {})

    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_audience_callable_error_internal(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel
):
    ivs_emulator.set_audience(ivs_emulator_live_channel, lambda seconds: -5)

    with pytest.raises(ivs_emulator_client.exceptions.InternalServerException) as raised:
        ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_endpoint_from_environment(ivs_emulator, ivs_emulator_live_channel, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_IVS", ivs_emulator.endpoint_url)
    client = boto3.client(
        "ivs", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )

    stream = client.get_stream(channelArn=ivs_emulator_live_channel)["stream"]

    assert stream["channelArn"] == ivs_emulator_live_channel


def test_calls_counts_every_request(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    ivs_emulator_client.get_stream(channelArn=ivs_emulator_live_channel)
    with pytest.raises(ivs_emulator_client.exceptions.ValidationException):
        ivs_emulator_client.get_stream(channelArn="bad")
    ivs_emulator_client.list_channels()

    assert ivs_emulator.calls["GetStream"] == 2
    assert ivs_emulator.calls["ListChannels"] == 1


class TestListStreams:
    @pytest.fixture
    def live_arns(self, ivs_emulator):
        arns = []
        for index in range(101):
            arn = ivs_emulator.create_channel(name=f"live-{index}")
            ivs_emulator.set_live(arn, True)
            arns.append(arn)
        ivs_emulator.create_channel(name="offline")
        other_region = ivs_emulator.create_channel(name="elsewhere", region="eu-west-1")
        ivs_emulator.set_live(other_region, True)
        return arns

    def test_pages_of_100(self, ivs_emulator_client, live_arns):
        first = ivs_emulator_client.list_streams()
        second = ivs_emulator_client.list_streams(nextToken=first["nextToken"])

        assert len(first["streams"]) == 100
        assert len(second["streams"]) == 1
        assert "nextToken" not in second
        listed = [s["channelArn"] for s in first["streams"] + second["streams"]]
        assert listed == live_arns

    def test_paginator_collects_all(self, ivs_emulator, live_arns):
        client = make_client(ivs_emulator)
        pages = client.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 60})

        listed = [stream["channelArn"] for page in pages for stream in page["streams"]]

        assert listed == live_arns

    def test_max_results_honoured(self, ivs_emulator_client, live_arns):
        page = ivs_emulator_client.list_streams(maxResults=7)

        assert [s["channelArn"] for s in page["streams"]] == live_arns[:7]
        assert page["nextToken"]

    def test_summary_shape(self, ivs_emulator, ivs_emulator_client, live_arns):
        ivs_emulator.set_audience(live_arns[0], 42)

        summary = ivs_emulator_client.list_streams(maxResults=1)["streams"][0]

        assert set(summary) == {
            "channelArn",
            "streamId",
            "state",
            "health",
            "viewerCount",
            "startTime",
        }
        assert summary["viewerCount"] == 42

    def test_filter_by_health(self, ivs_emulator, ivs_emulator_client, live_arns):
        ivs_emulator.set_health(live_arns[5], "STARVING")

        page = ivs_emulator_client.list_streams(filterBy={"health": "STARVING"})

        assert [s["channelArn"] for s in page["streams"]] == [live_arns[5]]


def test_emulator_rejects_bad_account():
    with pytest.raises(ValueError, match="12 digits"):
        IvsEmulator(media=False, account_id="123")


def test_put_metadata_lone_surrogate_rejected():
    """A lone surrogate in the metadata gets 400 ValidationException, not a server error."""
    import json
    import urllib.error
    import urllib.request

    from local.ivs_emulator import IvsEmulator

    with IvsEmulator(media=False) as emulator:
        arn = emulator.create_channel(name="surrogate", region="us-west-2")
        emulator.set_live(arn, True)
        body = json.dumps({"channelArn": arn, "metadata": "a\ud800b"}).encode()
        request = urllib.request.Request(
            emulator.endpoint_url + "/PutMetadata",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=5)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
            error_type = error.headers.get("x-amzn-ErrorType", "")

    assert status == 400
    assert error_type.startswith("ValidationException")
