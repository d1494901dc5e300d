"""Meter numbers as typed: checked (length, issuer, Luhn digit) before anything else."""

from server.domain.errors import InvalidInput
from server.sts import StsError, parse_meter_number


def pan_of(text: str) -> str:
    """The 18-digit meter number from what was typed, refusing typos (Luhn) clearly."""
    try:
        return parse_meter_number(text).pan
    except StsError as exc:
        raise InvalidInput("invalid_meter_number", str(exc)) from None
