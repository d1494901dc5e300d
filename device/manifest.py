"""MicroPython freeze manifest: the handheld firmware built into the MicroPython image.

How the firmware ships on a plain ESP32 (docs/firmware-memory.md says why): build
MicroPython for ESP32_GENERIC with this manifest, from a MicroPython checkout,

    make -C ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=<gridvend>/device/manifest.py

and flash the firmware it makes. Every device module is then compiled into flash: its
code, the names it uses and its string constants take no heap. boot.py and main.py are
frozen too, and MicroPython runs a frozen boot.py and main.py at reset instead of files
of those names, so the filesystem holds only config.json and the device's data (sale
journal, language, crash count).

Read by MicroPython's build (tools/makemanifest.py), never imported on the device.
"""

# The port's own frozen modules: _boot.py (mounts the filesystem), asyncio, ...
include("$(PORT_DIR)/boards/manifest.py")  # noqa: F821 - defined by makemanifest.py

for _file in ("board.py", "boot.py", "config.py", "main.py", "selftest.py"):
    module(_file)  # noqa: F821 - paths are relative to this file's directory
for _package in ("drivers", "i18n", "journal", "keypad", "link", "receipts", "vend"):
    package(_package)  # noqa: F821
