"""MPEG-TS and ID3 writing of the IVS emulator, checked against its independent reader."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local.ivs_emulator import id3, ts
from local.ivs_emulator.check import SegmentCheckError, decode_id3_payload
from local.ivs_emulator.tsreader import decode_pcr, decode_timestamp, parse_pes, parse_segment

PROGRAM = ts.Program(
    number=1,
    pmt_pid=0x1000,
    pcr_pid=0x100,
    streams=(
        ts.ElementaryStream(0x100, ts.STREAM_TYPE_H264),
        ts.ElementaryStream(0x102, ts.STREAM_TYPE_METADATA_PES, ts.metadata_descriptor()),
    ),
    descriptors=ts.metadata_pointer_descriptor(1),
)


def test_crc32_mpeg_check_value():
    # The catalogued check value of CRC-32/MPEG-2 for the ASCII digits 1 to 9.
    assert ts.crc32_mpeg(b"123456789") == 0x0376E6E7


def test_psi_sections_carry_valid_crc():
    assert ts.crc32_mpeg(ts.build_pat(PROGRAM)) == 0
    assert ts.crc32_mpeg(ts.build_pmt(PROGRAM)) == 0


def test_id3_descriptors_bytes():
    assert ts.metadata_pointer_descriptor(1).hex() == "250fffff49443320ff49443320001f0001"
    assert ts.metadata_descriptor().hex() == "260dffff49443320ff49443320000f"


@given(st.integers(min_value=0, max_value=(1 << 33) - 1))
def test_timestamp_round_trip(value):
    assert decode_timestamp(ts.encode_timestamp(0b0010, value)) == value


@given(st.integers(min_value=0, max_value=(1 << 33) - 1))
def test_pcr_round_trip(value):
    assert decode_pcr(ts.encode_pcr(value)) == value


def test_timestamp_wraps_at_33_bits():
    assert decode_timestamp(ts.encode_timestamp(0b0010, (1 << 33) + 5)) == 5


# A value that ends in NUL cannot round-trip: ID3v2.4 lets a NUL terminate the value, so the
# parser drops one. PutMetadata payloads here are JSON, which never ends in NUL.
@given(st.text(min_size=1, max_size=400).filter(lambda text: not text.endswith("\x00")))
def test_txxx_tag_round_trip(value):
    tag = id3.build_txxx_tag(value)

    assert id3.parse_txxx_values(tag) == [("", value)]


def test_txxx_tag_layout():
    tag = id3.build_txxx_tag("hi")

    assert tag == b"ID3\x04\x00\x00\x00\x00\x00\x0eTXXX\x00\x00\x00\x04\x00\x00\x03\x00hi"


def test_syncsafe_sizes_have_no_high_bit():
    encoded = id3.encode_syncsafe(1034)

    assert all(byte < 0x80 for byte in encoded)
    assert id3.decode_syncsafe(encoded) == 1034


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (id3.build_txxx_tag("payload")[5:], "not b'ID3'"),
        (b"ID3\x03\x00" + id3.build_txxx_tag("payload")[5:], "expected 2.4.0"),
        (id3.build_txxx_tag("payload")[:-3], "only"),
        (id3.build_txxx_tag("payload").replace(b"\x03\x00pay", b"\x01\x00pay"), "encoding"),
        (id3.build_txxx_tag("p", description="label"), "description"),
    ],
    ids=["ffmpeg-5-byte-drop", "version", "truncated", "encoding", "description"],
)
def test_bad_id3_payload_rejected(tag, message):
    with pytest.raises(SegmentCheckError, match=message):
        decode_id3_payload(tag)


def test_pes_round_trip_with_pts():
    unit = ts.PesUnit(0x102, ts.STREAM_ID_PRIVATE_1, b"ID3 payload", pts=123_456)

    packet = parse_pes(0x102, ts.build_pes(unit))

    assert packet.stream_id == 0xBD
    assert packet.pts == 123_456
    assert packet.dts is None
    assert packet.data_alignment
    assert packet.payload == b"ID3 payload"


@pytest.mark.parametrize("size", [1, 150, 184, 1000, 5000])
def test_packetized_stream_ends_on_counter_15(size):
    units = [
        ts.PesUnit(0x100, ts.STREAM_ID_VIDEO, bytes(size), pts=9000, pcr=0, random_access=True),
        ts.PesUnit(0x100, ts.STREAM_ID_VIDEO, bytes(size), pts=12600, pcr=3600),
    ]

    packets = [packet for unit in ts.packetize_stream(units) for packet in unit]

    assert len(packets) % 16 == 0
    assert packets[0][3] & 0x0F == 0
    assert packets[-1][3] & 0x0F == 15
    assert all(len(packet) == 188 for packet in packets)


def test_mux_round_trip():
    tag = id3.build_txxx_tag("x" * 1024)
    units = [
        ts.PesUnit(0x102, ts.STREAM_ID_PRIVATE_1, tag, pts=90_000),
        ts.PesUnit(
            0x100, ts.STREAM_ID_VIDEO, b"\x00\x00\x00\x01\x09\xf0" + bytes(700), 90_000, pcr=0
        ),
    ]

    parsed = parse_segment(ts.mux(PROGRAM, units, psi_continuity=3))

    assert parsed.pmt_pid == 0x1000
    assert parsed.pcr_pid == 0x100
    assert parsed.program_descriptors == ts.metadata_pointer_descriptor(1)
    assert parsed.streams[0x102].descriptors == ts.metadata_descriptor()
    assert parsed.continuity[0] == (3, 3)
    assert parsed.pcrs == [0]
    assert decode_id3_payload(parsed.pes[0x102][0].payload) == "x" * 1024
    assert parsed.pes[0x100][0].payload == units[1].payload


def test_oversized_audio_pes_rejected():
    unit = ts.PesUnit(0x101, ts.STREAM_ID_AUDIO, bytes(70_000), pts=0)

    with pytest.raises(ValueError, match="65,535"):
        ts.build_pes(unit)
