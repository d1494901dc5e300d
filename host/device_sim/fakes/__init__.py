"""CPython fakes of the MicroPython modules the firmware imports (see ../README.md).

Each module here keeps MicroPython's semantics (ESP32 port) as exactly as a test can tell:
a fake that is kinder than the hardware hides bugs. `install.install()` wires them in.
"""
