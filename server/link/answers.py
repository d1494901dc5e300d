"""A sale's outcome as the handheld's answer dict (device/link/__init__.py describes it)."""

from decimal import Decimal
from typing import Any

from server.services.receipts import Receipt

KEY_CHANGE_CLASS = 2  # STS token class 2: key change tokens, entered before the credit

# Refusal codes the vend gives, as a line the vendor reads on the handheld (21 columns).
REFUSAL_TEXTS = {
    "meter_not_found": "meter not registered",
    "meter_blocked": "meter blocked",
    "invalid_meter_number": "meter number wrong",
    "insufficient_float": "vendor float too low",
    "agent_not_active": "vendor suspended",
    "agent_not_found": "vendor unknown",
    "invalid_amount": "amount not allowed",
    "key_change_needed": "meter needs new key",
    "key_expired": "meter key expired",
    "token_refused": "token not possible",
    "request_id_conflict": "sale id reused",
    # A re-flashed handheld sent a sale id answered before its new secret: never replayed.
    "sale_id_reused": "call support: sale id",
    "device_disabled": "device disabled",
}


def refusal_text(code: str) -> str:
    """The vendor's line for a refusal code."""
    return REFUSAL_TEXTS.get(code, code.replace("_", " ")[:21])


def answer(receipt: Receipt, minor_unit: int) -> dict[str, Any]:
    """{"receipt", "customer", "tokens", "key_change", "kwh_tenths", "tax", "fixed", "debt"}."""
    scale = Decimal(10) ** minor_unit
    return {
        "receipt": receipt.receipt_no,
        "customer": receipt.customer_name or None,
        "tokens": [t.digits for t in receipt.tokens if t.token_class != KEY_CHANGE_CLASS],
        "key_change": [t.digits for t in receipt.tokens if t.token_class == KEY_CHANGE_CLASS],
        "kwh_tenths": int(receipt.kwh * 10),
        "tax": int(receipt.tax * scale),
        "fixed": int(receipt.fixed_charge * scale),
        "debt": int(receipt.debt_recovered * scale),
    }
