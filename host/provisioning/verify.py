"""Check a flashed handheld through its USB REPL, with mpremote.

mpremote's serial transport opens the port, interrupts whatever runs, enters the raw REPL
with a soft reset (main.py does not run in raw mode), and executes probe_on_device.py's
functions there: the watchdog is taken over first, then the device id, the SHA-256 of
every code file against the image's manifest and the config files are read back, and the
firmware's own self-test runs (display, printer status, keypad scan, modem AT, journal).
Finally the board is reset so it boots into its firmware (unless reset=False).

The result is a list of checks, each passed or failed with a reason; the CLI prints them
as a table. When the expected hashes are known (provisioning just built the image), the
device must hold exactly that firmware and config.
"""

import contextlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from host.provisioning.errors import ProvisioningError

PROBE = Path(__file__).with_name("probe_on_device.py")
BAUD = 115200
WATCHDOG_MS = 30_000  # re-armed for the self-test; a step never takes this long unfed
READ_TIMEOUT_S = 1.0  # a port read that waits longer returns empty, never hangs
ENTER_TIMEOUT_S = 5.0  # for the raw REPL's banner, per attempt
ENTER_ATTEMPTS = 2
STEP_TIMEOUT_S = 60  # the longest silence allowed while the self-test runs
MARKER = "GRIDVEND "


