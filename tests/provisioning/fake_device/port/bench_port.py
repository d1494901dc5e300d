# What the ESP32 port has and the WebAssembly port does not, run at every boot of the
# fake handheld: asyncio.run(). The WebAssembly port's asyncio runs tasks from
# JavaScript timers, which never fire while a REPL command runs; this runs the same
# task queue from the command itself, sleeping for real until the next task is due,
# as the ESP32 port's asyncio.run() does.
import asyncio
import time
from asyncio import core


def _run(coro):
    task = core.create_task(coro)
    while not task.done():
        core._run_iter()
        head = core._task_queue.peek()
        if task.done() or head is None:
            break
        wait = time.ticks_diff(head.ph_key, time.ticks_ms())
        if wait > 0:
            time.sleep_ms(wait)
    if not task.done():
        raise RuntimeError("asyncio.run: the task waits on something that never comes")
    if isinstance(task.data, BaseException) and not isinstance(task.data, StopIteration):
        # the loop queued the failed task to report it later; the caller gets it now
        core._task_queue.remove(task)
    if isinstance(task.data, StopIteration):
        return task.data.value
    if isinstance(task.data, BaseException):
        raise task.data
    return task.data


asyncio.run = _run
