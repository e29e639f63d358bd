"""Settings validation without the Pulumi engine."""

import json
from pathlib import Path

import pytest
import yaml

from infra.settings import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_WINDOW_MINUTES,
    MAX_CHANNELS_PER_REGION,
    SettingsError,
    load_settings,
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
    ({"retentionDays": "-1"}, "retentionDays='-1'", "0 or more"),
    ({"retentionDays": "a month"}, "retentionDays", "0 or more"),
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


def test_too_many_channels_in_region_rejected():
    arns = [f"arn:aws:ivs:us-west-2:123456789012:channel/c{index:011d}" for index in range(226)]

    with pytest.raises(SettingsError) as raised:
        settings(channelArns=json.dumps(arns))

    assert f"{len(arns)} channels in us-west-2" in str(raised.value)
    assert f"at most {MAX_CHANNELS_PER_REGION}" in str(raised.value)


def test_project_defaults_match_settings():
    project = yaml.safe_load((Path(__file__).parents[2] / "Pulumi.yaml").read_text())
    schema = project["config"]
    loaded = settings()

    assert schema["windowMinutes"]["default"] == loaded.window_minutes
    assert schema["retentionDays"]["default"] == loaded.retention_days
    assert schema["hostPlayer"]["default"] == loaded.host_player
    assert schema["protectTable"]["default"] == loaded.protect_table
