"""Checks shared by every token builder: random nibble, TID, integers in range."""

from __future__ import annotations

import secrets

from server.sts.errors import StsError
from server.sts.tid import TID_MAX, check_key_expiry, check_tid


def check_int(name: str, value: object, low: int, high: int, code: str = "invalid") -> int:
    """``value`` when it is an int in low..high, else a clear StsError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StsError(f"{name} {value!r} is outside {low}..{high}", code)
    return value


def pick_rnd(rnd: int | None) -> int:
    """The token's 4 random bits: as given (tests), or from the OS's random source."""
    if rnd is None:
        return secrets.randbelow(16)
    return check_int("RND", rnd, 0, 15)


def timed_payload_head(tid: int, rnd: int | None, ken: int) -> int:
    """``RND << 40 | TID << 16`` for a token with a TID, refusing one the meter would expire."""
    # Every token passes here: plain ints in range take the short way, anything else gets
    # the full checks and their messages.
    if not (
        type(tid) is int
        and 0 <= tid <= TID_MAX
        and type(rnd) is int
        and 0 <= rnd <= 15
        and (ken == 255 or (type(ken) is int and 0 <= ken < 255 and tid >> 16 <= ken))
    ):
        check_tid(tid)
        check_key_expiry(tid, ken)
        rnd = pick_rnd(rnd)
    return rnd << 40 | tid << 16
