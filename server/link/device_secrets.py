"""Device secrets: issued at registration, kept sealed under the master key, opened only to
check and sign a device's messages. The broker password is derived from the secret, so a
handheld needs one secret for both, and the server stores no second credential.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from server.domain.errors import Unavailable
from server.security.master_key import load_master_key
from server.security.sealing import SealError, seal, unseal

if TYPE_CHECKING:
    from server.services.context import ServiceContext

SECRET_BYTES = 32
_PASSWORD_LABEL = b"gridvend mqtt password v1"
_SUBKEY_LABEL = b"gridvend device secrets v1"


def _label(device_id: int) -> str:
    # Bound to the device row: a sealed secret copied onto another device does not open.
    return f"gridvend-device-secret:id={device_id}"


def new_secret() -> bytes:
    """A fresh random device secret."""
    return secrets.token_bytes(SECRET_BYTES)


def broker_password(secret: bytes) -> str:
    """The device's MQTT password: HMAC-SHA-256(secret, label), first 32 hex digits.

    The handheld computes the same from its secret (device/link/hmac_sha256.py).
    """
    return hmac.new(secret, _PASSWORD_LABEL, hashlib.sha256).hexdigest()[:32]


class DeviceSecrets:
    """Seals and opens device secrets under a key derived from the master key (so this
    object never holds a key that could open a vending key); opened secrets are kept in
    memory, like an HSM session, so checking a message does not decrypt for every one."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._master_key = hmac.new(master_key, _SUBKEY_LABEL, hashlib.sha256).digest()
        self._opened: dict[tuple[int, bytes], bytes] = {}

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return "DeviceSecrets(<sealed>)"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "DeviceSecrets":
        """With the master key from GRIDVEND_MASTER_KEY(_FILE); MasterKeyError without one."""
        return cls(load_master_key(environ))

    @classmethod
    def from_context(cls, ctx: "ServiceContext") -> "DeviceSecrets":
        """With the master key the process's security module was opened with; Unavailable
        ("no_master_key") when it has none.

        The software security module keeps its key in `_master_key`; a hardware module
        would derive the device-secret key itself and this would ask it for that instead.
        """
        master_key = getattr(ctx.security, "_master_key", None)
        if not isinstance(master_key, bytes):
            raise Unavailable("no_master_key", "no master key to open device secrets with")
        return cls(master_key)

    def seal(self, device_id: int, secret: bytes) -> bytes:
        """The secret sealed for storage in devices.secret."""
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"a device secret has {SECRET_BYTES} bytes")
        return seal(self._master_key, secret, _label(device_id))

    def open(self, device_id: int, sealed: bytes) -> bytes:
        """The clear secret; SealError if it was sealed under another key or device."""
        key = (device_id, bytes(sealed))
        found = self._opened.get(key)
        if found is None:
            found = unseal(self._master_key, bytes(sealed), _label(device_id))
            if len(self._opened) > 100_000:
                self._opened.clear()
            self._opened[key] = found
        return found


__all__ = ["DeviceSecrets", "SealError", "broker_password", "new_secret"]
