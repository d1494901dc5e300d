"""A fake ESP32-family ROM bootloader on a pseudo-terminal, for esptool's connection checks.

It answers esptool's SLIP-framed commands the way the chip's ROM does, as far as
esptool needs before it decides which chip it is talking to: SYNC (eight answers, as the
ROM sends) and GET_SECURITY_INFO (flags, key purposes, the chip id, API version). Any
other command gets the ROM's "invalid command" status. Enough for esptool to say "This
chip is ESP32-S3, not ESP32" when told --chip esp32.
"""

import os
import struct
import threading
import tty

SLIP_END, SLIP_ESC = 0xC0, 0xDB
SYNC, GET_SECURITY_INFO = 0x08, 0x14
OK_STATUS = b"\x00\x00\x00\x00"  # status, error, and the two bytes ROMs add
INVALID_COMMAND = b"\x01\x05\x00\x00"
CHIP_IDS = {"ESP32-S3": 9, "ESP32-C3": 5}


def slip(packet: bytes) -> bytes:
    body = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


class FakeRomBootloader:
    """A chip in download mode on a pty; `port` is the path esptool opens."""

    def __init__(self, chip: str = "ESP32-S3") -> None:
        self.chip_id = CHIP_IDS[chip]
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.commands: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "FakeRomBootloader":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        os.close(self.slave)  # the reader sees EIO and ends
        self._thread.join(timeout=5)
        os.close(self.master)

    def _answer(self, op: int, data: bytes, value: int = 0) -> None:
        os.write(self.master, slip(struct.pack("<BBHI", 1, op, len(data), value) + data))

    def _handle(self, packet: bytes) -> None:
        if len(packet) < 8 or packet[0] != 0:
            return
        op = packet[1]
        self.commands.append(op)
        if op == SYNC:
            for _ in range(8):
                self._answer(SYNC, OK_STATUS, value=0x20120707)
        elif op == GET_SECURITY_INFO:
            info = struct.pack("<IBBBBBBBBII", 0, 0, 0, 0, 0, 0, 0, 0, 0, self.chip_id, 0)
            self._answer(op, info + OK_STATUS)
        else:
            self._answer(op, INVALID_COMMAND)

    def _serve(self) -> None:
        frame = bytearray()
        inside = escaped = False
        while not self._stop.is_set():
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            for byte in chunk:
                if byte == SLIP_END:
                    if inside and frame:
                        self._handle(bytes(frame))
                    frame.clear()
                    inside = True
                elif escaped:
                    frame.append(0xC0 if byte == 0xDC else 0xDB)
                    escaped = False
                elif byte == SLIP_ESC:
                    escaped = True
                elif inside:
                    frame.append(byte)
