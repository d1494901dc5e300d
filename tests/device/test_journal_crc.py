"""The journal's CRC-32 (computed in 16-bit halves for MicroPython) equals zlib's."""

import zlib

import journal as frame  # the journal package module: record framing
from hypothesis import given
from hypothesis import strategies as st


@given(st.binary(max_size=2000), st.binary(max_size=300))
def test_checksum_matches_zlib_crc32_also_when_continued(first, second):
    hi, lo = frame.checksum(second, frame.checksum(first))
    assert (hi << 16) | lo == zlib.crc32(first + second)


@given(st.integers(0, 255), st.binary(max_size=frame.MAX_BODY))
def test_records_carry_the_zlib_crc_of_header_and_body(kind, body):
    record = frame.encode(kind, body)
    assert int.from_bytes(record[-4:], "little") == zlib.crc32(record[:-4])
