"""ID3v2.4 tags with one TXXX frame, which carry the PutMetadata payloads in the stream.

The IVS Player Web SDK 1.56.1 reports the TXXX value as `cue.text` of TEXT_METADATA_CUE, as the
browser test shows.

A tag is a 10-byte header ("ID3", version 4.0, flags, syncsafe size) followed by frames. Each
frame has a 4-byte id, a syncsafe 4-byte size, 2 flag bytes and a body. A TXXX body is an
encoding byte (3 = UTF-8), a NUL-terminated description and the value. Sources: the ID3 v2.4.0
structure document (sections 3.1, 4 and 6.2) and frames document (section 4.2.6).
"""

TAG_ID = b"ID3"
VERSION = bytes([4, 0])
HEADER_SIZE = 10
FRAME_HEADER_SIZE = 10
UTF8_ENCODING = 3
MAX_SYNCSAFE = (1 << 28) - 1


class Id3Error(ValueError):
    """An ID3 tag that is malformed or is not the TXXX form the emulator writes."""


def encode_syncsafe(value: int) -> bytes:
    """Encode a size as 4 bytes of 7 bits each, so no byte of it has its top bit set."""
    if not 0 <= value <= MAX_SYNCSAFE:
        raise Id3Error(f"size {value} does not fit a syncsafe integer (max {MAX_SYNCSAFE})")
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def decode_syncsafe(data: bytes) -> int:
    if len(data) != 4 or any(byte & 0x80 for byte in data):
        raise Id3Error(f"invalid syncsafe integer {data.hex()}: every byte must be below 0x80")
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def build_txxx_tag(value: str, description: str = "") -> bytes:
    """Return an ID3v2.4 tag with one TXXX frame whose UTF-8 value is `value`.

    The value gets no terminating NUL, so the player's cue text is exactly the value. A value that
    itself ends in NUL reads back without that NUL, since readers drop an optional terminator.
    """
    body = bytes([UTF8_ENCODING]) + description.encode("utf-8") + b"\x00" + value.encode("utf-8")
    frame = b"TXXX" + encode_syncsafe(len(body)) + b"\x00\x00" + body
    return TAG_ID + VERSION + b"\x00" + encode_syncsafe(len(frame)) + frame


def parse_txxx_values(tag: bytes) -> list[tuple[str, str]]:
    """Parse an ID3v2.4 tag and return the (description, value) of each TXXX frame.

    Raises Id3Error when the tag does not start with b"ID3", is not version 2.4, uses flags the
    emulator never writes (unsynchronisation, extended header, footer), is truncated, or has a
    TXXX frame that is not UTF-8.
    """
    if not tag.startswith(TAG_ID):
        raise Id3Error(f"ID3 tag must start with b'ID3', got {tag[:10]!r}")
    if len(tag) < HEADER_SIZE:
        raise Id3Error(f"ID3 tag of {len(tag)} bytes is shorter than its 10-byte header")
    if tag[3:5] != VERSION:
        raise Id3Error(f"ID3 version 2.{tag[3]}.{tag[4]} found, expected 2.4.0")
    if tag[5] != 0:
        raise Id3Error(f"ID3 header flags 0x{tag[5]:02x} found, expected 0x00")

    size = decode_syncsafe(tag[6:10])
    end = HEADER_SIZE + size
    if end > len(tag):
        raise Id3Error(f"ID3 tag declares {size} bytes of frames but only {len(tag) - 10} follow")

    values = []
    offset = HEADER_SIZE
    while offset + FRAME_HEADER_SIZE <= end:
        frame_id = tag[offset : offset + 4]
        if frame_id == b"\x00\x00\x00\x00":
            break  # padding runs to the end of the tag
        frame_size = decode_syncsafe(tag[offset + 4 : offset + 8])
        body_start = offset + FRAME_HEADER_SIZE
        body_end = body_start + frame_size
        if body_end > end:
            raise Id3Error(f"ID3 frame {frame_id!r} of {frame_size} bytes runs past the tag end")
        if frame_id == b"TXXX":
            values.append(parse_txxx_body(tag[body_start:body_end]))
        offset = body_end
    return values


def parse_txxx_body(body: bytes) -> tuple[str, str]:
    if not body or body[0] != UTF8_ENCODING:
        found = body[0] if body else None
        raise Id3Error(f"TXXX text encoding {found} found, expected {UTF8_ENCODING} (UTF-8)")

    description, separator, value = body[1:].partition(b"\x00")
    if not separator:
        raise Id3Error("TXXX description has no NUL terminator")

    # ID3v2.4 allows a terminating NUL after the value as well.
    if value.endswith(b"\x00"):
        value = value[:-1]
    try:
        return description.decode("utf-8"), value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Id3Error(f"TXXX frame is not valid UTF-8: {error}") from error
