"""Per-device image build time: config, link settings and the littlefs image of one handheld,
with the firmware's .mpy files already compiled (the mpy-cross cache), per flash size;
and, for comparison, the first build on an empty cache (every module through mpy-cross).

    .venv/bin/python -m bench bench_image_build
"""

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from host.provisioning.cache_dir import default_cache_dir
from host.provisioning.contents import build_firmware, image_files
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import DeviceRecord
from host.provisioning.image import build_image
from host.provisioning.packages import registry_sources
from host.provisioning.partitions import FLASH_SIZES, stock_vfs

DEVICES = 30
RECORD = DeviceRecord(
    device_id="HH-0000",
    agent_code="V001",
    agent_name="Bench Vendor",
    secret_hex="5e" * 32,
    broker_user="HH-0000",
    broker_password="0" * 32,
    currency="KES",
    minor_digits=2,
    server_url="https://vend.example.org",
    broker_url="mqtts://broker.example.org",
)
SETTINGS = ImageSettings(wifi="Shop:secret-pass", apn="internet", vendor_pin="2468")


def one_device(firmware, number: int, flash_size: str) -> None:
    """What `gridvend provision` does per device between registering and flashing."""
    record = replace(RECORD, device_id=f"HH-{number:04d}", broker_user=f"HH-{number:04d}")
    device_files = build_device_files(record, SETTINGS)
    build_image(image_files(firmware, device_files.as_files()), stock_vfs(flash_size))


def main() -> None:
    packages = registry_sources(default_cache_dir())
    with tempfile.TemporaryDirectory() as empty:
        start = time.perf_counter()
        cold = build_firmware("xtensawin", cache_dir=Path(empty), packages=packages)
        first = time.perf_counter() - start
    print(
        f"   first build, empty mpy cache: {first * 1000:7.0f} ms "
        f"({len(cold.compiled)} modules through mpy-cross)",
        flush=True,
    )
    firmware = build_firmware("xtensawin", packages=packages)  # fills the user's cache
    start = time.perf_counter()
    firmware = build_firmware("xtensawin", packages=packages)
    print(f"   firmware from the mpy cache:  {(time.perf_counter() - start) * 1000:7.1f} ms")
    for flash_size in FLASH_SIZES:
        times = []
        for number in range(DEVICES):
            start = time.perf_counter()
            one_device(firmware, number, flash_size)
            times.append(time.perf_counter() - start)
        print(
            f"   per-device image build, {flash_size:>4} flash: "
            f"median {statistics.median(times) * 1000:6.1f} ms, "
            f"worst {max(times) * 1000:6.1f} ms ({DEVICES} devices)",
            flush=True,
        )


if __name__ == "__main__":
    main()
