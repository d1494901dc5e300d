"""The keypad: the 4x4 matrix scan with debounce and long press (Keypad), and numeric
entry (Entry).

Wiring (board.py): rows are open-drain outputs, all released (1) except the one being
scanned, which is pulled low; columns are inputs with pull-ups, so a pressed key reads 0
on its column while its row is low. Releasing the idle rows instead of driving them high
means two keys on one column never short a high row to a low one.

The scan reads the whole matrix into one integer (bit = row * columns + column), so the
loop allocates nothing: no lists, no tuples, no strings. A change must hold for
debounce_ms before it counts. Three keys at the corners of a rectangle make the fourth
corner read as pressed too (ghosting, no diodes on membrane keypads); such scans are
ambiguous and ignored until the keys change.

Events are (key, is_long): a short press is reported when the key is released; a press
held for long_ms is reported once as long while still held (and not again on release).
They wait in a small ring until `await keypad.get()` takes them; the tuples are made
once, up front.

Numeric entry: digits append, * deletes, # submits. A long press of * clears
everything. Other keys (A-D) are left to the caller. The digits live in a preallocated
buffer so typing allocates nothing.
"""

import asyncio
import time

from micropython import const

IGNORED = 0  # not an entry key: the caller decides what it means
CHANGED = 1  # the digits changed: redraw
SUBMIT = 2  # # pressed: the caller checks the digits
FULL = 3  # a digit was refused: already at the maximum length
EMPTY = 4  # * pressed with nothing to delete


class Entry:
    """Up to max_len digits typed on the keypad."""

    def __init__(self, max_len):
        self.max_len = max_len
        self._buf = bytearray(max_len)
        self._len = 0

    def key(self, key, is_long=False):
        """Apply one key event; returns IGNORED, CHANGED, SUBMIT, FULL or EMPTY."""
        if "0" <= key <= "9":
            if self._len >= self.max_len:
                return FULL
            self._buf[self._len] = ord(key)
            self._len += 1
            return CHANGED
        if key == "*":
            if self._len == 0:
                return EMPTY
            self._len = 0 if is_long else self._len - 1
            return CHANGED
        if key == "#":
            return SUBMIT
        return IGNORED

    def clear(self):
        """Forget everything typed."""
        self._len = 0

    def set(self, digits):
        """Start from the given digits (cut to max_len), e.g. to correct a typo."""
        digits = digits[: self.max_len]
        for i, ch in enumerate(digits):
            self._buf[i] = ord(ch)
        self._len = len(digits)

    def __len__(self):
        return self._len

    def text(self):
        """The digits typed so far, as a str."""
        return bytes(self._buf[: self._len]).decode()


_RING = const(8)


class Keypad:
    """Matrix keypad on row_pins (outputs) and col_pins (inputs), keys named by layout."""

    def __init__(
        self,
        row_pins,
        col_pins,
        layout="123A456B789C*0#D",
        debounce_ms=30,
        long_ms=800,
        period_ms=10,
        settle_us=5,
    ):
        if len(layout) != len(row_pins) * len(col_pins):
            raise ValueError(
                "keypad layout has "
                + str(len(layout))
                + " keys for "
                + str(len(row_pins))
                + "x"
                + str(len(col_pins))
            )
        self.rows = row_pins
        self.cols = col_pins
        self.nrows = len(row_pins)
        self.ncols = len(col_pins)
        self.nkeys = len(layout)
        self.layout = layout
        self.debounce_ms = debounce_ms
        self.long_ms = long_ms
        self.period_ms = period_ms
        self.settle_us = settle_us
        # event code = key index * 2 + is_long -> the tuple handed out
        events = []
        for i in range(self.nkeys):
            events.append((layout[i], False))
            events.append((layout[i], True))
        self._events = tuple(events)
        self._ring = bytearray(_RING)
        self._head = 0
        self._count = 0
        self.dropped = 0  # events lost because nobody took them
        self._ready = asyncio.Event()
        self._col_mask = (1 << self.ncols) - 1
        self._candidate = 0  # last raw reading
        self._since = 0  # when the candidate was first seen
        self._stable = 0  # debounced state
        self._long_sent = 0  # keys whose long press was reported
        self._down_at = [0] * self.nkeys
        for pin in row_pins:
            pin.value(1)  # released

    def read_raw(self):
        """One pass over the matrix: bit row * columns + column set for each key reading down."""
        bits = 0
        for r in range(self.nrows):
            row = self.rows[r]
            row.value(0)
            if self.settle_us:
                time.sleep_us(self.settle_us)
            for c in range(self.ncols):
                if not self.cols[c].value():
                    bits |= 1 << (r * self.ncols + c)
            row.value(1)
        return bits

    def scan(self, now):
        """One scan at time now (ticks_ms): read, debounce, and queue any events."""
        bits = self.read_raw()
        # Two rows sharing two or more columns: a rectangle, so one corner may be a ghost.
        mask = self._col_mask
        ncols = self.ncols
        for r in range(self.nrows - 1):
            a = (bits >> (r * ncols)) & mask
            if a & (a - 1):
                for r2 in range(r + 1, self.nrows):
                    common = a & (bits >> (r2 * ncols)) & mask
                    if common & (common - 1):
                        return
        if bits != self._candidate:
            self._candidate = bits
            self._since = now
            return
        stable = self._stable
        if bits != stable and time.ticks_diff(now, self._since) >= self.debounce_ms:
            changed = bits ^ stable
            for k in range(self.nkeys):
                bit = 1 << k
                if changed & bit:
                    if bits & bit:
                        self._down_at[k] = self._since
                    else:
                        if not self._long_sent & bit:  # a short press: queue (key, False)
                            if self._count == _RING:
                                self.dropped += 1  # nobody took the events
                            else:
                                self._ring[(self._head + self._count) % _RING] = k * 2
                                self._count += 1
                                self._ready.set()
                        self._long_sent &= ~bit
            self._stable = bits
        held = self._stable & ~self._long_sent
        if held:
            for k in range(self.nkeys):
                bit = 1 << k
                if held & bit and time.ticks_diff(now, self._down_at[k]) >= self.long_ms:
                    self._long_sent |= bit
                    if self._count == _RING:  # a long press: queue (key, True)
                        self.dropped += 1
                    else:
                        self._ring[(self._head + self._count) % _RING] = k * 2 + 1
                        self._count += 1
                        self._ready.set()

    async def run(self):
        """The scan task: create it once with asyncio.create_task(keypad.run())."""
        while True:
            self.scan(time.ticks_ms())
            await asyncio.sleep_ms(self.period_ms)

    def get_nowait(self):
        """The oldest waiting event (key, is_long), or None."""
        if not self._count:
            return None
        code = self._ring[self._head]
        self._head = (self._head + 1) % _RING
        self._count -= 1
        return self._events[code]

    async def get(self):
        """Wait for the next key event (key, is_long)."""
        while not self._count:
            self._ready.clear()
            await self._ready.wait()
        return self.get_nowait()

    def pressed(self):
        """Keys held down now, after debounce, as a string in layout order (for self-test)."""
        out = ""
        for k in range(self.nkeys):
            if self._stable & (1 << k):
                out += self.layout[k]
        return out
