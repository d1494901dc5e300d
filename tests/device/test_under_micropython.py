"""The pure-logic test files again, under real MicroPython (the WebAssembly port, in Node).

Each module in CASES runs in a fresh MicroPython with device/ and tests/device/ copied
into its filesystem; every test_* function must pass there too, and the count must
match the functions pytest sees, so none is silently left out. Skipped only when Node
is not installed; a missing npm package is an error (run `npm ci` in tests/micropython).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "micropython"
PACKAGE = RUNNER / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
CASES = [
    "test_config",
    "test_entry",
    "test_i18n",
    "test_journal",
    "test_receipts",
    "test_vend_flow",
    "test_vend_flow_rules",
    "test_vend_flow_screens",
]


def run_micropython(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run tests/micropython/run.mjs with args; skips when Node is absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: MicroPython (WebAssembly) tests need Node 18+")
    if not PACKAGE.is_dir():
        pytest.fail("MicroPython npm package missing: run `npm ci` in tests/micropython")
    return subprocess.run(
        [node, str(RUNNER / "run.mjs"), *args],
        cwd=RUNNER,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def device_and_cases_args() -> list[str]:
    """Arguments that put device/ and tests/device/ into MicroPython's sys.path."""
    return [
        "--copy",
        f"{ROOT / 'device'}:/device",
        "--copy",
        f"{ROOT / 'tests' / 'device'}:/cases",
        "--path",
        "/device",
        "--path",
        "/cases",
    ]


def test_the_runner_reports_a_failing_case_as_a_failure():
    proc = run_micropython(
        "--exec",
        "with open('/fake_cases.py', 'w') as f:\n"
        "    f.write('def test_fails():\\n    assert 1 == 2\\n')\n"
        "sys.path.insert(0, '/')\nCASES = ['fake_cases']",
        "--file",
        str(RUNNER / "run_cases.py"),
    )
    assert "FAIL fake_cases.test_fails" in proc.stdout, proc.stdout + proc.stderr
    assert "SUMMARY 0 1" in proc.stdout


def test_it_is_really_micropython():
    proc = run_micropython("--exec", "import sys; print(sys.implementation.name)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "micropython"


@pytest.mark.parametrize("module", CASES)
def test_cases_pass_under_micropython(module: str):
    proc = run_micropython(
        *device_and_cases_args(),
        "--exec",
        f"CASES = [{module!r}]",
        "--file",
        str(RUNNER / "run_cases.py"),
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    summary = re.search(r"^SUMMARY (\d+) (\d+)$", proc.stdout, re.MULTILINE)
    assert summary, output
    passed, failed = int(summary.group(1)), int(summary.group(2))
    failures = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == 0, "\n".join(failures) + "\n" + output
    source = (ROOT / "tests" / "device" / f"{module}.py").read_text()
    expected = len(re.findall(r"^def test_\w+\(", source, re.MULTILINE))
    assert passed == expected, f"ran {passed} of {expected} tests:\n{output}"


def _scripted_vend_on_cpython(tmp_path: Path) -> dict:
    """The same scripted vend under CPython (pure modules only), for comparison.

    MicroPython's const() is the one thing of its own the pure modules use: it is given
    here as what it is to CPython, the value itself."""
    from bench.bench_device_memory import SCRIPT, parse_output

    code = (
        "import sys, types\n"
        "sys.modules['micropython'] = types.SimpleNamespace(const=lambda value: value)\n"
        f"sys.path[:0] = [{str(ROOT / 'device')!r}]\n"
        "DEVICE_MODULES = ['drivers.escpos']\n"
        f"JOURNAL_DIR = {str(tmp_path / 'journal')!r}\n"
        f"exec(open({str(SCRIPT)!r}).read())\n"
        "while step():\n    pass\n"
        "finish()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return parse_output(proc.stdout)


def test_scripted_vend_from_key_presses_to_slip_bytes_under_micropython(tmp_path: Path):
    from bench.bench_device_memory import run_scripted_vend

    run_micropython("--exec", "pass")  # skips when node is absent
    on_micropython = run_scripted_vend("source")
    on_cpython = _scripted_vend_on_cpython(tmp_path)
    assert on_micropython["state"] == 4  # journaled, answered, printed, acknowledged
    slip = on_micropython["slip"]
    assert b"Kijiji Power" in slip
    assert b"6007 2700 0000 0000 09" in slip
    assert b"KES 500.00" in slip
    assert on_micropython["slip"] == on_cpython["slip"]  # byte for byte the same


def test_scripted_vend_peak_heap_from_romfs_is_within_48_kb():
    """Budget check on the measured figure: modules in a ROMFS image, run in place."""
    from bench.bench_device_memory import BUDGET, run_scripted_vend

    run_micropython("--exec", "pass")  # skips when node is absent
    figures = run_scripted_vend("romfs")
    assert figures["state"] == 4
    assert 0 < figures["base"] <= figures["peak"]
    assert 0 < figures["qstr_tables"] < figures["qstr_pool"] < figures["base"]
    assert len(figures["steps"]) == 35  # every key press and event of the vend, measured
    assert figures["peak"] == max(peak for _what, _start, peak in figures["steps"])
    assert figures["peak"] <= BUDGET, f"ROMFS peak {figures['peak']} B > {BUDGET} B"


def test_boot_py_puts_the_firmware_before_the_journal_directory(tmp_path: Path):
    """Firmware frozen or in ROMFS: /journal (the sale data) must not hide the package."""
    from bench.bench_device_memory import build_romfs

    run_micropython("--exec", "pass")  # skips when node is absent
    image = str(build_romfs(tmp_path))
    setup = "import os\nos.chdir('/')\nos.mkdir('/journal')\n"  # the ESP32's filesystem root
    replay = (
        "try:\n"
        "    from journal.fs_os import OsFs\n"
        "    from journal.journal import Journal\n"
        "    print('REPLAYED', Journal(OsFs(), '/journal').replay()['segments'])\n"
        "except ImportError as exc:\n"
        "    print('NOT IMPORTED', exc)\n"
    )
    without = run_micropython("--romfs", image, "--exec", setup, "--exec", replay)
    assert "NOT IMPORTED" in without.stdout, without.stdout + without.stderr  # why boot.py
    with_boot = run_micropython("--romfs", image, "--exec", setup + "import boot", "--exec", replay)
    assert "REPLAYED 0" in with_boot.stdout, with_boot.stdout + with_boot.stderr


def test_the_memory_breakdown_measures_every_device_module_and_step():
    from bench.bench_device_memory import device_modules, run_breakdown

    run_micropython("--exec", "pass")  # skips when node is absent
    figures = run_breakdown()
    measured = {name for name, _heap, _qstrs, _pool in figures["imports"]}
    assert set(device_modules()) <= measured
    assert all(heap >= pool >= 0 for _name, heap, _qstrs, pool in figures["imports"])
    assert sum(heap for _name, heap, _qstrs, _pool in figures["imports"]) < figures["base"]
    assert sum(figures["kinds"].values()) >= figures["base"]  # whole blocks, so at least
    assert len(figures["steps"]) == 35 and figures["state"] == 4
