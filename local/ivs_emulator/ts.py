"""MPEG-TS writing: PSI tables, PES packets and 188-byte transport packets (ISO/IEC 13818-1).

The emulator muxes every HLS segment itself instead of remuxing with ffmpeg, because ffmpeg 5.1's
MPEG-TS demuxer drops the first 5 bytes of each timed-ID3 payload when it remuxes one. Each segment
starts with a PAT and a PMT and ends every PID on a continuity counter of 15, so that any sequence
of segments is continuous (see `packetize_stream`).
"""

from dataclasses import dataclass

PACKET_SIZE = 188
HEADER_SIZE = 4
PAYLOAD_SIZE = PACKET_SIZE - HEADER_SIZE
SYNC_BYTE = 0x47
PAT_PID = 0x0000
CONTINUITY_MODULUS = 16
TIMESTAMP_MODULUS = 1 << 33
CLOCK_HZ = 90_000

STREAM_TYPE_AAC_ADTS = 0x0F
STREAM_TYPE_H264 = 0x1B
STREAM_TYPE_METADATA_PES = 0x15

STREAM_ID_VIDEO = 0xE0
STREAM_ID_AUDIO = 0xC0
STREAM_ID_PRIVATE_1 = 0xBD

TABLE_ID_PAT = 0x00
TABLE_ID_PMT = 0x02

# Apple "Timed Metadata for HTTP Live Streaming", section 2: ID3 is a registered format, so the
# format fields are 0xFF/0xFFFF followed by the identifier 'ID3 '.
ID3_FORMAT_IDENTIFIER = b"ID3 "
METADATA_POINTER_DESCRIPTOR_TAG = 0x25
METADATA_DESCRIPTOR_TAG = 0x26

# Adaptation field sizes: the length byte, the flags byte and a 6-byte PCR.
ADAPTATION_LENGTH_SIZE = 1
ADAPTATION_FLAGS_SIZE = 1
PCR_SIZE = 6
RANDOM_ACCESS_FLAG = 0x40
PCR_FLAG = 0x10


def _crc32_mpeg_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc32_mpeg_table()


