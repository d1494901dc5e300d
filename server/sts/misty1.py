"""EA11: the MISTY1 block cipher (RFC 2994), 8 rounds, 128-bit key, 64-bit block.

The cipher works on four 16-bit words (the block's big-endian halves of halves) so that
FL and FO never shift or mask 32-bit values. FI, the 16-bit S-box layer, is split into a
key-independent first half and second half, each a 65536-entry lookup table built once
at import, so one FI call costs two lookups and an XOR with the subkey.
"""

# S-boxes as printed in RFC 2994 (S7: 7-bit, S9: 9-bit permutations).
# fmt: off
_S7 = (
     27,  50,  51,  90,  59,  16,  23,  84,  91,  26, 114, 115, 107,  44, 102,  73,
     31,  36,  19, 108,  55,  46,  63,  74,  93,  15,  64,  86,  37,  81,  28,   4,
     11,  70,  32,  13, 123,  53,  68,  66,  43,  30,  65,  20,  75, 121,  21, 111,
     14,  85,   9,  54, 116,  12, 103,  83,  40,  10, 126,  56,   2,   7,  96,  41,
     25,  18, 101,  47,  48,  57,   8, 104,  95, 120,  42,  76, 100,  69, 117,  61,
     89,  72,   3,  87, 124,  79,  98,  60,  29,  33,  94,  39, 106, 112,  77,  58,
      1, 109, 110,  99,  24, 119,  35,   5,  38, 118,   0,  49,  45, 122, 127,  97,
     80,  34,  17,   6,  71,  22,  82,  78, 113,  62, 105,  67,  52,  92,  88, 125,
)

_S9 = (
    451, 203, 339, 415, 483, 233, 251,  53, 385, 185, 279, 491, 307,   9,  45, 211,
    199, 330,  55, 126, 235, 356, 403, 472, 163, 286,  85,  44,  29, 418, 355, 280,
    331, 338, 466,  15,  43,  48, 314, 229, 273, 312, 398,  99, 227, 200, 500,  27,
      1, 157, 248, 416, 365, 499,  28, 326, 125, 209, 130, 490, 387, 301, 244, 414,
    467, 221, 482, 296, 480, 236,  89, 145,  17, 303,  38, 220, 176, 396, 271, 503,
    231, 364, 182, 249, 216, 337, 257, 332, 259, 184, 340, 299, 430,  23, 113,  12,
     71,  88, 127, 420, 308, 297, 132, 349, 413, 434, 419,  72, 124,  81, 458,  35,
    317, 423, 357,  59,  66, 218, 402, 206, 193, 107, 159, 497, 300, 388, 250, 406,
    481, 361, 381,  49, 384, 266, 148, 474, 390, 318, 284,  96, 373, 463, 103, 281,
    101, 104, 153, 336,   8,   7, 380, 183,  36,  25, 222, 295, 219, 228, 425,  82,
    265, 144, 412, 449,  40, 435, 309, 362, 374, 223, 485, 392, 197, 366, 478, 433,
    195, 479,  54, 238, 494, 240, 147,  73, 154, 438, 105, 129, 293,  11,  94, 180,
    329, 455, 372,  62, 315, 439, 142, 454, 174,  16, 149, 495,  78, 242, 509, 133,
    253, 246, 160, 367, 131, 138, 342, 155, 316, 263, 359, 152, 464, 489,   3, 510,
    189, 290, 137, 210, 399,  18,  51, 106, 322, 237, 368, 283, 226, 335, 344, 305,
    327,  93, 275, 461, 121, 353, 421, 377, 158, 436, 204,  34, 306,  26, 232,   4,
    391, 493, 407,  57, 447, 471,  39, 395, 198, 156, 208, 334, 108,  52, 498, 110,
    202,  37, 186, 401, 254,  19, 262,  47, 429, 370, 475, 192, 267, 470, 245, 492,
    269, 118, 276, 427, 117, 268, 484, 345,  84, 287,  75, 196, 446, 247,  41, 164,
     14, 496, 119,  77, 378, 134, 139, 179, 369, 191, 270, 260, 151, 347, 352, 360,
    215, 187, 102, 462, 252, 146, 453, 111,  22,  74, 161, 313, 175, 241, 400,  10,
    426, 323, 379,  86, 397, 358, 212, 507, 333, 404, 410, 135, 504, 291, 167, 440,
    321,  60, 505, 320,  42, 341, 282, 417, 408, 213, 294, 431,  97, 302, 343, 476,
    114, 394, 170, 150, 277, 239,  69, 123, 141, 325,  83,  95, 376, 178,  46,  32,
    469,  63, 457, 487, 428,  68,  56,  20, 177, 363, 171, 181,  90, 386, 456, 468,
     24, 375, 100, 207, 109, 256, 409, 304, 346,   5, 288, 443, 445, 224,  79, 214,
    319, 452, 298,  21,   6, 255, 411, 166,  67, 136,  80, 351, 488, 289, 115, 382,
    188, 194, 201, 371, 393, 501, 116, 460, 486, 424, 405,  31,  65,  13, 442,  50,
     61, 465, 128, 168,  87, 441, 354, 328, 217, 261,  98, 122,  33, 511, 274, 264,
    448, 169, 285, 432, 422, 205, 243,  92, 258,  91, 473, 324, 502, 173, 165,  58,
    459, 310, 383,  70, 225,  30, 477, 230, 311, 506, 389, 140, 143,  64, 437, 190,
    120,   0, 172, 272, 350, 292,   2, 444, 162, 234, 112, 508, 278, 348,  76, 450,
)
# fmt: on

