"""HLS playback of the IVS emulator: playlists, viewer counting, segments and timed metadata.

The emulator runs on a manual clock, so a test publishes the next segment by advancing the
clock by one segment duration (2 s) instead of waiting.
"""

import json
import re
import shutil
import subprocess
import urllib.error
from urllib.parse import urljoin

import pytest

from local.ivs_emulator import (
    SegmentCheckError,
    read_timed_metadata,
    verify_continuity,
    verify_timed_metadata,
)
from local.ivs_emulator.check import decode_id3_payload
from local.ivs_emulator.tsreader import parse_segment

from .conftest import PAYLOAD, fetch, make_client

SEGMENT_SECONDS = 2


class Player:
    """A minimal HLS client: one master playlist request, then its own media playlist URL."""

    def __init__(self, playback_url: str) -> None:
        master = fetch(playback_url).decode()
        variant = [line for line in master.splitlines() if line and not line.startswith("#")]
        self.master = master
        self.media_url = urljoin(playback_url, variant[0])

    def playlist(self) -> "MediaPlaylist":
        return MediaPlaylist(self.media_url, fetch(self.media_url).decode())

    def segments(self) -> dict[int, bytes]:
        """Fetch every segment the current media playlist lists, keyed by sequence number."""
        playlist = self.playlist()
        return {sequence: fetch(url) for sequence, url in playlist.segments.items()}


class MediaPlaylist:
    """The tags of a media playlist that the tests check."""

    def __init__(self, url: str, text: str) -> None:
        self.text = text
        self.media_sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)[1])
        self.target_duration = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text)[1])
        self.durations = [float(value) for value in re.findall(r"#EXTINF:([\d.]+),", text)]
        uris = [line for line in text.splitlines() if line and not line.startswith("#")]
        self.segments = {
            self.media_sequence + index: urljoin(url, uri) for index, uri in enumerate(uris)
        }


def get_viewers(client, arn) -> int:
    return client.get_stream(channelArn=arn)["stream"]["viewerCount"]


def status_of(url: str) -> int:
    try:
        fetch(url)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def test_master_playlist_announces_variant(ivs_emulator_with_media, ivs_emulator_media_channel):
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))

    assert player.master.startswith("#EXTM3U\n")
    assert 'CODECS="avc1.42c00c,mp4a.40.2"' in player.master
    assert "RESOLUTION=320x180" in player.master
    assert player.media_url.endswith("/media.m3u8")


def test_master_playlist_new_session(ivs_emulator, ivs_emulator_live_channel):
    url = ivs_emulator.playback_url(ivs_emulator_live_channel)

    first = Player(url).media_url
    second = Player(url).media_url

    assert first != second


def test_media_playlist_starts_full(ivs_emulator, ivs_emulator_live_channel):
    playlist = Player(ivs_emulator.playback_url(ivs_emulator_live_channel)).playlist()

    assert playlist.media_sequence == 0
    assert list(playlist.segments) == [0, 1, 2, 3, 4]
    assert playlist.target_duration == SEGMENT_SECONDS
    assert playlist.durations == [2.0] * 5
    assert "#EXT-X-ENDLIST" not in playlist.text
    assert playlist.text.count("#EXT-X-PROGRAM-DATE-TIME:") == 5


def test_media_playlist_slides_with_time(
    ivs_emulator, ivs_emulator_live_channel, ivs_emulator_clock
):
    player = Player(ivs_emulator.playback_url(ivs_emulator_live_channel))

    ivs_emulator_clock.advance(SEGMENT_SECONDS)
    after_one = player.playlist()
    ivs_emulator_clock.advance(10 * SEGMENT_SECONDS + 0.5)
    after_eleven = player.playlist()

    assert after_one.media_sequence == 1
    assert list(after_one.segments) == [1, 2, 3, 4, 5]
    assert after_eleven.media_sequence == 11
    assert list(after_eleven.segments) == [11, 12, 13, 14, 15]


def test_viewer_count_adds_players(ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel):
    ivs_emulator.set_audience(ivs_emulator_live_channel, 120)
    url = ivs_emulator.playback_url(ivs_emulator_live_channel)
    before = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)

    first = Player(url)
    master_only = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)
    first.playlist()
    one_player = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)
    Player(url).playlist()
    first.playlist()
    two_players = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)

    assert before == 120
    assert master_only == 120
    assert one_player == 121
    assert two_players == 122


