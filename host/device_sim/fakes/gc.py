"""MicroPython's `gc` on CPython: collect/enable/disable/threshold plus mem_alloc/mem_free.

CPython has no fixed heap, so the memory figures are estimates: with tracemalloc tracing,
mem_alloc() is the traced size; without it, 0. mem_free() is HEAP_BYTES minus that. Real
figures come from the MicroPython runs (tests/micropython, `make bench`).
"""

import gc as _gc
import tracemalloc

HEAP_BYTES = 100_000  # about what a plain ESP32 leaves to Python with Wi-Fi up

_threshold = [-1]


def collect() -> None:
    """Collect young garbage (returns None, as on the device).

    Only CPython's youngest generation: the firmware collects after every key and every
    tick, which costs the ESP32 a millisecond or two, but a full CPython collection over a
    host process's heap takes ~50 ms and would stall the simulated device's event loop
    long enough to miss key presses.
    """
    _gc.collect(0)


def enable() -> None:
    _gc.enable()


def disable() -> None:
    _gc.disable()


def isenabled() -> bool:
    return _gc.isenabled()


def mem_alloc() -> int:
    """Bytes in use: the tracemalloc figure when tracing, else 0."""
    if tracemalloc.is_tracing():
        return tracemalloc.get_traced_memory()[0]
    return 0


def mem_free() -> int:
    """HEAP_BYTES minus mem_alloc(), never below 0."""
    return max(0, HEAP_BYTES - mem_alloc())


def threshold(amount: int | None = None) -> int | None:
    """Get (no argument) or set the allocation threshold; -1 means unset."""
    if amount is None:
        return _threshold[0]
    _threshold[0] = amount
    return None
