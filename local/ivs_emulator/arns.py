"""Channel ARNs: arn:aws:ivs:<region>:<account>:channel/<id>."""

import re
import secrets
import string
from dataclasses import dataclass

# The ChannelArn pattern of botocore's "ivs" model, anchored at both ends.
CHANNEL_ARN = re.compile(r"arn:aws:ivs:([a-z0-9-]+):([0-9]+):channel/([a-zA-Z0-9-]+)")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
ALPHANUMERIC = string.ascii_letters + string.digits
CHANNEL_ID_LENGTH = 12
STREAM_ID_LENGTH = 26


@dataclass(frozen=True)
class ChannelArn:
    """The parts of a channel ARN."""

    region: str
    account_id: str
    channel_id: str

    def __str__(self) -> str:
        return f"arn:aws:ivs:{self.region}:{self.account_id}:channel/{self.channel_id}"


def parse_channel_arn(arn: str) -> ChannelArn:
    """Return the parts of a channel ARN, or raise ValueError naming the ARN and its form."""
    match = CHANNEL_ARN.fullmatch(arn) if len(arn) <= 128 else None
    if not match:
        raise ValueError(
            f"invalid channel ARN {arn!r}: expected arn:aws:ivs:<region>:<account>:channel/<id> "
            "of at most 128 characters"
        )
    return ChannelArn(*match.groups())


def random_alphanumeric(length: int) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def new_channel_id() -> str:
    """Return a random 12-character channel id, the length IVS uses."""
    return random_alphanumeric(CHANNEL_ID_LENGTH)


def new_stream_id() -> str:
    """Return a stream id of the modeled form: "st-" and 23 letters or digits (26 in all)."""
    return "st-" + random_alphanumeric(STREAM_ID_LENGTH - 3)


def validate_region(region: str) -> str:
    if not REGION.fullmatch(region):
        raise ValueError(f"invalid region {region!r}: expected a name such as us-west-2")
    return region
