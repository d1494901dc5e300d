"""Flashing: the inputs are checked against each other, `esptool merge-bin` (run for real,
offline) puts each region at its flash address, and esptool's failures on a bench come
back as one sentence. The esptool runs here are real: against a port that is not there,
a port another program holds, a silent port, and a fake ROM bootloader of another chip."""

import os
import tty
from pathlib import Path

import pytest
import serial

from host.provisioning import flash
from host.provisioning.contents import image_files, romfs_image
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image
from host.provisioning.partitions import CHIPS, stock_vfs
from tests.provisioning.conftest import STOCK_ROWS, fake_firmware
from tests.provisioning.fake_rom import FakeRomBootloader


@pytest.fixture(scope="module")
def image_4mb(firmware, record) -> bytes:
    config = build_device_files(record, ImageSettings(vendor_pin="2468")).as_files()
    return build_image(image_files(firmware, config), stock_vfs("4MB"))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("chip", ["esp32", "esp32s3"])
def test_merge_bin_puts_firmware_and_image_at_their_flash_addresses(chip, tmp_path, image_4mb):
    firmware = fake_firmware(chip)
    plan = flash.plan(
        write(tmp_path, "fw.bin", firmware), write(tmp_path, "img.bin", image_4mb), chip
    )
    out = flash.merge(plan, tmp_path / "merged.bin")
    merged = out.read_bytes()
    base = CHIPS[chip].firmware_offset
    assert base == {"esp32": 0x1000, "esp32s3": 0x0}[chip]
    assert merged[base : base + len(firmware)] == firmware  # untouched: flash params kept
    assert merged[0x200000 : 0x200000 + len(image_4mb)] == image_4mb
    assert len(merged) == 0x400000  # the image ends where the 4 MB flash ends
    assert set(merged[:base]) <= {0xFF}  # nothing before the bootloader
    assert set(merged[base + len(firmware) : 0x200000]) == {0xFF}  # the gap is erased flash


def test_the_flash_size_is_taken_from_the_image_when_not_given(tmp_path, image_4mb):
    plan = flash.plan(
        write(tmp_path, "fw.bin", fake_firmware("esp32")),
        write(tmp_path, "img.bin", image_4mb),
        "esp32",
    )
    assert plan.flash_size == 4 * 1024 * 1024
    assert plan.regions == [(0x1000, tmp_path / "fw.bin"), (0x200000, tmp_path / "img.bin")]


def test_an_image_for_another_flash_size_is_refused(tmp_path, image_4mb):
    with pytest.raises(ProvisioningError) as err:
        flash.plan(
            write(tmp_path, "fw.bin", fake_firmware("esp32")),
            write(tmp_path, "img.bin", image_4mb),
            "esp32",
            flash_size="8MB",
        )
    assert err.value.kind == "wrong_size"
    assert "--flash-size" in str(err.value)


def test_an_image_that_does_not_match_the_firmwares_own_vfs_partition_is_refused(
    tmp_path, image_4mb
):
    rows = [*STOCK_ROWS, ("vfs", 1, 0x81, 0x300000, 0x100000)]
    with pytest.raises(ProvisioningError) as err:
        flash.plan(
            write(tmp_path, "fw.bin", fake_firmware("esp32", rows)),
            write(tmp_path, "img.bin", image_4mb),
            "esp32",
            flash_size="4MB",
        )
    assert err.value.kind == "wrong_size"
    assert "0x300000" in str(err.value) and "the firmware's partition table" in str(err.value)


def test_a_truncated_image_is_refused(tmp_path, image_4mb):
    with pytest.raises(ProvisioningError) as err:
        flash.plan(
            write(tmp_path, "fw.bin", fake_firmware("esp32")),
            write(tmp_path, "img.bin", image_4mb[:-4096]),
            "esp32",
        )
    assert err.value.kind == "wrong_size"


def test_a_firmware_that_runs_into_the_filesystem_is_refused(tmp_path, image_4mb):
    huge = fake_firmware("esp32", app_size=0x1F8000)
    with pytest.raises(ProvisioningError) as err:
        flash.plan(write(tmp_path, "fw.bin", huge), write(tmp_path, "img.bin", image_4mb), "esp32")
    assert err.value.kind == "image_too_large"


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [("absent.bin", None, "does not exist"), ("empty.bin", b"", "is empty")],
)
def test_a_missing_or_empty_file_is_named(tmp_path, image_4mb, name, data, problem):
    firmware = tmp_path / name
    if data is not None:
        firmware.write_bytes(data)
    with pytest.raises(ProvisioningError) as err:
        flash.plan(firmware, write(tmp_path, "img.bin", image_4mb), "esp32")
    assert str(err.value) == f"firmware file {firmware} {problem}"


