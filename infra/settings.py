"""Stack settings: one typed, validated object built before any resource is declared.

Every error names the key, the rejected value, the rule and a valid example, so that a wrong
value stops `pulumi preview` with one message a user can act on.
"""

import json
import math
import re
from dataclasses import dataclass

from handler.retry import PACING_MARGIN
from handler.viewers import GET_STREAM_MAX_CHANNELS, LIST_STREAMS_PAGE_SIZE

NAMESPACE = "ivs-viewer-count"
EXAMPLE_ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
# IVS exists in the aws partition only. Character classes are spelled out because \d would also
# match non-ASCII digits. The channel id follows botocore's IVS model: letters, digits, dashes.
CHANNEL_ARN_PATTERN = re.compile(
    r"^arn:aws:ivs:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]):[0-9]{12}:channel/[A-Za-z0-9-]{1,64}$"
)
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)

DEFAULT_WINDOW_MINUTES = 5
MIN_WINDOW_MINUTES = 1
MAX_WINDOW_MINUTES = 60
DEFAULT_RETENTION_DAYS = 30
# A hundred years; beyond that expiresAt serves no purpose.
MAX_RETENTION_DAYS = 36_500

# IVS quotas per account and region, not adjustable (IVS service quotas): GetStream and
# ListStreams 5 requests/s each, PutMetadata 155 requests/s.
READ_RATE = 5
PUT_METADATA_RATE = 155
# The paced IVS calls of one poll may take this long; DynamoDB, snapshots and retries need the
# rest of the function's 50 s timeout.
IVS_SECONDS_PER_POLL = 35


class SettingsError(ValueError):
    """A stack setting is invalid; the message names key, value, rule and an example."""


@dataclass(frozen=True)
class Settings:
    channel_arns: tuple[str, ...]
    window_minutes: int
    retention_days: int
    host_player: bool
    alarm_email: str | None
    protect_table: bool

    @property
    def creates_channel(self) -> bool:
        return not self.channel_arns

    @property
    def lists_streams(self) -> bool:
        """Tell whether the poller reads some region with ListStreams and so needs it allowed."""
        return any(
            count > GET_STREAM_MAX_CHANNELS
            for count in channels_per_region(self.channel_arns).values()
        )


def region_of(channel_arn: str) -> str:
    return channel_arn.split(":")[3]


def channels_per_region(channel_arns) -> dict[str, int]:
    counts: dict[str, int] = {}
    for arn in channel_arns:
        counts[region_of(arn)] = counts.get(region_of(arn), 0) + 1
    return counts


def ivs_calls(channels: int) -> tuple[int, int]:
    """Return the read calls and PutMetadata calls one poll of a region's channels needs.

    Reads assume all channels live and no other live stream in the account's region, since
    ListStreams returns every live stream of the account.
    """
    if channels <= GET_STREAM_MAX_CHANNELS:
        reads = channels
    else:
        reads = math.ceil(channels / LIST_STREAMS_PAGE_SIZE)
    return reads, channels


def quota_floor_seconds(channels: int) -> float:
    """Return the least time the IVS quotas allow for one poll of a region's channels."""
    reads, puts = ivs_calls(channels)
    return reads / READ_RATE + puts / PUT_METADATA_RATE


def paced_seconds(channels: int) -> float:
    """Return how long the poller's paced IVS calls take: the quota floor plus the margin."""
    return quota_floor_seconds(channels) * (1 + PACING_MARGIN)


def max_channels_per_region() -> int:
    channels = 1
    while paced_seconds(channels + 1) <= IVS_SECONDS_PER_POLL:
        channels += 1
    return channels


