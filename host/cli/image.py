"""`gridvend image`: build a handheld's filesystem image, or look inside one.

    gridvend image build --device HH-0001 --out hh-0001.img --flash-size 4MB \\
        --wifi "Shop:secret-pass" --server https://vend.example.org --broker mqtts://broker...
    gridvend image show hh-0001.img

The device must be registered first (`gridvend device register`, which keeps its record
in var/devices/). The image holds the device secret: it is written readable by its owner
only; flash it and delete it.
"""

import json
import os
import time
from pathlib import Path

import click
from rich.table import Table

from host.provisioning.console import (
    cache_option,
    chip_option,
    console,
    flash_size_option,
    image_settings_options,
    one_line_errors,
    store_option,
)
from host.provisioning.contents import (
    LAYOUTS,
    MANIFEST,
    build_firmware,
    file_hash,
    image_files,
    romfs_image,
)
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import load_record
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image, read_image
from host.provisioning.partitions import chip as chip_named
from host.provisioning.partitions import stock_vfs


@click.group()
def image() -> None:
    """Build and inspect the handheld's filesystem image."""


@image.command("build")
@click.option("--device", "device_id", required=True, help="The registered device's id")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@flash_size_option()
@chip_option
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="files",
    show_default=True,
    help="files: code on littlefs; romfs: code in a ROMFS image (--romfs); frozen: none",
)
@click.option(
    "--romfs",
    "romfs_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --layout romfs: where to write the ROMFS image of the code",
)
@image_settings_options
@store_option
@cache_option
@one_line_errors
def build(
    device_id: str,
    out: Path,
    flash_size: str,
    chip: str,
    layout: str,
    romfs_out: Path | None,
    wifi: str | None,
    apn: str | None,
    server_url: str | None,
    broker_url: str | None,
    language: str,
    vendor_pin: str | None,
    utility: str,
    ca_file: Path | None,
    store: Path,
    cache_dir: Path | None,
) -> None:
    """Build the littlefs image for a registered device, sized for its flash."""
    if layout == "romfs" and romfs_out is None:
        raise ProvisioningError("missing_option", "--layout romfs needs --romfs FILE")
    started = time.perf_counter()
    record = load_record(store, device_id)
    settings = ImageSettings(
        language=language,
        wifi=wifi,
        apn=apn,
        server_url=server_url,
        broker_url=broker_url,
        utility=utility,
        vendor_pin=vendor_pin,
        ca_file=ca_file,
    )
    device_files = build_device_files(record, settings)
    firmware = build_firmware(chip_named(chip).mpy_arch, cache_dir)
    vfs = stock_vfs(flash_size)
    files = image_files(firmware, device_files.as_files(), layout)
    data = build_image(files, vfs)
    _write_private(out, data)
    if romfs_out is not None and layout == "romfs":
        romfs_out.write_bytes(romfs_image(firmware))
    manifest = json.loads(files[MANIFEST])
    console.print(
        f"{out}: {len(data)} bytes for the vfs partition at {vfs.offset:#x} ({flash_size} "
        f"flash), {len(files)} files, firmware v{firmware.version} "
        f"{manifest['firmware_sha256'][:12]}, config {manifest['config_sha256'][:12]}, "
        f"built in {time.perf_counter() - started:.2f} s"
    )
    if romfs_out is not None and layout == "romfs":
        console.print(f"{romfs_out}: the code as ROMFS; flash it with --romfs")
    if device_files.generated_pin:
        console.print(
            f"vendor PIN for {record.agent_code} on {record.device_id}: "
            f"[bold]{device_files.generated_pin}[/bold] (shown once: give it to the vendor)"
        )


@image.command("show")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@one_line_errors
def show(path: Path) -> None:
    """List the files inside an image, with sizes and hashes."""
    files = read_image(path.read_bytes())
    table = Table(title=f"{path} ({path.stat().st_size} bytes)", title_justify="left")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("sha256")
    for name in sorted(files):
        table.add_row(name, str(len(files[name])), file_hash(files[name])[:16])
    console.print(table)
    if MANIFEST in files:
        manifest = json.loads(files[MANIFEST])
        console.print(
            f"layout {manifest.get('layout', 'files')}, firmware "
            f"v{manifest.get('firmware_version')} {manifest.get('firmware_sha256', '')[:12]}, "
            f"config {manifest.get('config_sha256', '')[:12]}"
        )


def _write_private(path: Path, data: bytes) -> None:
    # The image holds the device secret and broker password: owner only.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ProvisioningError("cannot_write", f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
