"""The filesystem image: littlefs2, exactly the size of the vfs partition, as MicroPython mounts it.

MicroPython's esp32 port mounts the vfs partition with vfs.VfsLfs2's defaults: read and
program size 32 bytes, lookahead 32 bytes, 100 block cycles, cache 4 x 32 bytes, and the
partition's 4096-byte sectors as blocks (extmod/vfs_lfs.c, extmod/vfs_lfsx.c). The image
is formatted with the same geometry: littlefs finds metadata commits at program-size
boundaries, so a different prog_size would write an image the device misreads.

An image is only ever returned at exactly the partition's size; anything else raises.
"""

import posixpath

from littlefs import LittleFS, LittleFSError, UserContext

from host.provisioning.errors import ProvisioningError
from host.provisioning.partitions import BLOCK_SIZE, VfsPartition

READ_SIZE = 32
PROG_SIZE = 32
LOOKAHEAD_SIZE = 32
BLOCK_CYCLES = 100
CACHE_SIZE = 4 * max(READ_SIZE, PROG_SIZE)


class _Flash(UserContext):
    """A block device in a bytearray: erased is 0xFF, as on NOR flash.

    littlefs-python's own context logs every call with the data formatted into the
    message; building a 14 MB image that way takes seconds, this takes milliseconds.
    """

    def __init__(self, buffer: bytearray) -> None:
        self.buffer = buffer
        self.in_size = len(buffer)
        self._erased = b"\xff" * BLOCK_SIZE

    def read(self, cfg, block: int, off: int, size: int) -> bytearray:
        start = block * cfg.block_size + off
        return self.buffer[start : start + size]

    def prog(self, cfg, block: int, off: int, data: bytes) -> int:
        start = block * cfg.block_size + off
        self.buffer[start : start + len(data)] = data
        return 0

    def erase(self, cfg, block: int) -> int:
        start = block * cfg.block_size
        self.buffer[start : start + cfg.block_size] = self._erased[: cfg.block_size]
        return 0

    def sync(self, cfg) -> int:
        return 0


def _filesystem(buffer: bytearray, block_count: int) -> LittleFS:
    return LittleFS(
        context=_Flash(buffer),
        mount=False,
        block_size=BLOCK_SIZE,
        block_count=block_count,
        read_size=READ_SIZE,
        prog_size=PROG_SIZE,
        lookahead_size=LOOKAHEAD_SIZE,
        block_cycles=BLOCK_CYCLES,
        cache_size=CACHE_SIZE,
    )


def build_image(files: dict[str, bytes], vfs: VfsPartition) -> bytes:
    """A littlefs2 image of vfs.size bytes holding files (path -> bytes, "/" separated)."""
    if vfs.size <= 0 or vfs.size % BLOCK_SIZE:
        raise ProvisioningError(
            "wrong_size",
            f"a vfs partition of {vfs.size} bytes is not a whole number of "
            f"{BLOCK_SIZE}-byte blocks: refusing to build an image for it",
        )
    buffer = bytearray(b"\xff") * vfs.size
    fs = _filesystem(buffer, vfs.blocks)
    fs.format()
    fs.mount()
    made = {""}
    try:
        for path in sorted(files):
            _check_path(path)
            parent = posixpath.dirname(path)
            if parent not in made:
                fs.makedirs(parent, exist_ok=True)
                made.update(_ancestors(parent))
            with fs.open(path, "wb") as f:
                f.write(files[path])
    except LittleFSError as exc:
        if exc.code == LittleFSError.Error.LFS_ERR_NOSPC:
            total = sum(len(data) for data in files.values())
            raise ProvisioningError(
                "image_too_large",
                f"the files ({total} bytes) do not fit in the {vfs.size}-byte vfs partition: "
                "choose a larger --flash-size",
            ) from None
        raise
    finally:
        fs.unmount()
    if len(buffer) != vfs.size:  # littlefs writes in place; this guards the promise above
        raise ProvisioningError("wrong_size", "image size changed while writing: not written")
    return bytes(buffer)


def read_image(image: bytes) -> dict[str, bytes]:
    """Every file in an image, mounted with littlefs-python (never formatted)."""
    if not image or len(image) % BLOCK_SIZE:
        raise ProvisioningError(
            "wrong_size", f"an image of {len(image)} bytes is not whole {BLOCK_SIZE}-byte blocks"
        )
    fs = _filesystem(bytearray(image), len(image) // BLOCK_SIZE)
    try:
        fs.mount()
    except LittleFSError:
        raise ProvisioningError(
            "not_an_image", "not a littlefs image with MicroPython's geometry"
        ) from None
    try:
        files = {}
        for top, _dirs, names in fs.walk("/"):
            for name in names:
                path = posixpath.join(top, name).lstrip("/")
                with fs.open(path, "rb") as f:
                    files[path] = f.read()
        return files
    finally:
        fs.unmount()


def image_block_count(image: bytes) -> int:
    """The block count recorded in the image's superblock (0 if it has none)."""
    fs = LittleFS(
        context=_Flash(bytearray(image)),
        mount=False,
        block_size=BLOCK_SIZE,
        block_count=0,  # read it from the superblock
        read_size=READ_SIZE,
        prog_size=PROG_SIZE,
        lookahead_size=LOOKAHEAD_SIZE,
        cache_size=CACHE_SIZE,
    )
    try:
        fs.mount()
    except LittleFSError:
        return 0
    try:
        return fs.block_count
    finally:
        fs.unmount()


def check_image_for(image: bytes, vfs: VfsPartition) -> None:
    """Refuse an image that is not exactly a littlefs of this partition's size."""
    if len(image) != vfs.size:
        raise ProvisioningError(
            "wrong_size",
            f"the image is {len(image)} bytes but the vfs partition at {vfs.offset:#x} is "
            f"{vfs.size} bytes ({vfs.source}): rebuild it with the matching --flash-size",
        )
    blocks = image_block_count(image)
    if blocks != vfs.blocks:
        raise ProvisioningError(
            "not_an_image",
            f"the image is not a littlefs filesystem of {vfs.blocks} blocks "
            f"(its superblock says {blocks}): rebuild it with `gridvend image build`",
        )


def _check_path(path: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"bad path for the image: {path!r}")


def _ancestors(path: str) -> set[str]:
    out = set()
    while path:
        out.add(path)
        path = posixpath.dirname(path)
    return out
