"""Parsing of IVS channel ARNs, such as arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234."""


def region_of(channel_arn: str) -> str:
    """Return the region field of an ARN, which may differ from the function's own region."""
    parts = channel_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise ValueError(f"not an ARN with a region: {channel_arn!r}")
    return parts[3]


def channel_id(channel_arn: str) -> str:
    """Return the resource id after 'channel/'."""
    return channel_arn.rsplit("/", 1)[-1]
