"""Device firmware tests.

Device modules import each other as top-level modules (the ESP32 filesystem root is
device/), so device/ goes on sys.path before any test module loads. Test files listed in
test_under_micropython.py (CASES) also run under real MicroPython; they import only
device modules, `casekit` and `vendkit` (this folder), never pytest.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEVICE_DIR = HERE.parents[1] / "device"
for folder in (DEVICE_DIR, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