@dataclass(frozen=True)
class Check:
    """One line of the verify table."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Expected:
    """What the device should hold (from the image provisioning just flashed)."""

    device_id: str | None = None
    firmware_sha256: str | None = None
    config_sha256: str | None = None


@dataclass
class VerifyResult:
    """Everything read back from one device."""

    port: str
    device_id: str | None = None
    firmware_version: str | None = None
    firmware_sha256: str | None = None
    config_sha256: str | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def verify(
    port: str,
    expected: Expected | None = None,
    interactive: bool = False,
    reset: bool = True,
    on_check: Callable[[Check], None] | None = None,
    read_timeout_s: float = READ_TIMEOUT_S,
    enter_timeout_s: float = ENTER_TIMEOUT_S,
) -> VerifyResult:
    """Read the device on port back and run its self-test; raises ProvisioningError when
    the device cannot be reached at all (the checks carry everything else)."""
    expected = expected or Expected()
    result = VerifyResult(port)

    def add(name: str, ok: bool, detail: str) -> None:
        check = Check(name, ok, detail)
        result.checks.append(check)
        if on_check:
            on_check(check)

    transport = _connect(port, read_timeout_s)
    try:
        _enter_raw_repl(transport, port, enter_timeout_s)
        _run(transport, PROBE.read_text(encoding="utf-8"), port)
        _call(transport, f"probe_watchdog({WATCHDOG_MS})", "watchdog", port)
        readback = _call(transport, "probe_readback()", "readback", port)
        _readback_checks(readback, expected, result, add)
        try:
            steps = _call(
                transport,
                f"probe_selftest({interactive!r}, {result.device_id!r})",
                "selftest",
                port,
                timeout=STEP_TIMEOUT_S if not interactive else None,
            )
        except ProvisioningError as exc:
            if exc.kind != "probe_failed":
                raise
            # The firmware itself is broken (a module that will not import, say): that is
            # a result about this device, not a failure to check it.
            add("self-test", False, f"could not run: {exc.detail}")
        else:
            for name, ok, detail in steps:
                add(name, bool(ok), str(detail))
        if reset:
            _hard_reset(transport)
    finally:
        _close(transport)
    return result


def _readback_checks(data: dict, expected: Expected, result: VerifyResult, add) -> None:
    result.device_id = data.get("device_id")
    result.firmware_version = data.get("firmware_version")
    result.firmware_sha256 = data.get("firmware_sha256")
    result.config_sha256 = data.get("config_sha256")
    problems = data.get("problems") or []

    if result.device_id is None:
        add("device id", False, "; ".join(problems) or "config.json has no device_id")
    elif expected.device_id and result.device_id != expected.device_id:
        add("device id", False, f"{result.device_id}, expected {expected.device_id}")
    else:
        add("device id", True, result.device_id)

    if "manifest_firmware_sha256" not in data:
        add("firmware", False, "; ".join(problems) or "no manifest.json: not a gridvend image")
        add("config", False, "cannot check without manifest.json")
        return
    bad = []
    for key, label in (("missing", "missing"), ("changed", "changed"), ("extra", "not in image")):
        if data.get(key):
            more = " ..." if len(data[key]) > 5 else ""
            bad.append(f"{label}: {', '.join(data[key][:5])}{more}")
    short = (result.firmware_sha256 or "?")[:12]
    version = f"v{result.firmware_version} " if result.firmware_version else ""
    layout = data.get("layout", "files")
    where = {"romfs": " (code in /rom)", "frozen": " (code frozen into MicroPython)"}
    if bad:
        add("firmware", False, "; ".join(bad))
    elif result.firmware_sha256 != data.get("manifest_firmware_sha256"):
        add("firmware", False, f"{short}: differs from its manifest")
    elif expected.firmware_sha256 and result.firmware_sha256 != expected.firmware_sha256:
        add("firmware", False, f"{version}{short}, expected {expected.firmware_sha256[:12]}")
    else:
        count = data.get("file_count")
        add("firmware", True, f"{version}{short}, {count} files{where.get(layout, '')}")

    short = (result.config_sha256 or "?")[:12]
    if data.get("config_missing"):
        add("config", False, f"missing: {', '.join(data['config_missing'])}")
    elif result.config_sha256 != data.get("manifest_config_sha256"):
        add("config", False, f"{short}: changed since the image was built")
    elif expected.config_sha256 and result.config_sha256 != expected.config_sha256:
        add("config", False, f"{short}, expected {expected.config_sha256[:12]}")
    else:
        free = data.get("free_bytes")
        add("config", True, short + (f", {free // 1024} KB free" if free else ""))


def _connect(port: str, read_timeout_s: float) -> SerialTransport:
    if not os.path.exists(port):
        raise ProvisioningError(
            "port_missing",
            f"port {port} does not exist: is the handheld plugged in and switched on? "
            "(list ports with `ls /dev/ttyUSB* /dev/ttyACM*`)",
        )
    try:
        return SerialTransport(port, baudrate=BAUD, timeout=read_timeout_s)
    except TransportError:
        if not os.access(port, os.R_OK | os.W_OK):
            raise ProvisioningError(
                "port_permission",
                f"no permission to open {port}: add yourself to the dialout group "
                "(`sudo usermod -aG dialout $USER`) and log in again",
            ) from None
        raise ProvisioningError(
            "port_busy",
            f"port {port} is in use by another program (a serial monitor, mpremote, "
            "another gridvend): close it and try again",
        ) from None


def _enter_raw_repl(transport: SerialTransport, port: str, timeout_s: float) -> None:
    # Twice: right after flashing, the board may still be booting when the first Ctrl-C
    # and Ctrl-A arrive, and misses them. mpremote prints what it read when it gives up;
    # that goes nowhere, the sentence below says it better.
    for attempt in range(ENTER_ATTEMPTS):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                transport.enter_raw_repl(soft_reset=True, timeout_overall=timeout_s)
            return
        except (TransportError, OSError):
            if attempt == ENTER_ATTEMPTS - 1:
                raise ProvisioningError(
                    "no_repl",
                    f"the board on {port} does not answer at MicroPython's REPL: is "
                    "MicroPython flashed (gridvend flash), and is the board out of download "
                    "mode (press RESET)?",
                ) from None


def _run(transport: SerialTransport, code: str, port: str, timeout: float | None = 10) -> str:
    try:
        out, err = transport.exec_raw(code, timeout=timeout)
    except (TransportError, OSError) as exc:
        raise ProvisioningError(
            "device_stopped_answering",
            f"the board on {port} stopped answering ({exc}): check the cable, then verify again",
        ) from None
    if err:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else "?"
        raise ProvisioningError(
            "probe_failed", f"the check itself failed on the board on {port}: {last}", last
        )
    return out.decode("utf-8", "replace")


def _call(transport: SerialTransport, call: str, kind: str, port: str, timeout=10):
    text = _run(transport, call, port, timeout)
    prefix = f"{MARKER}{kind} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return json.loads(line[len(prefix) :])
    raise ProvisioningError(
        "probe_failed", f"the board on {port} gave no {kind} answer: {text.strip()[:80]!r}"
    )


def _hard_reset(transport: SerialTransport) -> None:
    # The board reboots into its firmware; nothing answers after this, so nothing is read.
    with contextlib.suppress(TransportError, TransportExecError, OSError):
        transport.exec_raw_no_follow("import machine\nmachine.reset()\n")


def _close(transport: SerialTransport) -> None:
    with contextlib.suppress(OSError):  # the port vanished with the reset
        transport.close()
