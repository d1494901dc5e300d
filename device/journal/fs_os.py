"""The filesystem object the journal uses on the device: os + the builtin open.

The journal only ever calls these five methods, so a test can hand it any object with
the same shape (tests/device/powercut_fs.py runs the same calls on a littlefs image
whose flash "loses power" after N writes).
"""

import os


class OsFs:
    """Filesystem calls for the journal, done with os and open (littlefs on the ESP32).

    Paths are absolute strings. A missing file raises OSError, as os does.
    """

    def open(self, path, mode):
        """Open a file; mode is one of "rb", "wb", "ab"."""
        return open(path, mode)

    def rename(self, src, dst):
        """Rename src to dst, replacing dst atomically if it exists (littlefs does)."""
        os.rename(src, dst)

    def remove(self, path):
        """Delete one file."""
        os.remove(path)

    def listdir(self, path):
        """Names (not paths) of the entries in a directory."""
        return os.listdir(path)

    def mkdir(self, path):
        """Create a directory; an existing one is fine."""
        try:
            os.mkdir(path)
        except OSError:
            # errno values differ between ports (EEXIST is 17 on the ESP32, 20 under
            # WebAssembly): ask whether the directory is there instead.
            if not os.stat(path)[0] & 0x4000:  # S_IFDIR: the entry is a directory
                raise
