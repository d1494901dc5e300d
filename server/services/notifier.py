"""Telling a customer their token by SMS: an interface, and a default that only logs.

A real SMS gateway (an HTTP API, or a modem on the server) implements `Notifier`; until an
installation configures one, `LogNotifier` writes one line per message, with the token
masked, so a log reader cannot use a token before the customer does.
"""

import logging
from typing import Protocol

log = logging.getLogger("gridvend.sms")


class Notifier(Protocol):
    """Sends a short text to a phone number; must not raise for a delivery failure."""

    def send(self, phone: str, text: str) -> None: ...


class LogNotifier:
    """Logs what would be sent (the default)."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, phone: str, text: str) -> None:
        self.sent += 1
        log.info("SMS to %s: %s", mask_phone(phone), text)


def token_text(meter: str, tokens: list[str], kwh_tenths: int, *, masked: bool) -> str:
    """The SMS for a sale: meter, kWh and the token(s) in the order to enter them."""
    shown = [("****-" * 4 + t[-4:]) if masked else _grouped(t) for t in tokens]
    return f"Meter {meter}: {kwh_tenths // 10}.{kwh_tenths % 10} kWh. Enter {' then '.join(shown)}"


def mask_phone(phone: str) -> str:
    """A phone number with all but the last three digits hidden."""
    return "*" * max(0, len(phone) - 3) + phone[-3:]


def _grouped(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))
