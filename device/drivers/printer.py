"""58 mm thermal printer on a UART (ESC/POS): paper status in, slips out in paced chunks.

The printer has no flow control on its TTL serial line and a small receive buffer, so
bytes go out in chunks with a pause after each: the time the chunk takes on the wire, or
the time the printer needs to print its lines, whichever is longer. The pause is an
asyncio sleep, so the keypad and the link keep running while a slip prints.

Paper is checked with the real-time status request DLE EOT 4, which the printer answers
even while busy: once before a slip (refuse to start without paper) and once after (the
roll may have ended halfway; the caller reprints the whole slip after new paper, which is
safe because every slip starts with ESC @).
"""

import asyncio
import time

from micropython import const

STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4: paper roll sensor status
_FIXED_MASK = const(0x93)  # bits 0, 1, 4, 7 of every status byte are fixed...
_FIXED_BITS = const(0x12)  # ...to 0, 1, 1, 0: anything else is not a status reply
_PAPER_END = const(0x60)  # bits 5-6: roll end sensor
_PAPER_NEAR_END = const(0x0C)  # bits 2-3: near-end sensor


class PaperOut(Exception):
    """The printer has no paper; load a roll and print again."""


# The printer did not answer its status request (off, unplugged, or wrong baud rate): an
# OSError saying so (a class of its own would cost the heap ~110 bytes).
NoPrinter = OSError


class Printer:
    """ESC/POS printer on uart. baud must match the UART's; chunk is bytes per write.

    line_ms is how long the printer takes for one line of text (thermal heads print about
    50-80 mm/s; a 24-dot line is 3 mm): the pacing waits at least that per LF sent.
    """

    def __init__(self, uart, baud=9600, chunk=64, line_ms=40, status_timeout_ms=300):
        self.uart = uart
        self.chunk = chunk
        self.line_ms = line_ms
        self.status_timeout_ms = status_timeout_ms
        self.paper_low = False  # near-end sensor, from the last status reply
        self._byte_us = 10_000_000 // baud  # start bit, 8 data bits, stop bit
        self._reply = bytearray(1)
        self._lock = asyncio.Lock()

    async def status(self):
        """ "ok", "paper_out", or "no_printer" when no valid answer comes within the timeout."""
        async with self._lock:
            return await self._status()

    async def print_slip(self, data):
        """Send a slip (bytes from escpos.encode_slip); raises PaperOut or NoPrinter.

        PaperOut after sending means the roll ended during this slip: print it again.
        """
        async with self._lock:
            view = memoryview(data)
            start = -self.chunk  # the paper is checked before the first chunk and after the last
            while True:
                if start < 0 or start >= len(data):
                    state = await self._status()
                    if state == "paper_out":
                        raise PaperOut()
                    if state == "no_printer":
                        raise NoPrinter("no printer")  # no answer to the status request
                    if start >= len(data):
                        return
                else:
                    part = view[start : start + self.chunk]
                    self.uart.write(part)
                    lines = 0
                    for byte in part:
                        if byte == 0x0A:
                            lines += 1
                    wire_ms = (len(part) * self._byte_us + 999) // 1000
                    print_ms = lines * self.line_ms
                    await asyncio.sleep_ms(wire_ms if wire_ms > print_ms else print_ms)
                start += self.chunk

    async def _status(self):
        while self.uart.any():  # a late answer to an earlier request is not this one's
            self.uart.readinto(self._reply, 1)
        self.uart.write(STATUS_QUERY)
        deadline = time.ticks_add(time.ticks_ms(), self.status_timeout_ms)
        while True:
            if self.uart.any():
                self.uart.readinto(self._reply, 1)
                byte = self._reply[0]
                if byte & _FIXED_MASK == _FIXED_BITS:
                    self.paper_low = bool(byte & _PAPER_NEAR_END)
                    return "paper_out" if byte & _PAPER_END else "ok"
                continue  # line noise: keep listening
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                return "no_printer"
            await asyncio.sleep_ms(10)
