"""CRC-16 as STS uses it: the MODBUS variant, byte-swapped into the token's CRC field."""

from __future__ import annotations


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def token_crc(value50: int) -> int:
    """The CRC field of a token: CRC-16/MODBUS of the 50-bit class|subclass|payload value.

    The value is fed as 7 bytes, most significant first, and the result is byte-swapped.
    """
    table = _TABLE
    crc = 0xFFFF
    for shift in (48, 40, 32, 24, 16, 8, 0):
        crc = (crc >> 8) ^ table[(crc ^ (value50 >> shift)) & 0xFF]
    return ((crc & 0xFF) << 8) | (crc >> 8)
