"""MicroPython's `asyncio` on CPython: the names the firmware may use, and only those.

Tasks run on CPython's event loop, so test code can `asyncio.run()` a device coroutine.
What differs from CPython's asyncio, as on the device:
- sleep_ms(ms) and wait_for_ms(aw, ms) exist;
- TimeoutError is its own Exception subclass, not OSError: `except OSError` around a
  wait_for does not swallow a timeout on the device, so it must not here either;
- ThreadSafeFlag exists (set from an interrupt handler, awaited by one task);
- no Queue, Semaphore, StreamReader(uart), to_thread...: using a name the device lacks
  fails here with AttributeError instead of working only on the PC.
"""

import asyncio as _aio
import builtins

CancelledError = _aio.CancelledError
Event = _aio.Event
Lock = _aio.Lock
create_task = _aio.create_task
current_task = _aio.current_task
gather = _aio.gather
get_event_loop = _aio.get_event_loop
new_event_loop = _aio.new_event_loop
run = _aio.run
sleep = _aio.sleep
open_connection = _aio.open_connection
start_server = _aio.start_server
Task = _aio.Task


class TimeoutError(Exception):  # the device's asyncio has its own, not OSError's
    """Raised by wait_for/wait_for_ms when the awaitable did not finish in time."""


async def sleep_ms(ms: int) -> None:
    """Yield to other tasks for ms milliseconds (0: just yield)."""
    await _aio.sleep(max(ms, 0) / 1000)


async def wait_for(aw, timeout):
    """Await aw for at most timeout seconds; TimeoutError (this module's) when it runs over."""
    try:
        return await _aio.wait_for(aw, timeout)
    except builtins.TimeoutError as exc:  # what CPython's wait_for raises
        raise TimeoutError() from exc


async def wait_for_ms(aw, timeout: int):
    """wait_for with the timeout in milliseconds."""
    return await wait_for(aw, timeout / 1000)


class ThreadSafeFlag:
    """A flag one task awaits and anything (an ISR on the device) sets; wait() clears it."""

    def __init__(self) -> None:
        self._event = _aio.Event()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()
