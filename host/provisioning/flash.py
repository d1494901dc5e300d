"""Put MicroPython and the filesystem image on a handheld with esptool, or into one file.

flash(): first asks the board who it is (esptool flash-id: chip and flash size, so a
wrong chip or flash size is refused before anything is written), then writes the
firmware at the chip's offset and the image at the vfs partition in one write-flash
pass, reporting progress. merge(): `esptool merge-bin`, one file for factory
programmers, written from flash address 0.

Before either, plan() checks the files against each other: the firmware's own partition
table says where MicroPython will look for its filesystem, and the image must be exactly
that partition (see partitions.py for why). Every esptool failure a bench sees often
becomes one ProvisioningError sentence (explain()).
"""

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import esptool

from host.provisioning import esptool_runner
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import check_image_for
from host.provisioning.partitions import (
    FLASH_SIZES,
    STOCK_VFS_OFFSET,
    Chip,
    VfsPartition,
    chip,
    flash_bytes,
    flash_size_name,
    romfs_partition,
    vfs_for_firmware,
)

DEFAULT_BAUD = 460800
ESPTOOL_MAJOR = int(esptool.__version__.split(".")[0])

Progress = Callable[[int, int], None]
Message = Callable[[str], None]


@dataclass(frozen=True)
class FlashPlan:
    """Checked inputs: what goes where."""

    chip: Chip
    firmware: Path
    image: Path
    flash_size: int
    vfs: VfsPartition
    firmware_size: int
    romfs: tuple[int, Path] | None = None  # (offset, ROMFS image) for the "romfs" layout

    @property
    def regions(self) -> list[tuple[int, Path]]:
        regions = [(self.chip.firmware_offset, self.firmware), (self.vfs.offset, self.image)]
        return sorted([*regions, self.romfs] if self.romfs else regions)


def plan(
    firmware: Path,
    image: Path,
    chip_name: str,
    flash_size: str | None = None,
    romfs: Path | None = None,
) -> FlashPlan:
    """Check firmware, image (and ROMFS image) belong together on this chip and flash size."""
    the_chip = chip(chip_name)
    firmware_data = _read(firmware, "firmware")
    image_data = _read(image, "image")
    if flash_size is None:
        size = len(image_data) + STOCK_VFS_OFFSET
        if size not in FLASH_SIZES.values():
            raise ProvisioningError(
                "wrong_size",
                f"the image is {len(image_data)} bytes, not the vfs partition of any "
                f"supported flash size ({', '.join(FLASH_SIZES)}): rebuild it",
            )
    else:
        size = flash_bytes(flash_size)
    vfs = vfs_for_firmware(firmware_data, the_chip, size)
    check_image_for(image_data, vfs)
    end = the_chip.firmware_offset + len(firmware_data)
    if end > vfs.offset:
        raise ProvisioningError(
            "image_too_large",
            f"the firmware ({len(firmware_data)} bytes from {the_chip.firmware_offset:#x}) "
            f"runs into the filesystem at {vfs.offset:#x}: is it the right firmware file?",
        )
    rom = None
    if romfs is not None:
        partition = romfs_partition(firmware_data, the_chip)
        rom_size = len(_read(romfs, "ROMFS image"))
        if rom_size > partition.size:
            raise ProvisioningError(
                "image_too_large",
                f"the ROMFS image ({rom_size} bytes) does not fit the firmware's romfs "
                f"partition ({partition.size} bytes at {partition.offset:#x})",
            )
        rom = (partition.offset, romfs)
    return FlashPlan(the_chip, firmware, image, size, vfs, len(firmware_data), rom)


def esptool_command(name: str) -> str:
    """esptool 5 spells commands with dashes (write-flash), esptool 4 with underscores."""
    return name if ESPTOOL_MAJOR >= 5 else name.replace("-", "_")


def connection_args(
    the_chip: Chip, port: str, baud: int, connect_attempts: int | None
) -> list[str]:
    args = ["--chip", the_chip.name, "--port", port, "--baud", str(baud)]
    if connect_attempts is not None:
        args += ["--connect-attempts", str(connect_attempts)]
    return args


def identify(
    port: str,
    the_chip: Chip,
    baud: int = DEFAULT_BAUD,
    connect_attempts: int | None = None,
    on_message: Message | None = None,
) -> int | None:
    """Connect, check the chip, and return the flash size in bytes (None if unknown)."""
    lines = run_esptool(
        [*connection_args(the_chip, port, baud, connect_attempts), esptool_command("flash-id")],
        port=port,
        the_chip=the_chip,
        on_message=on_message,
    )
    for line in lines:
        found = re.search(r"Detected flash size:\s*(\S+)", line)
        if found and found.group(1) != "Unknown":
            try:
                return flash_bytes(found.group(1))
            except ProvisioningError:
                return None
    return None


