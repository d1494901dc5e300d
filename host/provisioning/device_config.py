"""The two per-device files in the image: config.json and link.json.

config.json is the firmware's configuration (device/config.py checks it at boot and
refuses unknown fields), so it holds only what that checker knows; it is validated here
with the firmware's own validate() before any image is built. link.json holds what the
link to the server needs and config.py does not yet know: the device secret (HMAC key of
the message envelope), the broker credentials, Wi-Fi and the GPRS APN. Secrets stay in
link.json so config.json can be shown or compared without exposing them.

    config.json  device_id, utility, currency, minor_digits, amount limits, language,
                 vendors (PIN as salted hash), seq_floor (the journal numbers its sales
                 above it), server {url, host, port, tls, ca, topic_prefix}
    link.json    {"device_id", "secret", "mqtt": {"user", "password"} | null,
                  "wifi": {"ssid", "password"} | null, "apn": str | null}
    ca.der       with TLS: the CA certificate the handheld checks the server with
                 (config.json "server": {"tls": true, "ca": "/ca.der"})
"""

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from host.provisioning import firmware_rules
from host.provisioning.device_record import DeviceRecord
from host.provisioning.errors import ProvisioningError

TOPIC_PREFIX = "gridvend"
MQTT_PORTS = {"mqtt": (1883, False), "mqtts": (8883, True)}
PIN_PATTERN = re.compile(r"[0-9]{4,8}")  # the handheld's PIN entry takes up to 8 digits
VENDOR_NAME_MAX = 24
VENDOR_ID_MAX = 16
CA_FILE = "ca.der"  # in the image's root: the device opens "/ca.der"


@dataclass(frozen=True)
class ImageSettings:
    """What the technician chooses per device (or per batch) besides the registration."""

    language: str = "en"
    wifi: str | None = None  # "SSID:PASSWORD"
    apn: str | None = None
    server_url: str | None = None  # overrides the registration's
    broker_url: str | None = None  # overrides the registration's
    utility: str = "gridvend"
    amount_min: int = 100  # minor units
    amount_max: int = 10_000_000  # minor units
    vendor_pin: str | None = None  # None: generate one
    ca_file: Path | None = None  # the TLS CA (PEM or DER); overrides the registration's


@dataclass(frozen=True)
class DeviceFiles:
    """config.json and link.json as bytes, and the vendor PIN if one was generated."""

    config_json: bytes
    link_json: bytes
    generated_pin: str | None
    ca_der: bytes | None = None

    def as_files(self) -> dict[str, bytes]:
        files = {"config.json": self.config_json, "link.json": self.link_json}
        if self.ca_der is not None:
            files[CA_FILE] = self.ca_der
        return files


def generate_pin() -> str:
    """A random 6-digit vendor PIN."""
    return f"{secrets.randbelow(10**6):06d}"


def parse_wifi(text: str) -> dict[str, str]:
    """ "SSID:PASSWORD" as the firmware's wifi object (the password may contain ':')."""
    ssid, sep, password = text.partition(":")
    if not sep or not ssid:
        raise ProvisioningError("bad_wifi", f"--wifi {text!r}: write it as SSID:PASSWORD")
    if len(ssid.encode()) > 32:
        raise ProvisioningError("bad_wifi", f"--wifi: SSID {ssid!r} is longer than 32 bytes")
    if password and not 8 <= len(password) <= 63:
        raise ProvisioningError(
            "bad_wifi", "--wifi: a WPA2 password has 8 to 63 characters (or none, open network)"
        )
    return {"ssid": ssid, "password": password}


