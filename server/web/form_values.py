"""Reading typed form fields into values the services take, with errors naming the field."""

from server.domain.errors import InvalidInput
from server.services.context import ServiceContext


def amount(ctx: ServiceContext, text: str, what: str = "amount") -> int:
    """An amount typed in major units (12.50) as minor units, refused clearly when malformed."""
    if not text.strip():
        raise InvalidInput("invalid_amount", f"{what}: required")
    return ctx.currency.to_minor(text.replace(",", ""), what=what)


def whole_number(text: str, what: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """A whole number within [low, high]."""
    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        raise InvalidInput("invalid_number", f"{what} {value!r}: expected a whole number")
    number = int(value)
    if not low <= number <= high:
        raise InvalidInput("invalid_number", f"{what} {number}: expected {low} to {high}")
    return number


def optional_whole_number(
    text: str, what: str, *, low: int = 0, high: int = 2**31 - 1
) -> int | None:
    """A whole number, or None when the field was left empty."""
    return whole_number(text, what, low=low, high=high) if text.strip() else None