def flash(
    the_plan: FlashPlan,
    port: str,
    baud: int = DEFAULT_BAUD,
    on_progress: Progress | None = None,
    on_message: Message | None = None,
    connect_attempts: int | None = None,
) -> None:
    """Check the board, then write firmware and image in one pass, then reset the board."""
    detected = identify(port, the_plan.chip, baud, connect_attempts, on_message)
    if detected is not None and detected != the_plan.flash_size:
        raise ProvisioningError(
            "flash_size_mismatch",
            f"the board on {port} has {flash_size_name(detected)} of flash but the image is "
            f"for {flash_size_name(the_plan.flash_size)}: rebuild it with "
            f"--flash-size {flash_size_name(detected)}",
        )
    args = [
        *connection_args(the_plan.chip, port, baud, connect_attempts),
        esptool_command("write-flash"),
        _option("--flash-size"),
        "keep",
    ]
    for offset, path in the_plan.regions:
        args += [f"{offset:#x}", str(path)]
    run_esptool(
        args, port=port, the_chip=the_plan.chip, on_progress=on_progress, on_message=on_message
    )


def merge(the_plan: FlashPlan, out: Path, on_message: Message | None = None) -> Path:
    """One raw file from flash address 0 (gaps 0xFF) with firmware and image in place."""
    args = [
        "--chip",
        the_plan.chip.name,
        esptool_command("merge-bin"),
        "-o",
        str(out),
    ]
    for offset, path in the_plan.regions:
        args += [f"{offset:#x}", str(path)]
    run_esptool(args, port=None, the_chip=the_plan.chip, on_message=on_message)
    if not out.is_file():
        raise ProvisioningError("merge_failed", f"esptool merge-bin wrote no {out}")
    return out


def run_esptool(
    args: list[str],
    port: str | None,
    the_chip: Chip,
    on_progress: Progress | None = None,
    on_message: Message | None = None,
) -> list[str]:
    """Run esptool (in a child process); its messages, or the explained error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", esptool_runner.__name__, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    messages: list[str] = []
    errors: list[str] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        kind, _, text = raw.rstrip("\n").partition(" ")
        if kind == esptool_runner.PROGRESS:
            done, _, total = text.partition(" ")
            if on_progress and done.isdigit() and total.isdigit():
                on_progress(int(done), int(total))
        elif kind == esptool_runner.ERROR:
            errors.append(text)
        else:
            line = text if kind == esptool_runner.MESSAGE else raw.rstrip("\n")
            messages.append(line)
            if on_message:
                on_message(line)
    code = proc.wait()
    if code != 0:
        raise explain("\n".join(errors) or "\n".join(messages[-5:]), port, the_chip)
    return messages


def explain(text: str, port: str | None, the_chip: Chip) -> ProvisioningError:
    """One clear sentence for an esptool failure."""
    where = f"the board on {port}" if port else "the board"
    wrong = re.search(r"This chip is (\S+), not (\S+?)\.", text)
    if wrong:
        actual = wrong.group(1)
        hint = actual.lower().replace("-", "")
        return ProvisioningError(
            "wrong_chip",
            f"{where} is an {actual}, not an {the_chip.label}: use --chip {hint} "
            f"(and the MicroPython firmware built for {actual})",
        )
    if "Could not open" in text or "could not open port" in text:
        if re.search(r"Errno 2\b|No such file|FileNotFoundError", text):
            return ProvisioningError(
                "port_missing",
                f"port {port} does not exist: is the handheld plugged in and switched on? "
                "(list ports with `ls /dev/ttyUSB* /dev/ttyACM*`)",
            )
        if "Permission denied" in text or "Errno 13" in text:
            return ProvisioningError(
                "port_permission",
                f"no permission to open {port}: add yourself to the dialout group "
                "(`sudo usermod -aG dialout $USER`) and log in again",
            )
        return ProvisioningError(
            "port_busy",
            f"port {port} is in use by another program (a serial monitor, mpremote, "
            "another gridvend): close it and try again",
        )
    if re.search(r"exclusively lock|Device or resource busy|Resource temporarily", text):
        return ProvisioningError(
            "port_busy",
            f"port {port} is in use by another program (a serial monitor, mpremote, "
            "another gridvend): close it and try again",
        )
    if "Failed to connect" in text or "Wrong boot mode" in text:
        return ProvisioningError(
            "not_download_mode",
            f"{where} did not enter download mode (no answer from its bootloader): check the "
            "USB cable carries data, then hold BOOT, press and release RESET, release BOOT, "
            "and try again",
        )
    if "will not fit in" in text:
        found = re.search(r"will not fit in (\d+) bytes", text)
        flash = flash_size_name(int(found.group(1))) if found else "its flash"
        return ProvisioningError(
            "image_too_large",
            f"the firmware and image do not fit in {where}'s {flash}: build the image "
            "with that --flash-size",
        )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "no output")
    return ProvisioningError("esptool_failed", f"esptool failed: {first}")


def _option(name: str) -> str:
    # esptool 4 spells write_flash's options with underscores (--flash_size).
    return name if ESPTOOL_MAJOR >= 5 else name.replace("-", "_")


def _read(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problem = "does not exist"
    except IsADirectoryError:
        problem = "is a directory, not a file"
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror})"
    else:
        problem = "is empty" if not data else ""
    if problem:
        raise ProvisioningError("missing_file", f"{what} file {path} {problem}")
    return data
