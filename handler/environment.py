"""Environment variables the stack sets on the poller function, read in one place."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

TABLE_NAME = "TABLE_NAME"
# Overrides the packaged channel list; the offline run and tests set it.
CHANNEL_ARNS = "CHANNEL_ARNS"
WINDOW_MINUTES = "WINDOW_MINUTES"
RETENTION_DAYS = "RETENTION_DAYS"
# Bucket of the hosted player page; unset when the stack hosts no page.
SNAPSHOT_BUCKET = "SNAPSHOT_BUCKET"


# The stack packages the channel ARNs as this file next to the handler, because Lambda allows only
# 4 KB for all environment variables together, about 60 ARNs.
CHANNELS_FILE = Path(__file__).resolve().parent / "channels.json"


class ConfigurationError(Exception):
    """An environment variable of the function is missing or invalid."""


@dataclass(frozen=True)
class PollerSettings:
    table_name: str
    channel_arns: tuple[str, ...]
    window_minutes: int
    retention_days: int
    snapshot_bucket: str | None = None

    @classmethod
    def from_environment(cls, environ=os.environ, channels_file=CHANNELS_FILE) -> "PollerSettings":
        """Read the settings, raising ConfigurationError that names the variable at fault."""
        table_name = _require(environ, TABLE_NAME)

        arns = _channel_arns(environ, channels_file)

        return cls(
            table_name=table_name,
            # dict.fromkeys drops repeats and keeps order: BatchWriteItem rejects a batch
            # that writes the same key twice.
            channel_arns=tuple(dict.fromkeys(arns)),
            window_minutes=_integer(environ, WINDOW_MINUTES, default=5, minimum=1, maximum=60),
            retention_days=_integer(environ, RETENTION_DAYS, default=30, minimum=0),
            snapshot_bucket=environ.get(SNAPSHOT_BUCKET) or None,
        )


def _channel_arns(environ, channels_file: Path) -> list[str]:
    if environ.get(CHANNEL_ARNS):
        source, raw = CHANNEL_ARNS, environ[CHANNEL_ARNS]
    else:
        try:
            source, raw = str(channels_file), channels_file.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(
                f"{CHANNEL_ARNS} is not set and {channels_file} cannot be read ({error}); "
                "deploy with pulumi up, which packages the channel list"
            ) from error

    try:
        arns = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(arns, list) or not all(isinstance(arn, str) for arn in arns):
        raise ConfigurationError(f"{source} must be a JSON list of channel ARNs")
    return arns


def _require(environ, name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigurationError(f"environment variable {name} is missing or empty")
    return value


def _integer(environ, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    value = environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise ConfigurationError(f"{name}={value!r} is not an integer") from error
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise ConfigurationError(f"{name}={value!r} is out of range; it must be {bound}")
    return number
