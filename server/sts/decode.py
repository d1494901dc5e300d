"""Reading a token back: class, subclass, every field, and whether the CRC holds.

Support staff use this to answer "why did my token fail?": a CRC that does not hold means
the wrong key (wrong meter, old key revision) or a mistyped digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.sts.amount import decode_amount, tenths_to_units
from server.sts.credit import UNITS
from server.sts.engineering import REGISTER_NAMES, TEST_LAYOUTS, control_names
from server.sts.errors import StsError
from server.sts.key_change import FIRST, FOURTH, SECOND, SECTION_NUMBER, THIRD
from server.sts.keys import EA07, KEY_TYPES
from server.sts.tid import time_from_tid
from server.sts.token import KINDS, UNSUPPORTED, RawToken, cipher_for, disassemble, format_token


@dataclass(frozen=True)
class DecodedToken:
    """What a token says, field by field."""

    digits: str
    token_class: int
    subclass: int
    kind: str
    crc_ok: bool
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def tid(self) -> int | None:
        return self.fields.get("tid")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (Decimals as strings)."""
        return {
            "token": self.digits,
            "class": self.token_class,
            "subclass": self.subclass,
            "kind": self.kind,
            "crc_ok": self.crc_ok,
            **{k: str(v) if isinstance(v, Decimal) else v for k, v in self.fields.items()},
        }


def _timed(raw: RawToken, base: int) -> dict[str, Any]:
    tid = raw.payload >> 16 & 0xFFFFFF
    return {
        "rnd": raw.payload >> 40,
        "tid": tid,
        "time": time_from_tid(tid, base).strftime("%Y-%m-%dT%H:%MZ"),
    }


def _fields(raw: RawToken, base: int) -> dict[str, Any]:
    cls, sub, payload = raw.token_class, raw.subclass, raw.payload
    low16 = payload & 0xFFFF
    if (cls, sub) not in KINDS or (cls, sub) in UNSUPPORTED:
        # Reserved or unsettled layouts: show the bits, never guess what they mean.
        return {"payload": f"{payload:011x}"}
    if cls == 0:
        units: Decimal = tenths_to_units(decode_amount(low16))
        return {**_timed(raw, base), "amount_raw": low16, "amount": units, "unit": UNITS[sub]}
    if cls == 1:
        if sub not in TEST_LAYOUTS:
            return {"payload": f"{payload:011x}"}
        _, mfr_bits, _ = TEST_LAYOUTS[sub]
        control = payload >> mfr_bits
        return {
            "control": control,
            "control_meaning": control_names(sub, control),
            "mfr": payload & ((1 << mfr_bits) - 1),
        }
    if sub in (0, 6):
        return {**_timed(raw, base), "amount_raw": low16, "watts": decode_amount(low16)}
    if sub == 1:
        return {
            **_timed(raw, base),
            "register": low16,
            "register_name": REGISTER_NAMES.get(low16, f"register {low16}"),
        }
    if sub == 5:
        return {**_timed(raw, base), "pad": low16}
    key_part = f"{payload & 0xFFFFFFFF:08x}"
    if sub == FIRST:
        kt = payload >> 32 & 3
        return {
            "section": 1,
            "ken_high": payload >> 40,
            "krn": payload >> 36 & 15,
            "ro": payload >> 35 & 1,
            "reserved": payload >> 34 & 1,
            "kt": kt,
            "key_type": KEY_TYPES[kt],
            "key_bits": key_part,
        }
    if sub == SECOND:
        return {
            "section": 2,
            "ken_low": payload >> 40,
            "ti": payload >> 32 & 0xFF,
            "key_bits": key_part,
        }
    if sub in (THIRD, FOURTH):
        name = "sgc_low" if sub == THIRD else "sgc_high"
        return {"section": SECTION_NUMBER[sub], name: payload >> 32, "key_bits": key_part}
    return {"payload": f"{payload:011x}"}


def decode_token(
    digits: str, key: bytes | None = None, *, ea: int = EA07, base: int = 1993
) -> DecodedToken:
    """Decrypt and read a token. Class 1 tokens need no key; classes 0 and 2 do.

    Raises StsError for what is not a token at all (wrong length, not digits, class 3).
    A token that decrypts to a wrong CRC comes back with ``crc_ok`` False.
    """
    raw = disassemble(digits, cipher_for(key, ea))
    kind = KINDS.get((raw.token_class, raw.subclass), f"reserved subclass {raw.subclass}")
    fields = _fields(raw, base) if raw.crc_ok else {"payload": f"{raw.payload:011x}"}
    return DecodedToken(raw.digits, raw.token_class, raw.subclass, kind, raw.crc_ok, fields)


def explain_crc_failure(decoded: DecodedToken) -> str:
    """The sentence support staff need when a token's CRC does not hold."""
    return (
        f"token {format_token(decoded.digits)}: CRC check failed: it was not made with this key "
        "(wrong meter, wrong key revision or algorithm) or a digit was mistyped"
    )


__all__ = ["DecodedToken", "StsError", "decode_token", "explain_crc_failure"]
