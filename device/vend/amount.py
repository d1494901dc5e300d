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
        return ("amt_zero", None)
    if minor < lowest:
        return ("amt_low", lowest)
    if minor > highest:
        return ("amt_high", highest)
    return None


def format_money(minor, minor_digits, currency=""):
    """Minor units as text: 50000 with 2 digits -> "500.00" ("KES 500.00" given the
    currency); no floats involved, and one string made, whatever the parts."""
    space = " " if currency else ""
    if minor_digits == 0:
        return "%s%s%d" % (currency, space, minor)  # noqa: UP031 - MicroPython
    sign = "-" if minor < 0 else ""
    minor = -minor if minor < 0 else minor
    scale = 10**minor_digits
    return "%s%s%s%d.%0*d" % (  # noqa: UP031 - MicroPython
        currency,
        space,
        sign,
        minor // scale,
        minor_digits,
        minor % scale,
    )
