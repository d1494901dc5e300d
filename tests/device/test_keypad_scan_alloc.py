"""The keypad scan loop allocates nothing: measured under real MicroPython.

On the device a scan runs every 10 ms for the whole day; an allocation there would
fragment the heap and trigger collections during a sale. CPython allocates for every
integer above 256, so it cannot tell; MicroPython's small ints and its gc.mem_alloc()
with the collector off can (tests/device/keypad_alloc_case.py).
"""

import re
from pathlib import Path

from tests.device.test_under_micropython import device_and_cases_args, run_micropython

CASE = Path(__file__).with_name("keypad_alloc_case.py")


def measure(extra: str = "") -> tuple[int, int]:
    proc = run_micropython(*device_and_cases_args(), "--exec", extra or "pass", "--file", str(CASE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = re.search(r"^ALLOCATED (-?\d+) EVENTS (\d+)$", proc.stdout, re.MULTILINE)
    assert found, proc.stdout
    return int(found.group(1)), int(found.group(2))


def test_scanning_and_taking_events_allocates_nothing_under_micropython():
    allocated, events = measure()
    assert events >= 6  # short presses and long presses really happened
    assert allocated == 0


def test_the_measurement_does_see_an_allocation_in_the_loop():
    # Make the scan allocate (a list per call) and the same measurement must notice.
    patch = (
        "import keypad\n"
        "_scan = keypad.Keypad.scan\n"
        "def scan(self, now):\n"
        "    [now]\n"
        "    _scan(self, now)\n"
        "keypad.Keypad.scan = scan\n"
    )
    allocated, _events = measure(patch)
    assert allocated > 0