def load_settings(config) -> Settings:
    """Build Settings from a pulumi.Config (or anything with the same `get(key)` method)."""
    single = config.get("channelArn")
    several = config.get("channelArns")
    if single is not None and several is not None:
        raise SettingsError(
            "channelArn and channelArns are both set; set only one of them. "
            f"Example: pulumi config rm channelArn; pulumi config set --path 'channelArns[0]' "
            f"{EXAMPLE_ARN}"
        )

    arns: tuple[str, ...] = ()
    if single is not None:
        arns = (_channel_arn("channelArn", single),)
    elif several is not None:
        arns = _channel_arns(several)

    return Settings(
        channel_arns=arns,
        window_minutes=_integer(
            config,
            "windowMinutes",
            DEFAULT_WINDOW_MINUTES,
            MIN_WINDOW_MINUTES,
            MAX_WINDOW_MINUTES,
            "a whole number of minutes from 1 to 60 (each cue carries at most 1,024 bytes)",
        ),
        retention_days=_integer(
            config,
            "retentionDays",
            DEFAULT_RETENTION_DAYS,
            0,
            MAX_RETENTION_DAYS,
            f"a whole number of days from 0 to {MAX_RETENTION_DAYS:,} (0 keeps samples forever)",
        ),
        host_player=_boolean(config, "hostPlayer", True),
        alarm_email=_email(config.get("alarmEmail")),
        protect_table=_boolean(config, "protectTable", False),
    )


def _channel_arn(key: str, value) -> str:
    if not isinstance(value, str) or not CHANNEL_ARN_PATTERN.match(value.strip()):
        raise SettingsError(
            f"{key}={value!r} is not an IVS channel ARN; it must look like "
            f"arn:aws:ivs:<region>:<12-digit account>:channel/<id> (IVS is in the aws partition "
            f"only). Example: {EXAMPLE_ARN}"
        )
    return value.strip()


def _channel_arns(raw) -> tuple[str, ...]:
    values = raw
    if isinstance(raw, str):
        try:
            values = json.loads(raw)
        except json.JSONDecodeError:
            values = None
    if not isinstance(values, list) or not values:
        raise SettingsError(
            f"channelArns={raw!r} is not a non-empty list of IVS channel ARNs. "
            f"Example: pulumi config set --path 'channelArns[0]' {EXAMPLE_ARN}"
        )

    arns = tuple(_channel_arn(f"channelArns[{index}]", value) for index, value in enumerate(values))
    repeated = sorted({arn for arn in arns if arns.count(arn) > 1})
    if repeated:
        raise SettingsError(
            f"channelArns lists {repeated[0]!r} more than once; list each channel once. "
            f"Example: [{EXAMPLE_ARN!r}]"
        )

    # Each region has its own quotas, but one function serves every region, so the stack as a
    # whole stays within the budget of one region's quotas as well.
    paced = paced_seconds(len(arns))
    if paced > IVS_SECONDS_PER_POLL:
        reads, puts = ivs_calls(len(arns))
        regions = ", ".join(
            f"{count} in {region}" for region, count in sorted(channels_per_region(arns).items())
        )
        raise SettingsError(
            f"channelArns has {len(arns)} channels ({regions}), more than one poll can serve: "
            f"{reads} ListStreams calls at {READ_RATE}/s and {puts} PutMetadata calls at "
            f"{PUT_METADATA_RATE}/s (IVS quotas per account and region), paced {PACING_MARGIN:.0%} "
            f"below the quotas, take {paced:.1f} s, over the {IVS_SECONDS_PER_POLL} s a poll may "
            "spend on IVS. "
            f"Split the channels across stacks of at most {max_channels_per_region()}."
        )
    return arns


def _integer(config, key, default, minimum, maximum, rule) -> int:
    raw = config.get(key)
    if raw is None:
        return default

    value = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\s*-?[0-9]{1,9}\s*", raw):
        value = int(raw)

    too_low = value is not None and value < minimum
    too_high = value is not None and maximum is not None and value > maximum
    if value is None or too_low or too_high:
        raise SettingsError(
            f"{key}={raw!r} is invalid; it must be {rule}. "
            f"Example: pulumi config set {key} {default}"
        )
    return value


def _boolean(config, key, default) -> bool:
    raw = config.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise SettingsError(
        f"{key}={raw!r} is invalid; it must be true or false. "
        f"Example: pulumi config set {key} {str(default).lower()}"
    )


def _email(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not EMAIL_PATTERN.match(raw.strip()):
        raise SettingsError(
            f"alarmEmail={raw!r} is not an email address. "
            "Example: pulumi config set alarmEmail oncall@example.com"
        )
    return raw.strip()
