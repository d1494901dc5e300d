"""One block cipher per (algorithm, decoder key): EA07 (STA) or EA11 (MISTY1)."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from server.sts.errors import StsError
from server.sts.keys import EA07, EA11, KEY_BYTES, check_ea


class BlockCipher(Protocol):
    def encrypt(self, block: int) -> int: ...
    def decrypt(self, block: int) -> int: ...


def block_cipher(ea: int, key: bytes) -> BlockCipher:
    """The cipher for a decoder key; refuses a key of the wrong length for the algorithm."""
    if isinstance(key, bytearray | memoryview):
        key = bytes(key)
    try:
        return _expanded(ea, key)
    except TypeError:  # unhashable: not a key at all
        raise StsError("a decoder key is needed (hex digits)", "key") from None


# A pure memo: expanding a key costs far more than a token, and a server vends to the same
# meters again and again. Bounded, so it never grows without limit. Checks run on a miss
# only; a refused key raises, and exceptions are never cached.
@lru_cache(maxsize=4096)
def _expanded(ea: int, key: bytes) -> BlockCipher:
    check_ea(ea)
    if not isinstance(key, bytes):
        raise StsError("a decoder key is needed (hex digits)", "key")
    if len(key) != KEY_BYTES[ea]:
        raise StsError(
            f"EA{ea:02d} needs a {KEY_BYTES[ea] * 8}-bit decoder key "
            f"({KEY_BYTES[ea] * 2} hex digits), got {len(key) * 8} bits",
            "key",
        )
    if ea == EA07:
        from server.sts.sta import Sta

        return Sta(key)
    if ea == EA11:
        from server.sts.misty1 import Misty1

        return Misty1(key)
    raise AssertionError(ea)
