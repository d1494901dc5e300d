"""The one-line confirmations shown after a form succeeded (POST, redirect, GET).

The redirect carries only a fixed code (`?done=topup`); the text comes from here, so no
value from the request is ever echoed into the page through this path.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse

NOTICES = {
    "logged-in": "Logged in.",
    "totp-on": "The second step is on: you will be asked for a code at every login.",
    "totp-off": "The second step is off.",
    "totp-reset": "That operator's second step was removed; they set it up again at login.",
    "topup": "Top-up recorded: the vendor's float grew.",
    "adjusted": "Adjustment recorded.",
    "limit": "Credit limit changed.",
    "status": "Vendor status changed.",
    "vendor-added": "Vendor added.",
    "device-added": "Handheld registered. Issue its secret on the server with "
    "`gridvend link secret NAME` before building its image.",
    "device-enabled": "Handheld enabled.",
    "device-disabled": "Handheld disabled: its messages are refused until it is enabled.",
    "allowance": "Offline allowance set; the money is reserved from the vendor's float.",
    "meter-added": "Meter registered.",
    "meter-state": "Meter state changed.",
    "customer-added": "Customer added.",
    "debt": "Arrears changed.",
    "tariff-added": "Tariff added.",
    "group-added": "Supply group added.",
    "key-set": "The supply group moved to its new key; its meters get key change tokens "
    "before their next credit.",
    "operator-added": "Operator added.",
    "role": "Role changed: it applies from that operator's next page or request.",
    "operator-disabled": "Operator disabled: their sessions and API tokens ended, and they "
    "cannot log in until enabled again.",
    "operator-enabled": "Operator enabled: they can log in again.",
    "pos-disabled": "POS client disabled: its API key is refused from its next request.",
    "pos-enabled": "POS client enabled: its API key works again.",
    "customer-updated": "Customer details saved.",
    "meter-tariff": "Tariff changed: the meter's next sale is priced at the new tariff.",
    "meter-moved": "The meter now belongs to that customer.",
}


def notice_of(request: Request) -> str | None:
    """The confirmation named by the request's `done` parameter, if any."""
    return NOTICES.get(request.query_params.get("done", ""))


def done(path: str, code: str) -> RedirectResponse:
    """Redirect (303, so the browser GETs) to `path` with a confirmation."""
    assert code in NOTICES, code
    path, hash_mark, fragment = path.partition("#")
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}done={code}{hash_mark}{fragment}", status_code=303)
