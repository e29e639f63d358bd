"""The offline run's command line and prerequisite checks."""

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
