# Runs under real MicroPython (see test_keypad_scan_alloc.py): counts the bytes the keypad
# scan allocates. With the collector off nothing is freed, so gc.mem_alloc() only grows,
# by exactly what was allocated. Prints "ALLOCATED <bytes> EVENTS <n>".
import gc
import time

from keypad import Keypad

LAYOUT = "123A456B789C*0#D"


class Matrix:
    """Which keys are down, as a bitmask; pins read it without allocating."""

    def __init__(self):
        self.down = 0


class RowPin:
    def __init__(self):
        self.level = 1

    def value(self, x=None):
        if x is None:
            return self.level
        self.level = x


class ColPin:
    def __init__(self, matrix, rows, col):
        self.matrix = matrix
        self.rows = rows
        self.col = col

    def value(self, x=None):
        for r in range(4):
            if self.rows[r].level == 0 and self.matrix.down & (1 << (r * 4 + self.col)):
                return 0
        return 1


matrix = Matrix()
rows = [RowPin() for _ in range(4)]
cols = [ColPin(matrix, rows, c) for c in range(4)]
keypad = Keypad(rows, cols, LAYOUT, debounce_ms=30, long_ms=800)
# Presses, holds, bounces and a three-key ghost, as key bitmasks per 10 ms step.
SCRIPT = bytearray(400)
for step in range(400):
    phase = step % 100
    if phase < 5:
        SCRIPT[step] = 0
    elif phase < 9:
        SCRIPT[step] = phase & 1  # bounce
    elif phase < 30:
        SCRIPT[step] = 1 << (step // 100)  # a short press of one key
    elif phase < 40:
        SCRIPT[step] = 0
    elif phase < 50:
        SCRIPT[step] = 0x13  # keys "1", "2", "4": a rectangle, so "5" reads down too
    else:
        SCRIPT[step] = 0x80 if step < 200 else 0x40  # a long press
start = time.ticks_add(0, -2000)  # the counter wraps during the run
events = 0
gc.collect()
gc.disable()
before = gc.mem_alloc()
now = start
for step in range(400):
    matrix.down = SCRIPT[step]
    keypad.scan(now)
    while keypad.get_nowait() is not None:
        events += 1
    now = time.ticks_add(now, 10)
after = gc.mem_alloc()
gc.enable()
print("ALLOCATED", after - before, "EVENTS", events)
