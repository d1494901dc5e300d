"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as authenticator apps make.

Written from the RFCs: HMAC-SHA1, 30-second steps, 6 digits. A code is accepted for the
current step and one step either side (clock drift), and never twice (the caller keeps the
last step used and passes it back).
"""

import base64
import hmac
import secrets
import struct
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh shared secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the code for `counter`, dynamically truncated to `digits` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFF_FFFF
    return str(value % 10**digits).zfill(digits)


def step_of(unix_time: float) -> int:
    """The RFC 6238 time step a moment falls in."""
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    """The code an authenticator app shows at `unix_time` for a base32 `secret`."""
    return hotp(_key(secret), step_of(unix_time))


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
    key = _key(secret)
    now = step_of(unix_time)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(hotp(key, step), typed):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str = "gridvend") -> str:
    """The otpauth:// URI authenticator apps import (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    return (
        f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
