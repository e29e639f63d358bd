"""Checks of produced segments: ID3 timed metadata integrity and continuity between segments.

The tests call these on segments fetched over HTTP, so a defect in the muxer fails a test
with the segment index, the PID and the value at fault.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import elementary, id3, ts
from .tsreader import ParsedSegment, PesPacket, TsError, parse_segment


class SegmentCheckError(AssertionError):
    """A segment that breaks the emulator's contract for players."""


@dataclass(frozen=True)
class TimedMetadata:
    """One ID3 TXXX value read from a segment, with its PTS in 90 kHz units."""

    pts: int
    text: str


def find_id3_stream(parsed: ParsedSegment) -> int:
    """Return the PID of the ID3 stream after checking the PMT's metadata descriptors."""
    entry = parsed.stream_of_type(ts.STREAM_TYPE_METADATA_PES)
    if entry.descriptors != ts.metadata_descriptor():
        raise SegmentCheckError(
            f"ID3 stream on PID 0x{entry.pid:x} has descriptors {entry.descriptors.hex()}, "
            f"expected the 'ID3 ' metadata_descriptor {ts.metadata_descriptor().hex()}"
        )
    pointer = ts.metadata_pointer_descriptor(parsed.program_number)
    if pointer not in parsed.program_descriptors:
        raise SegmentCheckError(
            f"PMT program descriptors {parsed.program_descriptors.hex()} lack the 'ID3 ' "
            f"metadata_pointer_descriptor {pointer.hex()}"
        )
    return entry.pid


def video_pts_range(parsed: ParsedSegment) -> tuple[int, int]:
    """Return the first video PTS and the end of the last frame (PTS plus one frame duration)."""
    video = parsed.pes.get(parsed.stream_of_type(ts.STREAM_TYPE_H264).pid, [])
    if len(video) < 2:
        raise SegmentCheckError(f"segment has {len(video)} video frames, expected at least 2")
    frame_duration = video[1].pts - video[0].pts
    return video[0].pts, video[-1].pts + frame_duration


def read_timed_metadata(segment: bytes) -> list[TimedMetadata]:
    """Return the TXXX values of every ID3 tag in a segment, in stream order.

    Raises SegmentCheckError when the PMT lacks the ID3 descriptors. It also raises when an ID3
    PES packet is not on stream_id 0xBD, has no PTS or a PTS outside the segment's video, or
    carries a payload that does not start with b"ID3". The payload must decode to one TXXX frame
    with an empty description.
    """
    try:
        parsed = parse_segment(segment)
    except TsError as error:
        raise SegmentCheckError(f"segment is not valid MPEG-TS: {error}") from error

    pid = find_id3_stream(parsed)
    first_pts, end_pts = video_pts_range(parsed)
    found = []
    for packet in parsed.pes.get(pid, []):
        if packet.stream_id != ts.STREAM_ID_PRIVATE_1:
            raise SegmentCheckError(
                f"ID3 PES on PID 0x{pid:x} has stream_id 0x{packet.stream_id:02x}, expected 0xbd"
            )
        if packet.pts is None or not first_pts <= packet.pts < end_pts:
            raise SegmentCheckError(
                f"ID3 PES PTS {packet.pts} lies outside the segment's video PTS range "
                f"[{first_pts}, {end_pts})"
            )
        found.append(TimedMetadata(packet.pts, decode_id3_payload(packet.payload)))
    return found


def decode_id3_payload(payload: bytes) -> str:
    """Return the value of the one TXXX frame in an ID3 PES payload, or raise SegmentCheckError."""
    if not payload.startswith(id3.TAG_ID):
        raise SegmentCheckError(f"ID3 PES payload starts with {payload[:8]!r}, not b'ID3'")
    try:
        frames = id3.parse_txxx_values(payload)
    except id3.Id3Error as error:
        raise SegmentCheckError(f"ID3 tag is malformed: {error}") from error

    if len(frames) != 1:
        raise SegmentCheckError(f"ID3 tag has {len(frames)} TXXX frames, expected 1")
    description, value = frames[0]
    if description:
        raise SegmentCheckError(f"TXXX description is {description!r}, expected empty")
    return value


def verify_timed_metadata(segments: Iterable[bytes], expected: Sequence[str]) -> None:
    """Raise SegmentCheckError unless the segments carry exactly `expected`, in order."""
    actual = [entry.text for segment in segments for entry in read_timed_metadata(segment)]
    if actual != list(expected):
        raise SegmentCheckError(f"segments carry timed metadata {actual!r}, expected {expected!r}")


def verify_continuity(segments: Sequence[bytes]) -> None:
    """Raise SegmentCheckError unless consecutive segments join without a gap.

    For each pair, every PID's continuity counter must run on, and the first video and audio
    PTS of a segment must equal the end of the previous segment's last frame. This is what lets
    a player treat the looped media as one continuous live stream.
    """
    parsed = []
    for index, segment in enumerate(segments):
        try:
            parsed.append(parse_segment(segment))
        except TsError as error:
            raise SegmentCheckError(f"segment {index} is not valid MPEG-TS: {error}") from error

    for index in range(1, len(parsed)):
        check_counters_join(parsed[index - 1], parsed[index], index)
        for stream_type in (ts.STREAM_TYPE_H264, ts.STREAM_TYPE_AAC_ADTS):
            check_timestamps_join(parsed[index - 1], parsed[index], stream_type, index)


def check_counters_join(previous: ParsedSegment, current: ParsedSegment, index: int) -> None:
    for pid, (first, _) in current.continuity.items():
        if pid not in previous.continuity:
            continue
        last = previous.continuity[pid][1]
        if first != (last + 1) % ts.CONTINUITY_MODULUS:
            raise SegmentCheckError(
                f"segment {index} starts PID 0x{pid:x} at continuity counter {first}, "
                f"but segment {index - 1} ended it at {last}"
            )


def check_timestamps_join(
    previous: ParsedSegment, current: ParsedSegment, stream_type: int, index: int
) -> None:
    before = previous.pes[previous.stream_of_type(stream_type).pid]
    after = current.pes[current.stream_of_type(stream_type).pid]
    duration = frame_duration(before, stream_type)
    expected = (before[-1].pts + duration) % ts.TIMESTAMP_MODULUS

    # Audio PES packets carry several frames, so the expected start is rounded to 1 tick.
    if abs(after[0].pts - expected) > 1:
        raise SegmentCheckError(
            f"segment {index} starts stream type 0x{stream_type:02x} at PTS {after[0].pts}, "
            f"expected {expected} after segment {index - 1}"
        )


def frame_duration(packets: list[PesPacket], stream_type: int) -> int:
    """Return the duration of the last PES packet of a stream in 90 kHz units.

    Video PES packets hold one frame each. Audio PES packets hold several ADTS frames.
    """
    if stream_type == ts.STREAM_TYPE_H264:
        return packets[1].pts - packets[0].pts
    last = packets[-1].payload
    frames = elementary.split_adts_frames(last)
    sample_rate = elementary.parse_adts_header(last).sample_rate
    return round(len(frames) * elementary.AAC_FRAME_SAMPLES * ts.CLOCK_HZ / sample_rate)