def test_viewer_count_players_expire(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, ivs_emulator_clock
):
    url = ivs_emulator.playback_url(ivs_emulator_live_channel)
    staying = Player(url)
    staying.playlist()
    Player(url).playlist()

    ivs_emulator_clock.advance(10)
    staying.playlist()
    ivs_emulator_clock.advance(6)
    one_left = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)
    ivs_emulator_clock.advance(10)
    none_left = get_viewers(ivs_emulator_client, ivs_emulator_live_channel)

    assert one_left == 1
    assert none_left == 0


def test_viewer_count_segment_keeps_player(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    emulator = ivs_emulator_with_media
    player = Player(emulator.playback_url(ivs_emulator_media_channel))
    segment_url = player.playlist().segments[4]

    ivs_emulator_clock.advance(14)
    fetch(segment_url)
    ivs_emulator_clock.advance(14)
    stream = make_client(emulator).get_stream(channelArn=ivs_emulator_media_channel)

    assert stream["stream"]["viewerCount"] == 1


def test_viewer_count_callable_audience(
    ivs_emulator, ivs_emulator_client, ivs_emulator_live_channel, ivs_emulator_clock
):
    ivs_emulator.set_audience(ivs_emulator_live_channel, lambda seconds: int(seconds) * 2)

    ivs_emulator_clock.advance(30)

    assert get_viewers(ivs_emulator_client, ivs_emulator_live_channel) == 60


def test_offline_channel_playlist_not_found(ivs_emulator):
    arn = ivs_emulator.create_channel(name="offline")

    assert status_of(ivs_emulator.playback_url(arn)) == 404


def test_ended_stream_media_playlist_not_found(ivs_emulator, ivs_emulator_live_channel):
    player = Player(ivs_emulator.playback_url(ivs_emulator_live_channel))

    ivs_emulator.set_live(ivs_emulator_live_channel, False)

    assert status_of(player.media_url) == 404


def test_unknown_path_not_found(ivs_emulator):
    assert status_of(ivs_emulator.endpoint_url + "/playback/nothing") == 404


def test_segments_need_media(ivs_emulator, ivs_emulator_live_channel):
    player = Player(ivs_emulator.playback_url(ivs_emulator_live_channel))

    with pytest.raises(urllib.error.HTTPError) as raised:
        fetch(player.playlist().segments[4])

    assert raised.value.code == 404
    assert b"media=True" in raised.value.read()


def test_unpublished_segment_not_found(ivs_emulator_with_media, ivs_emulator_media_channel):
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))
    next_segment = player.media_url.replace("media.m3u8", "5.ts")

    assert status_of(next_segment) == 404


def test_segment_is_valid_transport_stream(ivs_emulator_with_media, ivs_emulator_media_channel):
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))

    parsed = parse_segment(fetch(player.playlist().segments[4]))

    assert sorted(entry.stream_type for entry in parsed.streams.values()) == [0x0F, 0x15, 0x1B]
    assert parsed.pcrs == sorted(parsed.pcrs)
    assert len(parsed.pes[0x100]) == 50  # 2 s of video at 25 fps
    assert parsed.pes[0x100][0].payload.startswith(b"\x00\x00\x00\x01\x09")


