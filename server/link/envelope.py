"""The envelope every message travels in, both ways, over MQTT and HTTP alike.

    {"v":1,"d":"GV0001","n":17,"t":1763700000,"y":"sale","b":{...},"m":"<64 hex digits>"}

v protocol version; d device id; n sequence number (per device and direction, increasing);
t sender's clock (Unix seconds); y message type; b body (an object); m HMAC-SHA-256, with the
device's secret, over the canonical encoding (canonical.py) of the envelope without "m".
An unsigned envelope ("m" empty) is only ever an error the server could not sign, because
it does not know the device or its secret; a handheld shows it and changes nothing.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from server.link import canonical
from server.link.errors import LinkError

VERSION = 1
MAX_BYTES = 16384  # an uplink above this is refused unread (a batch of 50 sales is ~6 KB)
MAX_DEVICE_ID = 16
_ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_FIELDS = {"v", "d", "n", "t", "y", "b", "m"}


@dataclass(frozen=True)
class Envelope:
    """One message. `mac` is hex, empty when unsigned."""

    device: str
    seq: int
    time: int
    kind: str
    body: dict[str, Any] = field(default_factory=dict)
    mac: str = ""

    def signed_part(self) -> dict[str, Any]:
        """The fields the MAC covers."""
        return {
            "v": VERSION,
            "d": self.device,
            "n": self.seq,
            "t": self.time,
            "y": self.kind,
            "b": self.body,
        }

    def sign(self, secret: bytes) -> "Envelope":
        """This envelope with its MAC computed under `secret`."""
        return Envelope(self.device, self.seq, self.time, self.kind, self.body, mac(secret, self))

    def verify(self, secret: bytes) -> bool:
        """Whether the MAC is right for `secret` (constant-time compare)."""
        return bool(self.mac) and hmac.compare_digest(self.mac, mac(secret, self))

    def to_wire(self) -> bytes:
        """The bytes sent: the canonical encoding with "m" included."""
        return canonical.encode({**self.signed_part(), "m": self.mac})


def mac(secret: bytes, envelope: Envelope) -> str:
    """HMAC-SHA-256 of the envelope's canonical encoding (without "m"), as hex."""
    return hmac.new(secret, canonical.encode(envelope.signed_part()), hashlib.sha256).hexdigest()


def parse(data: bytes) -> Envelope:
    """Read an envelope from the wire; LinkError("too_large" or "malformed") if it is not one.

    Only the envelope's shape is checked here; the MAC and the body are checked by the
    caller, who knows the device's secret and the message type.
    """
    if len(data) > MAX_BYTES:
        raise LinkError("too_large", f"{len(data)} bytes (max {MAX_BYTES})")
    try:
        raw = canonical.decode(data)
    except ValueError as exc:
        raise LinkError("malformed", str(exc)) from None
    if not isinstance(raw, dict):
        raise LinkError("malformed", "the envelope is not an object")
    unknown = set(raw) - _FIELDS
    missing = _FIELDS - set(raw)
    if unknown or missing:
        raise LinkError(
            "malformed", f"fields: unknown {sorted(unknown)}, missing {sorted(missing)}"
        )
    if raw["v"] != VERSION:
        raise LinkError("malformed", f"version {raw['v']!r}: this server speaks {VERSION}")
    device, seq, when, kind, body, sig = (raw[k] for k in ("d", "n", "t", "y", "b", "m"))
    if not is_device_id(device):
        raise LinkError("malformed", "d: 1 to 16 letters, digits, - or _")
    if not _is_int(seq) or not 0 < seq < 2**53:
        raise LinkError("malformed", "n: a whole number above 0")
    if not _is_int(when) or not 0 <= when < 2**40:
        raise LinkError("malformed", "t: Unix seconds")
    if not isinstance(kind, str) or not 0 < len(kind) <= 16:
        raise LinkError("malformed", "y: the message type")
    if not isinstance(body, dict):
        raise LinkError("malformed", "b: an object")
    if not isinstance(sig, str) or len(sig) not in (0, 64):
        raise LinkError("malformed", "m: 64 hex digits")
    return Envelope(device, seq, when, kind, body, sig.lower())


def is_device_id(value: object) -> bool:
    """Whether `value` is a valid device id (as in the handheld's config.json)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_DEVICE_ID
        and all(ch in _ID_CHARS for ch in value)
    )


def claimed_device(data: bytes) -> str | None:
    """The device id a message claims, if it can be read at all (to address an error)."""
    try:
        raw = canonical.decode(data[:MAX_BYTES])
    except ValueError:
        return None
    device = raw.get("d") if isinstance(raw, dict) else None
    return device if is_device_id(device) else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