_KEY_BYTES = 16
_BLOCK_LIMIT = 1 << 64


def _fi_first_half_table() -> tuple[int, ...]:
    """FI up to (not including) the subkey XOR, packed as d7 << 9 | d9."""
    table = []
    for x in range(1 << 16):
        d9 = _S9[x >> 7] ^ (x & 0x7F)
        d7 = _S7[x & 0x7F] ^ (d9 & 0x7F)
        table.append(d7 << 9 | d9)
    return tuple(table)


def _fi_second_half_table() -> tuple[int, ...]:
    """FI after the subkey XOR: input and output both packed as d7 << 9 | d9."""
    # The subkey XOR is d7 ^= key >> 9, d9 ^= key & 0x1ff, which on the packed value is
    # simply packed ^ key; that is why FI(x, key) == _FI_OUT[_FI_IN[x] ^ key].
    return tuple((y & 0xFE00) | (_S9[y & 0x1FF] ^ (y >> 9)) for y in range(1 << 16))


_FI_IN = _fi_first_half_table()
_FI_OUT = _fi_second_half_table()


def _fi(x: int, key: int) -> int:
    """The FI function of RFC 2994 on a 16-bit input and 16-bit subkey."""
    return _FI_OUT[_FI_IN[x] ^ key]


class Misty1:
    """MISTY1 with one 128-bit key expanded once; blocks are 64-bit ints (big-endian byte order).

    The block int is the 8 cipher bytes read big-endian, so RFC 2994's vector reads
    ``Misty1(bytes.fromhex("00112233445566778899aabbccddeeff")).encrypt(0x0123456789abcdef)
    == 0x8b1da5f56ab3d07c``.
    """

    __slots__ = ("_dec_first_fl", "_dec_rounds", "_enc_last_fl", "_enc_rounds")

    def __init__(self, key: bytes) -> None:
        """Expand ``key`` (exactly 16 bytes) into the per-round subkeys."""
        if not isinstance(key, bytes | bytearray | memoryview):
            raise TypeError(f"MISTY1 key must be bytes, got {type(key).__name__}")
        if len(key) != _KEY_BYTES:
            raise ValueError(
                f"MISTY1 key must be exactly {_KEY_BYTES} bytes (128 bits), got {len(key)}"
            )
        ek = [key[2 * i] << 8 | key[2 * i + 1] for i in range(8)]
        # RFC 2994 EK[8..15]: the second key half, each word mixed with its neighbour by FI.
        ek2 = [_fi(ek[i], ek[(i + 1) % 8]) for i in range(8)]

        def fl_keys(k: int) -> tuple[int, int]:
            """(AND subkey, OR subkey) of FL/FLINV number k."""
            m = k // 2
            if k % 2 == 0:
                return ek[m], ek2[(m + 6) % 8]
            return ek2[(m + 2) % 8], ek[(m + 4) % 8]

        def fo_keys(k: int) -> tuple[int, ...]:
            """(KO1, KI1, KO2, KI2, KO3, KI3, KO4) of FO number k."""
            return (
                ek[k],
                ek2[(k + 5) % 8],
                ek[(k + 2) % 8],
                ek2[(k + 1) % 8],
                ek[(k + 7) % 8],
                ek2[(k + 3) % 8],
                ek[(k + 4) % 8],
            )

        # Each round pair j runs FL 2j on D0, FL 2j+1 on D1, then FO 2j and FO 2j+1; storing
        # them flat lets encrypt() unpack one tuple per pair instead of indexing per use.
        self._enc_rounds = tuple(
            (*fl_keys(2 * j), *fl_keys(2 * j + 1), *fo_keys(2 * j), *fo_keys(2 * j + 1))
            for j in range(4)
        )
        self._enc_last_fl = (*fl_keys(8), *fl_keys(9))
        # Decryption undoes the pairs in reverse; the key tuples are the same.
        self._dec_rounds = self._enc_rounds[::-1]
        self._dec_first_fl = self._enc_last_fl

    def encrypt(self, block: int) -> int:
        """Encrypt one 64-bit block (0 <= block < 2**64) and return the ciphertext block."""
        if not 0 <= block < _BLOCK_LIMIT:
            raise ValueError(f"MISTY1 block must be a 64-bit value 0 <= block < 2**64, got {block}")
        fi_in = _FI_IN
        fi_out = _FI_OUT
        # D0 = (a, b) and D1 = (c, d), each the high and low 16 bits of a 32-bit half.
        a = block >> 48
        b = (block >> 32) & 0xFFFF
        c = (block >> 16) & 0xFFFF
        d = block & 0xFFFF
        for (
            and0,
            or0,
            and1,
            or1,
            ko1,
            ki1,
            ko2,
            ki2,
            ko3,
            ki3,
            ko4,
            lo1,
            li1,
            lo2,
            li2,
            lo3,
            li3,
            lo4,
        ) in self._enc_rounds:
            # FL on D0 and on D1.
            b ^= a & and0
            a ^= b | or0
            d ^= c & and1
            c ^= d | or1
            # D1 ^= FO(D0).
            t0 = fi_out[fi_in[a ^ ko1] ^ ki1] ^ b
            t1 = fi_out[fi_in[b ^ ko2] ^ ki2] ^ t0
            t0 = fi_out[fi_in[t0 ^ ko3] ^ ki3] ^ t1
            c ^= t1 ^ ko4
            d ^= t0
            # D0 ^= FO(D1).
            t0 = fi_out[fi_in[c ^ lo1] ^ li1] ^ d
            t1 = fi_out[fi_in[d ^ lo2] ^ li2] ^ t0
            t0 = fi_out[fi_in[t0 ^ lo3] ^ li3] ^ t1
            a ^= t1 ^ lo4
            b ^= t0
        and0, or0, and1, or1 = self._enc_last_fl
        b ^= a & and0
        a ^= b | or0
        d ^= c & and1
        c ^= d | or1
        # The ciphertext is D1 || D0.
        return c << 48 | d << 32 | a << 16 | b

    def decrypt(self, block: int) -> int:
        """Decrypt one 64-bit block (0 <= block < 2**64) and return the plaintext block."""
        if not 0 <= block < _BLOCK_LIMIT:
            raise ValueError(f"MISTY1 block must be a 64-bit value 0 <= block < 2**64, got {block}")
        fi_in = _FI_IN
        fi_out = _FI_OUT
        # The ciphertext is D1 || D0; D0 = (a, b), D1 = (c, d) as in encrypt().
        c = block >> 48
        d = (block >> 32) & 0xFFFF
        a = (block >> 16) & 0xFFFF
        b = block & 0xFFFF
        and0, or0, and1, or1 = self._dec_first_fl
        a ^= b | or0
        b ^= a & and0
        c ^= d | or1
        d ^= c & and1
        for (
            and0,
            or0,
            and1,
            or1,
            ko1,
            ki1,
            ko2,
            ki2,
            ko3,
            ki3,
            ko4,
            lo1,
            li1,
            lo2,
            li2,
            lo3,
            li3,
            lo4,
        ) in self._dec_rounds:
            # D0 ^= FO(D1).
            t0 = fi_out[fi_in[c ^ lo1] ^ li1] ^ d
            t1 = fi_out[fi_in[d ^ lo2] ^ li2] ^ t0
            t0 = fi_out[fi_in[t0 ^ lo3] ^ li3] ^ t1
            a ^= t1 ^ lo4
            b ^= t0
            # D1 ^= FO(D0).
            t0 = fi_out[fi_in[a ^ ko1] ^ ki1] ^ b
            t1 = fi_out[fi_in[b ^ ko2] ^ ki2] ^ t0
            t0 = fi_out[fi_in[t0 ^ ko3] ^ ki3] ^ t1
            c ^= t1 ^ ko4
            d ^= t0
            # FLINV on D0 and on D1.
            a ^= b | or0
            b ^= a & and0
            c ^= d | or1
            d ^= c & and1
        return a << 48 | b << 32 | c << 16 | d
