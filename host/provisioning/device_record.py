"""What registration (or a secret re-issue) hands back for one device, and where the
technician's laptop keeps it.

`gridvend device register` stores the record as <store>/<device id>.json (mode 0600:
it holds the device secret and broker password) so `gridvend image build --device ID`
can put them into the image later. `gridvend provision` keeps it in memory only.
"""

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from host.provisioning.errors import ProvisioningError

DEFAULT_STORE = Path("var") / "devices"
DEVICE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,16}")


@dataclass(frozen=True)
class DeviceRecord:
    """A registered device: its identity, credentials and the installation it belongs to."""

    device_id: str
    agent_code: str
    agent_name: str
    secret_hex: str  # HMAC-SHA-256 key for the link's message envelope
    broker_user: str
    broker_password: str
    currency: str
    minor_digits: int
    server_url: str = ""  # the HTTP API the device falls back to
    broker_url: str = ""  # mqtt://host:1883 or mqtts://host:8883
    # The secret's generation and the highest sale number the server has from the device:
    # the image's journal numbers its sales above it (config.json "seq_floor").
    generation: int = 0
    seq_floor: int = 0
    ca_der_b64: str = ""  # the server's TLS CA certificate (base64 DER), if it has one

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "DeviceRecord":
        data = json.loads(text)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def check_device_id(device_id: str) -> str:
    """device_id if the firmware accepts it (1-16 letters, digits, - or _), else an error."""
    if not DEVICE_ID_PATTERN.fullmatch(device_id):
        raise ProvisioningError(
            "bad_device_id",
            f"device id {device_id!r}: 1 to 16 letters, digits, - or _ (the handheld "
            "puts it in every sale id)",
        )
    return device_id


def record_path(store: Path, device_id: str) -> Path:
    return store / f"{check_device_id(device_id)}.json"


def save_record(store: Path, record: DeviceRecord) -> Path:
    """Write the record readable by this user only; returns its path."""
    store.mkdir(parents=True, exist_ok=True)
    path = record_path(store, record.device_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(record.to_json())
    os.chmod(path, 0o600)
    return path


def load_record(store: Path, device_id: str) -> DeviceRecord:
    """The record `device register` stored for device_id."""
    path = record_path(store, device_id)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProvisioningError(
            "not_registered",
            f"device {device_id} has no registration record at {path}: register it first "
            "(`gridvend device register`), or let `gridvend provision --agent` do it",
        ) from None
    try:
        return DeviceRecord.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise ProvisioningError(
            "bad_record", f"{path} is not a registration record ({exc})"
        ) from None
