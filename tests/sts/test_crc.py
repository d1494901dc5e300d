"""The four-lookup token CRC equals CRC-16/MODBUS fed byte by byte, and the published checks."""

from hypothesis import given
from hypothesis import strategies as st

from server.sts.crc import crc16_modbus, token_crc, token_crc_bytewise


def test_modbus_check_value():
    # The catalogue check for CRC-16/MODBUS: "123456789" -> 0x4B37.
    assert crc16_modbus(b"123456789") == 0x4B37


def test_published_token_crcs():
    for value, crc in ((0x000B19EB230100, 0xC207), (0x00004A2D900FF2, 0x0FFA)):
        assert token_crc(value) == token_crc_bytewise(value) == crc


@given(st.integers(0, (1 << 50) - 1))
def test_sliced_crc_equals_bytewise(value):
    assert token_crc(value) == token_crc_bytewise(value)
