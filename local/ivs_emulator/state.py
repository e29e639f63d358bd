"""Channels, their live streams, accepted metadata and player sessions, behind one lock."""

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from . import arns, errors
from .hls import Timeline

logger = logging.getLogger(__name__)

# A player counts as a viewer for this long after its last media playlist or segment request.
VIEWER_WINDOW_SECONDS = 15.0

Audience = int | Callable[[float], int]


@dataclass
class Stream:
    """One live session of a channel, from going live to going offline."""

    stream_id: str
    live_since: float
    start_wall_time: float
    timeline: Timeline
    health: str = "HEALTHY"
    # Accepted payloads keyed by the sequence number of the segment that carries them.
    metadata_by_segment: dict[int, list[str]] = field(default_factory=dict)
    # Player session token to the emulator-clock time of its last request.
    player_sessions: dict[str, float] = field(default_factory=dict)


@dataclass
class Channel:
    """A channel and the settings that the API returns for it."""

    arn: arns.ChannelArn
    order: int
    name: str = ""
    latency_mode: str = "LOW"
    channel_type: str = "STANDARD"
    authorized: bool = False
    insecure_ingest: bool = False
    preset: str = ""
    container_format: str = "TS"
    tags: dict[str, str] = field(default_factory=dict)
    stream_key_id: str = field(default_factory=lambda: arns.random_alphanumeric(12))
    stream_key_value: str = field(default_factory=lambda: "sk_" + arns.random_alphanumeric(36))
    audience: Audience = 0
    metadata: list[str] = field(default_factory=list)
    stream: Stream | None = None


@dataclass(frozen=True)
class ViewerSnapshot:
    """The inputs of a viewer count, read under the lock."""

    audience: Audience
    seconds_live: float
    players: int


class Registry:
    """All channels of one emulator. Every method is thread-safe."""

    def __init__(
        self,
        account_id: str,
        clock: Callable[[], float],
        wall_time: Callable[[float], float],
        segment_seconds: float,
    ) -> None:
        self.account_id = account_id
        self.clock = clock
        self.wall_time = wall_time
        self.segment_seconds = segment_seconds
        self._channels: dict[str, Channel] = {}
        self._order = 0
        self._lock = threading.RLock()

    def create_channel(self, region: str, **settings) -> Channel:
        arns.validate_region(region)
        with self._lock:
            self._order += 1
            while True:
                arn = arns.ChannelArn(region, self.account_id, arns.new_channel_id())
                if str(arn) not in self._channels:
                    break
            channel = Channel(arn=arn, order=self._order, **settings)
            self._channels[str(arn)] = channel
        logger.info("created channel %s", arn)
        return channel

    def get(self, arn: str) -> Channel:
        """Return the channel, or raise ResourceNotFoundException naming the ARN."""
        with self._lock:
            channel = self._channels.get(arn)
        if channel is None:
            raise errors.not_found(f"channel {arn} does not exist")
        return channel

    def delete(self, arn: str) -> None:
        with self._lock:
            channel = self.get(arn)
            if channel.stream is not None:
                raise errors.IvsApiError(
                    "ConflictException", f"channel {arn} is live; stop its stream before deleting"
                )
            del self._channels[arn]
        logger.info("deleted channel %s", arn)

    def channels(self, region: str) -> list[Channel]:
        """Return the channels of a region in creation order."""
        with self._lock:
            found = [channel for channel in self._channels.values() if channel.arn.region == region]
        return sorted(found, key=lambda channel: channel.order)

    def set_live(self, arn: str, live: bool) -> None:
        with self._lock:
            channel = self.get(arn)
            if live and channel.stream is None:
                now = self.clock()
                channel.stream = Stream(
                    stream_id=arns.new_stream_id(),
                    live_since=now,
                    start_wall_time=self.wall_time(now),
                    timeline=Timeline.starting(now, self.segment_seconds),
                )
                logger.info("channel %s is live as stream %s", arn, channel.stream.stream_id)
            elif not live and channel.stream is not None:
                logger.info("channel %s stream %s ended", arn, channel.stream.stream_id)
                channel.stream = None

    def set_audience(self, arn: str, audience: Audience) -> None:
        with self._lock:
            self.get(arn).audience = audience

    def set_health(self, arn: str, health: str) -> None:
        with self._lock:
            self.live_stream(arn).health = health

    def live_stream(self, arn: str) -> Stream:
        """Return the channel's stream, or raise ChannelNotBroadcasting (or not found)."""
        with self._lock:
            stream = self.get(arn).stream
        if stream is None:
            raise errors.not_broadcasting(arn)
        return stream

    def put_metadata(self, arn: str, payload: str) -> int:
        """Accept a payload for the first segment published after now; return its sequence."""
        with self._lock:
            channel = self.get(arn)
            stream = self.live_stream(arn)
            sequence = stream.timeline.next_published(self.clock())
            stream.metadata_by_segment.setdefault(sequence, []).append(payload)
            channel.metadata.append(payload)
        return sequence

    def metadata(self, arn: str) -> list[str]:
        with self._lock:
            return list(self.get(arn).metadata)

    def segment_payloads(self, arn: str, sequence: int) -> tuple[Stream, list[str]]:
        """Return the stream and the payloads of a published segment.

        Reading under the same lock as put_metadata guarantees that a published segment never
        gains a payload after it was built.
        """
        with self._lock:
            stream = self.live_stream(arn)
            if not 0 <= sequence <= stream.timeline.latest_published(self.clock()):
                raise LookupError(f"segment {sequence} of {arn} is not published")
            return stream, list(stream.metadata_by_segment.get(sequence, ()))

    def new_player_session(self) -> str:
        return secrets.token_urlsafe(12)

    def touch_player(self, arn: str, session: str) -> Stream:
        """Record a request of a player session and return the live stream it watches."""
        with self._lock:
            stream = self.live_stream(arn)
            stream.player_sessions[session] = self.clock()
            return stream

    def viewer_snapshot(self, arn: str) -> ViewerSnapshot:
        with self._lock:
            channel = self.get(arn)
            stream = self.live_stream(arn)
            now = self.clock()
            cutoff = now - VIEWER_WINDOW_SECONDS
            stale = [token for token, seen in stream.player_sessions.items() if seen < cutoff]
            for token in stale:
                del stream.player_sessions[token]
            return ViewerSnapshot(
                channel.audience, now - stream.live_since, len(stream.player_sessions)
            )
