"""The offline run's command line and prerequisite checks."""

import logging
import socket

import pytest

from local import run


def test_defaults():
    args = run.parse_args([])

    assert args.channels == 1
    assert args.tick_seconds == 60.0
    assert args.window_minutes == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--channels", "0"], "--channels 0 is invalid"),
        (["--tick-seconds", "0.5"], "--tick-seconds 0.5 is invalid"),
        (["--window-minutes", "61"], "--window-minutes 61 is invalid"),
        (["--tick-seconds", "nan"], "--tick-seconds nan is invalid"),
        (["--tick-seconds", "inf"], "--tick-seconds inf is invalid"),
        (["--polls", "-1"], "--polls -1 is invalid"),
        (["--port", "65536"], "--port 65536 is invalid"),
        (["--port", "-1"], "--port -1 is invalid"),
        (["--channels", "5000"], "--channels 5000 is invalid"),
    ],
)
def test_invalid_options_rejected(argv, message, capsys):
    with pytest.raises(SystemExit):
        run.parse_args(argv)

    assert message in capsys.readouterr().err


def test_missing_tools_named_with_fix(monkeypatch, capsys):
    monkeypatch.setattr(run.shutil, "which", lambda tool: None)

    code = run.main(["--polls", "1"])

    error = capsys.readouterr().err
    assert code == 2
    assert "java (Debian package openjdk-17-jre-headless)" in error
    assert "ffmpeg (Debian package ffmpeg)" in error
    assert "scripts/setup.sh" in error


def test_audience_curve_changes_over_minutes():
    viewers = run.audience_curve(0, tick_seconds=10)
    counts = [viewers(minute * 10) for minute in range(20)]

    assert all(count >= 0 for count in counts)
    assert len(set(counts)) > 5


def test_port_in_use_stops_before_start(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = run.main(["--port", str(port), "--polls", "1"])

    assert code == 2
    assert f"port {port} on 127.0.0.1 is not available" in capsys.readouterr().err


def test_log_lines_carry_channel_and_error():
    formatter = run.LogFormatter("%(message)s")
    record = logging.LogRecord("ivs_viewer_count", logging.ERROR, "", 0, "failed", None, None)
    record.channelArn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
    record.error = "ThrottlingException: slow down"

    line = formatter.format(record)

    assert line == (
        "failed channelArn=arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234 "
        "error=ThrottlingException: slow down"
    )
