"""Where MicroPython and the filesystem sit in an ESP32's flash.

Facts from MicroPython's esp32 port:
- the firmware file from micropython.org starts with the second-stage bootloader, which
  the ROM loads from 0x1000 on the ESP32 and from 0x0 on the ESP32-S3; the partition
  table follows at 0x8000 on both;
- the stock partition tables (ports/esp32/partitions-4MiB.csv, -8MiB, -16MiB) put the
  application at 0x10000 (0x1F0000 bytes) and the "vfs" data partition from 0x200000 to
  the end of the flash. Since v1.26 the generic boards ship a table that stops after the
  application, and MicroPython creates "vfs" at boot from the end of the application
  partition to the end of the detected flash: the same place, for the same table.

MicroPython mounts "vfs" as littlefs2 with 4096-byte blocks (one flash sector). A
littlefs image whose block count differs from the partition's is not mounted: the
device formats the partition and boots with an empty filesystem. So the image is built
exactly to the partition, and flash.py checks it against the firmware's own table.
"""

import struct
from dataclasses import dataclass

from host.provisioning.errors import ProvisioningError

BLOCK_SIZE = 4096
PARTITION_TABLE_OFFSET = 0x8000
PARTITION_TABLE_MAX = 0xC00
STOCK_VFS_OFFSET = 0x200000
MIB = 1024 * 1024
FLASH_SIZES = {"4MB": 4 * MIB, "8MB": 8 * MIB, "16MB": 16 * MIB}

_ENTRY = struct.Struct("<2sBBII16sI")
_ENTRY_MAGIC = b"\xaa\x50"
_MD5_MAGIC = b"\xeb\xeb"
_TYPE_APP, _TYPE_DATA = 0x00, 0x01
_SUBTYPE_FACTORY, _SUBTYPE_OTA_1 = 0x00, 0x11
_SUBTYPE_ROMFS = 0x8F  # MicroPython's ROMFS partitions (partitions-4MiB-romfs.csv)
_VFS_LABELS = ("vfs", "ffat")


@dataclass(frozen=True)
class Chip:
    """An ESP32 family member as esptool and mpy-cross name it."""

    name: str
    firmware_offset: int
    mpy_arch: str  # for @native/@viper code only: plain bytecode .mpy runs on any port
    label: str


CHIPS = {
    "esp32": Chip("esp32", 0x1000, "xtensawin", "ESP32"),
    "esp32s3": Chip("esp32s3", 0x0, "xtensawin", "ESP32-S3"),  # LX7: windowed ABI too
}


@dataclass(frozen=True)
class Partition:
    """One row of an ESP-IDF partition table."""

    label: str
    type: int
    subtype: int
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class VfsPartition:
    """Where the filesystem image goes, and how that was worked out."""

    offset: int
    size: int
    source: str

    @property
    def blocks(self) -> int:
        return self.size // BLOCK_SIZE


def chip(name: str) -> Chip:
    """The chip called name (esp32, esp32s3); a clear error for anything else."""
    key = name.strip().lower().replace("-", "")
    if key not in CHIPS:
        raise ProvisioningError(
            "bad_chip", f"chip {name!r}: must be one of {', '.join(sorted(CHIPS))}"
        )
    return CHIPS[key]


def flash_bytes(text: str) -> int:
    """Bytes of flash for "4MB" / "8MB" / "16MB" (also "4M", "4MiB", "4")."""
    key = text.strip().upper().removesuffix("IB").removesuffix("B").removesuffix("M")
    size = FLASH_SIZES.get(key + "MB")
    if size is None:
        raise ProvisioningError(
            "bad_flash_size", f"flash size {text!r}: must be one of {', '.join(FLASH_SIZES)}"
        )
    return size


def flash_size_name(size: int) -> str:
    """ "4MB" for 4 MiB, and so on (the name esptool and this tool use)."""
    for name, value in FLASH_SIZES.items():
        if value == size:
            return name
    return f"{size // MIB}MB" if size % MIB == 0 else f"{size} bytes"


