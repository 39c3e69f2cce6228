"""The compression truth machine: hand-made streams for every command and form, corrupt streams,
round trips (hypothesis) and the optimal compressor against a brute-force shortest stream."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triforce.compress import CorruptStream, check_stream, compress, decompress, encode_header, parse_stream
from triforce.compress.explain import format_table, parse_table, table_problems
from triforce.compress.matches import longest_previous, suffix_array
from triforce.compress.synth import random_stream
from triforce.errors import InputError

# (stream, expected output) worked out by hand from the header rules.
VECTORS = [
    ("03 01 02 03 04 FF", "01 02 03 04"),  # 000 00011: literal, 4 bytes
    ("22 AA FF", "AA AA AA"),  # 001 00010: byte fill x3
    ("44 11 22 FF", "11 22 11 22 11"),  # 010 00100: word fill x5, odd length ends on the first byte
    ("41 11 22 FF", "11 22"),  # word fill x2
    ("40 11 22 FF", "11"),  # word fill x1: the second byte is read but not written
    ("63 FE FF", "FE FF 00 01"),  # 011 00011: increasing fill wraps at 8 bits
    ("00 41 82 00 00 FF", "41 41 41 41"),  # copy x3 from position 0 overlaps itself: a run
    ("01 41 42 83 00 00 FF", "41 42 41 42 41 42"),  # overlap with a period of 2
    ("E4 20 77 FF", " ".join(["77"] * 33)),  # 111 001 00 + $20: long byte fill, 33 bytes
    ("E0 00 5A FF", "5A"),  # long form for a length of 1 is legal
    ("03 41 42 43 44 81 01 00 FF", "41 42 43 44 42 43"),  # copy x2 from position 1 (little-endian)
    ("03 41 42 43 44 A1 01 00 FF", "41 42 43 44 42 43"),  # command 5 copies in the game
    ("03 41 42 43 44 C1 02 00 FF", "41 42 43 44 43 44"),  # command 6 copies
    ("03 41 42 43 44 FC 01 00 00 FF", "41 42 43 44 41 42"),  # long command 7 (111 111 00) copies
    ("FF", ""),
]


def _b(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(("stream", "expected"), VECTORS)
def test_hand_vectors(stream: str, expected: str) -> None:
    s = parse_stream(_b(stream))
    assert s.output == _b(expected)
    assert s.end == len(_b(stream))


def test_long_fill_of_1024_and_the_copy_byte_order() -> None:
    assert decompress(_b("E7 FF 00 FF")) == bytes(1024)  # 111 001 11 + $FF: (3 << 8 | $FF) + 1
    stream = _b("03 41 42 43 44 81 00 01 FF")
    assert decompress(stream, "bank02") == _b("41 42 43 44 42 43")  # big-endian $0001
    with pytest.raises(CorruptStream) as err:
        decompress(stream, "gfx")  # little-endian: position $0100, not written yet
    assert err.value.code == "copy-unwritten" and err.value.offset == 5


def test_headers() -> None:
    assert encode_header(0, 4) == b"\x03"
    assert encode_header(1, 33) == _b("E4 20")
    assert encode_header(4, 1024) == _b("F3 FF")
    assert encode_header(2, 5, long=True) == _b("E8 04")
    assert encode_header(7, 2) == _b("FC 01")  # command 7 only has the long form
    with pytest.raises(InputError, match="would be \\$FF"):
        encode_header(7, 769)
    with pytest.raises(InputError):
        encode_header(0, 0)
    with pytest.raises(InputError):
        encode_header(0, 1025)


@pytest.mark.parametrize(
    ("stream", "code", "offset"),
    [
        ("", "truncated", 0),  # no end marker
        ("03 01 02", "truncated", 0),  # a literal of 4 with 2 bytes left
        ("22 AA", "truncated", 2),  # ends after a command, without $FF
        ("E4", "truncated", 0),  # half a long header
        ("44 11", "truncated", 0),  # a word fill with one byte
        ("80 00 00 FF", "copy-unwritten", 0),  # copy before anything is written
        ("00 41 82 01 00 FF", "copy-unwritten", 2),  # from position 1 when only 1 byte exists
    ],
)
def test_corrupt_streams_name_reason_and_offset(stream: str, code: str, offset: int) -> None:
    with pytest.raises(CorruptStream) as err:
        parse_stream(_b(stream))
    assert err.value.code == code and err.value.offset == offset
    assert f"offset {offset}" in str(err.value)


def test_output_limit_and_prior_memory() -> None:
    with pytest.raises(CorruptStream) as err:
        decompress(_b("22 AA 22 BB FF"), limit=5)
    assert err.value.code == "output-limit" and err.value.offset == 2
    prior = bytes(range(256)) * 256
    # copy 4 from $0010 with nothing written: the game reads the buffer's old bytes
    assert decompress(_b("83 10 00 FF"), prior=prior) == _b("10 11 12 13")
    # from the last written byte on into unwritten memory: the run repeats what was just written
    assert decompress(_b("00 AA 82 00 00 FF"), prior=prior) == _b("AA AA AA AA")


def test_trailing_bytes_and_odd_commands_fail_the_strict_check() -> None:
    data = _b("41 42 43 44 42 43")
    assert check_stream(_b("03 41 42 43 44 81 01 00 FF"), data) == []
    assert "follow the $FF" in check_stream(_b("03 41 42 43 44 81 01 00 FF 00"), data)[0]
    assert "use 4 for copies" in check_stream(_b("03 41 42 43 44 A1 01 00 FF"), data)[0]
    assert "output byte 4" in check_stream(_b("03 41 42 43 44 81 02 00 FF"), data)[0]


def test_never_reads_past_the_input_on_random_garbage() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        junk = rng.randbytes(rng.randrange(0, 40))
        try:
            s = parse_stream(junk, rng.choice(("gfx", "bank02")))
        except CorruptStream:
            continue
        assert s.end <= len(junk)


def _brute_force_size(data: bytes) -> int:
    """The shortest stream, by trying every command, length and copy position (small inputs)."""
    n = len(data)
    best = [1 << 30] * (n + 1)
    best[0] = 0
    for j in range(n):
        for length in range(1, min(1024, n - j) + 1):
            seg = data[j : j + length]
            arg = length  # a literal
            if all(b == seg[0] for b in seg):
                arg = min(arg, 1)
            if all((seg[0] + k) & 0xFF == b for k, b in enumerate(seg)):
                arg = min(arg, 1)
            if all(seg[k & 1] == b for k, b in enumerate(seg)):
                arg = min(arg, 2)
            if any(data[s : s + length] == seg for s in range(j)):
                arg = min(arg, 2)
            cost = best[j] + (1 if length <= 32 else 2) + arg
            best[j + length] = min(best[j + length], cost)
    return best[n] + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 3, 0xFF]), max_size=45).map(bytes))
def test_optimal_is_the_shortest_stream(data: bytes) -> None:
    stream = compress(data)
    assert decompress(stream) == data
    assert len(stream) == _brute_force_size(data)


def test_optimal_crosses_the_long_header_bounds() -> None:
    for data in (bytes(33), bytes(1025), bytes(range(256)) * 5, b"\x12\x34" * 600, bytes(range(40))):
        stream = compress(data)
        assert decompress(stream) == data
        assert len(stream) <= len(compress(data, mode="greedy"))
    assert len(compress(bytes(1024))) == 4  # one long byte fill + $FF
    assert compress(b"") == b"\xff"


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(st.sampled_from([0, 1, 0x80, 0xFF]), max_size=600).map(bytes),
    ),
    st.sampled_from(["gfx", "bank02"]),
    st.sampled_from(["optimal", "greedy"]),
)
def test_round_trip(data: bytes, variant: str, mode: str) -> None:
    stream = compress(data, variant, mode)  # type: ignore[arg-type]
    assert check_stream(stream, data, variant) == []  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["gfx", "bank02"]))
def test_explain_table_round_trip(seed: int, variant: str) -> None:
    stream = random_stream(random.Random(seed), variant, max_output=600)  # type: ignore[arg-type]
    walked = parse_stream(stream, variant)  # type: ignore[arg-type]
    table = format_table(walked)
    rows, end = parse_table(table)
    assert len(rows) == len(walked.commands) and end == walked.end - 1
    assert table_problems(table, walked) == []
    if rows:  # a wrong length in one row is caught
        broken = table.splitlines()
        broken[1] = broken[1].replace(f" {rows[0].length} ", f" {rows[0].length + 1} ", 1)
        assert table_problems("\n".join(broken), walked)


def test_longest_previous_match() -> None:
    data = b"abcabcabcx"
    assert sorted(suffix_array(data)) == list(range(len(data)))
    length, source = longest_previous(data)
    assert length[3] == 6 and source[3] == 0  # overlap: "abcabc" from position 0
    assert length[0] == 0 and source[0] == -1
    assert length[9] == 0
