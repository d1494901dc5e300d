"""Money on the device: integers of minor units (cents), never floats.

The vendor types whole currency units (cash sales of electricity are whole amounts);
config says how many minor digits the currency has and the sale limits in minor units.
"""

MAX_DIGITS = 7  # whole units a vendor may type


def to_minor(units_text, minor_digits):
    """Minor units for a typed whole amount: "500" with 2 minor digits -> 50000."""
    if not units_text:
        return 0
    return int(units_text) * 10**minor_digits


def check_amount(minor, lowest, highest):
    """None when the amount may be sold, else (message key, argument in minor units)."""
    if minor <= 0:
        return ("amount_zero", None)
    if minor < lowest:
        return ("amount_low", lowest)
    if minor > highest:
        return ("amount_high", highest)
    return None


def format_money(minor, minor_digits):
    """Minor units as text: 50000 with 2 digits -> "500.00"; no floats involved."""
    if minor_digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    minor = -minor if minor < 0 else minor
    scale = 10**minor_digits
    return "%s%d.%0*d" % (sign, minor // scale, minor_digits, minor % scale)  # noqa: UP031
