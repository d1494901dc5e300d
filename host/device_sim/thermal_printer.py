"""A model of the 58 mm ESC/POS printer at the other end of the fake UART.

It answers DLE EOT n status requests at once (they are real-time commands), puts the
other bytes on paper while there is paper, and loses them when there is none, as a
printer without flow control does. Tests and the simulator take the finished slips
(each ends with its cut) from `take_slips()`.
"""

from itertools import pairwise

from host.escpos_render import split_slips

_STATUS_FIXED = 0x12
INIT = b"\x1b\x40"  # ESC @ starts every slip gridvend prints


class ThermalPrinter:
    """Attach with uart.attach(printer) or ThermalPrinter(uart)."""

    def __init__(self, uart=None) -> None:
        self.uart = uart
        self.powered = True
        self.paper = True
        self.paper_near_end = False
        self.paper_left: int | None = None  # bytes until the roll ends (None: endless)
        self.printed = bytearray()  # what reached paper, commands included
        self.received = bytearray()  # everything that arrived, status requests included
        self.queries = 0
        self._tail = b""
        self._taken = 0
        if uart is not None:
            uart.attach(self)

    def __call__(self, data: bytes) -> None:
        """Bytes from the device."""
        if not self.powered:
            return
        self.received += data
        stream = self._tail + data
        i = 0
        printable = bytearray()
        while i < len(stream):
            if stream[i] == 0x10 and i + 2 < len(stream) and stream[i + 1] == 0x04:
                self._answer(stream[i + 2])
                i += 3
                continue
            if stream[i] == 0x10 and len(stream) - i < 3:
                break  # a request split across writes: wait for the rest
            printable.append(stream[i])
            i += 1
        self._tail = bytes(stream[i:])
        self._put_on_paper(bytes(printable))

    def _put_on_paper(self, data: bytes) -> None:
        for byte in data:
            if not self.paper:
                return  # dropped: the printer is offline without paper
            self.printed.append(byte)
            if self.paper_left is not None:
                self.paper_left -= 1
                if self.paper_left <= 0:
                    self.paper = False

    def _answer(self, n: int) -> None:
        self.queries += 1
        if n == 4:  # paper roll sensor
            status = _STATUS_FIXED
            if self.paper_near_end or not self.paper:
                status |= 0x0C
            if not self.paper:
                status |= 0x60
        elif n == 1:  # printer status: bit 3 offline
            status = _STATUS_FIXED | (0 if self.paper else 0x08)
        elif n == 2:  # offline cause: bit 5 paper end stop
            status = _STATUS_FIXED | (0 if self.paper else 0x20)
        else:  # error status: none
            status = _STATUS_FIXED
        if self.uart is not None:
            self.uart.feed(bytes([status]))

    def load_paper(self, length: int | None = None) -> None:
        """A new roll (length bytes of printing, or endless)."""
        self.paper = True
        self.paper_left = length

    def take_slips(self) -> list[bytes]:
        """Slips finished since the last call: cut, or torn off where the next one begins.

        A slip cut short by the end of the roll ends where the reprint's ESC @ begins.
        """
        pending = bytes(self.printed[self._taken :])
        done = []
        for piece in split_slips(pending):
            starts = [i for i in range(1, len(piece) - 1) if piece[i : i + 2] == INIT]
            bounds = [0, *starts, len(piece)]
            done.extend(piece[a:b] for a, b in pairwise(bounds))
        if done and not _ends_with_cut(done[-1]):
            done.pop()  # still printing
        self._taken += sum(len(s) for s in done)
        return done


def _ends_with_cut(slip: bytes) -> bool:
    return (len(slip) >= 3 and slip[-3:-1] == b"\x1d\x56") or (
        len(slip) >= 4 and slip[-4:-2] == b"\x1d\x56"
    )
