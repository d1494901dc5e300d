"""The 16-bit amount field: a 2-bit exponent and a 14-bit mantissa, rounded up for the customer.

``t`` is the amount in tenths of a unit (0.1 kWh, 0.1 m3) for credit tokens, and in watts
for power limits: t = 10**e * m + sum(2**14 * 10**(n-1) for n in 1..e).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, InvalidOperation

from server.sts.errors import StsError

_MANTISSA_LIMIT = 1 << 14
# Offset added for each exponent, and the largest value each exponent can carry.
_OFFSETS = (0, 16384, 180224, 1818624)
MAX_TENTHS = _OFFSETS[3] + 1000 * (_MANTISSA_LIMIT - 1)  # 18_201_624
MAX_UNITS = Decimal(MAX_TENTHS) / 10


def decode_amount(raw: int) -> int:
    """The value (tenths, or watts) a meter reads from a 16-bit amount field."""
    exponent = raw >> 14
    return _OFFSETS[exponent] + 10**exponent * (raw & 0x3FFF)


def encode_amount(value: int) -> int:
    """The 16-bit field for ``value``: smallest exponent that fits, mantissa rounded up.

    The meter will read ``decode_amount(result) >= value``; the difference is at most one
    step of the chosen exponent, always in the customer's favour.
    """
    if value < 0 or value > MAX_TENTHS:
        raise StsError(f"amount {value} is outside 0..{MAX_TENTHS}", "amount_range")
    if value < _MANTISSA_LIMIT:
        return value
    for exponent in (1, 2, 3):
        step = 10**exponent
        mantissa = max(0, -(-(value - _OFFSETS[exponent]) // step))
        if mantissa < _MANTISSA_LIMIT:
            return (exponent << 14) | mantissa
    raise AssertionError("unreachable: MAX_TENTHS fits exponent 3")


def units_to_tenths(amount: Decimal | int | str, unit: str = "kWh") -> int:
    """Whole tenths for an amount of units, rounding any finer fraction up.

    Refuses what is not a finite number, is negative, or is more than one token can carry.
    """
    if isinstance(amount, str) and not amount.isascii():
        raise StsError(f"amount {amount!r}: use the digits 0-9", "amount_range")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise StsError(f"amount {amount!r} is not a number", "amount_range") from None
    if not value.is_finite():
        raise StsError(f"amount {amount!r} is not a finite number", "amount_range")
    if value < 0:
        raise StsError(f"amount {value} {unit} is negative", "amount_range")
    too_much = StsError(
        f"amount {value} {unit} is more than one token can carry ({MAX_UNITS} {unit}); "
        "split it over several tokens",
        "amount_range",
    )
    # Compared before any arithmetic: a huge exponent would overflow the decimal context.
    if value > MAX_UNITS:
        raise too_much
    tenths = int(value.scaleb(1).to_integral_value(rounding=ROUND_CEILING))
    if tenths > MAX_TENTHS:
        raise too_much
    return tenths


def tenths_to_units(tenths: int) -> Decimal:
    """Tenths as a Decimal number of units with one decimal place."""
    return Decimal(tenths).scaleb(-1)