def test_metadata_in_next_published_segment(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    emulator = ivs_emulator_with_media
    client = make_client(emulator)
    player = Player(emulator.playback_url(ivs_emulator_media_channel))
    client.put_metadata(channelArn=ivs_emulator_media_channel, metadata=PAYLOAD)

    published_before = player.segments()
    ivs_emulator_clock.advance(SEGMENT_SECONDS)
    segments = player.segments()

    assert list(published_before) == [0, 1, 2, 3, 4]
    assert all(read_timed_metadata(data) == [] for data in published_before.values())
    assert [entry.text for entry in read_timed_metadata(segments[5])] == [PAYLOAD]
    verify_timed_metadata(segments.values(), [PAYLOAD])


def test_id3_integrity_after_many_calls(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    emulator = ivs_emulator_with_media
    client = make_client(emulator)
    player = Player(emulator.playback_url(ivs_emulator_media_channel))
    payloads = [
        PAYLOAD,
        '{"type":"viewerCount","version":1,"time":1764860460,"interval":60,"counts":[15]}',
        "Zuschauer: 12 – ✓ 視聴者",
        "x" * 1024,
        "a",
    ]

    # Two payloads share a segment, then one goes into each of the following segments.
    collected = {}
    for batch in (payloads[:2], payloads[2:3], payloads[3:4], payloads[4:]):
        for payload in batch:
            client.put_metadata(channelArn=ivs_emulator_media_channel, metadata=payload)
        ivs_emulator_clock.advance(SEGMENT_SECONDS)
        collected.update(player.segments())

    ordered = [collected[sequence] for sequence in sorted(collected)]
    per_segment = {sequence: read_timed_metadata(collected[sequence]) for sequence in (5, 6)}
    verify_timed_metadata(ordered, payloads)
    assert [entry.text for entry in per_segment[5]] == payloads[:2]
    assert per_segment[5][0].pts < per_segment[5][1].pts
    assert [entry.text for entry in per_segment[6]] == payloads[2:3]


def test_metadata_check_detects_mismatch(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    client = make_client(ivs_emulator_with_media)
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))
    client.put_metadata(channelArn=ivs_emulator_media_channel, metadata=PAYLOAD)
    ivs_emulator_clock.advance(SEGMENT_SECONDS)

    with pytest.raises(SegmentCheckError, match="expected"):
        verify_timed_metadata(player.segments().values(), [PAYLOAD + " "])


def test_loop_point_continuous(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    # The default loop is 4 segments, so segments 0 to 12 cross the loop point 3 times.
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))
    collected = player.segments()
    for _ in range(8):
        ivs_emulator_clock.advance(SEGMENT_SECONDS)
        collected.update(player.segments())

    verify_continuity([collected[sequence] for sequence in range(13)])


def test_continuous_after_an_hour(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))
    ivs_emulator_clock.advance(3600)

    segments = player.segments()

    assert min(segments) == 1800
    verify_continuity([segments[sequence] for sequence in sorted(segments)])


def test_continuity_check_detects_gap(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock
):
    player = Player(ivs_emulator_with_media.playback_url(ivs_emulator_media_channel))
    segments = player.segments()

    with pytest.raises(SegmentCheckError, match="PID"):
        verify_continuity([segments[1], segments[3]])


needs_ffmpeg = pytest.mark.skipif(
    not (shutil.which("ffprobe") and shutil.which("ffmpeg")), reason="ffmpeg/ffprobe missing"
)


def metadata_segment(emulator, arn, clock, tmp_path):
    client = make_client(emulator)
    player = Player(emulator.playback_url(arn))
    client.put_metadata(channelArn=arn, metadata=PAYLOAD)
    clock.advance(SEGMENT_SECONDS)
    path = tmp_path / "segment.ts"
    path.write_bytes(player.segments()[5])
    return path


@needs_ffmpeg
def test_ffprobe_sees_timed_id3(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock, tmp_path
):
    path = metadata_segment(
        ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock, tmp_path
    )

    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", path],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    codecs = [stream["codec_name"] for stream in json.loads(result.stdout)["streams"]]
    assert codecs == ["h264", "aac", "timed_id3"]
    assert result.stderr == ""


@needs_ffmpeg
def test_ffmpeg_remux_fails_check(
    ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock, tmp_path
):
    # ffmpeg 5.1 drops the first 5 bytes of each timed-ID3 payload when it remuxes; the check
    # must catch exactly that.
    path = metadata_segment(
        ivs_emulator_with_media, ivs_emulator_media_channel, ivs_emulator_clock, tmp_path
    )
    remuxed = tmp_path / "remuxed.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-map", "0", "-c", "copy", "-f", "mpegts", remuxed],
        capture_output=True,
        timeout=30,
        check=True,
    )
    parsed = parse_segment(remuxed.read_bytes())
    id3_pid = parsed.stream_of_type(0x15).pid

    with pytest.raises(SegmentCheckError, match="not b'ID3'"):
        decode_id3_payload(parsed.pes[id3_pid][0].payload)
    with pytest.raises(SegmentCheckError):
        read_timed_metadata(remuxed.read_bytes())
    assert decode_id3_payload(parse_segment(path.read_bytes()).pes[id3_pid][0].payload) == PAYLOAD
