"""Fixtures for provisioning: the registry packages (fetched once into the user's cache),
a firmware build, a registered-looking device record, synthetic MicroPython firmware files.

The umqtt packages come from PyPI the first time and from the cache afterwards; when the
cache is empty and the registry cannot be reached the tests fail saying exactly that.
"""

import shutil
import struct
from pathlib import Path

import pytest

from host.provisioning.cache_dir import default_cache_dir
from host.provisioning.contents import Firmware, build_firmware
from host.provisioning.device_record import DeviceRecord
from host.provisioning.errors import ProvisioningError
from host.provisioning.packages import registry_sources
from host.provisioning.partitions import CHIPS

RECORD = DeviceRecord(
    device_id="HH-0001",
    agent_code="V001",
    agent_name="Amina Vendor",
    secret_hex="5e" * 32,
    broker_user="HH-0001",
    broker_password="broker-password-1",
    currency="KES",
    minor_digits=2,
    server_url="https://vend.example.org",
    broker_url="mqtts://broker.example.org",
)


@pytest.fixture(scope="session")
def registry_packages() -> dict[str, bytes]:
    """umqtt's sources from the registry via the user's cache (filled on first use)."""
    try:
        return registry_sources(default_cache_dir())
    except ProvisioningError as exc:
        pytest.fail(
            "provisioning tests need micropython-lib's umqtt from PyPI once (then cached): "
            + exc.message,
            pytrace=False,
        )


@pytest.fixture
def cache_dir(tmp_path: Path, registry_packages: dict[str, bytes]) -> Path:
    """An empty cache except the registry archives (copied, so no network is needed)."""
    cache = tmp_path / "cache"
    shutil.copytree(default_cache_dir() / "packages", cache / "packages")
    return cache


@pytest.fixture(scope="session")
def firmware(registry_packages: dict[str, bytes], tmp_path_factory) -> Firmware:
    """The firmware part of an image, built once for the session (its own mpy cache)."""
    cache = tmp_path_factory.mktemp("firmware-cache")
    return build_firmware("xtensawin", cache_dir=cache, packages=registry_packages)


@pytest.fixture(scope="session")
def record() -> DeviceRecord:
    return RECORD


def partition_table(rows: list[tuple[str, int, int, int, int]]) -> bytes:
    """An ESP-IDF binary partition table: 32-byte entries (magic AA 50), then 0xFF."""
    out = b""
    for label, kind, subtype, offset, size in rows:
        out += struct.pack(
            "<2sBBII16sI", b"\xaa\x50", kind, subtype, offset, size, label.encode(), 0
        )
    return out + b"\xff" * 32


STOCK_ROWS = [
    ("nvs", 1, 0x02, 0x9000, 0x6000),
    ("phy_init", 1, 0x01, 0xF000, 0x1000),
    ("factory", 0, 0x00, 0x10000, 0x1F0000),
]


def fake_firmware(chip: str, rows=None, app_size: int = 0x30000) -> bytes:
    """A file laid out like micropython.org's firmware .bin for chip: bootloader bytes,
    the partition table at 0x8000 and an application at 0x10000 (contents arbitrary)."""
    base = CHIPS[chip].firmware_offset
    table = partition_table(STOCK_ROWS if rows is None else rows)
    data = bytearray(b"\xff" * (0x10000 - base + app_size))
    data[0:4] = b"\xe9\x03\x02\x20"  # an image header's first bytes, as a bootloader starts
    data[0x8000 - base : 0x8000 - base + len(table)] = table
    for i in range(0x10000 - base, len(data), 7):
        data[i] = (i * 31) & 0xFF
    return bytes(data)
