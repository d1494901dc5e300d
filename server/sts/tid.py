"""Token identifiers: whole minutes since the meter's base date, in 24 bits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.sts.errors import StsError

BASE_DATES: dict[int, datetime] = {
    1993: datetime(1993, 1, 1, tzinfo=UTC),
    2014: datetime(2014, 1, 1, tzinfo=UTC),
    2035: datetime(2035, 1, 1, tzinfo=UTC),
}
TID_MAX = (1 << 24) - 1
KEN_NEVER_EXPIRES = 255


def check_base(base: int) -> datetime:
    """The base date for a base year, or a clear error naming the ones that exist."""
    try:
        return BASE_DATES[base]
    except (KeyError, TypeError):
        raise StsError(f"base date {base!r} is not one of 1993, 2014, 2035", "invalid") from None


def last_time(base: int) -> datetime:
    """The last minute a meter on this base date can be given a token for."""
    return check_base(base) + timedelta(minutes=TID_MAX)


def next_base(base: int) -> int | None:
    """The base date a meter moves to when its counter runs out (None after 2035)."""
    later = [year for year in sorted(BASE_DATES) if year > base]
    return later[0] if later else None


def tid_from_time(when: datetime, base: int = 1993) -> int:
    """The TID for a UTC time: whole minutes since 00:00 UTC on the base date.

    Refuses a naive time (it would silently be local time), a time before the base date, and
    a TID that overflows 24 bits (the meter needs a key change onto a newer base date).
    """
    start = check_base(base)
    if not isinstance(when, datetime):
        raise StsError(f"time {when!r} is not a date and time", "invalid")
    if when.tzinfo is None or when.utcoffset() is None:
        raise StsError(f"time {when.isoformat()} has no time zone; give it in UTC", "invalid")
    minutes = int((when - start).total_seconds() // 60)
    if minutes < 0:
        raise StsError(
            f"time {when.isoformat()} is before the base date {start.date()}", "tid_overflow"
        )
    if minutes > TID_MAX:
        newer = next_base(base)
        advice = (
            f"the meter needs a key change onto base date {newer} (with rollover) first"
            if newer
            else "no newer base date exists"
        )
        raise StsError(
            f"TID {minutes} does not fit 24 bits for base date {base}: its counter ran out "
            f"after {last_time(base):%Y-%m-%d %H:%M} UTC; {advice}",
            "tid_overflow",
        )
    return minutes


def time_from_tid(tid: int, base: int = 1993) -> datetime:
    """The UTC minute a TID stands for."""
    check_tid(tid)
    return check_base(base) + timedelta(minutes=tid)


def check_tid(tid: int) -> int:
    """A TID as given (e.g. `--tid N`), refused when it is not 0..2**24-1."""
    if isinstance(tid, bool) or not isinstance(tid, int) or not 0 <= tid <= TID_MAX:
        raise StsError(f"TID {tid!r} is outside 0..{TID_MAX}", "tid_overflow")
    return tid


def check_key_expiry(tid: int, ken: int) -> None:
    """Refuse a token the meter would reject as Key expired (TID's top byte above its KEN)."""
    if isinstance(ken, bool) or not isinstance(ken, int) or not 0 <= ken <= 255:
        raise StsError(f"KEN {ken!r} is outside 0..255", "invalid")
    if ken != KEN_NEVER_EXPIRES and (tid >> 16) > ken:
        raise StsError(
            f"the meter would reject this token as Key expired: TID {tid} is past its key's "
            f"expiry (KEN {ken}, last TID {(ken << 16) | 0xFFFF}); issue a key change first",
            "key_expired",
        )
