"""MicroPython's `time` module as the ESP32 port has it, for device code running on CPython.

What is kept exactly (extmod/modtime.c, ESP32 port):
- ticks_ms/ticks_us/ticks_cpu wrap at TICKS_PERIOD = 2**30 (31-bit small ints on a 32-bit
  port); ticks_diff is signed and wraps, in [-2**29, 2**29); ticks_add refuses a delta
  outside (-2**29, 2**29) with OverflowError, as the firmware does.
- The epoch is 2000-01-01: time() counts seconds since then, as an int; gmtime() and
  localtime() are the same function (no time zones) and return 8-tuples
  (year, month, mday, hour, minute, second, weekday 0=Monday, yearday 1-366);
  mktime() takes 8 or 9 items and returns an unsigned 32-bit count.
- The RTC starts at the epoch at boot, as on a board nobody has set the time on.

The clock behind all of it is `clock`: real time by default; tests can freeze it, move it,
or start the tick counters just before the wrap.
"""

import calendar
import time as _host

TICKS_PERIOD = 1 << 30
TICKS_MAX = TICKS_PERIOD - 1
_HALF = TICKS_PERIOD // 2
EPOCH_YEAR = 2000
EPOCH_OFFSET = 946684800  # seconds from 1970-01-01 to 2000-01-01


class Clock:
    """The time source of this fake: host monotonic time, or frozen and moved by hand."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, ticks_start_ms: int = 0, ticks_start_us: int = 0, rtc_seconds: int = 0) -> None:
        """Reboot: uptime 0, counters at the given starts, RTC at rtc_seconds (2000 epoch)."""
        self._boot_ns = _host.monotonic_ns()
        self._frozen_us: int | None = None
        self.ticks_start_ms = ticks_start_ms
        self.ticks_start_us = ticks_start_us
        self._rtc_base = rtc_seconds * 1_000_000
        self._rtc_set_at_us = 0

    def uptime_us(self) -> int:
        """Microseconds since the last reset()."""
        if self._frozen_us is not None:
            return self._frozen_us
        return (_host.monotonic_ns() - self._boot_ns) // 1000

    def freeze(self) -> None:
        """Stop the clock; from now on only advance() (or sleep) moves it."""
        self._frozen_us = self.uptime_us()

    def advance(self, ms: int = 0, us: int = 0) -> None:
        """Move a frozen clock forward."""
        if self._frozen_us is None:
            raise RuntimeError("advance() needs a frozen clock: call clock.freeze() first")
        self._frozen_us += ms * 1000 + us

    @property
    def frozen(self) -> bool:
        return self._frozen_us is not None

    def rtc_us(self) -> int:
        """Microseconds since the 2000 epoch according to the RTC."""
        return self._rtc_base + self.uptime_us() - self._rtc_set_at_us

    def set_rtc(self, seconds: int, subseconds_us: int = 0) -> None:
        """Set the RTC, as machine.RTC().datetime(...) or an NTP sync would."""
        self._rtc_base = seconds * 1_000_000 + subseconds_us
        self._rtc_set_at_us = self.uptime_us()

    def sleep_us(self, us: int) -> None:
        if us <= 0:
            return
        if self._frozen_us is not None:
            self._frozen_us += us
        else:
            _host.sleep(us / 1_000_000)


clock = Clock()


def _small_int(value: object, name: str) -> int:
    # The firmware assumes ticks are small ints; a float here is a bug on the device too.
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int from ticks_ms()/ticks_us(), not {value!r}")
    return value


def ticks_ms() -> int:
    """Milliseconds since boot, wrapping at TICKS_PERIOD."""
    return (clock.ticks_start_ms + clock.uptime_us() // 1000) & TICKS_MAX


def ticks_us() -> int:
    """Microseconds since boot, wrapping at TICKS_PERIOD (every ~18 minutes)."""
    return (clock.ticks_start_us + clock.uptime_us()) & TICKS_MAX


def ticks_cpu() -> int:
    """The ESP32 port's highest-resolution counter; here the microsecond one."""
    return ticks_us()


def ticks_add(ticks: int, delta: int) -> int:
    """ticks + delta, wrapped; OverflowError when ticks_diff could not undo it."""
    ticks = _small_int(ticks, "ticks")
    delta = _small_int(delta, "delta")
    if not -_HALF < delta < _HALF:
        raise OverflowError("ticks interval overflow")
    return (ticks + delta) & TICKS_MAX


def ticks_diff(end: int, start: int) -> int:
    """Signed distance from start to end, correct across one wrap of the counter."""
    end = _small_int(end, "end")
    start = _small_int(start, "start")
    return ((end - start + _HALF) & TICKS_MAX) - _HALF


def sleep(seconds: float) -> None:
    """Block for seconds (int or float)."""
    clock.sleep_us(int(1000 * seconds) * 1000)


def sleep_ms(ms: int) -> None:
    """Block for ms milliseconds; a negative value does nothing."""
    clock.sleep_us(int(ms) * 1000)


def sleep_us(us: int) -> None:
    """Block for us microseconds; a negative value does nothing."""
    clock.sleep_us(int(us))


def time() -> int:
    """Whole seconds since 2000-01-01 by the RTC."""
    return clock.rtc_us() // 1_000_000


def time_ns() -> int:
    """Nanoseconds since 2000-01-01 by the RTC."""
    return clock.rtc_us() * 1000


def localtime(secs: int | None = None) -> tuple:
    """(year, month, mday, hour, minute, second, weekday, yearday) for secs since 2000."""
    if secs is None:
        secs = time()
    tm = _host.gmtime(int(secs) + EPOCH_OFFSET)
    return (
        tm.tm_year,
        tm.tm_mon,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_wday,
        tm.tm_yday,
    )


gmtime = localtime  # one function on the device: there are no time zones


def mktime(tm: tuple | list) -> int:
    """Seconds since 2000 for a localtime()-style tuple; out-of-range fields roll over."""
    if len(tm) < 8 or len(tm) > 9:
        raise TypeError("mktime needs a tuple of length 8 or 9")
    year, month, mday, hour, minute, second = (int(v) for v in tm[:6])
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    seconds = calendar.timegm((year, month, 1, 0, 0, 0)) - EPOCH_OFFSET
    seconds += (mday - 1) * 86400 + hour * 3600 + minute * 60 + second
    return seconds % (1 << 32)  # an unsigned machine word on the ESP32
