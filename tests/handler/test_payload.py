import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handler.payload import (
    MAX_COUNT,
    MAX_PAYLOAD_BYTES,
    MAX_WINDOW_MINUTES,
    build_payload,
    window_minutes,
)

MINUTE = 1_764_860_400


def test_payload_matches_documented_example():
    text = build_payload(MINUTE, [12, 15, None, 18, 20])

    assert text == (
        '{"type":"viewerCount","version":1,"time":1764860400,"interval":60,'
        '"counts":[12,15,null,18,20]}'
    )


def test_window_minutes_oldest_first():
    minutes = window_minutes(MINUTE, 3)

    assert minutes == [MINUTE - 120, MINUTE - 60, MINUTE]


def test_payload_clamps_huge_count():
    document = json.loads(build_payload(MINUTE, [10**30]))

    assert document["counts"] == [MAX_COUNT]


def test_payload_clamps_negative_count():
    document = json.loads(build_payload(MINUTE, [-5]))

    assert document["counts"] == [0]


def test_payload_too_long_window_rejected():
    with pytest.raises(ValueError, match="1024-byte"):
        build_payload(MINUTE, [MAX_COUNT] * 200)


counts_strategy = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**70))


@given(
    window=st.integers(min_value=1, max_value=MAX_WINDOW_MINUTES),
    counts=st.lists(counts_strategy, min_size=MAX_WINDOW_MINUTES, max_size=MAX_WINDOW_MINUTES),
    minute=st.integers(min_value=0, max_value=2**33).map(lambda value: value * 60),
)
def test_payload_fits_limit_for_any_counts(window, counts, minute):
    text = build_payload(minute, counts[:window])
    document = json.loads(text)

    assert len(text.encode("utf-8")) <= MAX_PAYLOAD_BYTES
    assert len(document["counts"]) == window
    assert all(count is None or 0 <= count <= MAX_COUNT for count in document["counts"])


def test_payload_worst_case_size():
    text = build_payload(MINUTE * 10, [MAX_COUNT] * MAX_WINDOW_MINUTES)

    assert len(text.encode("utf-8")) <= MAX_PAYLOAD_BYTES
