"""Small test helpers that work the same under CPython (pytest) and MicroPython.

Test files that must also run under MicroPython import this instead of pytest.
"""

import os
import sys

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
