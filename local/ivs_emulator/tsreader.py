"""MPEG-TS reading for checks: packets, PAT/PMT with CRC, continuity counters and PES packets.

This reader is independent of ffmpeg on purpose: the tests use it to prove what the emulator wrote
byte for byte. It handles the single-program segments that HLS uses.
"""

from dataclasses import dataclass, field

from . import ts


class TsError(ValueError):
    """A transport stream that is malformed or that the reader cannot follow."""


@dataclass(frozen=True)
class PesPacket:
    """A reassembled PES packet with its timestamps (90 kHz) and payload."""

    pid: int
    stream_id: int
    pts: int | None
    dts: int | None
    data_alignment: bool
    payload: bytes


@dataclass(frozen=True)
class StreamEntry:
    """A PMT entry as read from the segment."""

    pid: int
    stream_type: int
    descriptors: bytes


@dataclass
class ParsedSegment:
    """The contents of a segment, per PID."""

    pmt_pid: int = -1
    pcr_pid: int = -1
    program_number: int = -1
    program_descriptors: bytes = b""
    streams: dict[int, StreamEntry] = field(default_factory=dict)
    pes: dict[int, list[PesPacket]] = field(default_factory=dict)
    # First and last continuity counter of each PID over packets that carry a payload.
    continuity: dict[int, tuple[int, int]] = field(default_factory=dict)
    pcrs: list[int] = field(default_factory=list)

    def stream_of_type(self, stream_type: int) -> StreamEntry:
        matches = [entry for entry in self.streams.values() if entry.stream_type == stream_type]
        if len(matches) != 1:
            raise TsError(f"expected one stream of type 0x{stream_type:02x}, found {len(matches)}")
        return matches[0]


def decode_timestamp(data: bytes) -> int:
    """Decode a 5-byte PES PTS or DTS field, checking its three marker bits."""
    if not (data[0] & 1 and data[2] & 1 and data[4] & 1):
        raise TsError(f"PES timestamp {data.hex()} has a marker bit cleared")
    return (
        (((data[0] >> 1) & 0x07) << 30)
        | (data[1] << 22)
        | ((data[2] >> 1) << 15)
        | (data[3] << 7)
        | (data[4] >> 1)
    )


def decode_pcr(data: bytes) -> int:
    """Decode the 33-bit PCR base (90 kHz) of a 6-byte PCR field."""
    return (data[0] << 25) | (data[1] << 17) | (data[2] << 9) | (data[3] << 1) | (data[4] >> 7)


def parse_pes(pid: int, data: bytes) -> PesPacket:
    """Parse one reassembled PES packet."""
    if len(data) < 9 or data[:3] != b"\x00\x00\x01":
        raise TsError(f"PES packet on PID 0x{pid:x} lacks the 00 00 01 start code prefix")

    stream_id = data[3]
    declared = int.from_bytes(data[4:6], "big")
    if declared and declared != len(data) - 6:
        raise TsError(
            f"PES packet on PID 0x{pid:x} declares {declared} bytes but {len(data) - 6} follow"
        )

    flags = data[7]
    header_length = data[8]
    payload_start = 9 + header_length
    if payload_start > len(data):
        raise TsError(f"PES header on PID 0x{pid:x} runs past the packet end")

    pts = dts = None
    timestamp_flags = flags >> 6
    if timestamp_flags in (0b10, 0b11):
        pts = decode_timestamp(data[9:14])
    if timestamp_flags == 0b11:
        dts = decode_timestamp(data[14:19])
    return PesPacket(
        pid=pid,
        stream_id=stream_id,
        pts=pts,
        dts=dts,
        data_alignment=bool(data[6] & 0x04),
        payload=data[payload_start:],
    )


def parse_section(payload: bytes, pid: int) -> bytes:
    """Return the PSI section in a payload that starts a section, after checking its CRC."""
    pointer = payload[0]
    section = payload[1 + pointer :]
    if len(section) < 3:
        raise TsError(f"PSI section on PID 0x{pid:x} is truncated")

    length = ((section[1] & 0x0F) << 8) | section[2]
    section = section[: 3 + length]
    if len(section) != 3 + length:
        raise TsError(
            f"PSI section on PID 0x{pid:x} spans packets, which this reader does not follow"
        )
    if ts.crc32_mpeg(section) != 0:
        raise TsError(f"PSI section on PID 0x{pid:x} fails its CRC-32/MPEG-2 check")
    return section


def read_pat(section: bytes, parsed: ParsedSegment) -> None:
    if section[0] != ts.TABLE_ID_PAT:
        raise TsError(f"PID 0 carries table_id 0x{section[0]:02x}, expected a PAT (0x00)")
    entries = section[8:-4]
    programs = [
        (int.from_bytes(entries[i : i + 2], "big"), int.from_bytes(entries[i + 2 : i + 4], "big"))
        for i in range(0, len(entries), 4)
    ]
    programs = [(number, pid & 0x1FFF) for number, pid in programs if number != 0]
    if len(programs) != 1:
        raise TsError(f"PAT lists {len(programs)} programs, expected 1")
    parsed.program_number, parsed.pmt_pid = programs[0]


