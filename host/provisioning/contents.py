"""Every file the handheld's image holds, and the manifest that describes them.

Three layouts (docs/firmware-memory.md says which MicroPython build each needs and why
the stock one runs out of heap with the first):

"files" (the default: any stock MicroPython)
    main.py, boot.py      source: MicroPython runs them by name, never as .mpy
    <module>.mpy          every other device/**/*.py, compiled by mpy-cross
    lib/umqtt/*.mpy       micropython-lib packages from the registry (packages.py), compiled
"romfs" (MicroPython built with ROMFS; the code goes in a separate ROMFS image, /rom)
    boot.py               source (MicroPython runs boot.py from the filesystem only)
    main.py               `import main` + `main.main()`: after boot.py, that is /rom/main.mpy
    the ROMFS image       every module compiled, main.mpy included, lib/umqtt too
"frozen" (MicroPython built with device/manifest.py: the code is in the firmware)
    no code at all
and, in every layout, per device (device_config.py):
    config.json, link.json, manifest.json (layout, firmware version, every code file's
    SHA-256 as the device sees its path, the two tree hashes)

The compiled firmware is the same for every device of a batch and is built once; only
config.json, link.json and the manifest's config hash differ per device.

Tree hash (firmware_sha256, config_sha256): SHA-256 over the lines "<path> <sha256>\n" of
the files, sorted by path. verify.py's probe computes the same on the device.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mpremote.romfs import VfsRomWriter

from host.provisioning.cache_dir import default_cache_dir
from host.provisioning.errors import ProvisioningError
from host.provisioning.firmware_rules import DEVICE_DIR
from host.provisioning.mpy_cache import compile_module, mpy_cross_version
from host.provisioning.packages import registry_sources

LAYOUTS = ("files", "romfs", "frozen")
SOURCE_ONLY = frozenset({"main.py", "boot.py"})  # run by name from the root, as source
NOT_FIRMWARE = frozenset({"manifest.py"})  # device/manifest.py: read by MicroPython's build
MANIFEST = "manifest.json"
CONFIG_FILES = ("config.json", "link.json")
ROM_PREFIX = "rom/"  # where MicroPython mounts a ROMFS image
ROMFS_MAIN = b"import main\n\nmain.main()\n"  # /main.py when the code is in /rom
_VERSION = re.compile(r'^VERSION\s*=\s*"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Firmware:
    """The device code: every module compiled, and the sources run by name."""

    compiled: dict[str, bytes]  # "drivers/printer.mpy" -> .mpy, main.mpy and boot.mpy too
    sources: dict[str, bytes]  # "main.py", "boot.py" -> source
    version: str
    arch: str
    mpy_cross: str

    @property
    def files(self) -> dict[str, bytes]:
        """The code as the "files" layout puts it on the filesystem."""
        by_name = {name.removesuffix(".py") + ".mpy" for name in self.sources}
        code = {p: d for p, d in self.compiled.items() if p not in by_name}
        return {**code, **self.sources}

    @property
    def sha256(self) -> str:
        return tree_hash(self.files)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hash(files: dict[str, bytes]) -> str:
    """The hash of a set of files (see the module docstring); the device computes the same."""
    lines = "".join(f"{path} {file_hash(files[path])}\n" for path in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def device_sources(device_dir: Path = DEVICE_DIR) -> dict[str, bytes]:
    """Every firmware .py under device_dir, keyed by its path there ("drivers/printer.py")."""
    return {
        path.relative_to(device_dir).as_posix(): path.read_bytes()
        for path in sorted(device_dir.rglob("*.py"))
        if "__pycache__" not in path.parts
        and path.relative_to(device_dir).as_posix() not in NOT_FIRMWARE
    }


def build_firmware(
    arch: str,
    cache_dir: Path | None = None,
    device_dir: Path = DEVICE_DIR,
    packages: dict[str, bytes] | None = None,
) -> Firmware:
    """Compile every device module and package (from the cache when it can)."""
    cache_dir = cache_dir or default_cache_dir()
    sources = device_sources(device_dir)
    if "main.py" not in sources:
        raise FileNotFoundError(f"{device_dir} has no main.py")
    if packages is None:
        packages = registry_sources(cache_dir)
    clashes = sorted(set(sources) & set(packages))
    if clashes:
        raise ValueError(f"device/ and the packages both provide {', '.join(clashes)}")
    compiled = {
        name.removesuffix(".py") + ".mpy": compile_module(source, name, arch, cache_dir)
        for name, source in {**sources, **packages}.items()
    }
    found = _VERSION.search(sources["main.py"].decode("utf-8", "replace"))
    return Firmware(
        compiled,
        {name: sources[name] for name in SOURCE_ONLY if name in sources},
        found.group(1) if found else "unknown",
        arch,
        mpy_cross_version(),
    )


def device_code(firmware: Firmware, layout: str = "files") -> dict[str, bytes]:
    """The code files as the device sees them, by path ("rom/..." for the ROMFS image)."""
    _check_layout(layout)
    if layout == "files":
        return firmware.files
    if layout == "frozen":
        return {}
    rom = {
        ROM_PREFIX + path: data for path, data in firmware.compiled.items() if path != "boot.mpy"
    }
    boot = {"boot.py": firmware.sources["boot.py"]} if "boot.py" in firmware.sources else {}
    return {**rom, **boot, "main.py": ROMFS_MAIN}


def romfs_image(firmware: Firmware) -> bytes:
    """The ROMFS image of the "romfs" layout: the compiled code, mounted at /rom."""
    files = {
        path.removeprefix(ROM_PREFIX): data
        for path, data in device_code(firmware, "romfs").items()
        if path.startswith(ROM_PREFIX)
    }
    writer = VfsRomWriter()
    _write_rom_dir(writer, files)
    return writer.finalise()


def manifest(firmware: Firmware, config_files: dict[str, bytes], layout: str = "files") -> bytes:
    """manifest.json: enough for verify to say which firmware and config a device holds."""
    code = device_code(firmware, layout)
    data = {
        "format": 1,
        "layout": layout,
        "firmware_version": firmware.version,
        "mpy_cross": firmware.mpy_cross,
        "arch": firmware.arch,
        "firmware_sha256": tree_hash(code),
        "config_sha256": tree_hash(config_files),
        "config_files": sorted(config_files),
        "files": {path: file_hash(code[path]) for path in sorted(code)},
    }
    return json.dumps(data, indent=1, sort_keys=True).encode()


def image_files(
    firmware: Firmware, config_files: dict[str, bytes], layout: str = "files"
) -> dict[str, bytes]:
    """Everything that goes into one device's littlefs image."""
    code = {p: d for p, d in device_code(firmware, layout).items() if not p.startswith(ROM_PREFIX)}
    overlap = sorted(set(code) & (set(config_files) | {MANIFEST}))
    if overlap:
        raise ValueError(f"firmware files clash with per-device files: {', '.join(overlap)}")
    return {**code, **config_files, MANIFEST: manifest(firmware, config_files, layout)}


def _check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise ProvisioningError(
            "bad_layout", f"layout {layout!r}: must be one of {', '.join(LAYOUTS)}"
        )


def _write_rom_dir(writer: VfsRomWriter, files: dict[str, bytes]) -> None:
    here = sorted(p for p in files if "/" not in p)
    folders = sorted({p.split("/", 1)[0] for p in files if "/" in p})
    for name in here:
        writer.mkfile(name, files[name])
    for folder in folders:
        writer.opendir(folder)
        _write_rom_dir(
            writer,
            {p.split("/", 1)[1]: d for p, d in files.items() if p.startswith(folder + "/")},
        )
        writer.closedir()
