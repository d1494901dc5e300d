"""Runs at every (soft) reset, before main.py: the firmware's modules win every import.

MicroPython looks for a module in sys.path order, and on the ESP32 the filesystem's
root ("") comes first. When the firmware ships frozen into MicroPython (or in a ROMFS
image), its modules live in ".frozen" (or "/rom"), after the root; and the root holds
the sale journal's directory, /journal. A directory counts as a package in
MicroPython even without __init__.py, so `import journal.journal` would find the data
directory, not the firmware, and fail. Putting the root last fixes every import made
after boot: main.py's, and those of a technician's session over USB.

With the firmware copied onto the filesystem (no frozen modules) the order changes
nothing: the root is still searched. docs/firmware-memory.md has the whole story.
"""

import sys

if "" in sys.path:
    sys.path.remove("")
    sys.path.append("")