def read_pmt(section: bytes, parsed: ParsedSegment) -> None:
    if section[0] != ts.TABLE_ID_PMT:
        raise TsError(f"PMT PID carries table_id 0x{section[0]:02x}, expected a PMT (0x02)")

    parsed.pcr_pid = int.from_bytes(section[8:10], "big") & 0x1FFF
    info_length = int.from_bytes(section[10:12], "big") & 0x0FFF
    parsed.program_descriptors = section[12 : 12 + info_length]

    offset = 12 + info_length
    end = len(section) - 4
    while offset + 5 <= end:
        stream_type = section[offset]
        pid = int.from_bytes(section[offset + 1 : offset + 3], "big") & 0x1FFF
        es_length = int.from_bytes(section[offset + 3 : offset + 5], "big") & 0x0FFF
        descriptors = section[offset + 5 : offset + 5 + es_length]
        parsed.streams[pid] = StreamEntry(pid, stream_type, descriptors)
        offset += 5 + es_length


def split_packet(packet: bytes) -> tuple[int, bool, int, bytes, bytes]:
    """Return (pid, unit_start, continuity, adaptation field, payload) of one packet."""
    if packet[0] != ts.SYNC_BYTE:
        raise TsError(f"packet starts with 0x{packet[0]:02x} instead of the sync byte 0x47")

    pid = ((packet[1] & 0x1F) << 8) | packet[2]
    unit_start = bool(packet[1] & 0x40)
    control = (packet[3] >> 4) & 0x03
    continuity = packet[3] & 0x0F

    offset = ts.HEADER_SIZE
    adaptation = b""
    if control in (0b10, 0b11):
        length = packet[offset]
        adaptation = packet[offset + 1 : offset + 1 + length]
        offset += 1 + length
        if offset > ts.PACKET_SIZE:
            raise TsError(f"adaptation field on PID 0x{pid:x} runs past the packet end")
    payload = packet[offset:] if control in (0b01, 0b11) else b""
    return pid, unit_start, continuity, adaptation, payload


def parse_segment(data: bytes) -> ParsedSegment:
    """Parse a single-program MPEG-TS segment and return its PSI, PES packets and counters.

    Raises TsError on a bad packet size or sync byte, a PSI CRC mismatch, a continuity counter
    that skips within the segment, or a malformed PES header.
    """
    if len(data) % ts.PACKET_SIZE:
        raise TsError(f"segment of {len(data)} bytes is not a whole number of 188-byte packets")

    parsed = ParsedSegment()
    pending: dict[int, bytearray] = {}
    for start in range(0, len(data), ts.PACKET_SIZE):
        packet = data[start : start + ts.PACKET_SIZE]
        pid, unit_start, continuity, adaptation, payload = split_packet(packet)
        if adaptation and adaptation[0] & ts.PCR_FLAG and pid == parsed.pcr_pid:
            parsed.pcrs.append(decode_pcr(adaptation[1:7]))
        if not payload:
            continue

        track_continuity(parsed, pid, continuity)
        if pid == ts.PAT_PID:
            read_pat(parse_section(payload, pid), parsed)
        elif pid == parsed.pmt_pid:
            read_pmt(parse_section(payload, pid), parsed)
        elif pid in parsed.streams:
            collect_pes(parsed, pending, pid, unit_start, payload)
        # Other PIDs, such as an SDT or null packets, are not part of the program.

    for pid, buffer in pending.items():
        parsed.pes.setdefault(pid, []).append(parse_pes(pid, bytes(buffer)))
    return parsed


def track_continuity(parsed: ParsedSegment, pid: int, continuity: int) -> None:
    if pid not in parsed.continuity:
        parsed.continuity[pid] = (continuity, continuity)
        return
    first, last = parsed.continuity[pid]
    if continuity != (last + 1) % ts.CONTINUITY_MODULUS:
        raise TsError(f"continuity counter on PID 0x{pid:x} jumps from {last} to {continuity}")
    parsed.continuity[pid] = (first, continuity)


def collect_pes(
    parsed: ParsedSegment, pending: dict[int, bytearray], pid: int, unit_start: bool, payload: bytes
) -> None:
    if unit_start:
        if pid in pending:
            parsed.pes.setdefault(pid, []).append(parse_pes(pid, bytes(pending[pid])))
        pending[pid] = bytearray(payload)
    elif pid in pending:
        pending[pid].extend(payload)
    else:
        raise TsError(f"PID 0x{pid:x} continues a PES packet that did not start in this segment")
