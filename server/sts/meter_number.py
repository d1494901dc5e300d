"""Meter numbers (PANs): IIN 600727 + 11-digit DRN, or IIN 0000 + 13-digit DRN, + a Luhn digit."""

from dataclasses import dataclass

from server.sts.errors import StsError

IIN_STS = "600727"
IIN_LEGACY = "0000"
PAN_LENGTH = 18
_SEPARATORS = " -"


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit to append to ``digits`` (doubling every second digit from the right)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class MeterNumber:
    """A validated meter number: its issuer (IIN), its number (DRN) and its check digit."""

    iin: str
    drn: str
    check_digit: int

    @property
    def pan(self) -> str:
        """All 18 digits as printed on the meter."""
        return f"{self.iin}{self.drn}{self.check_digit}"

    @property
    def pan_block(self) -> bytes:
        """DKGA02's PANBlock: the rightmost 16 digits of IIN + DRN, read as hex nibbles."""
        return bytes.fromhex((self.iin + self.drn)[-16:])

    def __str__(self) -> str:
        return self.pan


def parse_meter_number(text: str) -> MeterNumber:
    """Validate a typed meter number; spaces and dashes between digits are allowed.

    Raises StsError naming what is wrong: a character that is not a digit, the wrong length,
    an unknown issuer, or the wrong check digit (saying which digit was expected).
    """
    if not isinstance(text, str):
        raise StsError("meter number must be text of 18 digits", "meter_number")
    raw = text.strip()
    digits = "".join(ch for ch in raw if ch not in _SEPARATORS)
    if not digits:
        raise StsError("meter number is empty: type its 18 digits", "meter_number")
    for index, ch in enumerate(digits):
        if not "0" <= ch <= "9":
            raise StsError(
                f"meter number {raw!r}: {ch!r} at position {index + 1} is not a digit",
                "meter_number",
            )
    if len(digits) != PAN_LENGTH:
        raise StsError(
            f"meter number {digits} has {len(digits)} digits; expected 18 "
            "(IIN 600727 + 11-digit DRN + check digit, or IIN 0000 + 13-digit DRN + check digit)",
            "meter_number",
        )
    if digits.startswith(IIN_STS):
        iin = IIN_STS
    elif digits.startswith(IIN_LEGACY):
        iin = IIN_LEGACY
    else:
        raise StsError(
            f"meter number {digits}: issuer (IIN) must be 600727 or 0000, not {digits[:6]}",
            "meter_number",
        )
    body = digits[:-1]
    expected = luhn_check_digit(body)
    if int(digits[-1]) != expected:
        raise StsError(
            f"meter {digits}: check digit should be {expected}; is a digit mistyped?",
            "meter_number",
        )
    return MeterNumber(iin=iin, drn=body[len(iin) :], check_digit=expected)
