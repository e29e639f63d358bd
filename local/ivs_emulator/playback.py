"""Playback over HLS: master playlist, per-player media playlists and segments.

URLs, relative to the emulator's endpoint:
    /playback/<region>/<account>/<channel id>.m3u8                    master playlist
    /playback/<region>/<account>/<channel id>/<session>/media.m3u8    media playlist
    /playback/<region>/<account>/<channel id>/<session>/<N>.ts        segment N

Each master playlist request creates a new player session token and hands it out in the media
playlist URL. A session counts as one viewer for 15 seconds after its last media playlist or
segment request. This follows IVS, which counts a view as a unique viewing session that is
actively downloading or playing video ("IVS Service Quotas" page). The 15-second window is the
emulator's choice.

Playlists are served with media=False too, so that tests can count viewers without ffmpeg.
Only segments need media=True.
"""

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import errors, hls, segments
from .api import HttpResponse
from .media import TS_OVERHEAD, LoadedMedia, MediaParameters
from .state import Registry

logger = logging.getLogger(__name__)

PATH = re.compile(
    r"/playback/(?P<region>[a-z0-9-]+)/(?P<account>[0-9]+)/(?P<channel>[a-zA-Z0-9-]+)"
    r"(?:\.m3u8|/(?P<session>[A-Za-z0-9_-]{1,64})/(?:media\.m3u8|(?P<sequence>[0-9]{1,12})\.ts))"
)
SEGMENT_CACHE_SIZE = 64
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"
# Codecs announced with media=False, when no encoded stream exists to read them from.
NOMINAL_CODECS = "avc1.42c00c,mp4a.40.2"


@dataclass(frozen=True)
class PlaybackRequest:
    """A parsed playback path."""

    channel_arn: str
    session: str | None
    sequence: int | None


def parse_path(path: str) -> PlaybackRequest | None:
    match = PATH.fullmatch(urlsplit(path).path)
    if not match:
        return None
    arn = f"arn:aws:ivs:{match['region']}:{match['account']}:channel/{match['channel']}"
    sequence = int(match["sequence"]) if match["sequence"] is not None else None
    return PlaybackRequest(arn, match["session"], sequence)


def playback_path(channel_arn: str) -> str:
    _, _, _, region, account, resource = channel_arn.split(":", 5)
    return f"/playback/{region}/{account}/{resource.removeprefix('channel/')}.m3u8"


class PlaybackService:
    """Serves playback requests; thread-safe."""

    def __init__(
        self, registry: Registry, parameters: MediaParameters, media: LoadedMedia | None
    ) -> None:
        self.registry = registry
        self.parameters = parameters
        self.media = media
        self._segments: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._segments_lock = threading.Lock()

    def handle(self, path: str) -> HttpResponse | None:
        """Return the response to a GET, or None when the path is not a playback path."""
        request = parse_path(path)
        if request is None:
            return None
        try:
            if request.session is None:
                return self.master_playlist(request)
            if request.sequence is None:
                return self.media_playlist(request)
            return self.segment(request)
        except errors.IvsApiError as error:
            logger.debug("playback request %s failed: %s", path, error)
            return not_found(error.message)
        except LookupError as error:
            logger.debug("playback request %s failed: %s", path, error)
            return not_found(str(error))

    def master_playlist(self, request: PlaybackRequest) -> HttpResponse:
        self.registry.live_stream(request.channel_arn)
        channel_id = request.channel_arn.rsplit("/", 1)[1]
        session = self.registry.new_player_session()
        if self.media is not None:
            codecs = f"{self.media.video_codec},{self.media.audio_codec}"
            bandwidth = self.media.bandwidth
        else:
            codecs = NOMINAL_CODECS
            nominal_bps = (self.parameters.video_kbps + self.parameters.audio_kbps) * 1000
            bandwidth = int(nominal_bps * TS_OVERHEAD)
        text = hls.render_master_playlist(
            f"{channel_id}/{session}/media.m3u8",
            bandwidth,
            codecs,
            (self.parameters.width, self.parameters.height),
            self.parameters.frame_rate,
        )
        return playlist_response(text)

    def media_playlist(self, request: PlaybackRequest) -> HttpResponse:
        stream = self.registry.touch_player(request.channel_arn, request.session)
        timeline = stream.timeline
        text = hls.render_media_playlist(
            timeline.window(self.registry.clock()),
            self.parameters.segment_seconds,
            lambda sequence: f"{sequence}.ts",
            lambda sequence: self.registry.wall_time(timeline.segment_start(sequence)),
        )
        return playlist_response(text)

    def segment(self, request: PlaybackRequest) -> HttpResponse:
        self.registry.touch_player(request.channel_arn, request.session)
        if self.media is None:
            return not_found("media is disabled; create the emulator with media=True for segments")

        stream, payloads = self.registry.segment_payloads(request.channel_arn, request.sequence)
        key = (stream.stream_id, request.sequence)
        with self._segments_lock:
            data = self._segments.get(key)
            if data is not None:
                self._segments.move_to_end(key)
        if data is None:
            data = segments.build_segment(self.media, request.sequence, payloads)
            with self._segments_lock:
                self._segments[key] = data
                while len(self._segments) > SEGMENT_CACHE_SIZE:
                    self._segments.popitem(last=False)
        headers = cors_headers(SEGMENT_TYPE)
        headers["Cache-Control"] = "max-age=60"
        return HttpResponse(200, headers, data)


def cors_headers(content_type: str) -> dict[str, str]:
    # Players run on pages served from another origin, such as the tests' page server.
    return {"Content-Type": content_type, "Access-Control-Allow-Origin": "*"}


def playlist_response(text: str) -> HttpResponse:
    headers = cors_headers(PLAYLIST_TYPE)
    headers["Cache-Control"] = "no-cache"
    return HttpResponse(200, headers, text.encode())


def not_found(message: str) -> HttpResponse:
    return HttpResponse(404, cors_headers("text/plain; charset=utf-8"), message.encode() + b"\n")
