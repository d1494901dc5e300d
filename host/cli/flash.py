"""`gridvend flash`: MicroPython and a device's image onto a handheld over USB, in one pass.

    gridvend flash --port /dev/ttyUSB0 --firmware ESP32_GENERIC-v1.29.0.bin --image hh.img
    gridvend flash --firmware ESP32_GENERIC-v1.29.0.bin --image hh.img --merge factory.bin

The firmware file is yours (downloaded from micropython.org or built); nothing is
downloaded. Before writing, the board is asked its chip and flash size, and the image
is checked against the firmware's partition table: mismatches are refused, not written.
"""

from pathlib import Path

import click

from host.provisioning import flash as flash_module
from host.provisioning.console import (
    chip_option,
    console,
    flash_progress,
    flash_size_option,
    one_line_errors,
)


@click.command("flash")
@click.option("--port", help="The handheld's serial port, e.g. /dev/ttyUSB0")
@click.option(
    "--firmware",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="MicroPython firmware .bin for the chip (the complete one, with its bootloader)",
)
@click.option("--image", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--romfs",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A ROMFS image of the code (image built with --layout romfs)",
)
@chip_option
@flash_size_option(default=None)
@click.option("--baud", default=flash_module.DEFAULT_BAUD, show_default=True, type=int)
@click.option(
    "--connect-attempts", type=int, help="esptool's tries to reach the bootloader [default: 7]"
)
@click.option(
    "--merge",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one file for a factory programmer instead of flashing a board",
)
@one_line_errors
def flash(
    port: str | None,
    firmware: Path,
    image: Path,
    romfs: Path | None,
    chip: str,
    flash_size: str | None,
    baud: int,
    connect_attempts: int | None,
    merge: Path | None,
) -> None:
    """Write MicroPython and the image (esptool), or merge them into one file."""
    plan = flash_module.plan(firmware, image, chip, flash_size, romfs=romfs)
    if merge is not None:
        flash_module.merge(plan, merge)
        regions = ", ".join(f"{path.name} at {offset:#x}" for offset, path in plan.regions)
        console.print(f"{merge}: {regions}; write it at 0x0")
        return
    if not port:
        raise click.UsageError("give --port to flash a board, or --merge FILE")
    with flash_progress() as progress:
        flash_module.flash(
            plan, port, baud, on_progress=progress, connect_attempts=connect_attempts
        )
    console.print(
        f"{port}: MicroPython at {plan.chip.firmware_offset:#x} and the image at "
        f"{plan.vfs.offset:#x} written and checked; the board is restarting"
    )
