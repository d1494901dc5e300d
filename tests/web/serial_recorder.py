"""A pseudo-terminal standing in for a serial printer: pyserial opens its slave end by
name, and everything written to it is recorded from the master end."""

import os
import select
import threading
import tty
from collections.abc import Iterator
from contextlib import contextmanager


class Recording:
    """The bytes a program wrote to the port, gathered by a reader thread."""

    def __init__(self, master: int) -> None:
        self._master = master
        self._chunks: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        poller = select.poll()  # not select.select: it fails for descriptors above 1023
        poller.register(self._master, select.POLLIN)
        while not self._stop.is_set():
            if poller.poll(50):
                try:
                    chunk = os.read(self._master, 4096)
                except OSError:  # every slave end closed: nothing more can come
                    return
                if chunk:
                    self._chunks.append(chunk)

    def stop(self) -> bytes:
        """Stop recording once the port has been quiet for a moment; everything recorded."""
        quiet = 0
        seen = -1
        while quiet < 4:
            total = sum(len(c) for c in self._chunks)
            quiet = quiet + 1 if total == seen else 0
            seen = total
            self._stop.wait(0.05)
        self._stop.set()
        self._thread.join(timeout=2)
        return b"".join(self._chunks)


@contextmanager
def recording_port() -> Iterator[tuple[str, "Recording"]]:
    """(path of a port to print to, its recording)."""
    master, slave = os.openpty()
    tty.setraw(slave)  # no line discipline: bytes pass exactly as written
    path = os.ttyname(slave)
    recording = Recording(master)
    try:
        yield path, recording
    finally:
        recording.stop()
        os.close(slave)
        os.close(master)
