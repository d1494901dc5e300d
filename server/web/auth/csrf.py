"""CSRF tokens: every form carries one, and a POST without the right one is refused (403).

A logged-in form's token is an HMAC of the session token, so it needs no storage and an
attacker who cannot read the HttpOnly session cookie cannot compute it. The login form,
before any session exists, uses a random value in a cookie that must equal the form field
(double submit); SameSite=Strict keeps other sites from sending either cookie.
"""

import hashlib
import hmac
import secrets

from fastapi import Request

from server.domain.errors import Forbidden

LOGIN_COOKIE = "gridvend_login_csrf"
FIELD = "csrf_token"


class CsrfRefused(Forbidden):
    """A form arrived without its CSRF token, with a wrong one, or from another origin."""

    def __init__(self, why: str) -> None:
        super().__init__(
            "csrf_refused",
            f"this form was refused ({why}); reload the page and send it again",
        )


def token_for_session(session_token: str) -> str:
    """The CSRF token of the forms shown to the holder of `session_token`."""
    mac = hmac.new(session_token.encode(), b"gridvend web forms", hashlib.sha256)
    return mac.hexdigest()


def new_login_token() -> str:
    """A random token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(32)


def check(expected: str, sent: str) -> None:
    """Refuse unless `sent` equals `expected` (compared in constant time)."""
    if not sent:
        raise CsrfRefused("no CSRF token")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRefused("wrong CSRF token")


def check_origin(request: Request) -> None:
    """Refuse a POST whose Origin (or Referer) names another site than this one.

    Browsers send Origin on every cross-site POST; a missing header (old clients, privacy
    settings) is allowed because the token check still applies.
    """
    origin = request.headers.get("origin") or ""
    if not origin or origin == "null":
        referer = request.headers.get("referer") or ""
        origin = "/".join(referer.split("/", 3)[:3]) if referer else ""
    if not origin:
        return
    host = request.headers.get("host", "")
    if origin.split("://", 1)[-1] != host:
        raise CsrfRefused(f"sent from {origin}, not from this site")
