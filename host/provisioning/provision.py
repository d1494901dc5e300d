"""All of it for one handheld, or a batch: register, build the image, flash, verify.

    bench = Bench(registrar, firmware_file, chip="esp32", flash_size="4MB")
    result = bench.provision("/dev/ttyUSB0", DeviceOrder(agent="V001"))
    results = bench.provision_batch(orders, ports)     # rows of a CSV, round robin on ports

The firmware file and flash size are checked before anything is registered, and the
port before each device is registered, so the common mistakes cost no registration. If
a later step fails, the device's record (with its secret) is kept in the record store
and the result says how to retry without registering again (`--device ID`).

An order for an already registered device (`--device ID`) re-provisions it: with a
registrar the server issues it a new secret (a new secret generation) and says the
highest sale number it has from the device (seq_floor, in the new config.json), so a
handheld re-flashed with an empty journal never reuses a sale id. Without one, the stored
record is used as it is: only right for a device that has never sold.

Each device ends as a DeviceResult: ok, the step it reached, one sentence, and what a
CSV report needs. Nothing here prints; the CLI shows progress from the callbacks.
"""

import csv
import glob
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from host.provisioning import flash as flash_module
from host.provisioning import verify as verify_module
from host.provisioning.contents import Firmware, build_firmware, image_files, tree_hash
from host.provisioning.device_config import ImageSettings, build_device_files
from host.provisioning.device_record import DEFAULT_STORE, DeviceRecord, load_record, save_record
from host.provisioning.errors import ProvisioningError
from host.provisioning.image import build_image
from host.provisioning.partitions import chip as chip_named
from host.provisioning.partitions import flash_bytes, vfs_for_firmware
from host.provisioning.registration import Registrar, new_device_name

STAGES = ("register", "image", "flash", "verify")
REPORT_FIELDS = (
    "row",
    "port",
    "device_id",
    "agent",
    "result",
    "stage",
    "message",
    "vendor_pin",
    "firmware_sha256",
    "config_sha256",
    "seconds",
)
CSV_FIELDS = ("agent", "name", "offline_allowance", "vendor_pin", "wifi", "apn", "language")

Stage = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DeviceOrder:
    """One handheld to provision: its vendor, and what may differ per device."""

    agent: str = ""
    name: str | None = None  # device id; None: generated
    offline_allowance: str = "0"
    device: str | None = None  # an already registered device (its stored record) instead
    settings: ImageSettings = field(default_factory=ImageSettings)
    row: int | None = None  # its line in the batch CSV


@dataclass
class DeviceResult:
    """How one device went."""

    port: str
    agent: str
    row: int | None = None
    device_id: str | None = None
    ok: bool = False
    stage: str = "check"
    message: str = ""
    vendor_pin: str | None = None
    firmware_sha256: str = ""
    config_sha256: str = ""
    seconds: float = 0.0
    checks: list = field(default_factory=list)

    def report_row(self) -> dict[str, str]:
        return {
            "row": "" if self.row is None else str(self.row),
            "port": self.port,
            "device_id": self.device_id or "",
            "agent": self.agent,
            "result": "ok" if self.ok else "failed",
            "stage": self.stage,
            "message": self.message,
            "vendor_pin": self.vendor_pin or "",
            "firmware_sha256": self.firmware_sha256,
            "config_sha256": self.config_sha256,
            "seconds": f"{self.seconds:.1f}",
        }


