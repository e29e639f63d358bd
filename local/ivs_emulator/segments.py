"""Segment muxing: the looped frames of segment N with timestamps of an endless live stream.

Segment N covers media time [N * D, (N + 1) * D) where D is the segment duration. Its video
frames and audio frames are picked from the loop modulo the loop length, but their timestamps
come from N alone, so PTS, DTS and PCR grow without a jump at the loop point.
"""

from collections.abc import Sequence

from . import id3, ts
from .media import LoadedMedia

PROGRAM_NUMBER = 1
PMT_PID = 0x1000
VIDEO_PID = 0x100
AUDIO_PID = 0x101
METADATA_PID = 0x102

# Timestamps of media time 0, and how far the PCR runs ahead of the frames it paces (as ffmpeg's
# default muxdelay of 0.7 s).
PTS_ORIGIN = 10 * ts.CLOCK_HZ
PCR_LEAD = 63_000
AUDIO_FRAMES_PER_PES = 4
# Spacing of several ID3 tags in one segment: one video frame at 25 fps.
METADATA_SPACING = 3_600

PROGRAM = ts.Program(
    number=PROGRAM_NUMBER,
    pmt_pid=PMT_PID,
    pcr_pid=VIDEO_PID,
    streams=(
        ts.ElementaryStream(VIDEO_PID, ts.STREAM_TYPE_H264),
        ts.ElementaryStream(AUDIO_PID, ts.STREAM_TYPE_AAC_ADTS),
        ts.ElementaryStream(METADATA_PID, ts.STREAM_TYPE_METADATA_PES, ts.metadata_descriptor()),
    ),
    descriptors=ts.metadata_pointer_descriptor(PROGRAM_NUMBER),
)


def build_segment(media: LoadedMedia, sequence: int, payloads: Sequence[str] = ()) -> bytes:
    """Return segment `sequence` as MPEG-TS, carrying each payload as an ID3 TXXX tag.

    The tags get PTS values inside the segment, starting at its first frame.
    """
    if sequence < 0:
        raise ValueError(f"segment sequence {sequence} is negative")

    units = video_units(media, sequence) + audio_units(media, sequence)
    units += metadata_units(media, sequence, payloads)

    # Interleave by decoding time; at equal times the metadata tag goes before the frame.
    order = {METADATA_PID: 0, VIDEO_PID: 1, AUDIO_PID: 2}
    units.sort(key=lambda unit: (unit.pts if unit.dts is None else unit.dts, order[unit.pid]))
    return ts.mux(PROGRAM, units, psi_continuity=sequence % ts.CONTINUITY_MODULUS)


def segment_start_pts(media: LoadedMedia, sequence: int) -> int:
    return PTS_ORIGIN + sequence * media.parameters.segment_seconds * ts.CLOCK_HZ


def video_units(media: LoadedMedia, sequence: int) -> list[ts.PesUnit]:
    frames = media.parameters.frames_per_segment
    frame_ticks = ts.CLOCK_HZ // media.parameters.frame_rate
    units = []
    for index in range(sequence * frames, (sequence + 1) * frames):
        access_unit = media.video[index % len(media.video)]
        pts = PTS_ORIGIN + index * frame_ticks
        units.append(
            ts.PesUnit(
                pid=VIDEO_PID,
                stream_id=ts.STREAM_ID_VIDEO,
                payload=access_unit.data,
                pts=pts,
                pcr=pts - PCR_LEAD,
                random_access=access_unit.keyframe,
            )
        )
    return units


def audio_frame_range(media: LoadedMedia, sequence: int) -> range:
    """Return the global AAC frame numbers whose start falls inside the segment."""
    samples_per_segment = media.parameters.segment_seconds * media.parameters.sample_rate
    first = -(-sequence * samples_per_segment // 1024)
    end = -(-(sequence + 1) * samples_per_segment // 1024)
    return range(first, end)


def audio_units(media: LoadedMedia, sequence: int) -> list[ts.PesUnit]:
    frames = audio_frame_range(media, sequence)
    units = []
    for start in range(frames.start, frames.stop, AUDIO_FRAMES_PER_PES):
        group = range(start, min(start + AUDIO_FRAMES_PER_PES, frames.stop))
        payload = b"".join(media.audio[index % len(media.audio)] for index in group)
        pts = PTS_ORIGIN + start * 1024 * ts.CLOCK_HZ // media.parameters.sample_rate
        units.append(
            ts.PesUnit(pid=AUDIO_PID, stream_id=ts.STREAM_ID_AUDIO, payload=payload, pts=pts)
        )
    return units


def metadata_units(media: LoadedMedia, sequence: int, payloads: Sequence[str]) -> list[ts.PesUnit]:
    if not payloads:
        return []

    # Spread the tags over the segment; more than fit at METADATA_SPACING share it evenly.
    segment_ticks = media.parameters.segment_seconds * ts.CLOCK_HZ
    spacing = min(METADATA_SPACING, segment_ticks // len(payloads))
    start = segment_start_pts(media, sequence)
    return [
        ts.PesUnit(
            pid=METADATA_PID,
            stream_id=ts.STREAM_ID_PRIVATE_1,
            payload=id3.build_txxx_tag(payload),
            pts=start + index * spacing,
        )
        for index, payload in enumerate(payloads)
    ]
