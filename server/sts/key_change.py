"""Key change tokens: the new decoder key, carried in sections encrypted under the old key.

64-bit keys (EA07) need two sections, 128-bit keys (EA11) four. A meter takes them in any
order and changes key once it has them all. RO (rollover) tells it to clear its TID memory,
which is how a meter moves to a newer base date.
"""

from __future__ import annotations

from server.sts.cipher import block_cipher
from server.sts.errors import StsError
from server.sts.fields import check_int
from server.sts.keys import EA07, EA11, KEY_BYTES, KEY_TYPES, check_ea
from server.sts.token import CLASS_MANAGEMENT, KINDS, Token, assemble

FIRST, SECOND, THIRD, FOURTH = 3, 4, 8, 9
SECTION_NUMBER = {FIRST: 1, SECOND: 2, THIRD: 3, FOURTH: 4}
# Which bytes of the new key each section carries.
KEY_BYTES_IN = {
    EA07: {FIRST: slice(0, 4), SECOND: slice(4, 8)},
    EA11: {FIRST: slice(0, 4), SECOND: slice(12, 16), THIRD: slice(4, 8), FOURTH: slice(8, 12)},
}


def key_change_tokens(
    old_key: bytes,
    new_key: bytes,
    *,
    ken: int,
    krn: int,
    ro: int,
    kt: int,
    ti: int,
    ea: int = EA07,
    sgc: int | None = None,
) -> list[Token]:
    """The key change sections, in order, each encrypted under the meter's current key.

    ``ken`` is the new key's expiry number (255: never), ``krn`` its revision, ``kt`` its
    type, ``ti`` the tariff index that goes with it, ``ro`` 1 to clear the meter's TID memory.
    128-bit keys also carry the supply group code ``sgc``.
    """
    check_ea(ea)
    cipher = block_cipher(ea, old_key)
    if not isinstance(new_key, bytes | bytearray) or len(new_key) != KEY_BYTES[ea]:
        raise StsError(
            f"the new key for EA{ea:02d} must be {KEY_BYTES[ea] * 8} bits "
            f"({KEY_BYTES[ea] * 2} hex digits)",
            "key",
        )
    check_int("KEN", ken, 0, 255)
    check_int("key revision (KRN)", krn, 1, 9)
    check_int("rollover (RO)", ro, 0, 1)
    check_int("key type (KT)", kt, 0, 3)
    check_int("tariff index (TI)", ti, 0, 99)
    if ea == EA11:
        if sgc is None:
            raise StsError(
                "a 128-bit key change carries the supply group code: give --sgc", "invalid"
            )
        check_int("supply group code (SGC)", sgc, 0, 999999)
    parts = {s: int.from_bytes(new_key[sl], "big") for s, sl in KEY_BYTES_IN[ea].items()}
    payloads = {
        FIRST: (ken >> 4) << 40 | krn << 36 | ro << 35 | kt << 32 | parts[FIRST],
        SECOND: (ken & 15) << 40 | ti << 32 | parts[SECOND],
    }
    if ea == EA11:
        payloads[THIRD] = (sgc & 0xFFF) << 32 | parts[THIRD]
        payloads[FOURTH] = (sgc >> 12) << 32 | parts[FOURTH]
    fields = {"ken": ken, "krn": krn, "ro": ro, "kt": kt, "key_type": KEY_TYPES[kt], "ti": ti}
    if sgc is not None and ea == EA11:
        fields["sgc"] = sgc
    return [
        Token(
            digits=assemble(CLASS_MANAGEMENT, subclass, payload, cipher),
            token_class=CLASS_MANAGEMENT,
            subclass=subclass,
            description=f"{KINDS[(2, subclass)]} (KRN {krn}, TI {ti:02d}, KT {kt})",
            fields={"section": SECTION_NUMBER[subclass], **fields},
        )
        for subclass, payload in payloads.items()
    ]
