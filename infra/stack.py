"""The ViewerCount component: channels, table, player site, poller and alarms of one stage."""

import pulumi

from .alarms import Monitoring
from .channel import Channels
from .poller import Poller
from .settings import Settings
from .site import PlayerSite
from .table import samples_table


class ViewerCount(pulumi.ComponentResource):
    """Everything one stage declares; `outputs()` returns the stack outputs."""

    def __init__(self, name: str, settings: Settings, opts=None):
        super().__init__("ivs-viewer-count:index:ViewerCount", name, None, opts)
        self.settings = settings

        self.channels = Channels(
            f"{name}-channels", settings.channel_arns, opts=pulumi.ResourceOptions(parent=self)
        )
        self.table = samples_table(
            name, settings.retention_days, settings.protect_table, parent=self
        )
        self.site = None
        if settings.host_player:
            self.site = PlayerSite(
                f"{name}-player",
                playback_urls=self.channels.playback_urls,
                channel_arn=self.channels.arns[0],
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.poller = Poller(
            f"{name}-poller",
            channel_arns=self.channels.arns,
            table=self.table,
            window_minutes=settings.window_minutes,
            retention_days=settings.retention_days,
            snapshot_bucket=self.site.bucket if self.site else None,
            lists_streams=settings.lists_streams,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            function=self.poller.function,
            channel_arns=self.channels.arns,
            alarm_email=settings.alarm_email,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(self.outputs())

    def outputs(self) -> dict:
        """Return the stack outputs, with ingest endpoint and stream key for a created channel."""
        outputs = {
            "playbackUrl": self._first_playback_url(),
            "playbackUrls": self.channels.playback_urls,
            "channelArn": self.channels.arns[0],
            "tableName": self.table.name,
            "pollerFunctionName": self.poller.function.name,
        }
        if self.site is not None:
            outputs["playerUrl"] = self.site.url
        if self.channels.ingest_endpoint is not None:
            outputs["ingestEndpoint"] = self.channels.ingest_endpoint
            outputs["streamKey"] = self.channels.stream_key
        return outputs

    def _first_playback_url(self) -> pulumi.Output[str]:
        return pulumi.Output.all(self.channels.arns[0], self.channels.playback_urls).apply(
            lambda values: values[1][values[0]]
        )