class Bench:
    """A technician's bench: one registrar, one MicroPython firmware file, one board type."""

    def __init__(
        self,
        registrar: Registrar | None,
        firmware_file: Path,
        chip: str = "esp32",
        flash_size: str = "4MB",
        store: Path = DEFAULT_STORE,
        cache_dir: Path | None = None,
        baud: int = flash_module.DEFAULT_BAUD,
        interactive: bool = False,
        connect_attempts: int | None = None,
        flasher: Callable[..., None] = flash_module.flash,
        verifier: Callable[..., verify_module.VerifyResult] = verify_module.verify,
    ) -> None:
        self.registrar = registrar
        self.chip = chip_named(chip)
        self.flash_size = flash_size
        self.firmware_file = firmware_file
        self.store = store
        self.cache_dir = cache_dir
        self.baud = baud
        self.interactive = interactive
        self.connect_attempts = connect_attempts
        self.flasher = flasher
        self.verifier = verifier
        try:
            firmware_data = firmware_file.read_bytes()
        except OSError as exc:
            raise ProvisioningError(
                "missing_file", f"firmware file {firmware_file} cannot be read ({exc.strerror})"
            ) from None
        # Checked now, before any device is registered.
        self.vfs = vfs_for_firmware(firmware_data, self.chip, flash_bytes(flash_size))
        self._firmware: Firmware | None = None

    @property
    def firmware(self) -> Firmware:
        """The compiled firmware files, built once for every device of the bench."""
        if self._firmware is None:
            self._firmware = build_firmware(self.chip.mpy_arch, self.cache_dir)
        return self._firmware

    def provision(
        self,
        port: str,
        order: DeviceOrder,
        on_stage: Stage | None = None,
        on_progress: Progress | None = None,
        on_check: Callable | None = None,
    ) -> DeviceResult:
        """Register, image, flash and verify one handheld on port."""
        started = time.monotonic()
        result = DeviceResult(port=port, agent=order.agent, row=order.row)
        record: DeviceRecord | None = None
        registered_now = False
        try:
            _check_port(port)
            _ = self.firmware  # compiled before registering: a broken module costs nothing
            result.stage = "register"
            if on_stage:
                on_stage("register")
            if order.device and self.registrar is not None:
                # Re-provisioning: a new secret (generation) and the sale number floor, so
                # the new image's sale ids are new to the server. Kept at once: the old
                # record's secret no longer works.
                record = self.registrar.reissue(order.device)
                save_record(self.store, record)
            elif order.device:
                # The stored record as it is: only for a device that never sold (a retry
                # after a failed flash), as its seq_floor is the one of its registration.
                record = load_record(self.store, order.device)
            else:
                if self.registrar is None:
                    raise ProvisioningError(
                        "no_server", "no server to register with: give --server or --db"
                    )
                record = self.registrar.register(
                    order.agent, order.name or new_device_name(), order.offline_allowance
                )
                registered_now = True
            result.device_id = record.device_id
            result.agent = record.agent_code
            result.stage = "image"
            if on_stage:
                on_stage("image")
            device_files = build_device_files(record, order.settings)
            result.vendor_pin = device_files.generated_pin
            config = device_files.as_files()
            image = build_image(image_files(self.firmware, config), self.vfs)
            result.firmware_sha256 = self.firmware.sha256
            result.config_sha256 = tree_hash(config)
            result.stage = "flash"
            if on_stage:
                on_stage("flash")
            with _private_file(image) as image_file:
                plan = flash_module.plan(
                    self.firmware_file, image_file, self.chip.name, self.flash_size
                )
                self.flasher(
                    plan,
                    port,
                    self.baud,
                    on_progress=on_progress,
                    connect_attempts=self.connect_attempts,
                )
            result.stage = "verify"
            if on_stage:
                on_stage("verify")
            expected = verify_module.Expected(
                record.device_id, result.firmware_sha256, result.config_sha256
            )
            checked = self.verifier(port, expected, interactive=self.interactive, on_check=on_check)
            result.checks = checked.checks
            if checked.passed:
                result.ok = True
                result.stage = "done"
                result.message = f"{record.device_id} for {record.agent_code}: every check passed"
            else:
                failed = "; ".join(f"{c.name}: {c.detail}" for c in checked.failed)
                result.message = f"verify failed: {failed}"
        except ProvisioningError as exc:
            result.message = exc.message
        finally:
            result.seconds = time.monotonic() - started
        if not result.ok and record is not None and registered_now:
            path = save_record(self.store, record)
            result.message += (
                f" (registered as {record.device_id}; its record is kept in {path}: retry with "
                f"--device {record.device_id})"
            )
        return result

    def provision_batch(
        self,
        orders: list[DeviceOrder],
        ports: list[str],
        on_result: Callable[[DeviceResult], None] | None = None,
        on_start: Callable[[int, str, DeviceOrder], None] | None = None,
        between_rounds: Callable[[int], None] | None = None,
        **callbacks,
    ) -> list[DeviceResult]:
        """Each order on the next port in turn; between_rounds(n) before reusing the ports."""
        if not ports:
            raise ProvisioningError("no_ports", "no serial port matches: plug the boards in")
        results = []
        for index, order in enumerate(orders):
            if index and index % len(ports) == 0 and between_rounds:
                between_rounds(len(ports))
            port = ports[index % len(ports)]
            if on_start:
                on_start(index, port, order)
            result = self.provision(port, order, **callbacks)
            results.append(result)
            if on_result:
                on_result(result)
        return results


def read_orders(path: Path, defaults: ImageSettings) -> list[DeviceOrder]:
    """The rows of a batch CSV (header: agent, and any of name, offline_allowance,
    vendor_pin, wifi, apn, language); blank cells take the command line's values."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProvisioningError("missing_file", f"batch file {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    if "agent" not in columns:
        raise ProvisioningError(
            "bad_batch", f"{path}: the first line must name the columns, with at least 'agent'"
        )
    unknown = sorted(set(columns) - set(CSV_FIELDS))
    if unknown:
        raise ProvisioningError(
            "bad_batch",
            f"{path}: unknown column {unknown[0]!r} (known: {', '.join(CSV_FIELDS)})",
        )
    orders = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        if not row.get("agent"):
            raise ProvisioningError("bad_batch", f"{path} line {number}: no agent")
        settings = replace(
            defaults,
            **{key: row[key] for key in ("vendor_pin", "wifi", "apn", "language") if row.get(key)},
        )
        orders.append(
            DeviceOrder(
                agent=row["agent"],
                name=row.get("name") or None,
                offline_allowance=row.get("offline_allowance") or "0",
                settings=settings,
                row=number,
            )
        )
    if not orders:
        raise ProvisioningError("bad_batch", f"{path} lists no devices")
    return orders


def ports_matching(pattern: str) -> list[str]:
    """Serial ports matching a glob, in name order (ttyUSB2 before ttyUSB10)."""
    return sorted(glob.glob(pattern), key=_natural)


def write_report(path: Path, results: Iterable[DeviceResult]) -> None:
    """The batch report: one CSV row per device (readable by its owner only: it may hold
    generated vendor PINs)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ProvisioningError(
            "cannot_write", f"cannot write the report {path}: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.report_row())


def _natural(text: str) -> list:
    parts: list = []
    number = ""
    for ch in text + "\0":
        if ch.isdigit():
            number += ch
            continue
        if number:
            parts.append(int(number))
            number = ""
        parts.append(ch)
    return parts


def _check_port(port: str) -> None:
    if not os.path.exists(port):
        raise ProvisioningError(
            "port_missing",
            f"port {port} does not exist: is the handheld plugged in and switched on?",
        )


class _private_file:
    """The image in a temporary file only its owner can read (it holds the device secret),
    removed afterwards."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.path: Path | None = None

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(prefix="gridvend-image-", suffix=".bin")
        with os.fdopen(fd, "wb") as f:
            f.write(self.data)
        self.path = Path(name)
        return self.path

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
