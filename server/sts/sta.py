"""EA07, the Standard Transfer Algorithm: a 64-bit block cipher with a 64-bit decoder key.

Each of the 16 rounds substitutes every nibble through S1 or S2 (chosen by a key bit),
permutes the 64 bits, and rotates the key. Done bit by bit that manages a few thousand
blocks a second in Python; here the substitution and the permutation of each byte are folded
into one 256-entry table per (byte position, S-box choice for its two nibbles), so a round
is 8 lookups. A key's round tables are chosen once, in ``Sta(key)``.
"""

from __future__ import annotations

from server.sts.errors import StsError

S1 = (14, 10, 7, 9, 12, 3, 2, 5, 13, 0, 15, 1, 4, 8, 6, 11)
S2 = (12, 8, 2, 13, 7, 6, 1, 3, 11, 5, 9, 15, 0, 4, 10, 14)
P = (
    55,
    42,
    10,
    18,
    24,
    21,
    44,
    35,
    2,
    22,
    56,
    43,
    27,
    58,
    9,
    50,
    6,
    36,
    12,
    61,
    37,
    38,
    53,
    16,
    62,
    3,
    7,
    4,
    32,
    20,
    63,
    25,
    51,
    52,
    54,
    33,
    49,
    19,
    46,
    29,
    48,
    31,
    23,
    30,
    41,
    28,
    13,
    5,
    40,
    60,
    39,
    11,
    15,
    17,
    1,
    0,
    57,
    34,
    59,
    8,
    47,
    14,
    45,
    26,
)

ROUNDS = 16
_MASK64 = (1 << 64) - 1
_S1_INV = tuple(S1.index(n) for n in range(16))
_S2_INV = tuple(S2.index(n) for n in range(16))


def _byte_substitutions(low: tuple[int, ...], high: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """For each 2-bit choice (bit 0: low nibble, bit 1: high nibble; 1 = second box)."""
    return tuple(
        tuple(
            ((high if choice & 2 else low)[b >> 4] << 4) | (high if choice & 1 else low)[b & 15]
            for b in range(256)
        )
        for choice in range(4)
    )


def _permute_byte_tables(perm: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """tables[j][b]: where the bits of byte value b at byte position j land under ``perm``."""
    tables = []
    for j in range(8):
        row = []
        for b in range(256):
            out = 0
            for k in range(8):
                if b >> k & 1:
                    out |= 1 << perm[8 * j + k]
            row.append(out)
        tables.append(tuple(row))
    return tuple(tables)


_SUB = _byte_substitutions(S1, S2)
_SUB_INV = _byte_substitutions(_S1_INV, _S2_INV)
_PERM = _permute_byte_tables(P)
_P_INV = tuple(P.index(i) for i in range(64))
_PERM_INV = _permute_byte_tables(_P_INV)
# Substitute-then-permute for byte j under each S-box choice: one lookup per byte per round.
_SUB_PERM = tuple(
    tuple(tuple(_PERM[j][_SUB[choice][b]] for b in range(256)) for choice in range(4))
    for j in range(8)
)
# Inverse substitution placed back at byte j, for decryption.
_SUB_INV_AT = tuple(
    tuple(tuple(_SUB_INV[choice][b] << (8 * j) for b in range(256)) for choice in range(4))
    for j in range(8)
)


def _rotl(value: int, n: int) -> int:
    n %= 64
    return ((value << n) | (value >> (64 - n))) & _MASK64


def round_choices(key: int) -> list[tuple[int, ...]]:
    """For each round, the S-box choice of each byte: bit 4n+3 of the round key picks nibble n.

    The round key starts as the complemented key rotated right by 12 and rotates left by one
    each round.
    """
    round_key = _rotl(~key & _MASK64, 64 - 12)
    rounds = []
    for _ in range(ROUNDS):
        rounds.append(
            tuple(
                (round_key >> (8 * j + 3) & 1) | (round_key >> (8 * j + 7) & 1) << 1
                for j in range(8)
            )
        )
        round_key = _rotl(round_key, 1)
    return rounds


class Sta:
    """EA07 under one decoder key, with its round tables chosen once."""

    __slots__ = ("_decrypt_rounds", "_encrypt_rounds")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != 8:
            raise StsError("EA07 needs a 64-bit (8-byte, 16 hex digit) decoder key", "key")
        choices = round_choices(int.from_bytes(key, "big"))
        self._encrypt_rounds = tuple(
            tuple(_SUB_PERM[j][c] for j, c in enumerate(chosen)) for chosen in choices
        )
        self._decrypt_rounds = tuple(
            tuple(_SUB_INV_AT[j][c] for j, c in enumerate(chosen)) for chosen in reversed(choices)
        )

    def encrypt(self, block: int) -> int:
        """Encrypt one 64-bit block."""
        x = block
        for t0, t1, t2, t3, t4, t5, t6, t7 in self._encrypt_rounds:
            x = (
                t0[x & 255]
                | t1[x >> 8 & 255]
                | t2[x >> 16 & 255]
                | t3[x >> 24 & 255]
                | t4[x >> 32 & 255]
                | t5[x >> 40 & 255]
                | t6[x >> 48 & 255]
                | t7[x >> 56]
            )
        return x

    def decrypt(self, block: int) -> int:
        """Decrypt one 64-bit block: inverse permutation, then inverse substitution, per round."""
        p0, p1, p2, p3, p4, p5, p6, p7 = _PERM_INV
        x = block
        for t0, t1, t2, t3, t4, t5, t6, t7 in self._decrypt_rounds:
            x = (
                p0[x & 255]
                | p1[x >> 8 & 255]
                | p2[x >> 16 & 255]
                | p3[x >> 24 & 255]
                | p4[x >> 32 & 255]
                | p5[x >> 40 & 255]
                | p6[x >> 48 & 255]
                | p7[x >> 56]
            )
            x = (
                t0[x & 255]
                | t1[x >> 8 & 255]
                | t2[x >> 16 & 255]
                | t3[x >> 24 & 255]
                | t4[x >> 32 & 255]
                | t5[x >> 40 & 255]
                | t6[x >> 48 & 255]
                | t7[x >> 56]
            )
        return x
