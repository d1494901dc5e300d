"""The 66-bit token: fields, CRC, encryption, class-bit transposition, and 20 digits.

Before encryption: ``class(2) | subclass(4) | payload(44) | CRC(16)``. The 64-bit block that
is encrypted leaves the class out; after encryption, block bits 28 and 27 move to token bits
65 and 64 and the two class bits take their place. Class 1 tokens are not encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.sts.cipher import BlockCipher, block_cipher
from server.sts.crc import token_crc
from server.sts.errors import StsError

TOKEN_DIGITS = 20
PAYLOAD_BITS = 44
PAYLOAD_MASK = (1 << PAYLOAD_BITS) - 1
_MASK64 = (1 << 64) - 1
_CLASS_BITS = (1 << 28) | (1 << 27)

CLASS_CREDIT = 0
CLASS_TEST = 1
CLASS_MANAGEMENT = 2

KINDS: dict[tuple[int, int], str] = {
    (0, 0): "electricity credit",
    (0, 1): "water credit",
    (0, 2): "gas credit",
    (0, 3): "time credit",
    (1, 0): "test/display (2-digit manufacturer code)",
    (1, 1): "test/display (4-digit manufacturer code)",
    (2, 0): "set maximum power limit",
    (2, 1): "clear credit",
    (2, 2): "set tariff rate",
    (2, 3): "key change, 1st section",
    (2, 4): "key change, 2nd section",
    (2, 5): "clear tamper",
    (2, 6): "set maximum phase power unbalance limit",
    (2, 7): "set water meter factor",
    (2, 8): "key change, 3rd section",
    (2, 9): "key change, 4th section",
}
# Payloads that public sources do not settle: refused rather than guessed.
UNSUPPORTED = {(2, 2), (2, 7)}


@dataclass(frozen=True, slots=True)
class Token:
    """A token ready to print: its 20 digits and what it carries."""

    digits: str
    token_class: int
    subclass: int
    tid: int | None = None
    credited: Decimal | None = None
    description: str = ""
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def grouped(self) -> str:
        """The digits in groups of four, as people read them."""
        return format_token(self.digits)


def format_token(digits: str) -> str:
    """'23716100501183194197' -> '2371 6100 5011 8319 4197'."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def assemble(
    token_class: int, subclass: int, payload: int, cipher: BlockCipher | None = None
) -> str:
    """The 20 digits for a class, subclass and 44-bit payload (encrypted when cipher given)."""
    crc = token_crc(token_class << 48 | subclass << 44 | payload)
    block = subclass << 60 | payload << 16 | crc
    if cipher is not None:
        block = cipher.encrypt(block)
    moved = (block >> 28 & 1) << 65 | (block >> 27 & 1) << 64
    value = moved | (block & ~_CLASS_BITS) | (token_class >> 1 & 1) << 28 | (token_class & 1) << 27
    return f"{value:020d}"


@dataclass(frozen=True)
class RawToken:
    """A token's fields as read back: class, subclass, payload, and whether the CRC holds."""

    digits: str
    token_class: int
    subclass: int
    payload: int
    crc: int
    crc_ok: bool


def token_value(digits: str) -> int:
    """The 66-bit number behind typed digits; spaces and dashes between groups are allowed."""
    if not isinstance(digits, str):
        raise StsError("a token is 20 digits", "format")
    text = "".join(ch for ch in digits.strip() if ch not in " -")
    if not text.isascii() or not text.isdigit():
        bad = next((ch for ch in text if not ("0" <= ch <= "9")), "")
        raise StsError(f"token {digits!r}: {bad!r} is not a digit", "format")
    if len(text) != TOKEN_DIGITS:
        raise StsError(f"token {text} has {len(text)} digits; a token has exactly 20", "format")
    value = int(text)
    if value >> 66:
        raise StsError(
            f"token {text} is too large to be an STS token (more than 66 bits)", "format"
        )
    return value


def class_of(value: int) -> int:
    """The token class from a 66-bit token value (bits 28 and 27)."""
    return (value >> 28 & 1) << 1 | (value >> 27 & 1)


def disassemble(digits: str, cipher: BlockCipher | None) -> RawToken:
    """Undo transposition and (for classes 0 and 2) encryption, and check the CRC."""
    value = token_value(digits)
    token_class = class_of(value)
    if token_class == 3:
        raise StsError("token class 3 is reserved: no meter accepts it (mistyped?)", "format")
    block = (value & _MASK64 & ~_CLASS_BITS) | (value >> 65 & 1) << 28 | (value >> 64 & 1) << 27
    if token_class != CLASS_TEST:
        if cipher is None:
            raise StsError(
                f"a class {token_class} token is encrypted: the meter's decoder key is needed",
                "key",
            )
        block = cipher.decrypt(block)
    subclass = block >> 60
    payload = block >> 16 & PAYLOAD_MASK
    crc = block & 0xFFFF
    ok = token_crc(token_class << 48 | subclass << 44 | payload) == crc
    return RawToken(f"{value:020d}", token_class, subclass, payload, crc, ok)


def cipher_for(key: bytes | None, ea: int) -> BlockCipher | None:
    """The block cipher for a key, or None when no key is given."""
    return None if key is None else block_cipher(ea, key)