def test_a_port_that_is_not_there_is_named(tmp_path):
    with pytest.raises(ProvisioningError) as err:
        flash.identify("/dev/ttyUSB-gridvend-absent", CHIPS["esp32"], connect_attempts=1)
    assert err.value.kind == "port_missing"
    assert "is the handheld plugged in" in str(err.value)


def test_a_port_another_program_holds_is_busy():
    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    holder = serial.Serial(port, exclusive=True)
    try:
        with pytest.raises(ProvisioningError) as err:
            flash.identify(port, CHIPS["esp32"], connect_attempts=1)
    finally:
        holder.close()
        os.close(master)
        os.close(slave)
    assert err.value.kind == "port_busy"


def test_a_board_whose_bootloader_does_not_answer_is_not_in_download_mode():
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        with pytest.raises(ProvisioningError) as err:
            flash.identify(os.ttyname(slave), CHIPS["esp32"], connect_attempts=1)
    finally:
        os.close(master)
        os.close(slave)
    assert err.value.kind == "not_download_mode"
    assert "hold BOOT" in str(err.value)


def test_a_board_of_another_chip_is_named_with_the_option_to_use():
    with FakeRomBootloader("ESP32-S3") as rom, pytest.raises(ProvisioningError) as err:
        flash.identify(rom.port, CHIPS["esp32"], connect_attempts=1)
    assert err.value.kind == "wrong_chip"
    assert str(err.value).startswith(f"the board on {rom.port} is an ESP32-S3, not an ESP32")
    assert "--chip esp32s3" in str(err.value)
    assert {0x08, 0x14} <= set(rom.commands)  # esptool synced, then asked for the chip id


@pytest.mark.parametrize(
    ("esptool_says", "kind"),
    [
        (
            "Could not open /dev/ttyUSB0, the port is busy or doesn't exist.\n"
            "([Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied)",
            "port_permission",
        ),
        (
            "Failed to connect to ESP32: Wrong boot mode detected (0x13)! The chip needs to be "
            "in download mode.",
            "not_download_mode",
        ),
        (
            "File 'img.bin' (length 14680064) at offset 0x00200000 will not fit in 4194304 bytes "
            "of flash. Change the flash_size argument or flashing address.",
            "image_too_large",
        ),
        ("Something nobody foresaw", "esptool_failed"),
    ],
)
def test_other_esptool_failures_become_one_sentence(esptool_says, kind):
    error = flash.explain(esptool_says, "/dev/ttyUSB0", CHIPS["esp32"])
    assert error.kind == kind
    assert "\n" not in str(error)
    if kind == "image_too_large":
        assert "4MB" in str(error)


ROMFS_ROWS = [
    ("nvs", 1, 0x02, 0x9000, 0x6000),
    ("phy_init", 1, 0x01, 0xF000, 0x1000),
    ("factory", 0, 0x00, 0x10000, 0x1D0000),
    ("romfs", 1, 0x8F, 0x1E0000, 0x20000),
    ("vfs", 1, 0x81, 0x200000, 0x200000),
]  # MicroPython's partitions-4MiB.csv with its romfs partition


def test_a_romfs_image_goes_to_the_firmwares_romfs_partition(tmp_path, image_4mb, firmware):
    rom = romfs_image(firmware)
    plan = flash.plan(
        write(tmp_path, "fw.bin", fake_firmware("esp32", ROMFS_ROWS, app_size=0x20000)),
        write(tmp_path, "img.bin", image_4mb),
        "esp32",
        romfs=write(tmp_path, "code.romfs", rom),
    )
    assert [offset for offset, _path in plan.regions] == [0x1000, 0x1E0000, 0x200000]
    merged = flash.merge(plan, tmp_path / "merged.bin").read_bytes()
    assert merged[0x1E0000 : 0x1E0000 + len(rom)] == rom
    assert merged[0x200000:] == image_4mb


def test_a_romfs_image_needs_a_firmware_with_a_romfs_partition(tmp_path, image_4mb, firmware):
    with pytest.raises(ProvisioningError) as err:
        flash.plan(
            write(tmp_path, "fw.bin", fake_firmware("esp32")),
            write(tmp_path, "img.bin", image_4mb),
            "esp32",
            romfs=write(tmp_path, "code.romfs", romfs_image(firmware)),
        )
    assert err.value.kind == "no_romfs_partition"


def test_a_romfs_image_larger_than_its_partition_is_refused(tmp_path, image_4mb):
    rows = [*ROMFS_ROWS[:3], ("romfs", 1, 0x8F, 0x1E0000, 0x1000), ROMFS_ROWS[4]]
    with pytest.raises(ProvisioningError) as err:
        flash.plan(
            write(tmp_path, "fw.bin", fake_firmware("esp32", rows, app_size=0x20000)),
            write(tmp_path, "img.bin", image_4mb),
            "esp32",
            romfs=write(tmp_path, "code.romfs", b"\xd2\xcd\x31" + b"\x00" * 5000),
        )
    assert err.value.kind == "image_too_large"