def parse_broker(url: str) -> tuple[str, int, bool]:
    """host, port, tls from mqtt://host[:port] or mqtts://host[:port]."""
    parts = urlsplit(url)
    if parts.scheme not in MQTT_PORTS or not parts.hostname:
        raise ProvisioningError(
            "bad_broker", f"broker {url!r}: write it as mqtt://host[:port] or mqtts://host[:port]"
        )
    default_port, tls = MQTT_PORTS[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ProvisioningError("bad_broker", f"broker {url!r}: the port is not a number") from None
    return parts.hostname, port, tls


def check_server_url(url: str) -> str:
    """url if it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProvisioningError(
            "bad_server_url", f"server {url!r}: write it as http://host[:port] or https://..."
        )
    return url.rstrip("/")


def build_device_files(record: DeviceRecord, settings: ImageSettings) -> DeviceFiles:
    """config.json (checked by the firmware's own rules) and link.json for one device."""
    pin = settings.vendor_pin
    generated = None
    if pin is None:
        pin = generated = generate_pin()
    elif not PIN_PATTERN.fullmatch(pin):
        raise ProvisioningError("bad_pin", "vendor PIN: 4 to 8 digits")
    if len(record.agent_code) > VENDOR_ID_MAX or not re.fullmatch(
        r"[A-Za-z0-9_-]+", record.agent_code
    ):
        raise ProvisioningError(
            "bad_agent_code",
            f"agent {record.agent_code!r}: the handheld takes vendor codes of up to "
            f"{VENDOR_ID_MAX} letters, digits, - or _",
        )
    salt = secrets.token_hex(8)
    rounds = firmware_rules.default_pin_rounds()
    server: dict[str, object] = {"topic_prefix": TOPIC_PREFIX}
    server_url = settings.server_url or record.server_url
    if server_url:
        server["url"] = check_server_url(server_url)
    broker_url = settings.broker_url or record.broker_url
    if broker_url:
        server["host"], server["port"], server["tls"] = parse_broker(broker_url)
    if not server_url and not broker_url:
        raise ProvisioningError(
            "no_server",
            "the device would know no server: give --server URL and/or --broker URL",
        )
    ca_der = _ca(record, settings)
    if ca_der is not None:
        if broker_url and not server["tls"]:
            raise ProvisioningError(
                "bad_broker",
                f"broker {broker_url}: with a TLS CA the handheld talks TLS, write mqtts://",
            )
        server["tls"] = True
        server["ca"] = "/" + CA_FILE
    if not _is_count(record.seq_floor):
        raise ProvisioningError("bad_record", "the registration record's seq_floor is wrong")
    raw = {
        "device_id": record.device_id,
        "utility": settings.utility,
        "currency": record.currency,
        "minor_digits": record.minor_digits,
        "amount_min": settings.amount_min,
        "amount_max": settings.amount_max,
        "language": settings.language,
        "vendors": [
            {
                "id": record.agent_code,
                "name": record.agent_name[:VENDOR_NAME_MAX] or record.agent_code,
                "salt": salt,
                "pin_hash": firmware_rules.pin_hash(salt, pin, rounds),
                "rounds": rounds,
            }
        ],
        "server": server,
        "seq_floor": record.seq_floor,
    }
    try:
        firmware_rules.validate_config(raw)
    except firmware_rules.config_error_type() as exc:
        raise ProvisioningError(
            "bad_config", f"the handheld would refuse this config: {exc}"
        ) from None
    link = {
        "device_id": record.device_id,
        "secret": _secret(record.secret_hex),
        "mqtt": {"user": record.broker_user, "password": record.broker_password}
        if broker_url
        else None,
        "wifi": parse_wifi(settings.wifi) if settings.wifi else None,
        "apn": _apn(settings.apn),
    }
    return DeviceFiles(_json(raw), _json(link), generated, ca_der)


def _ca(record: DeviceRecord, settings: ImageSettings) -> bytes | None:
    """The CA certificate for the image, as DER: --ca's file, else the registration's."""
    from server.link.tls import TlsError, ca_der_from_file, to_der

    try:
        if settings.ca_file is not None:
            return ca_der_from_file(settings.ca_file)
        if record.ca_der_b64:
            return to_der(base64.b64decode(record.ca_der_b64, validate=True))
    except (TlsError, binascii.Error) as exc:
        raise ProvisioningError("bad_ca", f"the TLS CA certificate: {exc}") from None
    return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _secret(secret_hex: str) -> str:
    try:
        secret = bytes.fromhex(secret_hex)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise ProvisioningError(
            "bad_record", "the registration record's secret is not 16+ bytes of hex"
        )
    return secret.hex()


def _apn(apn: str | None) -> str | None:
    if apn is None:
        return None
    if not apn or len(apn) > 63 or '"' in apn or not apn.isprintable():
        raise ProvisioningError(
            "bad_apn", f"--apn {apn!r}: 1 to 63 printable characters, no quotes"
        )
    return apn


def _json(data: dict) -> bytes:
    # Compact and key-sorted: the device parses it with little heap, and the same settings
    # give the same bytes (and the same config hash in verify).
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
