"""HLS playlists and the live timeline that decides which segments are published."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

# Segments listed in a media playlist, and segments already published when a channel goes live,
# so that a player can start at once instead of waiting for the first segments.
PLAYLIST_WINDOW = 5
PREROLL_SEGMENTS = PLAYLIST_WINDOW


@dataclass(frozen=True)
class Timeline:
    """Maps emulator-clock seconds to segment sequence numbers of one live stream.

    Segment N covers media time [N * D, (N + 1) * D) from `epoch` and is published, that is,
    listed and served, once that interval has fully passed.
    """

    epoch: float
    segment_seconds: float

    @classmethod
    def starting(cls, live_since: float, segment_seconds: float) -> "Timeline":
        return cls(live_since - PREROLL_SEGMENTS * segment_seconds, segment_seconds)

    def latest_published(self, now: float) -> int:
        """Return the newest published segment at `now` (-1 when none is published yet)."""
        return math.floor((now - self.epoch) / self.segment_seconds) - 1

    def next_published(self, now: float) -> int:
        """Return the first segment that is published after `now`."""
        return self.latest_published(now) + 1

    def window(self, now: float) -> range:
        """Return the sequence numbers a media playlist lists at `now`."""
        latest = self.latest_published(now)
        return range(max(0, latest - PLAYLIST_WINDOW + 1), latest + 1)

    def segment_start(self, sequence: int) -> float:
        """Return the emulator-clock time at which segment `sequence` begins."""
        return self.epoch + sequence * self.segment_seconds


def format_program_date_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_master_playlist(
    variant_uri: str, bandwidth: int, codecs: str, resolution: tuple[int, int], frame_rate: int
) -> str:
    """Return a master playlist with one variant stream."""
    width, height = resolution
    attributes = (
        f'BANDWIDTH={bandwidth},RESOLUTION={width}x{height},CODECS="{codecs}",'
        f"FRAME-RATE={frame_rate:.3f}"
    )
    return "\n".join(
        [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            f"#EXT-X-STREAM-INF:{attributes}",
            variant_uri,
            "",
        ]
    )


def render_media_playlist(
    sequences: range,
    segment_seconds: float,
    segment_uri: Callable[[int], str],
    wall_time: Callable[[int], float],
) -> str:
    """Return a live media playlist (no EXT-X-ENDLIST) that lists `sequences`.

    `wall_time` returns the Unix time at which a segment starts, for EXT-X-PROGRAM-DATE-TIME.
    """
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(segment_seconds)}",
        f"#EXT-X-MEDIA-SEQUENCE:{sequences.start}",
    ]
    for sequence in sequences:
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_program_date_time(wall_time(sequence))}")
        lines.append(f"#EXTINF:{segment_seconds:.3f},")
        lines.append(segment_uri(sequence))
    lines.append("")
    return "\n".join(lines)