def stock_vfs(flash_size: str) -> VfsPartition:
    """The vfs partition of MicroPython's stock table for this flash size."""
    size = flash_bytes(flash_size)
    return VfsPartition(
        STOCK_VFS_OFFSET,
        size - STOCK_VFS_OFFSET,
        f"MicroPython's stock partitions-{size // MIB}MiB.csv",
    )


def partition_table(firmware: bytes, chip: Chip) -> list[Partition] | None:
    """The partition table inside a firmware file flashed at chip.firmware_offset.

    None when the file has no table at 0x8000 (an application image alone, say).
    Raises ProvisioningError when a table is there but damaged.
    """
    start = PARTITION_TABLE_OFFSET - chip.firmware_offset
    if start < 0 or len(firmware) < start + _ENTRY.size:
        return None
    if firmware[start : start + 2] != _ENTRY_MAGIC:
        return None
    table = firmware[start : start + PARTITION_TABLE_MAX]
    rows = []
    for at in range(0, len(table) - _ENTRY.size + 1, _ENTRY.size):
        magic, kind, subtype, offset, size, label, _flags = _ENTRY.unpack_from(table, at)
        if magic == _ENTRY_MAGIC:
            name = label.split(b"\0", 1)[0].decode("ascii", "replace")
            rows.append(Partition(name, kind, subtype, offset, size))
        elif magic in (_MD5_MAGIC, b"\xff\xff"):
            return rows
        else:
            raise ProvisioningError(
                "bad_firmware",
                f"firmware: partition table entry {len(rows)} at "
                f"{PARTITION_TABLE_OFFSET + at:#x} is damaged; download the firmware again",
            )
    return rows


def vfs_for_firmware(firmware: bytes, chip: Chip, flash_size: int) -> VfsPartition:
    """Where this firmware's MicroPython will look for its filesystem on this flash.

    An explicit vfs (or ffat) partition wins; otherwise MicroPython (v1.26 and later)
    creates one from the end of the application partition to the end of the flash.
    """
    rows = partition_table(firmware, chip)
    if rows is None:
        raise ProvisioningError(
            "bad_firmware",
            f"firmware: no partition table at {PARTITION_TABLE_OFFSET:#x}; use the complete "
            f".bin from micropython.org for {chip.label} (the one flashed at "
            f"{chip.firmware_offset:#x}), not the application image alone",
        )
    for row in rows:
        if row.type == _TYPE_DATA and row.label in _VFS_LABELS:
            if row.end > flash_size:
                raise ProvisioningError(
                    "flash_too_small",
                    f"firmware: its {row.label} partition ends at {row.end:#x}, beyond "
                    f"{flash_size_name(flash_size)} of flash: this firmware is for a larger flash",
                )
            return VfsPartition(row.offset, row.size, "the firmware's partition table")
    factory = [r for r in rows if r.type == _TYPE_APP and r.subtype == _SUBTYPE_FACTORY]
    ota_1 = [r for r in rows if r.type == _TYPE_APP and r.subtype == _SUBTYPE_OTA_1]
    if len(factory) + len(ota_1) != 1:
        raise ProvisioningError(
            "bad_firmware",
            "firmware: its partition table has no vfs partition and no single application "
            "partition to place one after; use a stock MicroPython firmware",
        )
    start = (factory or ota_1)[0].end
    if start >= flash_size:
        raise ProvisioningError(
            "flash_too_small",
            f"firmware: the application ends at {start:#x}, leaving no room for a "
            f"filesystem in {flash_size_name(flash_size)} of flash",
        )
    return VfsPartition(
        start, flash_size - start, "the firmware (vfs from the end of the application)"
    )


def romfs_partition(firmware: bytes, chip: Chip) -> Partition:
    """The firmware's ROMFS partition (where a ROMFS image of the code goes)."""
    rows = partition_table(firmware, chip) or []
    for row in rows:
        if row.type == _TYPE_DATA and (row.subtype == _SUBTYPE_ROMFS or row.label == "romfs"):
            return row
    raise ProvisioningError(
        "no_romfs_partition",
        "this firmware has no romfs partition: use a MicroPython built with ROMFS "
        "(docs/firmware-memory.md, option A), or build the image with --layout files",
    )
