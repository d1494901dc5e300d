"""Receipt numbers: the sale's number plus a Luhn check digit, so a mistyped one is caught."""

from server.domain.errors import InvalidInput


def _luhn(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def receipt_number(sale_id: int) -> str:
    """The printed receipt number of a sale: at least 8 digits, the last one a check digit."""
    body = f"{sale_id:07d}"
    return body + str(_luhn(body))


def sale_id_of(receipt_no: str) -> int:
    """The sale a receipt number names; a clear error for a typo."""
    text = receipt_no.strip().replace(" ", "")
    if not text.isascii() or not text.isdigit() or len(text) < 8 or len(text) > 19:
        raise InvalidInput(
            "invalid_receipt_number", f"receipt number {receipt_no!r}: expected 8 or more digits"
        )
    body, check = text[:-1], int(text[-1])
    if _luhn(body) != check:
        raise InvalidInput(
            "invalid_receipt_number",
            f"receipt number {text}: check digit should be {_luhn(body)}; is a digit mistyped?",
        )
    return int(body)
