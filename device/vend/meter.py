"""Meter numbers as typed on the keypad: 18 digits, a known issuer, a Luhn check digit.

IIN 600727 + 11-digit DRN, or IIN 0000 + 13-digit DRN, then one Luhn digit over the
whole number. Checked before any money moves, so a typo never reaches the server.
"""

LENGTH = 18
IINS = ("600727", "0000")


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
    if len(digits) != LENGTH:
        return ("mtr_length", len(digits))
    if not (digits.startswith(IINS[0]) or digits.startswith(IINS[1])):
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
