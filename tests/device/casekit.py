"""Small test helpers that work the same under CPython (pytest) and MicroPython.

Test files that must also run under MicroPython import this instead of pytest.
"""

import os
import sys

from receipts import DOUBLE_WIDTH, LINE_WIDTH, WIDE_LINE_WIDTH

MICROPYTHON = sys.implementation.name == "micropython"
_counter = [0]


class raises:
    """Context manager: the block must raise exc_type; the exception is kept in .value."""

    def __init__(self, exc_type, match=None):
        self.exc_type = exc_type
        self.match = match
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError(f"did not raise {self.exc_type.__name__}")
        if not issubclass(kind, self.exc_type):
            return False
        if self.match is not None and self.match not in str(value):
            raise AssertionError(f"{str(value)!r} does not contain {self.match!r}")
        self.value = value
        return True


def fresh_dir():
    """A new empty directory (a temporary one on CPython, under /tmp on MicroPython)."""
    if not MICROPYTHON:
        import tempfile

        return tempfile.mkdtemp(prefix="gridvend-")
    _counter[0] += 1
    for part in ("/tmp", f"/tmp/case{_counter[0]}"):
        try:  # noqa: SIM105 - MicroPython has no contextlib
            os.mkdir(part)
        except OSError:
            pass  # already there
    return f"/tmp/case{_counter[0]}"


def printed(slip):
    """A slip's lines as (style, text), each text as the printer prints it.

    A (style, label, value) pair line becomes the label, spaces and the value flush
    right across the line's width (drivers/escpos.py pads it the same way; its tests
    check that), so slip tests can state the exact text a customer reads.
    """
    out = []
    for line in slip:
        if len(line) > 2:
            width = WIDE_LINE_WIDTH if line[0] & DOUBLE_WIDTH else LINE_WIDTH
            out.append((line[0], line[1] + " " * (width - len(line[1]) - len(line[2])) + line[2]))
        else:
            out.append(line)
    return out
