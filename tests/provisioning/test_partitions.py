"""Where firmware and filesystem go: MicroPython's stock layouts and a firmware's own table."""

import pytest

from host.provisioning.errors import ProvisioningError
from host.provisioning.partitions import (
    BLOCK_SIZE,
    CHIPS,
    chip,
    flash_bytes,
    partition_table,
    stock_vfs,
    vfs_for_firmware,
)
from tests.provisioning.conftest import STOCK_ROWS, fake_firmware

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("flash", "size"),
    [("4MB", 0x200000), ("8MB", 0x600000), ("16MB", 0xE00000)],
)
def test_stock_vfs_partition_starts_at_2mib_and_runs_to_the_end_of_flash(flash, size):
    vfs = stock_vfs(flash)
    assert (vfs.offset, vfs.size) == (0x200000, size)
    assert vfs.offset + vfs.size == flash_bytes(flash)
    assert vfs.blocks * BLOCK_SIZE == vfs.size


def test_firmware_offsets_are_the_rom_bootloader_addresses():
    assert CHIPS["esp32"].firmware_offset == 0x1000
    assert CHIPS["esp32s3"].firmware_offset == 0x0
    assert {c.mpy_arch for c in CHIPS.values()} == {"xtensawin"}


@pytest.mark.parametrize("text", ["4MB", "4mb", "4M", "4MiB", "4"])
def test_flash_size_spellings(text):
    assert flash_bytes(text) == 4 * MIB


@pytest.mark.parametrize("text", ["2MB", "32MB", "lots", ""])
def test_unknown_flash_size_is_refused_naming_the_choices(text):
    with pytest.raises(ProvisioningError) as err:
        flash_bytes(text)
    assert err.value.kind == "bad_flash_size"
    assert "4MB, 8MB, 16MB" in str(err.value)


def test_unknown_chip_is_refused_naming_the_choices():
    assert chip("ESP32-S3").name == "esp32s3"
    with pytest.raises(ProvisioningError, match="esp32, esp32s3"):
        chip("esp8266")


@pytest.mark.parametrize("name", ["esp32", "esp32s3"])
def test_the_partition_table_is_read_at_0x8000_whatever_the_file_offset(name):
    rows = partition_table(fake_firmware(name), CHIPS[name])
    assert [(r.label, r.offset, r.size) for r in rows] == [
        (label, offset, size) for label, _t, _s, offset, size in STOCK_ROWS
    ]


@pytest.mark.parametrize("flash", ["4MB", "8MB", "16MB"])
def test_a_table_without_vfs_gets_one_from_the_end_of_the_app_to_the_end_of_flash(flash):
    vfs = vfs_for_firmware(fake_firmware("esp32"), CHIPS["esp32"], flash_bytes(flash))
    stock = stock_vfs(flash)
    assert (vfs.offset, vfs.size) == (stock.offset, stock.size)
    assert "end of the application" in vfs.source


def test_an_explicit_vfs_partition_wins():
    rows = [*STOCK_ROWS, ("vfs", 1, 0x81, 0x300000, 0x100000)]
    vfs = vfs_for_firmware(fake_firmware("esp32s3", rows), CHIPS["esp32s3"], 4 * MIB)
    assert (vfs.offset, vfs.size) == (0x300000, 0x100000)


def test_a_vfs_partition_beyond_the_flash_is_refused():
    rows = [*STOCK_ROWS, ("vfs", 1, 0x81, 0x200000, 0x600000)]
    with pytest.raises(ProvisioningError) as err:
        vfs_for_firmware(fake_firmware("esp32", rows), CHIPS["esp32"], 4 * MIB)
    assert err.value.kind == "flash_too_small"


def test_an_application_image_without_a_table_is_refused_with_what_to_use_instead():
    with pytest.raises(ProvisioningError) as err:
        vfs_for_firmware(b"\xe9" + b"\x00" * 0x20000, CHIPS["esp32"], 4 * MIB)
    assert err.value.kind == "bad_firmware"
    assert "complete .bin from micropython.org" in str(err.value)
    assert "0x1000" in str(err.value)


def test_a_damaged_table_is_refused():
    firmware = bytearray(fake_firmware("esp32"))
    at = 0x8000 - 0x1000 + 32  # the second entry's magic
    firmware[at : at + 2] = b"\x12\x34"
    with pytest.raises(ProvisioningError, match="damaged"):
        partition_table(bytes(firmware), CHIPS["esp32"])
