"""Settings validation without the Pulumi engine."""

import json
from pathlib import Path

import pytest
import yaml

from infra.settings import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_WINDOW_MINUTES,
    SettingsError,
    load_settings,
    max_channels_per_region,
    quota_floor_seconds,
)

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
OTHER_ARN = "arn:aws:ivs:eu-west-1:123456789012:channel/ZyXwVuTs9876"


class FakeConfig:
    """The `get` of pulumi.Config over a dict of raw string values."""

    def __init__(self, values: dict):
        self.values = values

    def get(self, key):
        return self.values.get(key)


def settings(**values):
    return load_settings(FakeConfig(values))


def test_defaults_create_channel():
    loaded = settings()

    assert loaded.creates_channel is True
    assert loaded.window_minutes == DEFAULT_WINDOW_MINUTES
    assert loaded.retention_days == DEFAULT_RETENTION_DAYS
    assert loaded.host_player is True
    assert loaded.alarm_email is None
    assert loaded.protect_table is False


def test_single_channel_arn():
    loaded = settings(channelArn=ARN)

    assert loaded.channel_arns == (ARN,)


def test_channel_arns_list_from_json():
    loaded = settings(channelArns=json.dumps([ARN, OTHER_ARN]))

    assert loaded.channel_arns == (ARN, OTHER_ARN)


def test_values_parsed_from_strings():
    loaded = settings(
        windowMinutes="60",
        retentionDays="0",
        hostPlayer="false",
        alarmEmail="oncall@example.com",
        protectTable="true",
    )

    assert loaded.window_minutes == 60
    assert loaded.retention_days == 0
    assert loaded.host_player is False
    assert loaded.alarm_email == "oncall@example.com"
    assert loaded.protect_table is True


INVALID = [
    ({"channelArn": "AbCdEfGh1234"}, "channelArn", "is not an IVS channel ARN"),
    ({"channelArn": "arn:aws:s3:::bucket"}, "channelArn", "is not an IVS channel ARN"),
    ({"channelArn": ARN.replace("channel/", "stream-key/")}, "channelArn", "IVS channel ARN"),
    ({"channelArn": ARN.replace("123456789012", "12345")}, "channelArn", "12-digit account"),
    ({"channelArn": ARN, "channelArns": json.dumps([OTHER_ARN])}, "both set", "set only one"),
    ({"channelArns": "[]"}, "channelArns", "non-empty list"),
    ({"channelArns": ARN}, "channelArns", "non-empty list"),
    ({"channelArns": json.dumps([ARN, 7])}, "channelArns[1]", "IVS channel ARN"),
    ({"channelArns": json.dumps([ARN, ARN])}, "more than once", "list each channel once"),
    ({"windowMinutes": "0"}, "windowMinutes='0'", "from 1 to 60"),
    ({"windowMinutes": "61"}, "windowMinutes='61'", "from 1 to 60"),
    ({"windowMinutes": "five"}, "windowMinutes='five'", "from 1 to 60"),
    ({"windowMinutes": "2.5"}, "windowMinutes='2.5'", "whole number"),
    ({"retentionDays": "-1"}, "retentionDays='-1'", "from 0 to 36,500"),
    ({"retentionDays": "a month"}, "retentionDays", "from 0 to 36,500"),
    ({"retentionDays": "1" + "0" * 40}, "retentionDays", "from 0 to 36,500"),
    ({"retentionDays": "9" * 5000}, "retentionDays", "from 0 to 36,500"),
    ({"windowMinutes": "٥"}, "windowMinutes", "from 1 to 60"),
    ({"channelArn": ARN.replace("123456789012", "١٢٣٤٥٦٧٨٩٠١٢")}, "channelArn", "12-digit"),
    ({"channelArn": ARN.replace("us-west-2", "us-west-٢")}, "channelArn", "IVS channel ARN"),
    ({"channelArn": ARN.replace("arn:aws:", "arn:aws-cn:")}, "channelArn", "aws partition"),
    ({"channelArn": ARN.replace(":ivs:", ":ivschat:")}, "channelArn", "IVS channel ARN"),
    ({"channelArn": ARN + "/"}, "channelArn", "IVS channel ARN"),
    ({"channelArn": ARN.replace("AbCdEfGh1234", "A" * 65)}, "channelArn", "IVS channel ARN"),
    ({"alarmEmail": "a,b@example.com"}, "alarmEmail", "not an email address"),
    ({"alarmEmail": 'a"b@example.com'}, "alarmEmail", "not an email address"),
    ({"hostPlayer": "yes"}, "hostPlayer='yes'", "true or false"),
    ({"protectTable": "1"}, "protectTable='1'", "true or false"),
    ({"alarmEmail": "oncall"}, "alarmEmail='oncall'", "not an email address"),
    ({"alarmEmail": "a@b"}, "alarmEmail='a@b'", "not an email address"),
]


@pytest.mark.parametrize(("values", "names", "rule"), INVALID)
def test_invalid_setting_rejected(values, names, rule):
    with pytest.raises(SettingsError) as raised:
        settings(**values)

    message = str(raised.value)
    assert names in message
    assert rule in message
    assert "Example" in message


def arns_in_region(count, region="us-west-2"):
    return [f"arn:aws:ivs:{region}:123456789012:channel/c{index:011d}" for index in range(count)]


def test_too_many_channels_in_region_rejected():
    arns = arns_in_region(max_channels_per_region() + 1)

    with pytest.raises(SettingsError) as raised:
        settings(channelArns=json.dumps(arns))

    assert f"{len(arns)} channels ({len(arns)} in us-west-2)" in str(raised.value)
    assert "PutMetadata calls at 155/s" in str(raised.value)
    assert f"at most {max_channels_per_region()}." in str(raised.value)


def test_too_many_channels_across_regions_rejected():
    half = max_channels_per_region() // 2 + 1
    arns = arns_in_region(half) + arns_in_region(half, "eu-west-1")

    with pytest.raises(SettingsError) as raised:
        settings(channelArns=json.dumps(arns))

    assert f"{2 * half} channels" in str(raised.value)
    assert f"at most {max_channels_per_region()}" in str(raised.value)


def test_max_channels_fit_quota_budget():
    loaded = settings(channelArns=json.dumps(arns_in_region(max_channels_per_region())))

    assert len(loaded.channel_arns) == max_channels_per_region()


def test_quota_floor_for_thousand_channels():
    # 10 ListStreams pages at 5/s and 1,000 PutMetadata calls at 155/s.
    assert quota_floor_seconds(1000) == pytest.approx(10 / 5 + 1000 / 155)


def test_quota_floor_for_few_channels():
    # One GetStream and one PutMetadata per channel.
    assert quota_floor_seconds(3) == pytest.approx(3 / 5 + 3 / 155)


def test_list_streams_needed_above_five_per_region():
    few = settings(channelArns=json.dumps(arns_in_region(5) + arns_in_region(5, "eu-west-1")))
    many = settings(channelArns=json.dumps(arns_in_region(6)))

    assert few.lists_streams is False
    assert many.lists_streams is True


def test_project_defaults_match_settings():
    project = yaml.safe_load((Path(__file__).parents[2] / "Pulumi.yaml").read_text())
    schema = project["config"]
    loaded = settings()

    assert schema["windowMinutes"]["default"] == loaded.window_minutes
    assert schema["retentionDays"]["default"] == loaded.retention_days
    assert schema["hostPlayer"]["default"] == loaded.host_player
    assert schema["protectTable"]["default"] == loaded.protect_table
