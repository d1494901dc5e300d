"""Class 0 tokens: credit for electricity, water, gas or time."""

from __future__ import annotations

from decimal import Decimal

from server.sts.amount import decode_amount, encode_amount, tenths_to_units, units_to_tenths
from server.sts.cipher import block_cipher
from server.sts.errors import StsError
from server.sts.fields import timed_payload_head
from server.sts.keys import EA07
from server.sts.token import CLASS_CREDIT, KINDS, Token, assemble

UNITS = {0: "kWh", 1: "m3", 2: "m3", 3: "time units"}
ELECTRICITY, WATER, GAS, TIME = 0, 1, 2, 3


def credit_token(
    key: bytes,
    *,
    tid: int,
    amount: Decimal | int | str,
    ea: int = EA07,
    rnd: int | None = None,
    subclass: int = ELECTRICITY,
    ken: int = 255,
) -> Token:
    """A credit token for ``amount`` units (0.1 resolution).

    The amount is rounded up to what STS can carry; ``Token.credited`` is what the meter
    will actually add to its register.
    """
    if subclass not in UNITS or isinstance(subclass, bool):
        raise StsError(
            f"credit subclass {subclass!r} must be 0 (electricity), 1 (water), 2 (gas) "
            "or 3 (time)",
            "invalid",
        )
    unit = UNITS[subclass]
    raw = encode_amount(units_to_tenths(amount, unit))
    head = timed_payload_head(tid, rnd, ken)
    digits = assemble(CLASS_CREDIT, subclass, head | raw, block_cipher(ea, key))
    credited = tenths_to_units(decode_amount(raw))
    return Token(
        digits=digits,
        token_class=CLASS_CREDIT,
        subclass=subclass,
        tid=tid,
        credited=credited,
        description=f"{KINDS[(0, subclass)]} {credited} {unit}",
        fields={"rnd": head >> 40, "tid": tid, "amount_raw": raw, "amount": credited, "unit": unit},
    )
