"""The `micropython` module on CPython: const, opt_level, mem_info and friends.

heap_lock() cannot stop CPython allocating; it only counts. Allocation-free code is
checked under real MicroPython instead (tests/device/test_keypad_scan_alloc.py).
"""

from host.device_sim.fakes import gc as _gc

_state = {"opt_level": 0, "heap_lock": 0, "emergency_buf": 0}


def const(value):
    """A compile-time constant on the device; the value itself here."""
    return value


def opt_level(level: int | None = None) -> int | None:
    if level is None:
        return _state["opt_level"]
    _state["opt_level"] = level
    return None


def alloc_emergency_exception_buf(size: int) -> None:
    """Reserve memory for exceptions raised in interrupt handlers (recorded only)."""
    _state["emergency_buf"] = size


def mem_info(verbose: object = None) -> None:
    """Print a memory summary in the device's words (figures from the gc fake)."""
    used = _gc.mem_alloc()
    print(
        f"stack: 0 out of 15360\nGC: total: {_gc.HEAP_BYTES}, used: {used}, free: {_gc.mem_free()}"
    )


def qstr_info(verbose: object = None) -> None:
    print("qstr pool: n_pool=0, n_qstr=0, n_str_data_bytes=0, n_total_bytes=0")


def stack_use() -> int:
    return 0


def heap_lock() -> int:
    _state["heap_lock"] += 1
    return _state["heap_lock"] - 1


def heap_unlock() -> int:
    _state["heap_lock"] = max(0, _state["heap_lock"] - 1)
    return _state["heap_lock"]


def heap_locked() -> int:
    return _state["heap_lock"]


def kbd_intr(char: int) -> None:
    """Which character raises KeyboardInterrupt on the REPL (ignored here)."""


def schedule(func, arg) -> None:
    """Run func(arg) soon; here at once (the simulator has no interrupts)."""
    func(arg)


def native(func):
    """Native-code emitter decorator: a no-op on CPython."""
    return func


viper = native
