"""A littlefs filesystem on a simulated NOR flash that can lose power, for journal tests.

`Flash` is the chip: a bytearray that littlefs-python programs and erases through
callbacks. Armed with `cut_after=N`, it performs N program/erase operations and then
"loses power": the next operation is dropped (or, with `torn=True`, half-applied, as a
real chip does when power drops mid-program), and every later one is dropped too.
The bytes left in the array are exactly what a rebooted device would find.

`LfsFs` gives the journal the same five calls as device/journal/fs_os.py, with
MicroPython's semantics ("ab" creates the file; missing files raise OSError(ENOENT)).
Once the flash is dead every call raises `PowerCut`, which is deliberately not an
OSError, so code under test cannot mistake a power cut for an ordinary I/O error.

The geometry matches MicroPython's littlefs v2 on the ESP32: 4096-byte blocks,
32-byte read and program units, 128-byte caches, 32-byte lookahead, 100 block cycles.
"""

from __future__ import annotations

import errno

from littlefs import LittleFS, LittleFSError, lfs
from littlefs.context import UserContext

BLOCK_SIZE = 4096
GEOMETRY = {
    "block_size": BLOCK_SIZE,
    "read_size": 32,
    "prog_size": 32,
    "cache_size": 128,
    "lookahead_size": 32,
    "block_cycles": 100,
}
_LFS_EIO = -5
_ERRNO = {
    LittleFSError.Error.LFS_ERR_NOENT: errno.ENOENT,
    LittleFSError.Error.LFS_ERR_EXIST: errno.EEXIST,
    LittleFSError.Error.LFS_ERR_NOSPC: errno.ENOSPC,
    LittleFSError.Error.LFS_ERR_ISDIR: errno.EISDIR,
    LittleFSError.Error.LFS_ERR_NOTEMPTY: errno.ENOTEMPTY,
}
_F = lfs.LFSFileFlag
_MODES = {
    "rb": _F.rdonly,
    "wb": _F.wronly | _F.creat | _F.trunc,
    "ab": _F.wronly | _F.creat | _F.append,
}


class PowerCut(Exception):
    """The flash lost power; the device is off until the test mounts the flash again."""


class Flash(UserContext):
    """A NOR flash chip for littlefs that can lose power after N program/erase operations."""

    def __init__(self, image: bytearray, cut_after: int | None = None, torn: bool = False):
        super().__init__(buffer=image)
        self.ops = 0
        self.cut_after = cut_after
        self.torn = torn
        self.dead = False

    def _survives(self) -> bool:
        if self.dead:
            return False
        if self.cut_after is not None and self.ops >= self.cut_after:
            self.dead = True
            return False
        self.ops += 1
        return True

    def prog(self, cfg, block, off, data):
        if self._survives():
            return super().prog(cfg, block, off, data)
        if self.torn and self.ops == self.cut_after:
            self.ops += 1  # only the first dropped operation is half-done
            half = bytes(data)[: len(data) // 2]
            start = block * cfg.block_size + off
            self.buffer[start : start + len(half)] = half
        return _LFS_EIO

    def erase(self, cfg, block):
        if self._survives():
            return super().erase(cfg, block)
        if self.torn and self.ops == self.cut_after:
            self.ops += 1
            start = block * cfg.block_size
            half = cfg.block_size // 2
            self.buffer[start : start + half] = b"\xff" * half
        return _LFS_EIO


def blank_image(blocks: int = 64) -> bytearray:
    """An erased flash of `blocks` blocks (64 blocks = 256 KB)."""
    return bytearray(b"\xff" * (BLOCK_SIZE * blocks))


class LfsFile:
    """An open littlefs file with MicroPython's file methods (read/write/flush/close)."""

    def __init__(self, fs: LfsFs, handle):
        self._fs = fs
        self._handle = handle
        self._open = True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = self._fs.call(lfs.file_size, self._handle)
        return bytes(self._fs.call(lfs.file_read, self._handle, size))

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def write(self, data) -> int:
        return self._fs.call(lfs.file_write, self._handle, bytes(data))

    def flush(self) -> None:
        self._fs.call(lfs.file_sync, self._handle)

    def close(self) -> None:
        if self._open:
            self._open = False
            self._fs.call(lfs.file_close, self._handle)

    def __enter__(self) -> LfsFile:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is PowerCut:
            return  # the device is off: nothing more reaches the flash
        self.close()


class LfsFs:
    """The journal's filesystem interface over littlefs on a `Flash`."""

    def __init__(self, flash: Flash, format: bool = False):
        self.flash = flash
        blocks = len(flash.buffer) // BLOCK_SIZE
        self.lfs = LittleFS(context=flash, block_count=blocks, mount=False, **GEOMETRY)
        if format:
            self.run(self.lfs.format)
        self.run(self.lfs.mount)

    def call(self, fn, *args):
        """Run one littlefs-python low-level call (fn(lfs_fs, *args)) as the device would."""
        return self.run(lambda: fn(self.lfs.fs, *args))

    def run(self, thunk):
        """Run littlefs work, turning its errors into OSError, or PowerCut once the flash died."""
        if self.flash.dead:
            raise PowerCut("flash is off")
        try:
            result = thunk()
        except LittleFSError as exc:
            if self.flash.dead:
                raise PowerCut("power lost") from exc
            raise OSError(_ERRNO.get(exc.code, errno.EIO), str(exc)) from exc
        except FileNotFoundError as exc:
            raise OSError(errno.ENOENT, "no such file") from exc
        if self.flash.dead:
            raise PowerCut("power lost")
        return result

    def open(self, path: str, mode: str) -> LfsFile:
        flags = _MODES[mode]
        handle = self.call(lfs.file_open, path, flags)
        return LfsFile(self, handle)

    def rename(self, src: str, dst: str) -> None:
        self.call(lfs.rename, src, dst)

    def remove(self, path: str) -> None:
        self.call(lfs.remove, path)

    def listdir(self, path: str) -> list[str]:
        return self.run(lambda: self.lfs.listdir(path))

    def size(self, path: str) -> int:
        return self.call(lfs.stat, path).size

    def mkdir(self, path: str) -> None:
        try:
            self.call(lfs.mkdir, path)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise

    # -- test helpers, not part of the journal's interface --

    def read_bytes(self, path: str) -> bytes:
        with self.open(path, "rb") as f:
            return f.read()


def mount(image: bytearray, cut_after: int | None = None, torn: bool = False) -> LfsFs:
    """Mount the filesystem on `image` (formatting a blank one), optionally armed to cut."""
    flash = Flash(image, cut_after=cut_after, torn=torn)
    blank = not any(b != 0xFF for b in image[: 2 * BLOCK_SIZE])
    return LfsFs(flash, format=blank)