def crc32_mpeg(data: bytes) -> int:
    """Return the CRC-32/MPEG-2 of `data`: polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection.

    A PSI section including its own CRC field yields 0, which is how readers check one.
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True)
class ElementaryStream:
    """One PMT entry: the PID, stream_type and ES_info descriptors of an elementary stream."""

    pid: int
    stream_type: int
    descriptors: bytes = b""


@dataclass(frozen=True)
class Program:
    """The single program of a segment: its number, PMT PID, PCR PID and streams."""

    number: int
    pmt_pid: int
    pcr_pid: int
    streams: tuple[ElementaryStream, ...]
    descriptors: bytes = b""


@dataclass(frozen=True)
class PesUnit:
    """One PES packet to mux: an access unit, a group of audio frames or an ID3 tag.

    `pcr` (90 kHz) goes into the adaptation field of the unit's first transport packet, and
    `random_access` marks a unit that starts with a keyframe.
    """

    pid: int
    stream_id: int
    payload: bytes
    pts: int
    dts: int | None = None
    pcr: int | None = None
    random_access: bool = False
    data_alignment: bool = True


def metadata_pointer_descriptor(program_number: int) -> bytes:
    """Build the program-level descriptor that announces ID3 timed metadata (tag 0x25)."""
    body = (
        b"\xff\xff"
        + ID3_FORMAT_IDENTIFIER
        + b"\xff"
        + ID3_FORMAT_IDENTIFIER
        + b"\x00"  # metadata_service_id
        + b"\x1f"  # metadata_locator_record_flag 0, MPEG_carriage_flags 0, reserved bits set
        + program_number.to_bytes(2, "big")
    )
    return bytes([METADATA_POINTER_DESCRIPTOR_TAG, len(body)]) + body


def metadata_descriptor() -> bytes:
    """Build the ES-level descriptor of an ID3 timed-metadata stream (tag 0x26)."""
    body = (
        b"\xff\xff"
        + ID3_FORMAT_IDENTIFIER
        + b"\xff"
        + ID3_FORMAT_IDENTIFIER
        + b"\x00"  # metadata_service_id
        + b"\x0f"  # decoder_config_flags 0, DSM-CC_flag 0, reserved bits set
    )
    return bytes([METADATA_DESCRIPTOR_TAG, len(body)]) + body


def _psi_section(table_id: int, table_id_extension: int, body: bytes) -> bytes:
    # section_length counts the 5 bytes after it, the body and the 4-byte CRC.
    section_length = 5 + len(body) + 4
    header = bytes(
        [
            table_id,
            0xB0 | (section_length >> 8),  # section_syntax_indicator 1, '0', reserved '11'
            section_length & 0xFF,
        ]
    )
    header += table_id_extension.to_bytes(2, "big")
    header += bytes([0xC1, 0x00, 0x00])  # version 0, current_next 1, section 0 of 0
    section = header + body
    return section + crc32_mpeg(section).to_bytes(4, "big")


def build_pat(program: Program, transport_stream_id: int = 1) -> bytes:
    """Return the PAT section that maps the program number to its PMT PID."""
    body = program.number.to_bytes(2, "big") + (0xE000 | program.pmt_pid).to_bytes(2, "big")
    return _psi_section(TABLE_ID_PAT, transport_stream_id, body)


def build_pmt(program: Program) -> bytes:
    """Return the PMT section of the program, with the descriptors of each stream."""
    body = (0xE000 | program.pcr_pid).to_bytes(2, "big")
    body += (0xF000 | len(program.descriptors)).to_bytes(2, "big") + program.descriptors
    for stream in program.streams:
        body += bytes([stream.stream_type])
        body += (0xE000 | stream.pid).to_bytes(2, "big")
        body += (0xF000 | len(stream.descriptors)).to_bytes(2, "big") + stream.descriptors
    return _psi_section(TABLE_ID_PMT, program.number, body)


def encode_timestamp(prefix: int, value: int) -> bytes:
    """Encode a 33-bit PTS or DTS in the 5-byte PES form with its 4-bit prefix and marker bits."""
    value %= TIMESTAMP_MODULUS
    return bytes(
        [
            (prefix << 4) | (((value >> 30) & 0x07) << 1) | 1,
            (value >> 22) & 0xFF,
            (((value >> 15) & 0x7F) << 1) | 1,
            (value >> 7) & 0xFF,
            ((value & 0x7F) << 1) | 1,
        ]
    )


def encode_pcr(value: int) -> bytes:
    """Encode a PCR given in 90 kHz units (the 27 MHz extension is 0) as 6 bytes."""
    base = value % TIMESTAMP_MODULUS
    return bytes(
        [
            (base >> 25) & 0xFF,
            (base >> 17) & 0xFF,
            (base >> 9) & 0xFF,
            (base >> 1) & 0xFF,
            ((base & 1) << 7) | 0x7E,  # 6 reserved bits set, extension bit 8 is 0
            0x00,
        ]
    )


def build_pes(unit: PesUnit) -> bytes:
    """Return the PES packet of a unit: header with PTS (and DTS when it differs) and payload."""
    if unit.dts is None or unit.dts == unit.pts:
        flags = 0x80
        timestamps = encode_timestamp(0b0010, unit.pts)
    else:
        flags = 0xC0
        timestamps = encode_timestamp(0b0011, unit.pts) + encode_timestamp(0b0001, unit.dts)

    header_tail = bytes([0x84 if unit.data_alignment else 0x80, flags, len(timestamps)])
    header_tail += timestamps
    packet_length = len(header_tail) + len(unit.payload)

    # PES_packet_length 0 means "unbounded", which is allowed only for video streams.
    if packet_length > 0xFFFF:
        if unit.stream_id != STREAM_ID_VIDEO:
            raise ValueError(
                f"PES payload of {len(unit.payload)} bytes on PID 0x{unit.pid:x} exceeds the "
                "65,535-byte PES packet limit of a non-video stream"
            )
        packet_length = 0
    return (
        b"\x00\x00\x01"
        + bytes([unit.stream_id])
        + packet_length.to_bytes(2, "big")
        + (header_tail + unit.payload)
    )


def _adaptation_field(size: int, flags: int, pcr: int | None) -> bytes:
    """Return an adaptation field of exactly `size` bytes, stuffed with 0xFF."""
    if size == 0:
        return b""
    if size == ADAPTATION_LENGTH_SIZE:
        return b"\x00"
    field = bytes([size - 1, flags])
    if pcr is not None:
        field += encode_pcr(pcr)
    return field + b"\xff" * (size - len(field))


def build_packet(
    pid: int,
    payload: bytes,
    continuity: int,
    unit_start: bool = False,
    pcr: int | None = None,
    random_access: bool = False,
) -> bytes:
    """Return one 188-byte transport packet; an adaptation field fills what `payload` leaves."""
    flags = 0
    if random_access:
        flags |= RANDOM_ACCESS_FLAG
    if pcr is not None:
        flags |= PCR_FLAG
    minimum = adaptation_size(pcr is not None, random_access)
    if not 1 <= len(payload) <= PAYLOAD_SIZE - minimum:
        raise ValueError(
            f"payload of {len(payload)} bytes does not fit one packet on PID 0x{pid:x} "
            f"(1 to {PAYLOAD_SIZE - minimum} bytes)"
        )

    adaptation = _adaptation_field(PAYLOAD_SIZE - len(payload), flags, pcr)
    control = 0x30 if adaptation else 0x10  # adaptation field and payload, or payload only
    header = bytes(
        [
            SYNC_BYTE,
            (0x40 if unit_start else 0x00) | (pid >> 8),
            pid & 0xFF,
            control | (continuity % CONTINUITY_MODULUS),
        ]
    )
    return header + adaptation + payload


def adaptation_size(has_pcr: bool, random_access: bool) -> int:
    """Return the smallest adaptation field that carries the given fields (0 when none)."""
    if has_pcr:
        return ADAPTATION_LENGTH_SIZE + ADAPTATION_FLAGS_SIZE + PCR_SIZE
    if random_access:
        return ADAPTATION_LENGTH_SIZE + ADAPTATION_FLAGS_SIZE
    return 0


def build_psi_packet(pid: int, section: bytes, continuity: int) -> bytes:
    """Return a packet that carries one PSI section after a zero pointer_field."""
    payload = b"\x00" + section
    if len(payload) > PAYLOAD_SIZE:
        raise ValueError(f"PSI section of {len(section)} bytes does not fit one packet")
    header = bytes(
        [SYNC_BYTE, 0x40 | (pid >> 8), pid & 0xFF, 0x10 | continuity % CONTINUITY_MODULUS]
    )
    return header + payload + b"\xff" * (PAYLOAD_SIZE - len(payload))


def minimum_packets(unit: PesUnit, pes_size: int) -> int:
    first = PAYLOAD_SIZE - adaptation_size(unit.pcr is not None, unit.random_access)
    if pes_size <= first:
        return 1
    return 1 + -(-(pes_size - first) // PAYLOAD_SIZE)


def packetize_stream(units: list[PesUnit]) -> list[list[bytes]]:
    """Packetize the units of one PID and return the transport packets of each unit.

    Continuity counters start at 0, and the packet count is raised to a multiple of 16 by
    spreading the last units over more packets. The counter therefore ends on 15 and every
    segment starts on 0, so segments stay continuous in any order a player requests them.
    """
    if not units:
        return []

    pes_packets = [build_pes(unit) for unit in units]
    counts = [minimum_packets(unit, len(pes)) for unit, pes in zip(units, pes_packets, strict=True)]

    # Each packet must carry at least 1 payload byte, so a unit takes at most len(pes) packets.
    missing = -sum(counts) % CONTINUITY_MODULUS
    for index in reversed(range(len(units))):
        extra = min(missing, len(pes_packets[index]) - counts[index])
        counts[index] += extra
        missing -= extra
    if missing:
        raise ValueError(f"PID 0x{units[0].pid:x} has too little data to pad to 16 packets")

    packets = []
    continuity = 0
    for unit, pes, count in zip(units, pes_packets, counts, strict=True):
        packets.append(_split_pes(unit, pes, count, continuity))
        continuity += count
    return packets


def _split_pes(unit: PesUnit, pes: bytes, count: int, continuity: int) -> list[bytes]:
    packets = []
    offset = 0
    for index in range(count):
        first = index == 0
        capacity = PAYLOAD_SIZE
        if first:
            capacity -= adaptation_size(unit.pcr is not None, unit.random_access)

        # Fill each packet, but leave at least one byte for each packet still to come.
        remaining_packets = count - index - 1
        size = min(capacity, len(pes) - offset - remaining_packets)
        packets.append(
            build_packet(
                unit.pid,
                pes[offset : offset + size],
                continuity + index,
                unit_start=first,
                pcr=unit.pcr if first else None,
                random_access=unit.random_access and first,
            )
        )
        offset += size
    return packets


def mux(program: Program, units: list[PesUnit], psi_continuity: int) -> bytes:
    """Return a segment: PAT, PMT, then the units' packets in the order of `units`.

    `psi_continuity` is the continuity counter of the PAT and PMT packets. A segment has one PAT
    and one PMT, so passing its sequence number modulo 16 keeps them continuous.
    """
    by_pid: dict[int, list[PesUnit]] = {}
    for unit in units:
        by_pid.setdefault(unit.pid, []).append(unit)
    packets_by_pid = {pid: iter(packetize_stream(group)) for pid, group in by_pid.items()}

    output = [
        build_psi_packet(PAT_PID, build_pat(program), psi_continuity),
        build_psi_packet(program.pmt_pid, build_pmt(program), psi_continuity),
    ]
    for unit in units:
        output.extend(next(packets_by_pid[unit.pid]))
    return b"".join(output)
