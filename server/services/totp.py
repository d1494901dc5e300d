"""Time-based one-time passwords (RFC 6238), as authenticator apps make, through pyotp.

HMAC-SHA1, 30-second steps, 6 digits. A code is accepted for the current step and one step
either side (clock drift), and never twice: the caller keeps the last step used and passes
it back, which pyotp's own `verify` has no notion of, hence `matching_step`.
"""

import base64
import hmac

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh shared secret: 160 random bits (RFC 4226's recommendation), base32."""
    return pyotp.random_base32(32)


def hotp(key: bytes, counter: int, *, digits: int = DIGITS) -> str:
    """RFC 4226: the code for `counter` with a raw `key`."""
    secret = base64.b32encode(key).decode("ascii")
    return pyotp.HOTP(secret, digits=digits).at(counter)


def step_of(unix_time: float) -> int:
    """The RFC 6238 time step a moment falls in."""
    return int(unix_time // STEP_SECONDS)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret.replace(" ", "").upper(), digits=DIGITS, interval=STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    """The code an authenticator app shows at `unix_time` for a base32 `secret`."""
    return _totp(secret).generate_otp(step_of(unix_time))


def matching_step(
    secret: str, code: str, unix_time: float, *, last_used_step: int | None = None
) -> int | None:
    """The time step `code` belongs to (within the drift window), or None.

    A step at or before `last_used_step` never matches again, so an overheard code cannot be
    replayed within its validity.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    maker = _totp(secret)
    now = step_of(unix_time)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(maker.generate_otp(step), typed):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str = "gridvend") -> str:
    """The otpauth:// URI authenticator apps import (Key Uri Format)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)
