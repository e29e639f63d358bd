import json

import pytest

from handler.environment import ConfigurationError, PollerSettings
from handler.poller import scheduled_minute

NOW = 1_764_860_437.5  # 2025-12-04T15:00:37.5Z


def test_scheduled_time_of_scheduler_input():
    minute = scheduled_minute({"scheduledTime": "2025-12-04T15:00:00Z"}, NOW)

    assert minute == 1_764_860_400


def test_time_of_eventbridge_rule_event():
    minute = scheduled_minute({"time": "2025-12-04T14:59:00Z", "source": "aws.events"}, NOW)

    assert minute == 1_764_860_340


def test_scheduled_time_mid_minute_floors():
    minute = scheduled_minute({"scheduledTime": "2025-12-04T15:00:59+00:00"}, NOW)

    assert minute == 1_764_860_400


def test_late_scheduled_time_kept():
    minute = scheduled_minute({"scheduledTime": "2025-12-04T14:50:00Z"}, NOW)

    assert minute == 1_764_860_400 - 600


def test_offset_scheduled_time_converted():
    minute = scheduled_minute({"scheduledTime": "2025-12-04T16:00:10+01:00"}, NOW)

    assert minute == 1_764_860_400


@pytest.mark.parametrize(
    "event",
    [
        {"scheduledTime": "2025-12-04T15:10:00Z"},
        {"scheduledTime": "9999-12-31T23:59:00Z"},
        {"time": "1970-01-01T00:00:00Z"},
        {"scheduledTime": "0001-01-01T00:00:00Z"},
        {"scheduledTime": "2025-12-04T13:00:00Z"},
    ],
)
def test_far_scheduled_time_uses_current_minute(event, caplog):
    minute = scheduled_minute(event, NOW)

    assert minute == 1_764_860_400
    assert "far from now" in caplog.text


@pytest.mark.parametrize(
    "event",
    [
        {},
        None,
        {"scheduledTime": "yesterday"},
        {"time": 12},
        [],
        "2025-12-04T15:00:00Z",
        {"scheduledTime": "2025-12-04"},
        {"scheduledTime": ["2025-12-04T15:00:00Z"]},
    ],
)
def test_missing_time_uses_current_minute(event, caplog):
    minute = scheduled_minute(event, NOW)

    assert minute == 1_764_860_400
    assert "no valid scheduled time" in caplog.text


def test_settings_from_environment():
    settings = PollerSettings.from_environment(
        {
            "TABLE_NAME": "samples",
            "CHANNEL_ARNS": json.dumps(["arn:a", "arn:b", "arn:a"]),
            "WINDOW_MINUTES": "10",
            "RETENTION_DAYS": "0",
        }
    )

    assert settings.channel_arns == ("arn:a", "arn:b")
    assert settings.window_minutes == 10
    assert settings.retention_days == 0


def test_channels_read_from_packaged_file(tmp_path):
    channels_file = tmp_path / "channels.json"
    channels_file.write_text(json.dumps(["arn:a", "arn:b"]))

    settings = PollerSettings.from_environment({"TABLE_NAME": "samples"}, channels_file)

    assert settings.channel_arns == ("arn:a", "arn:b")


def test_missing_channels_file_named(tmp_path):
    with pytest.raises(ConfigurationError, match="channels.json cannot be read"):
        PollerSettings.from_environment({"TABLE_NAME": "t"}, tmp_path / "channels.json")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CHANNEL_ARNS": "[]"}, "TABLE_NAME"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": "arn"}, "not valid JSON"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": '{"a": 1}'}, "JSON list"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": "[]", "WINDOW_MINUTES": "five"}, "WINDOW_MINUTES"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": "[]", "WINDOW_MINUTES": "0"}, "from 1 to 60"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": "[]", "WINDOW_MINUTES": "61"}, "from 1 to 60"),
        ({"TABLE_NAME": "t", "CHANNEL_ARNS": "[]", "RETENTION_DAYS": "-1"}, "0 or more"),
    ],
)
def test_settings_invalid_environment(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        PollerSettings.from_environment(environ)


@pytest.mark.parametrize("level", ["TRACE", "trace", "WARN", "NOISY"])
def test_poller_imports_with_any_lambda_log_level(level):
    import os
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-c", "import handler.poller"],
        env={**os.environ, "AWS_LAMBDA_LOG_LEVEL": level},
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 0, completed.stderr
