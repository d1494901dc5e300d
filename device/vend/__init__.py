"""The vend flow and its rules: meter numbers, amounts, PINs, the sale service.

Pure logic: nothing here imports a driver. The flow draws through a screen object,
prints through a printer object and learns the time from a clock object, all handed in.

This module: screen building (8 lines of 16 characters: the 128x64 OLED with an 8x8
font), and the rules for what the vendor types.

Money on the device is integers of minor units (cents), never floats. The vendor types
whole currency units (cash sales of electricity are whole amounts); config says how many
minor digits the currency has and the sale limits in minor units.

Meter numbers as typed on the keypad: 18 digits, a known issuer, a Luhn check digit.
IIN 600727 + 11-digit DRN, or IIN 0000 + 13-digit DRN, then one Luhn digit over the
whole number. Checked before any money moves, so a typo never reaches the server.
"""

from receipts import wrap

WIDTH = 16
HEIGHT = 8

# Lines page() had to drop since boot: always 0 unless a text is too long for its
# screen. Tests render every screen in every language and check it stays 0.
overflow = [0]


def page(title, body, footer=None):
    """Title line, body lines (str or wrapped), footer on the last line; 8 lines at most.

    Body lines that do not fit are dropped from the end: screens are designed to fit,
    and tests check every screen of the flow in every language. Runs on every key
    press, so a line that fits is used as it is (wrapping makes a list per line).
    """
    lines = [title if len(title) <= WIDTH else wrap(title, WIDTH)[0]]
    for item in body:
        if len(item) <= WIDTH and "\n" not in item:
            lines.append(item)
        else:
            for line in wrap(item, WIDTH):
                lines.append(line)
    room = HEIGHT - (1 if footer else 0)
    if len(lines) > room or len(title) > WIDTH or (footer and len(footer) > WIDTH):
        overflow[0] += 1
    while len(lines) > room:
        lines.pop()
    if footer:
        lines.append(footer if len(footer) <= WIDTH else footer[:WIDTH])
    return lines


def masked(count):
    """A PIN as stars."""
    return "*" * count


def cursor_rows(rows, selected):
    """List rows with a ">" before the selected one."""
    out = []
    for i, row in enumerate(rows):
        if len(row) > WIDTH - 1:
            overflow[0] += 1
        out.append((">" if i == selected else " ") + row[: WIDTH - 1])
    return out


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


METER_LENGTH = 18


def luhn_digit(body):
    """The Luhn check digit for a string of digits (doubling every second from the right)."""
    total = 0
    double = True
    for i in range(len(body) - 1, -1, -1):
        value = ord(body[i]) - 48
        if double:
            value *= 2
            if value > 9:
                value -= 9
        total += value
        double = not double
    return (10 - total % 10) % 10


def check_meter(digits):
    """None when digits is a valid meter number, else (message key, argument) for i18n.

    The wrong-check-digit message does not say which digit was expected: a vendor told
    the "right" last digit could fix a typo elsewhere into another customer's meter.
    """
    for ch in digits:
        if ch < "0" or ch > "9":
            return ("mtr_digits", None)
    if len(digits) != METER_LENGTH:
        return ("mtr_length", len(digits))
    if not (digits.startswith("600727") or digits.startswith("0000")):  # the two IINs
        return ("mtr_iin", digits[:6])
    if luhn_digit(digits[:-1]) != ord(digits[-1]) - 48:
        return ("mtr_check", None)
    return None


def group(digits, size=4):
    """Digits in groups separated by spaces: "6007 2700 0000 0000 09".

    Built in one buffer: slips group every token and meter, and the heap is small.
    """
    raw = digits.encode()
    n = len(raw)
    out = bytearray(n + (n - 1) // size if n else 0)
    j = 0
    for i in range(n):
        if i and i % size == 0:
            out[j] = 32  # space
            j += 1
        out[j] = raw[i]
        j += 1
    return out.decode()
