"""The IVS channels the stack serves: existing ones read by ARN, or one it creates."""

import pulumi
import pulumi_aws as aws

from .settings import region_of


class Channels(pulumi.ComponentResource):
    """Channel ARNs and playback URLs; ingest endpoint and stream key for a created channel."""

    def __init__(self, name: str, channel_arns: tuple[str, ...], opts=None):
        super().__init__("ivs-viewer-count:index:Channels", name, None, opts)
        self.ingest_endpoint: pulumi.Output[str] | None = None
        self.stream_key: pulumi.Output[str] | None = None

        if channel_arns:
            channels = [self._read(name, index, arn) for index, arn in enumerate(channel_arns)]
        else:
            channels = [self._create(name)]

        self.arns = [channel.arn for channel in channels]
        self.playback_urls = pulumi.Output.all(
            *[pulumi.Output.all(channel.arn, channel.playback_url) for channel in channels]
        ).apply(lambda pairs: {arn: url for arn, url in pairs})
        self.register_outputs({"arns": self.arns, "playbackUrls": self.playback_urls})

    def _read(self, name: str, index: int, arn: str) -> aws.ivs.Channel:
        # Reading an existing channel never changes or deletes it on destroy. The channel's region
        # may differ from the stack's, so the read goes to the region in its ARN.
        return aws.ivs.Channel.get(
            f"{name}-{index}",
            arn,
            region=region_of(arn),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create(self, name: str) -> aws.ivs.Channel:
        # A channel of its own, for users who start without one; low latency suits live counts.
        channel = aws.ivs.Channel(
            f"{name}-channel",
            latency_mode="LOW",
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ingest_endpoint = channel.ingest_endpoint.apply(
            lambda host: f"rtmps://{host}:443/app/"
        )
        # IVS creates a stream key with every channel; the key is a credential, so it is secret.
        stream_key = aws.ivs.get_stream_key_output(
            channel_arn=channel.arn, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.stream_key = pulumi.Output.secret(stream_key.value)
        return channel
