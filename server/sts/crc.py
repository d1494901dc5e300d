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


def _swap(crc: int) -> int:
    return ((crc & 0xFF) << 8) | (crc >> 8)


def token_crc_bytewise(value50: int) -> int:
    """The CRC field of a token: CRC-16/MODBUS of the 50-bit class|subclass|payload value.

    The value is fed as 7 bytes, most significant first, and the result is byte-swapped.
    """
    return _swap(crc16_modbus(value50.to_bytes(7, "big")))


# A CRC over a fixed-length message is affine over GF(2): crc(a ^ b) = crc(a) ^ crc(b) ^ crc(0).
# So the CRC of the 50-bit value is crc(0) xor one table entry per 13-bit slice of it (byte
# swap included): 4 lookups instead of a 7-step loop, on the hot path of every token.
_SLICE_BITS = 13
_SLICE_MASK = (1 << _SLICE_BITS) - 1
_CRC_OF_ZERO = token_crc_bytewise(0)
_SLICES = tuple(
    tuple(token_crc_bytewise(v << shift) ^ _CRC_OF_ZERO for v in range(1 << _SLICE_BITS))
    for shift in (0, 13, 26, 39)
)


def token_crc(value50: int) -> int:
    """Same result as ``token_crc_bytewise``, from four table lookups."""
    t0, t1, t2, t3 = _SLICES
    return (
        _CRC_OF_ZERO
        ^ t0[value50 & _SLICE_MASK]
        ^ t1[value50 >> 13 & _SLICE_MASK]
        ^ t2[value50 >> 26 & _SLICE_MASK]
        ^ t3[value50 >> 39 & _SLICE_MASK]
    )
