"""Elementary stream parsing: H.264 Annex B access units and AAC ADTS frames."""

from dataclasses import dataclass

START_CODE = b"\x00\x00\x01"
NAL_TYPE_IDR = 5
NAL_TYPE_SPS = 7
NAL_TYPE_AUD = 9

ADTS_HEADER_SIZE = 7
AAC_FRAME_SAMPLES = 1024
AAC_LC_OBJECT_TYPE = 2
# ISO/IEC 14496-3, table 1.18: sampling_frequency_index to Hz.
ADTS_SAMPLE_RATES = (
    96000,
    88200,
    64000,
    48000,
    44100,
    32000,
    24000,
    22050,
    16000,
    12000,
    11025,
    8000,
    7350,
)


class ElementaryStreamError(ValueError):
    """Media bytes that do not parse as the expected H.264 or AAC stream."""


@dataclass(frozen=True)
class AccessUnit:
    """One H.264 access unit in Annex B form, starting with its access unit delimiter."""

    data: bytes
    keyframe: bool


@dataclass(frozen=True)
class AdtsHeader:
    """The fields of an ADTS header that the emulator checks."""

    frame_length: int
    object_type: int
    sample_rate: int
    channels: int


def nal_units(data: bytes) -> list[tuple[int, int]]:
    """Return (offset of the start code, nal_unit_type) of each NAL unit in an Annex B stream."""
    units = []
    position = data.find(START_CODE)
    while position != -1:
        if position + 3 >= len(data):
            break
        # A 4-byte start code is a zero byte followed by the 3-byte one.
        start = position - 1 if position > 0 and data[position - 1] == 0 else position
        units.append((start, data[position + 3] & 0x1F))
        position = data.find(START_CODE, position + 3)
    return units


def split_access_units(data: bytes) -> list[AccessUnit]:
    """Split an Annex B stream into access units at each access unit delimiter (NAL type 9).

    Raises ElementaryStreamError when the stream does not start with a delimiter, which
    x264 writes only with its `aud=1` option.
    """
    units = nal_units(data)
    if not units or units[0][1] != NAL_TYPE_AUD:
        raise ElementaryStreamError(
            "H.264 stream does not start with an access unit delimiter; encode with "
            "-x264-params aud=1"
        )

    access_units = []
    boundaries = [index for index, (_, nal_type) in enumerate(units) if nal_type == NAL_TYPE_AUD]
    for position, first in enumerate(boundaries):
        last = boundaries[position + 1] if position + 1 < len(boundaries) else len(units)
        start = units[first][0]
        end = units[last][0] if last < len(units) else len(data)
        keyframe = any(nal_type == NAL_TYPE_IDR for _, nal_type in units[first:last])
        access_units.append(AccessUnit(data[start:end], keyframe))
    return access_units


def avc_codec_string(access_unit: bytes) -> str:
    """Return the RFC 6381 codec string (avc1.PPCCLL) from the SPS in an access unit."""
    for start, nal_type in nal_units(access_unit):
        if nal_type == NAL_TYPE_SPS:
            header = access_unit.index(START_CODE, start) + 3
            profile, constraints, level = access_unit[header + 1 : header + 4]
            return f"avc1.{profile:02x}{constraints:02x}{level:02x}"
    raise ElementaryStreamError("access unit has no SPS, so the codec string is unknown")


def parse_adts_header(data: bytes, offset: int = 0) -> AdtsHeader:
    header = data[offset : offset + ADTS_HEADER_SIZE]
    if len(header) < ADTS_HEADER_SIZE or header[0] != 0xFF or header[1] & 0xF0 != 0xF0:
        raise ElementaryStreamError(f"no ADTS sync word at byte {offset}")

    rate_index = (header[2] >> 2) & 0x0F
    if rate_index >= len(ADTS_SAMPLE_RATES):
        raise ElementaryStreamError(f"ADTS sampling frequency index {rate_index} is reserved")
    return AdtsHeader(
        frame_length=((header[3] & 0x03) << 11) | (header[4] << 3) | (header[5] >> 5),
        object_type=(header[2] >> 6) + 1,
        sample_rate=ADTS_SAMPLE_RATES[rate_index],
        channels=((header[2] & 0x01) << 2) | (header[3] >> 6),
    )


def split_adts_frames(data: bytes) -> list[bytes]:
    """Split an ADTS stream into frames, each with its own 7-byte header."""
    frames = []
    offset = 0
    while offset < len(data):
        header = parse_adts_header(data, offset)
        if header.frame_length < ADTS_HEADER_SIZE or offset + header.frame_length > len(data):
            raise ElementaryStreamError(
                f"ADTS frame at byte {offset} declares {header.frame_length} bytes, "
                f"but {len(data) - offset} remain"
            )
        frames.append(data[offset : offset + header.frame_length])
        offset += header.frame_length
    return frames
